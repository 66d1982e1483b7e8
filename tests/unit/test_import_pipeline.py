"""importers.pipeline: decoding, conversion and the validation report (no database)."""

import csv
import io
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.codes import with_mod11
from importers.layout import load_preset, parse_layout
from importers.pipeline import ISSUE_REASONS, Issue, Row, read_rows

A1, A2, A3 = with_mod11("100000001"), with_mod11("100000002"), with_mod11("100000003")
H1 = with_mod11("2000001")


def bad_check(number: str) -> str:
    return number[:-1] + str((int(number[-1]) + 1) % 10)


def csv_bytes(rows: list[list[str]], encoding: str = "cp932") -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode(encoding)


RESIDENTS = """
[layout]
name = "test-residents"
kind = "residents"
format = "csv"
encoding = "{encoding}"
date_style = "wareki-code"
{more}
[columns]
atena_no = "宛名番号"
household_no = "世帯番号"
name = "氏名"
birth_date = "生年月日"
sex = "性別"
relationship = "続柄"
address = "住所"
[codes.sex]
"1" = "male"
"2" = "female"
"""
HEADER = ["宛名番号", "世帯番号", "氏名", "生年月日", "性別", "続柄", "住所"]


def residents(rows: list[list[str]], encoding: str = "cp932", more: str = "", gaiji_map=None) -> list[Row]:
    layout = parse_layout(RESIDENTS.format(encoding=encoding, more=more))
    return list(
        read_rows(
            io.BytesIO(csv_bytes([HEADER, *rows], "cp932" if encoding == "auto" else encoding)),
            layout,
            gaiji_map=gaiji_map,
        )
    )


def codes(row: Row) -> list[tuple[str, str, str]]:
    return [(i.code, i.field, i.severity) for i in row.issues]


GOOD = [A1, H1, "山田　太郎", "04010203", "1", "世帯主", "見本市桜町二丁目3番4号"]


def test_a_good_row():
    (row,) = residents([GOOD])
    assert row.ok and row.issues == [] and row.line_no == 2
    v = row.values
    assert v["atena_no"] == A1 and v["household_no"] == H1
    assert v["name"] == v["name_raw"] == "山田　太郎" and v["name_key"] == "山田太郎"
    assert (
        v["birth_date"] == date(1989, 2, 3) and v["birth_date_raw"] == "04010203" and v["birth_date_unknown"] is False
    )
    assert v["sex"] == "male" and v["is_householder"] is True  # derived from 続柄
    assert v["address_key"] == "見本市桜町2-3-4"
    assert v["has_gaiji"] is False and v["extra"] == {}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ((0, bad_check(A1)), ("check_digit", "atena_no", "error")),
        ((1, bad_check(H1)), ("check_digit", "household_no", "error")),
        ((0, "12AB"), ("bad_number", "atena_no", "error")),
        ((3, "04131345"), ("bad_date", "birth_date", "error")),
        ((3, "yesterday"), ("bad_date", "birth_date", "error")),
        ((4, "7"), ("bad_code", "sex", "error")),
        ((2, ""), ("missing", "name", "error")),
        ((6, "  "), ("missing", "address", "error")),
    ],
)
def test_each_issue_reason(change, expected):
    row_values = list(GOOD)
    index, value = change
    row_values[index] = value
    (row,) = residents([row_values])
    assert not row.ok
    assert codes(row) == [expected]
    issue = row.issues[0]
    assert issue.line_no == 2 and issue.reason.startswith(ISSUE_REASONS[expected[0]])


def test_check_digit_severity_is_configurable():
    (row,) = residents([[bad_check(A1), *GOOD[1:]]], more='check_digit = "warning"')
    assert row.ok and codes(row) == [("check_digit", "atena_no", "warning")]
    (row,) = residents([[bad_check(A1), *GOOD[1:]]], more='check_digit = "off"')
    assert row.ok and row.issues == []


def test_register_dates_are_kept_not_rejected():
    rows = residents(
        [
            [A1, H1, "甲", "年月日不詳", "1", "世帯主", "桜町1-1-1"],
            [A2, H1, "乙", "04010229", "2", "妻", "桜町1-1-1"],  # 平成元年2月29日: 1989 is not a leap year
            [A3, H1, "丙", "明治45年7月30日", "2", "母", "桜町1-1-1"],
        ]
    )
    for row in rows:
        assert row.ok and row.issues == []
        assert row.values["birth_date"] is None and row.values["birth_date_unknown"] is True
    assert [r.values["birth_date_raw"] for r in rows] == ["年月日不詳", "04010229", "明治45年7月30日"]
    assert rows[1].values["birth_date_approx"] == date(1989, 2, 28)
    assert rows[2].values["birth_date_approx"] == date(1912, 7, 30)


def test_duplicate_keys_residents():
    rows = residents([GOOD, [A2, *GOOD[1:]], GOOD])
    assert [r.ok for r in rows] == [True, True, False]
    assert codes(rows[2]) == [("duplicate_key", "atena_no", "error")]
    assert "最初は 2 行目" in rows[2].issues[0].reason


def test_gaiji_mapped_and_unmapped():
    name = "\ue001田　太郎"  # CP932 F0 41: a user-defined character (外字)
    data_rows = [
        [A1, H1, name, "04010203", "1", "世帯主", "桜町1-1-1"],
        [A2, H1, "\ue002子", "04010203", "2", "妻", "桜町1-1-1"],
    ]
    assert "\ue001".encode("cp932") == b"\xf0\x41"
    mapped, unmapped = residents(data_rows, gaiji_map={"\ue001": "髙"})
    assert mapped.ok and mapped.issues == []
    assert mapped.values["name"] == "髙田　太郎" and mapped.values["name_raw"] == name
    assert mapped.values["name_key"] == "髙田太郎"
    assert mapped.values["has_gaiji"] is True and mapped.values["gaiji_unmapped"] is False
    # unmapped: kept as it is, reported as a warning (the row stays valid)
    assert unmapped.ok and unmapped.values["name"] == "\ue002子" and unmapped.values["gaiji_unmapped"] is True
    assert codes(unmapped) == [("unmapped_gaiji", "name", "warning")] and unmapped.issues[0].value == "U+E002"


def test_undecodable_bytes_are_reported_and_replaced():
    layout = parse_layout(RESIDENTS.format(encoding="cp932", more=""))
    good = csv_bytes([HEADER, GOOD])
    broken = (
        csv_bytes([[A2, H1, "山田"]])[:-2] + b"\x81\xff" + csv_bytes([["", "04010203", "1", "子", "桜町1-1-1"]])[1:]
    )
    rows = list(read_rows(io.BytesIO(good + broken + csv_bytes([[A3, *GOOD[1:]]])), layout))
    assert [r.ok for r in rows] == [True, False, True]
    issue = next(i for i in rows[1].issues if i.code == "undecodable")
    assert issue.field == "name" and "81" in issue.reason
    assert "\ufffd" in rows[1].values["name"]
    assert all("\udc81" not in str(v) for v in rows[1].values.values())


def test_column_count_and_extra_columns():
    layout = parse_layout(RESIDENTS.format(encoding="utf-8", more=""))
    data = csv_bytes(
        [HEADER + ["電話番号"], GOOD + ["099-000-0000"], GOOD[:3], [A3, *GOOD[1:], "x", "surplus"]], "utf-8"
    )
    full, short, long = read_rows(io.BytesIO(data), layout)
    assert full.values["extra"] == {"電話番号": "099-000-0000"}
    assert not short.ok and ("column_count", "", "error") in codes(short)
    assert long.ok and codes(long) == [("column_count", "", "warning")]
    assert long.values["extra"] == {"電話番号": "x", "column_8": "surplus"}


def test_a_layout_never_seen_before():
    """A vendor file: other column names and order, CP932, 1-digit 年号コード, codes, a 外字."""
    mapping = """
[layout]
name = "vendor-x"
kind = "residents"
format = "csv"
encoding = "cp932"
header = true
date_style = "wareki-code"
[columns]
address = "現住所"
name = "漢字氏名"
name_kana = "カナ氏名"
sex = "性別区分"
birth_date = "生年月日（和暦）"
household_no = "世帯コード"
atena_no = "個人コード"
relationship = "続柄名"
moved_in_on = "住定日"
status = "状態"
[codes.sex]
"M" = "male"
"F" = "female"
[codes.status]
"0" = "resident"
"8" = "deceased"
"""
    layout = parse_layout(mapping)
    header = [
        "状態",
        "個人コード",
        "カナ氏名",
        "漢字氏名",
        "生年月日（和暦）",
        "性別区分",
        "世帯コード",
        "続柄名",
        "現住所",
        "住定日",
        "備考",
    ]
    rows = [
        [
            "0",
            A1,
            "ﾀｶﾀﾞ ﾊﾅｺ",
            "\ue010田　花子",
            "3500101",
            "F",
            H1,
            "世帯主",
            "架空県見本市緑ヶ丘一丁目5番地の2",
            "4100401",
            "①",
        ],
        [
            "8",
            A2,
            "タカダ イチロウ",
            "髙田　一郎",
            "2150101",
            "M",
            H1,
            "夫",
            "架空県見本市緑ヶ丘一丁目5番地の2",
            "H100401",
            "",
        ],
    ]
    data = csv_bytes([header, *rows], "cp932")
    first, second = read_rows(io.BytesIO(data), layout, gaiji_map={"\ue010": "髙"})
    assert first.ok and second.ok, (first.issues, second.issues)
    v = first.values
    assert (v["atena_no"], v["household_no"], v["sex"], v["status"]) == (A1, H1, "female", "resident")
    assert v["name"] == "髙田　花子" and v["name_raw"] == "\ue010田　花子"
    assert v["name_kana"] == "タカダ ハナコ" and v["name_kana_raw"] == "ﾀｶﾀﾞ ﾊﾅｺ" and v["kana_key"] == "タカダハナコ"
    assert v["birth_date"] == date(1975, 1, 1) and v["moved_in_on"] == date(1998, 4, 1)
    assert v["address_key"] == "架空県見本市緑ヶ丘1-5-2"
    assert v["is_householder"] is True and v["extra"] == {"備考": "①"}
    assert second.values["birth_date"] == date(1926, 1, 1) and second.values["status"] == "deceased"
    assert second.values["moved_in_on"] == date(1998, 4, 1)  # letter era code
    assert first.values["kana_key"] == second.values["kana_key"][:3] + "ハナコ"


# ---------------------------------------------------------------------------------------- fixed width

FIXED = """
[layout]
name = "fixed-land"
kind = "land"
format = "fixed"
encoding = "cp932"
record_length = 40
[columns]
lot_no = [0, 6]
location = [6, 24]
area = [30, 10]
"""


def fixed_record(lot: str, location: str, area: str) -> bytes:
    return lot.encode("cp932").ljust(6) + location.encode("cp932").ljust(24) + area.encode("cp932").rjust(10)


def test_fixed_width_records_and_byte_length_error():
    layout = parse_layout(FIXED)
    good = fixed_record("000123", "桜町二丁目3番地", "120.50")
    short = fixed_record("000125", "桜町二丁目3番地", "120.50")[:-3]
    data = good + b"\r\n" + short + b"\r\n" + fixed_record("000124", "港町5番地", "80") + b"\n"
    rows = list(read_rows(io.BytesIO(data), layout))
    assert [r.line_no for r in rows] == [1, 2, 3]
    assert rows[0].ok and rows[0].values["lot_no"] == "000123" and rows[0].values["area"] == 120.5
    assert rows[0].values["location"] == "桜町二丁目3番地"
    assert not rows[1].ok and codes(rows[1]) == [("record_length", "", "error")]
    assert "40 バイトのはず、37 バイト" in rows[1].issues[0].reason
    assert rows[2].ok and rows[2].values["area"] == 80.0


def test_fixed_width_without_separators_and_split_characters():
    layout = parse_layout(FIXED.replace("record_length = 40", 'record_length = 40\nrecord_separator = "none"'))
    data = fixed_record("1", "桜町", "1") + fixed_record("2", "港町", "2")
    assert [r.values["lot_no"] for r in read_rows(io.BytesIO(data), layout)] == ["1", "2"]
    # a double-byte character cut by a field boundary is undecodable in both fields
    layout = parse_layout(FIXED)
    record = b"000001" + "桜".encode("cp932") * 11 + b" " + "ａ".encode("cp932") + b"  1.0    "
    assert record[29:31] == b"\x82\x81" and len(record) == 40  # ａ straddles bytes 29 (location) and 30 (area)
    (row,) = read_rows(io.BytesIO(record), layout)
    assert not row.ok
    assert [(c, f) for c, f, _s in codes(row) if c == "undecodable"] == [
        ("undecodable", "location"),
        ("undecodable", "area"),
    ]


def test_preset_fixed_residents_record_length():
    layout = load_preset("chukan-residents-fixed")
    record = bytearray(b" " * 340)
    for field, text in (
        ("atena_no", A1),
        ("household_no", H1),
        ("name", "山田　太郎"),
        ("birth_date", "04010203"),
        ("sex", "1"),
        ("address", "見本市桜町二丁目3番4号"),
        ("name_kana", "ﾔﾏﾀﾞ ﾀﾛｳ"),
    ):
        column = layout.columns[field]
        data = text.encode("cp932")
        record[column.start : column.start + len(data)] = data
    ok, bad = read_rows(io.BytesIO(bytes(record) + b"\r\n" + bytes(record) + b"xx\r\n"), layout)
    assert ok.ok and ok.values["name"] == "山田　太郎" and ok.values["name_kana"] == "ヤマダ タロウ"
    assert codes(bad) == [("record_length", "", "error"), ("duplicate_key", "atena_no", "error")]


# ---------------------------------------------------------------------------------------- other kinds


def test_dwellings_land_tax_issues():
    dwellings = load_preset("chukan-dwellings")
    header = [
        "家屋番号",
        "家屋所在地",
        "地番",
        "建物名称",
        "納税義務者宛名番号",
        "共有者宛名番号",
        "種類",
        "構造",
        "階数",
        "床面積",
        "建築年月日",
        "経度",
        "緯度",
    ]
    data = csv_bytes(
        [
            header,
            [
                "10-1",
                "見本市港町5番3号",
                "10",
                "",
                A1,
                f"{A2};{A3}",
                "専用住宅",
                "木造",
                "2",
                "98.5",
                "1985",
                "139.5",
                "35.5",
            ],
            [
                "10-2",
                "見本市港町5番3号",
                "10",
                "",
                bad_check(A1),
                "",
                "",
                "",
                "二",
                "1,234.5",
                "19850230",
                "200",
                "35.5",
            ],
            ["10-1", "見本市港町5番4号", "10", "", "", "", "", "", "", "", "", "", ""],
        ]
    )
    first, second, third = read_rows(io.BytesIO(data), dwellings)
    assert first.ok and first.values["co_owner_atena_nos"] == [A2, A3]
    assert first.values["built_on"] == date(1985, 1, 1) and first.values["built_on_unknown"] is True  # year only
    assert first.values["floors"] == 2 and first.values["floor_area"] == 98.5
    assert codes(second) == [
        ("check_digit", "owner_atena_no", "error"),
        ("bad_number", "floors", "error"),
        ("inexact_date", "built_on", "warning"),  # 2/30 is kept, with a warning outside the register
        ("out_of_range", "lon", "error"),
    ]
    assert second.values["floor_area"] == 1234.5 and second.values["built_on"] is None
    assert codes(third) == [("duplicate_key", "house_no", "error")]

    land = load_preset("chukan-land")
    data = csv_bytes(
        [
            ["地番", "土地所在地", "所有者宛名番号", "地目", "地積"],
            ["5", "港町5番地", A1, "宅地", "△10"],
            ["5", "港町5番地", A1, "宅地", "abc"],
        ]
    )
    first, second = read_rows(io.BytesIO(data), land)
    assert first.ok and first.values["area"] == -10.0
    assert codes(second) == [("bad_number", "area", "error"), ("duplicate_key", "lot_no", "error")]

    tax = load_preset("chukan-tax")
    data = csv_bytes(
        [
            ["宛名番号", "世帯番号", "課税年度", "総所得金額等", "課税区分"],
            [A1, H1, "2026", "3,500,000", "1"],
            [A1, H1, "令和8年度", "0", "2"],
            [A1, H1, "R7", "0", "3"],
        ]
    )
    first, second, third = read_rows(io.BytesIO(data), tax)
    assert first.ok and (first.values["fiscal_year"], first.values["total_income"], first.values["taxable"]) == (
        2026,
        3_500_000,
        True,
    )
    assert codes(second) == [("duplicate_key", "atena_no/fiscal_year", "error")]
    assert third.values["fiscal_year"] == 2025 and codes(third) == [("bad_code", "taxable", "error")]


def test_my_number_never_echoed():
    layout = parse_layout(
        RESIDENTS.format(encoding="utf-8", more="").replace(
            'address = "住所"', 'address = "住所"\nmy_number = "個人番号"'
        )
    )
    data = csv_bytes([HEADER + ["個人番号"], GOOD + ["123456789012"]], "utf-8")
    (row,) = read_rows(io.BytesIO(data), layout)
    assert row.ok and row.values["my_number"] is None
    assert codes(row) == [("bad_my_number", "my_number", "warning")]
    assert "123456789012" not in repr(row.issues)


def test_address_registry_rows():
    gaiku = load_preset("isj-gaiku")
    header = [
        "都道府県名",
        "市区町村名",
        "大字・町丁目名",
        "小字・通称名",
        "街区符号・地番",
        "座標系番号",
        "X座標",
        "Y座標",
        "緯度",
        "経度",
        "住居表示フラグ",
        "代表フラグ",
        "更新前履歴フラグ",
        "更新後履歴フラグ",
    ]
    data = csv_bytes(
        [
            header,
            ["架空県", "見本市", "桜町二丁目", "", "3", "9", "0", "0", "35.5", "139.5", "1", "1", "0", "0"],
            ["架空県", "見本市", "桜町二丁目", "", "3", "9", "0", "0", "35.6", "139.6", "1", "0", "3", "0"],
            ["架空県", "見本市", "港町", "", "5", "9", "0", "0", "35.4", "139.4", "0", "1", "1", "0"],
        ]
    )
    reader = read_rows(io.BytesIO(data), gaiku)
    rows = list(reader)
    assert reader.skipped == 1 and [r.line_no for r in rows] == [2, 4]
    first, second = rows
    assert first.ok and first.values["level"] == "block" and first.values["match_key"] == "桜町|2|3"
    assert first.values["lat"] == 35.5 and first.values["jukyo"] is True and first.values["chome"] == 2
    assert first.values["extra"]["更新前履歴フラグ"] == "0"
    assert second.values["match_key"] == "港町||5"


# ---------------------------------------------------------------------------------------- decoding


def _round_trips(c: str) -> bool:
    try:
        return c.encode("cp932").decode("cp932") == c
    except UnicodeError:
        return False


# every character CP932 carries unchanged (kanji, kana, NEC/IBM extensions, 外字 U+E000..U+E757), no controls
_CP932_SAFE = [chr(o) for o in range(0x20, 0x10000) if not 0xD800 <= o < 0xE000 and _round_trips(chr(o)) and o != 0x7F]
_cp932_text = st.text(alphabet=st.sampled_from(_CP932_SAFE), min_size=1, max_size=30)


@settings(max_examples=150)
@given(_cp932_text, st.sampled_from(["cp932", "auto"]))
def test_cp932_round_trip(text, encoding):
    """Any text that CP932 can carry comes back identical (外字 included: kept when unmapped)."""
    layout = parse_layout(RESIDENTS.format(encoding=encoding, more=""))
    data = csv_bytes([HEADER + ["備考"], GOOD + [text]], "cp932")
    (row,) = read_rows(io.BytesIO(data), layout)
    assert row.values["extra"] == {"備考": text}
    name_data = csv_bytes([HEADER, [A1, H1, text, *GOOD[3:]]], "cp932")
    (row,) = read_rows(io.BytesIO(name_data), layout)
    assert row.values["name_raw"] == text.strip() or not text.strip()
    if text.strip():
        assert row.values["name"] == text.strip()  # unmapped 外字 stay as they are


@settings(max_examples=100)
@given(st.lists(st.integers(0xE000, 0xE757).map(chr), min_size=1, max_size=5), st.text(alphabet="山田花子", max_size=4))
def test_gaiji_replaced_when_mapped(pua, tail):
    name = "".join(pua) + tail
    mapping = {c: "〓" for c in pua}
    (row,) = residents([[A1, H1, name, *GOOD[3:]]], gaiji_map=mapping)
    assert row.values["name"] == "〓" * len(pua) + tail and row.values["name_raw"] == name
    assert row.ok and row.issues == []


@pytest.mark.parametrize(
    ("encoded", "detected"),
    [
        (lambda s: s.encode("cp932"), "cp932"),
        (lambda s: s.encode("utf-8"), "utf-8"),
        (lambda s: b"\xef\xbb\xbf" + s.encode("utf-8"), "utf-8-sig"),
    ],
)
def test_auto_encoding(encoded, detected):
    layout = parse_layout(RESIDENTS.format(encoding="auto", more=""))
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([HEADER, GOOD, [A2, *GOOD[1:]]])
    reader = read_rows(io.BytesIO(encoded(out.getvalue())), layout)
    rows = list(reader)
    assert reader.encoding == detected
    assert [r.values["name"] for r in rows] == ["山田　太郎", "山田　太郎"] and all(r.ok for r in rows)


def test_auto_looks_past_an_ascii_start():
    layout = parse_layout(RESIDENTS.format(encoding="auto", more=""))
    ascii_rows = [[with_mod11(f"{300000000 + i}"), H1, "Yamada", "04010203", "1", "x", "1-1"] for i in range(3000)]
    data = csv_bytes([HEADER, *ascii_rows, [A1, *GOOD[1:]]], "cp932")
    assert len(data) > 65536
    reader = read_rows(io.BytesIO(data), layout)
    rows = list(reader)
    assert reader.encoding == "cp932" and rows[-1].values["name"] == "山田　太郎"


def test_callers_stream_is_not_closed_and_paths_work(tmp_path):
    layout = parse_layout(RESIDENTS.format(encoding="cp932", more=""))
    stream = io.BytesIO(csv_bytes([HEADER, GOOD]))
    with read_rows(stream, layout) as reader:
        assert len(list(reader)) == 1
    assert not stream.closed
    path = tmp_path / "r.csv"
    path.write_bytes(csv_bytes([HEADER, GOOD]))
    assert [r.ok for r in read_rows(path, layout)] == [True]
    assert [r.ok for r in read_rows(str(path), layout)] == [True]


def test_issue_and_row_helpers():
    issue = Issue(3, "name", "x", "必須項目が空です", "error", "missing")
    assert "3: error: name" in str(issue)
    assert not Row(3, {}, [issue]).ok and Row(3, {}, []).ok


def test_headerless_csv_and_per_field_date_styles():
    layout = parse_layout("""
[layout]
name = "no-header"
kind = "dwellings"
format = "csv"
encoding = "utf-8"
header = false
date_style = "wareki-text"
[date_styles]
built_on = "yyyymmdd"
[columns]
house_no = 2
location = 0
built_on = 3
""")
    data = "桜町1番地,memo,5-1,19850401\n港町,m2,6-1,S60.4.1,surplus\n".encode()
    first, second = read_rows(io.BytesIO(data), layout)
    assert first.ok and first.values["extra"] == {"column_1": "memo"} and first.values["built_on"] == date(1985, 4, 1)
    assert second.values["extra"] == {"column_1": "m2", "column_4": "surplus"}
    assert second.values["built_on"] == date(1985, 4, 1)  # era text is accepted under any style


def test_postal_codes_and_registry_rows_without_a_key():
    layout = parse_layout(
        RESIDENTS.format(encoding="utf-8", more="").replace('address = "住所"', 'address = "住所"\npostal_code = "〒"')
    )
    data = csv_bytes(
        [HEADER + ["〒"], GOOD + ["9990001"], [A2, *GOOD[1:], "〒999－0002"], [A3, *GOOD[1:], "99-1"]], "utf-8"
    )
    first, second, third = read_rows(io.BytesIO(data), layout)
    assert (first.values["postal_code"], second.values["postal_code"]) == ("999-0001", "999-0002")
    assert (
        third.ok
        and third.values["postal_code"] == "99-1"
        and codes(third) == [("bad_postal_code", "postal_code", "warning")]
    )

    gaiku = load_preset("isj-gaiku")
    header = [
        "都道府県名",
        "市区町村名",
        "大字・町丁目名",
        "小字・通称名",
        "街区符号・地番",
        "緯度",
        "経度",
        "住居表示フラグ",
        "代表フラグ",
        "更新前履歴フラグ",
    ]
    data = csv_bytes([header, ["架空県", "見本市", "桜町二丁目", "", "", "35.5", "139.5", "1", "1", "0"]])
    (row,) = read_rows(io.BytesIO(data), gaiku)
    assert not row.ok and codes(row) == [("missing", "block", "error")] and row.values["match_key"] == ""
