"""Tests for core.text (search-key normalisation)."""

import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import addresses as text
from core.addresses import address_key, cached_address_key
from core.text import (
    contains_gaiji,
    kana_key,
    kanji_to_int,
    looks_like_kana,
    name_key,
    to_fullwidth_kana,
)

# --- kana_key ------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    ["ﾔﾏﾀﾞ ﾀﾛｳ", "やまだ　たろう", "ヤマダタロウ", "ヤマダ　タロウ", " やまだ  タロウ ", "ﾔﾏﾀﾞ\tたろう"],
)
def test_kana_key_equivalent_spellings(typed):
    assert kana_key(typed) == "ヤマダタロウ"


def test_kana_key_details():
    assert kana_key("ｶﾞｯｺｳ") == "ガッコウ"  # voiced mark + small tsu combined
    assert kana_key("ﾊﾟｰｸ") == "パーク"  # ｰ becomes ー and is kept
    assert kana_key("ゆーこ") == "ユーコ"  # ー kept
    assert kana_key("スミス・ジョン") == "スミスジョン"  # 中黒 removed
    assert kana_key("ｽﾐｽ･ｼﾞｮﾝ") == "スミスジョン"  # half-width ･ removed too
    assert kana_key("ゔぁ") == "ヴァ"
    assert kana_key("ＡＢＣ") == "ABC"  # NFKC on full-width ASCII
    assert kana_key("") == ""


@given(st.text())
def test_kana_key_idempotent(s):
    k = kana_key(s)
    assert kana_key(k) == k
    assert not any(c.isspace() for c in k)
    # no hiragana survive
    assert not any("\u3041" <= c <= "\u3096" for c in k)


@given(st.text(alphabet=st.characters(min_codepoint=0x3041, max_codepoint=0x3096)))
def test_kana_key_hiragana_equals_katakana(s):
    katakana = "".join(chr(ord(c) + 0x60) for c in s)
    assert kana_key(s) == kana_key(katakana)


# --- name_key ------------------------------------------------------------------


def test_name_key():
    assert name_key("山田　太郎") == "山田太郎"
    assert name_key(" 山田 太郎 ") == "山田太郎"
    assert name_key("山田太郎") == "山田太郎"
    assert name_key("ＡＢＣ　ｄｅｆ") == "ABCdef"
    # variant kanji are intentionally NOT folded
    assert name_key("髙橋") != name_key("高橋")
    # 外字 passes through unchanged
    assert name_key("\ue001田\u3000花子") == "\ue001田花子"


@given(st.text())
def test_name_key_idempotent(s):
    assert name_key(name_key(s)) == name_key(s)


# --- to_fullwidth_kana -----------------------------------------------------------


def test_to_fullwidth_kana():
    assert to_fullwidth_kana("ﾔﾏﾀﾞ ﾀﾛｳ") == "ヤマダ タロウ"  # ASCII space kept
    assert to_fullwidth_kana("ﾊﾟﾝ") == "パン"
    assert to_fullwidth_kana("ｳﾞｧｲｵﾘﾝ") == "ヴァイオリン"
    assert to_fullwidth_kana("ｺｰﾋｰ") == "コーヒー"
    assert to_fullwidth_kana("ｱｲｳ｡｢ｴ｣､") == "アイウ。「エ」、"


def test_to_fullwidth_kana_leaves_other_text_alone():
    s = "ABC 123 ＡＢＣ１２３ 山田 やまだ ヤマダ"
    assert to_fullwidth_kana(s) == s
    assert to_fullwidth_kana("A1ｶ") == "A1カ"  # ASCII not widened


def test_to_fullwidth_kana_uncombinable_marks():
    assert to_fullwidth_kana("ｱﾞ") == "ア゛"  # ア has no voiced form
    assert to_fullwidth_kana("ﾞ") == "゛"  # mark at start of string
    assert to_fullwidth_kana("Aﾟ") == "A゜"


@given(st.text(alphabet=st.characters(min_codepoint=0xFF61, max_codepoint=0xFF9F)))
def test_to_fullwidth_kana_removes_all_halfwidth(s):
    out = to_fullwidth_kana(s)
    assert not any("\uff61" <= c <= "\uff9f" for c in out)
    assert len(out) <= len(s)


# --- looks_like_kana / contains_gaiji ---------------------------------------------


@pytest.mark.parametrize("s", ["やまだ　たろう", "ヤマダ タロウ", "ﾔﾏﾀﾞ ﾀﾛｳ", "ユーコ", "ﾊﾟｰｸ", "ゝゞヽヾ", "ヴ"])
def test_looks_like_kana_true(s):
    assert looks_like_kana(s)


@pytest.mark.parametrize(
    "s", ["山田　太郎", "やまだ太郎", "Yamada", "ヤマダ1", "", "   ", "スミス・ジョン", "ヤマダ、タロウ"]
)
def test_looks_like_kana_false(s):
    assert not looks_like_kana(s)


def test_contains_gaiji():
    assert contains_gaiji("\ue000田")
    assert contains_gaiji("山田\uf8ff")
    assert contains_gaiji("髙\ue0ff")
    assert not contains_gaiji("髙橋　齋藤")  # variant kanji are not 外字
    assert not contains_gaiji("\udfff\uf900")  # just outside the PUA range
    assert not contains_gaiji("")


# --- kanji numerals ------------------------------------------------------------


@pytest.mark.parametrize(
    ("s", "n"),
    [
        ("一", 1),
        ("十", 10),
        ("十二", 12),
        ("二十", 20),
        ("二十三", 23),
        ("百", 100),
        ("百五", 105),
        ("三百二十一", 321),
        ("千二百三十四", 1234),
        ("一〇五", 105),
        ("二〇", 20),
    ],
)
def test_kanji_to_int(s, n):
    assert kanji_to_int(s) == n


@pytest.mark.parametrize("bad", ["", "三田", "12"])
def test_kanji_to_int_rejects(bad):
    with pytest.raises(ValueError):
        kanji_to_int(bad)


# --- address_key ---------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "見本市桜町2-3-4",
        "見本市桜町２丁目３番４号",
        "見本市桜町二丁目3-4",
        "見本市桜町二丁目三番四号",
        "見本市桜町2丁目3番4号",
        "見本市桜町 2丁目 3番 4号",
        "見本市桜町２－３－４",
        "見本市桜町2‐3‐4",  # U+2010
        "見本市桜町2−3−4",  # U+2212 minus
        "見本市桜町2–3—4",  # en / em dash
        "見本市桜町2―3‒4",  # U+2015 / U+2012
        "見本市桜町2ー3ー4",  # katakana long vowel mark typed as hyphen
        "見本市桜町2ｰ3ｰ4",  # half-width long vowel mark
        "見本市桜町二丁目三ー四",
        "見本市桜町2丁目3-4",
        "見本市　桜町　２−３−４",
    ],
)
def test_address_key_equivalent_forms(typed):
    assert address_key(typed) == "見本市桜町2-3-4"


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("港町十二番地", "港町12"),
        ("港町12番地", "港町12"),
        ("港町十二番地の三", "港町12-3"),
        ("港町12番地3", "港町12-3"),
        ("港町12の3", "港町12-3"),
        ("港町12-3", "港町12-3"),
        ("山手三丁目二十番十一号", "山手3-20-11"),
        ("山手3丁目20-11", "山手3-20-11"),
        ("本町百二十三番地", "本町123"),
        ("中央一丁目", "中央1"),
        ("中央1丁目", "中央1"),
    ],
)
def test_address_key_banchi_forms(typed, key):
    assert address_key(typed) == key


def test_address_key_keeps_numerals_in_town_names():
    # kanji numerals that are part of a place name are not converted
    assert address_key("三田一丁目2番3号") == "三田1-2-3"
    assert address_key("八丁堀三丁目2番") == "八丁堀3-2"
    assert address_key("九段南1-2-3") == "九段南1-2-3"
    # 一番町 and 1番町 at least agree with each other
    assert address_key("一番町10") == address_key("1番町10")


def test_address_key_keeps_long_vowel_in_words():
    assert address_key("中央1-5-6センタービル") == "中央1-5-6センタービル"
    assert address_key("中央一丁目5番6号 センター ビル") == "中央1-5-6センタービル"
    # 号室 is a room number, not part of the 番地
    assert address_key("見本ハイツ101号室") == "見本ハイツ101号室"


def test_address_key_distinguishes_different_addresses():
    assert address_key("桜町2-3-4") != address_key("桜町2-3-5")
    assert address_key("桜町二丁目3-4") != address_key("桜町三丁目2-4")
    assert address_key("桜町2-3-4") != address_key("港町2-3-4")


@given(
    st.integers(1, 99),
    st.integers(1, 99),
    st.integers(1, 99),
    st.sampled_from(["桜町", "山手", "見本市中央", "日之出町"]),
)
def test_address_key_kanji_and_digit_forms_agree(c, b, g, town):
    def kanji(n):
        tens, ones = divmod(n, 10)
        k = "〇一二三四五六七八九"
        return ("" if tens == 0 else ("" if tens == 1 else k[tens]) + "十") + ("" if ones == 0 else k[ones])

    fw = str.maketrans("0123456789", "０１２３４５６７８９")
    expected = f"{town}{c}-{b}-{g}"
    assert address_key(f"{town}{c}-{b}-{g}") == expected
    assert address_key(f"{town}{kanji(c)}丁目{b}番{g}号") == expected
    assert address_key(f"{town}{kanji(c)}丁目{kanji(b)}番{kanji(g)}号") == expected
    assert address_key(f"{town}{c}丁目{b}番{g}号".translate(fw)) == expected
    assert address_key(f"{town}{kanji(c)}丁目{b}-{g}") == expected


@given(st.text())
def test_address_key_idempotent(s):
    k = address_key(s)
    assert address_key(k) == k


@given(st.text(alphabet="0123456789０１２一二三十百丁目番地号の室町-－ーｰ−　 桜"))
def test_address_key_idempotent_on_address_like_text(s):
    k = address_key(s)
    assert address_key(k) == k
    assert not any(c.isspace() for c in k)


def _plain_address_key(s: str) -> str:
    """address_key by its definition: every substitution on every pass, no skipping and no
    shortcut (the oracle for address_key's fast paths)."""

    def step(s: str) -> str:
        s = re.sub(r"\s+", "", unicodedata.normalize("NFKC", s))
        s = text._CHOON_RE.sub("-", text._DASH_RE.sub("-", s))
        s = text._KANJI_NUM_RE.sub(lambda m: str(kanji_to_int(m.group(0))), s)
        for rx, repl, _unit in text._UNIT_RES:
            s = rx.sub(repl, s)
        return text._DANGLING_DASH_RE.sub("", text._MULTI_DASH_RE.sub("-", s))

    return text._fixed_point(step, s)


# characters that exercise the rules: kana (both widths, voiced marks), kanji numerals, units,
# dashes, spaces, full-width forms, compatibility ideographs, PUA (外字)
_ADDRESS_ALPHABET = (
    "やまだヤマダｶﾞｷﾞﾊﾟｰﾞﾟ・ー 　\t"
    "〇一二三四五六七八九十百千丁目番地号の之室町桜緑ヶケ丘"
    "0123456789０１２３４５６７８９-－‐―−ｰ"
    "ABCａｂｃ㈱①髙﨑\uf9d1\uf9fd\ue000\u3099\u309a"
)


@settings(max_examples=400)
@given(st.text(alphabet=_ADDRESS_ALPHABET, max_size=24))
def test_address_key_equals_its_plain_steps(s):
    assert address_key(s) == _plain_address_key(s)
    assert cached_address_key(s) == address_key(s)


_town = st.text(
    alphabet="桜緑ヶケ丘中央港町山手本旭若葉台川端栄東浜西原北野南日出通りのノ之市見本ハイツ", min_size=1, max_size=6
)
_kanji_number = st.sampled_from(["一", "二", "三", "十", "十二", "二十三", "九十九", "〇"])
_digits = st.integers(min_value=0, max_value=999).map(str)
_rest = st.text(alphabet="ハイツコーポ桜101号室棟Ａ丁番の一二〇0-－ 　①ｶﾞ\uf9d1", max_size=10)


@settings(max_examples=400)
@given(
    _town,
    st.one_of(st.none(), _kanji_number, _digits),
    _digits,
    _digits,
    st.one_of(st.none(), _rest),
    st.sampled_from(["", "見本市", "架空県見本市"]),
)
def test_address_key_shortcut_on_register_shapes(town, chome, block, lot, rest, prefix):
    # the shapes the one-pass shortcut takes (and some it must refuse, e.g. a 方書 starting with a digit)
    typed = f"{prefix}{town}{'' if chome is None else chome + '丁目'}{block}番{lot}号"
    if rest is not None:
        typed += "\u3000" + rest
    assert address_key(typed) == _plain_address_key(typed)


def test_readable_shows_undecodable_bytes_and_control_characters_as_escapes():
    from core.text import readable

    garbled = b"ok \x8e\xff end".decode("utf-8", errors="surrogateescape")
    assert readable(garbled) == "ok \\x8e\\xff end"
    assert readable("a\x00b\x1bc\td\n") == "a\\x00b\\x1bc\td\n"
    assert readable("見本　一郎") == "見本　一郎"
    assert readable(garbled).encode("utf-8")  # storable
