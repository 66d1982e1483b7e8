"""importers.keys: the fast search keys return exactly what core.text returns (the address key
has its fast path in core.text itself: tests/unit/test_text.py checks it against the plain steps)."""

from hypothesis import given, settings
from hypothesis import strategies as st

from core.codes import is_valid_mod11, mod11_check_digit, with_mod11
from core.text import kana_key, name_key, to_fullwidth_kana
from importers.keys import fast_fullwidth_kana, fast_kana_key, fast_name_key, mod11_ok
from importers.pipeline import is_valid_my_number

# characters that exercise the rules: kana (both widths, voiced marks), kanji numerals, units,
# dashes, spaces, full-width forms, compatibility ideographs, PUA (外字)
_ALPHABET = (
    "やまだたろうヤマダタロウｶﾞｷﾞｸﾞﾊﾟｰﾞﾟ・ー 　\t"
    "〇一二三四五六七八九十百千丁目番地号の之室町桜緑ヶケ丘"
    "0123456789０１２３４５６７８９-－‐―−ｰ"
    "ABCａｂｃ㈱①髙﨑\uf9d1\uf9fd\ue000\u3099\u309a"
)
_text = st.text(alphabet=_ALPHABET, max_size=24)


@settings(max_examples=400)
@given(_text)
def test_fast_keys_equal_reference(s):
    assert fast_name_key(s) == name_key(s)
    assert fast_kana_key(s) == kana_key(s)
    assert fast_fullwidth_kana(s) == to_fullwidth_kana(s)


@given(st.text(alphabet="0123456789", min_size=0, max_size=30))
def test_mod11_ok_equals_reference(number):
    assert mod11_ok(number) == is_valid_mod11(number)


@given(st.text(alphabet="0123456789", min_size=1, max_size=20))
def test_mod11_ok_accepts_every_with_mod11(body):
    assert mod11_ok(with_mod11(body))
    wrong = str((int(mod11_check_digit(body)) + 1) % 10)
    assert mod11_ok(body + wrong) == is_valid_mod11(body + wrong)


def test_my_number_check_digit():
    # the check digit of 12345678901x: computed by hand with weights 6,5,4,3,2,7,6,5,4,3,2 (left to right)
    body = "12345678901"
    total = sum(int(d) * w for d, w in zip(body, (6, 5, 4, 3, 2, 7, 6, 5, 4, 3, 2)))
    check = 0 if total % 11 <= 1 else 11 - total % 11
    assert is_valid_my_number(body + str(check))
    assert not is_valid_my_number(body + str((check + 1) % 10))
    assert not is_valid_my_number("1234")
    assert not is_valid_my_number("１２３４５６７８９０１２")


@given(st.text(alphabet="アイウエオカガキギパピャュョッヴーヲン・「」、。ｱｶﾞabc山", max_size=20))
def test_to_halfwidth_kana_inverts_to_fullwidth(s):
    from core.text import to_halfwidth_kana

    half = to_halfwidth_kana(s)
    assert to_fullwidth_kana(half) == to_fullwidth_kana(s)
    assert kana_key(half) == kana_key(s)
    assert all(not ("\u30a1" <= c <= "\u30fa") for c in half)  # no full-width katakana left (all have forms)
