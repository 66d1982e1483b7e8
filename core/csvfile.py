"""The one CSV writer of the project: every CSV that leaves the system (ledgers, reports, exports)
is written here, so every cell is guarded against formula injection.

A spreadsheet runs a cell that begins with ``=``, ``+``, ``-`` or ``@`` (or a tab or carriage
return before one) as a formula: ``=cmd|' /C calc'!A0`` in a rejected import value would run on
the PC that opens the report. Such text cells are written with a leading apostrophe, which the
spreadsheet shows as text. Numbers are written as they are (``-3`` is a number, not a formula).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"


def safe_cell(value: Any) -> str:
    """The text of one cell: None → "", dates as ISO, numbers as they are, risky text quoted."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float, Decimal)):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """CSV text with CRLF line ends (what spreadsheets and the prefecture's systems expect)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return buffer.getvalue()


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[Any]], *, bom: bool = True) -> bytes:
    """UTF-8 CSV; with a BOM by default, so that Excel on a municipal PC opens it without mojibake."""
    return ((BOM if bom else "") + csv_text(header, rows)).encode("utf-8")
