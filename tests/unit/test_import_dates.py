"""core.wareki: ISO, yyyymmdd, 和暦 codes and text, non-calendar and 不詳 dates."""

import unicodedata
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.wareki import (
    DATE_STYLES,
    DateError,
    format_date,
    parse_date,
    to_wareki_code,
    to_wareki_short,
    to_wareki_text,
)

_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def writings(d: date) -> list[tuple[str, str]]:
    """(text, style) pairs: every supported way of writing ``d``."""
    out = [
        (d.isoformat(), "iso"),
        (f"{d.year}/{d.month}/{d.day}", "iso"),
        (f"{d.year:04d}{d.month:02d}{d.day:02d}", "iso"),
        (f"{d.year:04d}{d.month:02d}{d.day:02d}", "yyyymmdd"),
        (to_wareki_code(d, 1), "wareki-code"),
        (to_wareki_code(d, 2), "wareki-code"),
        (to_wareki_code(d, "letter"), "wareki-code"),
        (to_wareki_text(d), "wareki-text"),
        (to_wareki_text(d, kanji=True), "wareki-text"),
        (to_wareki_text(d, gannen=False), "wareki-text"),
        (to_wareki_text(d).translate(_FULLWIDTH), "wareki-text"),
        (to_wareki_short(d), "wareki-text"),
        (to_wareki_short(d, "/"), "wareki-text"),
        (to_wareki_short(d, "-", pad=True), "wareki-text"),
        (f"{d.year}年{d.month}月{d.day}日", "wareki-text"),
    ]
    for style in DATE_STYLES:
        out.append((format_date(d, style), style))
    # era text is accepted whatever the layout's style (it says what it is)
    out += [(to_wareki_text(d), style) for style in DATE_STYLES]
    return out


@given(st.dates(min_value=date(1868, 9, 8), max_value=date(2100, 12, 31)))
def test_every_writing_parses_back(d):
    for text, style in writings(d):
        parsed = parse_date(text, style)
        assert parsed.value == d, (text, style, parsed)
        assert parsed.unknown is False and parsed.kind == "exact"
        assert parsed.raw == text.strip()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("昭和64年1月7日", date(1989, 1, 7)),
        ("平成元年1月8日", date(1989, 1, 8)),
        ("平成31年4月30日", date(2019, 4, 30)),
        ("令和元年5月1日", date(2019, 5, 1)),
        ("大正15年12月24日", date(1926, 12, 24)),
        ("昭和元年12月25日", date(1926, 12, 25)),
        ("明治45年7月29日", date(1912, 7, 29)),
        ("大正元年7月30日", date(1912, 7, 30)),
        ("昭和五十年十月一日", date(1975, 10, 1)),
        ("平成元年二月三日", date(1989, 2, 3)),
        ("H1.2.3", date(1989, 2, 3)),
        ("R2/4/5", date(2020, 4, 5)),
        ("㍻1.1.8", date(1989, 1, 8)),
        ("令和 8年 11月 24日", date(2026, 11, 24)),
    ],
)
def test_era_boundaries_and_forms(text, expected):
    assert parse_date(text, "wareki-text").value == expected


@pytest.mark.parametrize(
    ("text", "style", "kind", "approx"),
    [
        # non-calendar dates (非暦日) of the resident register: kept, flagged, never moved
        ("平成元年2月29日", "wareki-text", "non_calendar", date(1989, 2, 28)),
        ("04010229", "wareki-code", "non_calendar", date(1989, 2, 28)),
        ("2019-02-30", "iso", "non_calendar", date(2019, 2, 28)),
        ("明治45年7月30日", "wareki-text", "outside_era", date(1912, 7, 30)),
        ("大正15年12月25日", "wareki-text", "outside_era", date(1926, 12, 25)),
        ("昭和64年1月8日", "wareki-text", "outside_era", date(1989, 1, 8)),
        ("平成元年1月7日", "wareki-text", "outside_era", date(1989, 1, 7)),
        ("平成31年5月1日", "wareki-text", "outside_era", date(2019, 5, 1)),
        ("3640108", "wareki-code", "outside_era", date(1989, 1, 8)),
        # 不詳 dates
        ("年月日不詳", "wareki-code", "unknown", None),
        ("令和○○年頃", "wareki-code", "unknown", None),
        ("昭和50年頃", "wareki-code", "unknown", date(1975, 1, 1)),
        ("昭和50年3月日不詳", "wareki-text", "unknown", date(1975, 3, 1)),
        ("昭和50年3月上旬", "iso", "unknown", date(1975, 3, 1)),
        ("昭和50年3月下旬", "iso", "unknown", date(1975, 3, 21)),
        ("推定昭和10年", "yyyymmdd", "unknown", date(1935, 1, 1)),
        ("昭和20年～21年", "wareki-text", "unknown", date(1945, 1, 1)),
        ("平成3年", "wareki-text", "partial", date(1991, 1, 1)),
        ("平成3年5月", "wareki-text", "partial", date(1991, 5, 1)),
        ("03500000", "wareki-code", "partial", date(1975, 1, 1)),
        ("03500300", "wareki-code", "partial", date(1975, 3, 1)),
        ("00000000", "wareki-code", "unknown", None),
        ("1985", "yyyymmdd", "partial", date(1985, 1, 1)),
    ],
)
def test_kept_with_a_flag(text, style, kind, approx):
    parsed = parse_date(text, style)
    assert parsed.value is None
    assert parsed.unknown is True
    assert parsed.kind == kind
    assert parsed.approx == approx
    assert parsed.raw == text  # the original text is kept as it was


@pytest.mark.parametrize(
    ("text", "style"),
    [
        ("abc", "iso"),
        ("2020-13-01", "iso"),
        ("2020-12-32", "iso"),
        ("04131345", "wareki-code"),  # month 13
        ("19890108", "wareki-code"),  # digits are read only in the layout's style: no guessing
        ("6010101", "wareki-code"),  # era code 6 does not exist
        ("123", "yyyymmdd"),
        ("平成0年1月1日", "wareki-text"),
        ("平成1年13月1日", "wareki-text"),
        ("", "iso"),
        ("   ", "iso"),
    ],
)
def test_malformed_is_an_error(text, style):
    with pytest.raises(DateError):
        parse_date(text, style)


def test_digit_strings_follow_the_layout_style():
    assert parse_date("04010203", "wareki-code").value == date(1989, 2, 3)
    with pytest.raises(DateError):
        parse_date("04010203", "yyyymmdd")  # year 0401
    assert parse_date("20200102", "yyyymmdd").value == date(2020, 1, 2)


def test_fullwidth_digits():
    assert parse_date("２０２００１０２", "yyyymmdd").value == date(2020, 1, 2)
    assert parse_date(unicodedata.normalize("NFKC", "４０１０２０３"), "wareki-code").value == date(1989, 2, 3)
