"""importers.layout: TOML mapping files, presets and layout errors."""

import io
import re
from pathlib import Path

import pytest

from importers.fields import KINDS
from importers.layout import Layout, LayoutError, list_presets, load_layout, load_preset, parse_layout
from importers.pipeline import read_rows

PRESETS = {
    "chukan-residents": ("residents", "csv"),
    "chukan-residents-fixed": ("residents", "fixed"),
    "chukan-dwellings": ("dwellings", "csv"),
    "chukan-land": ("land", "csv"),
    "chukan-tax": ("tax", "csv"),
    "isj-gaiku": ("addresses", "csv"),
    "isj-oaza": ("addresses", "csv"),
}

MINIMAL = """
[layout]
name = "t"
kind = "land"
format = "csv"
encoding = "utf-8"
[columns]
lot_no = "地番"
location = "所在"
"""


def test_presets_ship_and_load():
    assert set(PRESETS) <= set(list_presets())
    for name in list_presets():
        layout = load_preset(name)
        assert isinstance(layout, Layout) and layout.name == name
        if name in PRESETS:
            assert (layout.kind, layout.format) == PRESETS[name]
    fixed = load_preset("chukan-residents-fixed")
    assert fixed.record_length == 340 and fixed.encoding == "cp932" and fixed.date_style == "wareki-code"
    assert load_preset("isj-gaiku").level == "block" and load_preset("isj-oaza").level == "town"
    assert load_preset("isj-gaiku").skip_if == {"更新前履歴フラグ": ("3",)}


def test_load_layout_from_a_file(tmp_path):
    path = tmp_path / "mine.toml"
    path.write_text(MINIMAL, encoding="utf-8")
    layout = load_layout(path)
    assert (layout.kind, layout.format, layout.encoding, layout.header, layout.date_style) == (
        "land",
        "csv",
        "utf-8",
        True,
        "iso",
    )
    assert layout.fields == ("lot_no", "location")
    with pytest.raises(FileNotFoundError):
        load_layout(tmp_path / "missing.toml")
    with pytest.raises(LayoutError, match="unknown preset 'nope'"):
        load_preset("nope")


def test_encoding_aliases_are_cp932():
    for alias in ("shift_jis", "sjis", "Shift-JIS", "MS932", "windows-31j", "CP932"):
        assert parse_layout(MINIMAL.replace('"utf-8"', f'"{alias}"')).encoding == "cp932"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('kind = "land"', 'kind = "houses"'), "kind = 'houses' is unknown"),
        (('format = "csv"', 'format = "xlsx"'), "format = 'xlsx'"),
        (('encoding = "utf-8"', 'encoding = "euc-jp"'), "encoding = 'euc-jp'"),
        (
            ('lot_no = "地番"', 'lot_no = "地番"\nowner = "所有者"'),
            "[columns] 'owner' is not a canonical field of land",
        ),
        (('lot_no = "地番"\n', ""), "missing mandatory column(s) in [columns]: lot_no (地番)"),
        (('name = "t"', 'name = "t"\nlevel = "block"'), "level is only for kind = 'addresses'"),
        (('name = "t"', 'name = "t"\ndate_style = "julian"'), "date_style = 'julian'"),
        (('name = "t"', 'name = "t"\nspeed = 3'), "unknown key(s) in [layout]: speed"),
        (
            ("[columns]", '[codes.land_category]\n"1" = "宅地"\n[columns]'),
            "[codes.land_category]: the field has no column",
        ),
        (("[columns]", "[colums]\nx = 1\n[columns]"), "unknown table(s) colums"),
        (('lot_no = "地番"', "lot_no = 1.5"), "[columns] lot_no must be a column name or an index"),
    ],
)
def test_layout_errors_name_the_key(change, message):
    text = MINIMAL.replace(*change)
    assert text != MINIMAL
    with pytest.raises(LayoutError, match=re.escape(message)):
        parse_layout(text)


def test_code_values_must_be_canonical():
    text = """
[layout]
kind = "residents"
format = "csv"
name = "r"
[columns]
atena_no = "a"
household_no = "h"
name = "n"
birth_date = "b"
sex = "s"
address = "ad"
[codes.sex]
"1" = "man"
"""
    with pytest.raises(LayoutError, match=re.escape("[codes.sex] '1' = 'man': not one of male, female, unknown")):
        parse_layout(text)


def test_fixed_layout_checks():
    base = """
[layout]
name = "f"
kind = "land"
format = "fixed"
encoding = "cp932"
{extra}
[columns]
lot_no = {lot}
location = [10, 40]
"""
    layout = parse_layout(base.format(extra="", lot="[0, 10]"))
    assert layout.record_length == 50
    with pytest.raises(LayoutError, match=re.escape("[columns] lot_no must be [start, length] in bytes")):
        parse_layout(base.format(extra="", lot='"地番"'))
    with pytest.raises(LayoutError, match="record_length = 20 is shorter than the last column"):
        parse_layout(base.format(extra="record_length = 20", lot="[0, 10]"))
    with pytest.raises(LayoutError, match="header = true is only for csv"):
        parse_layout(base.format(extra="header = true", lot="[0, 10]"))
    one_based = parse_layout(base.format(extra="start_origin = 1", lot="[1, 10]"))
    assert one_based.columns["lot_no"].start == 0


def test_names_need_a_header():
    text = MINIMAL.replace('encoding = "utf-8"', 'encoding = "utf-8"\nheader = false')
    with pytest.raises(LayoutError, match="names a column, but the layout has header = false"):
        parse_layout(text)


def test_column_not_in_header_fails_before_any_row():
    layout = parse_layout(MINIMAL)
    data = "地番,住所\n1,桜町\n".encode()
    with pytest.raises(
        LayoutError, match=re.escape("column '所在' (location) is not in the header; the header has: 地番, 住所")
    ):
        read_rows(io.BytesIO(data), layout)  # raised by the call itself, not by the first next()


def test_index_beyond_header_and_empty_file():
    layout = parse_layout(MINIMAL.replace('location = "所在"', "location = 5"))
    with pytest.raises(LayoutError, match=re.escape("[columns] location = 5, but the header has only 2 columns")):
        read_rows(io.BytesIO("地番,所在\n1,x\n".encode()), layout)
    with pytest.raises(LayoutError, match="the file is empty"):
        read_rows(io.BytesIO(b""), parse_layout(MINIMAL))


def test_header_names_are_matched_leniently():
    layout = parse_layout(MINIMAL)
    data = "\ufeff 地番 ,所在\n1,桜町1番地\n".encode()  # BOM read as utf-8, spaces around the name
    rows = list(read_rows(io.BytesIO(data), layout))
    assert rows[0].values["lot_no"] == "1"


def test_every_canonical_field_is_documented():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "import-layouts.md").read_text(encoding="utf-8")
    for kind, spec in KINDS.items():
        assert f"`{kind}`" in doc
        for field in spec.fields:
            assert f"`{field.name}`" in doc, field.name
            assert field.ja.split(" ")[0] in doc, field.ja
    for name in list_presets():
        assert f"`{name}`" in doc, name
