"""Tests for core.codes (地方公共団体コード and M11W2-7 check digits)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.codes import (
    is_valid_mod11,
    is_valid_municipality_code,
    mod11_check_digit,
    municipality_check_digit,
    with_mod11,
)

digits = st.text(alphabet="0123456789", min_size=1, max_size=20)


# --- 地方公共団体コード --------------------------------------------------------


@pytest.mark.parametrize(
    ("first5", "check"),
    [
        ("13101", "6"),  # 131016
        ("01100", "2"),  # 011002
    ],
)
def test_municipality_known_codes(first5, check):
    assert municipality_check_digit(first5) == check


def test_municipality_hand_computed_remainders():
    # 2*6+7*5+1*4+0*3+0*2 = 51, 51 % 11 = 7, 11 - 7 = 4
    assert municipality_check_digit("27100") == "4"
    # 00000: sum 0, r = 0, 11 - 0 = 11 -> ones digit 1
    assert municipality_check_digit("00000") == "1"
    # 00005: 5*2 = 10, r = 10, 11 - 10 = 1
    assert municipality_check_digit("00005") == "1"
    # 00006: 6*2 = 12, r = 1, 11 - 1 = 10 -> ones digit 0
    assert municipality_check_digit("00006") == "0"


def test_is_valid_municipality_code():
    assert is_valid_municipality_code("131016")
    assert is_valid_municipality_code("011002")
    assert not is_valid_municipality_code("131017")
    assert not is_valid_municipality_code("13101")  # too short
    assert not is_valid_municipality_code("1310160")  # too long
    assert not is_valid_municipality_code("１３１０１６")  # full-width digits
    assert not is_valid_municipality_code("13a016")
    assert not is_valid_municipality_code("")


@pytest.mark.parametrize("bad", ["1310", "131011", "13 01", "１３１０１", "abcde", ""])
def test_municipality_check_digit_rejects_bad_input(bad):
    with pytest.raises(ValueError):
        municipality_check_digit(bad)


@given(st.text(alphabet="0123456789", min_size=5, max_size=5))
def test_municipality_single_digit_error_detected(body):
    code = body + municipality_check_digit(body)
    assert is_valid_municipality_code(code)
    for i in range(5):
        for d in "0123456789":
            if d == code[i]:
                continue
            mutated = code[:i] + d + code[i + 1 :]
            # A single-digit change alters the weighted sum by k*w (k 1..9,
            # w 2..6), never a multiple of 11, so r always changes. The check
            # digit still collides for r=0 (11 -> "1") vs r=10 (1 -> "1").
            r_old = sum(int(c) * w for c, w in zip(code[:5], (6, 5, 4, 3, 2))) % 11
            r_new = sum(int(c) * w for c, w in zip(mutated[:5], (6, 5, 4, 3, 2))) % 11
            if {r_old, r_new} == {0, 10}:
                assert is_valid_municipality_code(mutated)
            else:
                assert not is_valid_municipality_code(mutated)


# --- M11W2-7 -------------------------------------------------------------------


def test_mod11_hand_computed():
    # body 123456: weights from the right: 6*2 5*3 4*4 3*5 2*6 1*7
    # = 12+15+16+15+12+7 = 77, 77 % 11 = 0 -> check 0
    assert mod11_check_digit("123456") == "0"
    # body 1234567: 7*2 6*3 5*4 4*5 3*6 2*7 1*2 = 14+18+20+20+18+14+2 = 106
    # 106 % 11 = 7 -> 11 - 7 = 4
    assert mod11_check_digit("1234567") == "4"
    # weights cycle after 7: body of eight 1s -> 2+3+4+5+6+7+2+3 = 32, 32 % 11 = 10 -> 1
    assert mod11_check_digit("11111111") == "1"
    # body "5": 5*2 = 10, r = 10 -> 1
    assert mod11_check_digit("5") == "1"
    # body "6": 6*2 = 12, r = 1 -> our convention: 0
    assert mod11_check_digit("6") == "0"
    # body "1": 2, r = 2 -> 9
    assert mod11_check_digit("1") == "9"


def test_mod11_weights_start_from_rightmost_digit():
    # "10" -> 0*2 + 1*3 = 3 -> 8 ; if weights started on the left it would be 1*2 -> 9
    assert mod11_check_digit("10") == "8"
    # leading zeros do not change the sum
    assert mod11_check_digit("0010") == mod11_check_digit("10")


def test_with_mod11_and_validation():
    assert with_mod11("1234567") == "12345674"
    assert is_valid_mod11("12345674")
    assert not is_valid_mod11("12345675")
    assert not is_valid_mod11("1")  # no body
    assert not is_valid_mod11("")
    assert not is_valid_mod11("1234567a")
    assert not is_valid_mod11("１２３４５６７４")


@pytest.mark.parametrize("bad", ["", "12a4", "１２３", "12 3", "-123"])
def test_mod11_rejects_non_digits(bad):
    with pytest.raises(ValueError):
        mod11_check_digit(bad)
    with pytest.raises(ValueError):
        with_mod11(bad)


@given(digits)
def test_mod11_roundtrip(body):
    number = with_mod11(body)
    assert len(number) == len(body) + 1
    assert number.startswith(body)
    assert is_valid_mod11(number)
    # exactly one check digit is valid for a body
    valid = [d for d in "0123456789" if is_valid_mod11(body + d)]
    assert valid == [number[-1]]


@given(digits, st.data())
def test_mod11_detects_most_single_digit_errors(body, data):
    number = with_mod11(body)
    i = data.draw(st.integers(0, len(body) - 1))
    d = data.draw(st.sampled_from([c for c in "0123456789" if c != body[i]]))
    mutated_body = body[:i] + d + body[i + 1 :]

    # The only undetected changes are those mapping r between 0 and 1 (both give "0").
    def r(b):
        return sum(int(c) * (2 + k % 6) for k, c in enumerate(reversed(b))) % 11

    if {r(body), r(mutated_body)} == {0, 1}:
        assert is_valid_mod11(mutated_body + number[-1])
    else:
        assert not is_valid_mod11(mutated_body + number[-1])
