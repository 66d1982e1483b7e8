"""Tests for core.wareki."""

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.wareki import ERAS, era_of, to_wareki, wareki_code


@pytest.mark.parametrize(
    ("d", "text", "code"),
    [
        (date(2026, 11, 24), "令和8年11月24日", "5081124"),
        (date(2019, 5, 1), "令和元年5月1日", "5010501"),
        (date(2019, 4, 30), "平成31年4月30日", "4310430"),
        (date(1989, 1, 8), "平成元年1月8日", "4010108"),
        (date(1989, 1, 7), "昭和64年1月7日", "3640107"),
        (date(1980, 4, 3), "昭和55年4月3日", "3550403"),
        (date(1926, 12, 25), "昭和元年12月25日", "3011225"),
        (date(1926, 12, 24), "大正15年12月24日", "2151224"),
        (date(1912, 7, 30), "大正元年7月30日", "2010730"),
        (date(1912, 7, 29), "明治45年7月29日", "1450729"),
        (date(1868, 1, 25), "明治元年1月25日", "1010125"),
    ],
)
def test_known_dates(d, text, code):
    assert to_wareki(d) == text
    assert wareki_code(d) == code


def test_before_meiji_rejected():
    with pytest.raises(ValueError):
        to_wareki(date(1868, 1, 24))
    with pytest.raises(ValueError):
        wareki_code(date(1800, 1, 1))


def test_era_table():
    assert [e.name for e in ERAS] == ["明治", "大正", "昭和", "平成", "令和"]
    assert [e.code for e in ERAS] == [1, 2, 3, 4, 5]
    for era in ERAS:
        # first day of each era is era year 1
        assert era_of(era.start) == (era, 1)


@given(st.dates(min_value=date(1868, 1, 25), max_value=date(2099, 12, 31)))
def test_code_roundtrips_to_gregorian(d):
    code = wareki_code(d)
    assert len(code) == 7 and code.isdigit()
    era = ERAS[int(code[0]) - 1]
    assert int(code[1:3]) + era.offset == d.year
    assert (int(code[3:5]), int(code[5:7])) == (d.month, d.day)
    assert to_wareki(d).startswith(era.name)
    # the code orders chronologically within and across eras
    nxt = d + timedelta(days=1)
    assert wareki_code(nxt) > code
