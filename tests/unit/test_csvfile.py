"""core.csvfile: the one CSV writer, guarded against formula injection."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from core.csvfile import csv_bytes, csv_text, safe_cell

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("text", ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_formula_text_is_quoted(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (None, ""),
        (-3, "-3"),
        (Decimal("-1.5"), "-1.5"),
        (2.5, "2.5"),
        (True, "1"),
        (date(2026, 11, 20), "2026-11-20"),
        ("見本　一郎", "見本　一郎"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_other_cells_are_written_as_they_are(value, cell):
    assert safe_cell(value) == cell


def test_rows_read_back_with_bom_and_crlf():
    data = csv_bytes(["行", "値"], [(1, "=cmd|x"), (2, 'comma, "quote"')])
    assert data.startswith("\ufeff".encode())
    text = data.decode("utf-8-sig")
    assert text.endswith("\r\n")
    assert list(csv.reader(io.StringIO(text))) == [["行", "値"], ["1", "'=cmd|x"], ["2", 'comma, "quote"']]
    assert not csv_text(["a"], []).startswith("\ufeff")


def test_no_other_module_writes_csv():
    # Exports go through core.csvfile; importers.synthetic writes synthetic *input* files for tests/demo.
    allowed = {ROOT / "core" / "csvfile.py", ROOT / "importers" / "synthetic.py"}
    writers = re.compile(r"csv\.(writer|DictWriter)\(")
    offenders = [
        str(path.relative_to(ROOT))
        for package in ("core", "importers", "gis", "ledgers", "victim_support")
        for path in (ROOT / package).rglob("*.py")
        if path not in allowed and writers.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []
