"""Japanese text normalisation used to build search / matching keys.

These keys are for *matching* only (e.g. finding a resident typed as
"ﾔﾏﾀﾞ ﾀﾛｳ" or "やまだ　たろう"); never store them as display values.

All functions are pure and stdlib-only.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

__all__ = [
    "kana_key",
    "name_key",
    "address_key",
    "cached_address_key",
    "to_fullwidth_kana",
    "to_halfwidth_kana",
    "looks_like_kana",
    "contains_gaiji",
    "kanji_to_int",
]

# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------

_WS_RE = re.compile(r"\s+")  # \s in Python str patterns includes U+3000 (全角スペース)


def _strip_ws(s: str) -> str:
    return _WS_RE.sub("", s)


def _fixed_point(step, s: str) -> str:
    """Apply ``step`` until the value stops changing.

    Needed because NFKC can turn e.g. "A´" into "A" + SPACE + U+0301; after
    the space is removed the combining mark composes with "A" on the next
    NFKC pass. Iterating guarantees the keys are idempotent.
    """
    for _ in range(8):
        t = step(s)
        if t == s:
            return t
        s = t
    return s


def _hira_to_kata(s: str) -> str:
    """Hiragana -> katakana (ぁ..ゖ and ゝゞ); everything else unchanged."""
    out = []
    for ch in s:
        o = ord(ch)
        if 0x3041 <= o <= 0x3096 or o in (0x309D, 0x309E):
            out.append(chr(o + 0x60))
        else:
            out.append(ch)
    return "".join(out)


# ---------------------------------------------------------------------------
# Name keys
# ---------------------------------------------------------------------------


def kana_key(s: str) -> str:
    """Key for kana (フリガナ) search.

    NFKC (half-width ｶﾞ -> ガ, full-width ASCII -> ASCII), hiragana ->
    katakana, remove all whitespace (ASCII and U+3000) and the middle dot
    ・ (中黒, used between parts of foreign names). The long-vowel mark ー
    is kept. The result is idempotent: ``kana_key(kana_key(x)) == kana_key(x)``.

    >>> kana_key("ﾔﾏﾀﾞ ﾀﾛｳ")
    'ヤマダタロウ'
    """
    return _fixed_point(_kana_key_step, s)


def _kana_key_step(s: str) -> str:
    s = unicodedata.normalize("NFKC", s)
    s = _hira_to_kata(s)
    s = _strip_ws(s)
    return s.replace("・", "")


def name_key(s: str) -> str:
    """Key for kanji-name search: NFKC + remove all whitespace.

    Note: variant kanji (髙/高, 齋/斎) are *not* folded here.
    """
    return _fixed_point(lambda t: _strip_ws(unicodedata.normalize("NFKC", t)), s)


# ---------------------------------------------------------------------------
# Half-width -> full-width katakana
# ---------------------------------------------------------------------------

_HW_DAKUTEN = "\uff9e"  # ﾞ
_HW_HANDAKUTEN = "\uff9f"  # ﾟ
_COMBINING = {_HW_DAKUTEN: "\u3099", _HW_HANDAKUTEN: "\u309a"}
_SPACING = {_HW_DAKUTEN: "\u309b", _HW_HANDAKUTEN: "\u309c"}  # ゛ ゜


def _is_halfwidth_kana(ch: str) -> bool:
    # U+FF61..U+FF9F: half-width katakana block (incl. ｡｢｣､･ and ｰ ﾞ ﾟ)
    return "\uff61" <= ch <= "\uff9f"


def to_fullwidth_kana(s: str) -> str:
    """Convert half-width katakana (半角カナ) to full-width, leaving all else as-is.

    Voiced / semi-voiced marks ﾞ ﾟ are combined with the preceding kana
    (ｶﾞ -> ガ, ﾊﾟ -> パ, ｳﾞ -> ヴ). A mark that cannot combine becomes the
    spacing mark ゛ / ゜. ASCII, full-width alphanumerics and kanji are not
    touched (unlike NFKC).
    """
    out: list[str] = []
    for ch in s:
        if not _is_halfwidth_kana(ch):
            out.append(ch)
            continue
        if ch in _COMBINING:
            if out:
                composed = unicodedata.normalize("NFC", out[-1] + _COMBINING[ch])
                if len(composed) == 1:
                    out[-1] = composed
                    continue
            out.append(_SPACING[ch])
            continue
        out.append(unicodedata.normalize("NFKC", ch))
    return "".join(out)


def _halfwidth_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for o in range(0xFF61, 0xFFA0):
        half = chr(o)
        full = unicodedata.normalize("NFKC", half)
        if len(full) == 1 and full not in table and half not in (_HW_DAKUTEN, _HW_HANDAKUTEN):
            table[full] = half
    for full, half in list(table.items()):
        for mark, hw_mark in (("\u3099", _HW_DAKUTEN), ("\u309a", _HW_HANDAKUTEN)):
            voiced = unicodedata.normalize("NFC", full + mark)
            if len(voiced) == 1:
                table[voiced] = half + hw_mark
    table["\u3000"] = " "
    table["\u309b"] = _HW_DAKUTEN
    table["\u309c"] = _HW_HANDAKUTEN
    return table


_HALFWIDTH = str.maketrans(_halfwidth_table())


def to_halfwidth_kana(s: str) -> str:
    """Full-width katakana (and ー ・ 「」 、 。 and the ideographic space) to half-width (半角カナ).

    The inverse of ``to_fullwidth_kana`` for text made of katakana: ガ -> ｶﾞ, パ -> ﾊﾟ, ヴ -> ｳﾞ.
    Kana without a half-width form (ヰ ヱ ヮ ヵ ヶ, hiragana) and everything else are left as they are.
    """
    return s.translate(_HALFWIDTH)


# ---------------------------------------------------------------------------
# Classification
# ---------------------------------------------------------------------------


def _is_kana_char(ch: str) -> bool:
    o = ord(ch)
    return (
        0x3041 <= o <= 0x3096  # hiragana
        or 0x3099 <= o <= 0x309E  # combining/spacing voice marks, ゝゞ
        or 0x30A1 <= o <= 0x30FA  # katakana
        or 0x30FC <= o <= 0x30FE  # ー ヽ ヾ
        or 0xFF66 <= o <= 0xFF9F  # half-width katakana incl. ｰ ﾞ ﾟ
    )


def looks_like_kana(s: str) -> bool:
    """True if ``s`` (ignoring whitespace) is non-empty and consists only of kana.

    Accepted: hiragana, katakana (full and half width), ー/ｰ, ﾞ ﾟ ゛ ゜, ゝゞヽヾ.
    The middle dot ・ is *not* accepted.
    """
    t = _strip_ws(s)
    return bool(t) and all(_is_kana_char(c) for c in t)


def contains_gaiji(s: str) -> bool:
    """True if ``s`` contains a Private Use Area char U+E000-U+F8FF (外字)."""
    return any("\ue000" <= c <= "\uf8ff" for c in s)


# ---------------------------------------------------------------------------
# Kanji numerals
# ---------------------------------------------------------------------------

_KANJI_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5,
                 "六": 6, "七": 7, "八": 8, "九": 9}
_KANJI_UNITS = {"十": 10, "百": 100, "千": 1000}
_KANJI_NUM_CHARS = "〇一二三四五六七八九十百千"


def kanji_to_int(s: str) -> int:
    """Parse a kanji numeral: 十二 -> 12, 二十三 -> 23, 百五 -> 105, 一〇五 -> 105.

    Digit-only sequences (no 十/百/千) are read positionally. Raises
    ``ValueError`` for empty or non-numeral input.
    """
    if not s or any(c not in _KANJI_DIGITS and c not in _KANJI_UNITS for c in s):
        raise ValueError(f"not a kanji numeral: {s!r}")
    if not any(c in _KANJI_UNITS for c in s):
        return int("".join(str(_KANJI_DIGITS[c]) for c in s))
    total = 0
    pending: int | None = None
    for c in s:
        if c in _KANJI_DIGITS:
            pending = _KANJI_DIGITS[c]
        else:
            total += (pending if pending is not None else 1) * _KANJI_UNITS[c]
            pending = None
    return total + (pending or 0)


# ---------------------------------------------------------------------------
# Address key
# ---------------------------------------------------------------------------

# Dash-like characters (after NFKC). ー (U+30FC) is handled separately
# because it is a legitimate part of katakana words (e.g. センター).
_DASHES = "\u002d\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u2212\ufe58\ufe63\uff0d"
_DASH_RE = re.compile(f"[{re.escape(_DASHES)}]")
_NUM_CLASS = r"0-9" + _KANJI_NUM_CHARS
# ー between two numerals (ASCII or kanji) is a typed hyphen: 3ー4 / 三ー四.
_CHOON_RE = re.compile(f"(?<=[{_NUM_CLASS}])ー(?=[{_NUM_CLASS}])")

# Kanji numerals that are part of an address number: followed by an address
# unit/separator, or preceded by one. Town names containing numerals that are
# not followed by these (三田, 八丁堀, 九段) are left alone.
_KANJI_NUM_RE = re.compile(
    f"(?:(?<=[{_NUM_CLASS}]-)|(?<=丁目)|(?<=番地)|(?<=番)|(?<=番地の)|(?<=番の)|(?<=[{_NUM_CLASS}]の))"
    f"[{_KANJI_NUM_CHARS}]+"
    f"|[{_KANJI_NUM_CHARS}]+(?=丁目|番|号(?!室)|-)"
)


def _then_dash(m: re.Match) -> str:
    return m.group(1) + "-"


def _number_only(m: re.Match) -> str:
    return m.group(1)


# (pattern, replacement, a unit the pattern needs: without it the substitution cannot change the text)
_UNIT_RES = (
    (re.compile(r"(\d+)丁目"), _then_dash, "丁目"),
    (re.compile(r"(\d+)番地の?"), _then_dash, "番地"),
    (re.compile(r"(\d+)番(?!町)の?"), _then_dash, "番"),
    (re.compile(r"(\d+)号(?!室)"), _number_only, "号"),
    (re.compile(r"(\d+)の(?=\d)"), _then_dash, "の"),
)
_MULTI_DASH_RE = re.compile(r"-{2,}")
_DANGLING_DASH_RE = re.compile(r"(?<=\d)-(?!\d)")
_NON_HYPHEN_DASH_RE = re.compile(f"[{re.escape(_DASHES.replace('-', ''))}]")
_KANJI_NUM_CHAR_RE = re.compile(f"[{_KANJI_NUM_CHARS}]")
_cached_kanji_to_int = lru_cache(maxsize=4096)(kanji_to_int)


def _kanji_number(m: re.Match) -> str:
    return str(_cached_kanji_to_int(m.group(0)))


def _address_key_step(s: str) -> str:
    # Each substitution is skipped when a cheap test shows it cannot change the text (the unit it
    # rewrites is absent, …): an import keys hundreds of thousands of addresses.
    s = unicodedata.normalize("NFKC", s)
    if " " in s or not s.isprintable():  # every \s character is " " or non-printable
        s = _strip_ws(s)
    if _NON_HYPHEN_DASH_RE.search(s):  # "-" -> "-" is a no-op
        s = _DASH_RE.sub("-", s)
    if "ー" in s:
        s = _CHOON_RE.sub("-", s)
    if _KANJI_NUM_CHAR_RE.search(s) and ("丁目" in s or "番" in s or "号" in s or "-" in s or "の" in s):
        s = _KANJI_NUM_RE.sub(_kanji_number, s)  # every match needs one of those next to it
    for rx, repl, unit in _UNIT_RES:
        if unit in s:
            s = rx.sub(repl, s)
    if "--" in s:
        s = _MULTI_DASH_RE.sub("-", s)
    if "-" in s:
        s = _DANGLING_DASH_RE.sub("", s)
    return s


# Exact shortcut for the usual shape of a register address, A = T + [K 丁目] + B 番 + L 号, optionally
# followed by whitespace and a 方書 R:
#   T  a town part with no whitespace, digit (\d), dash, ー, kanji numeral, nor any of 丁 目 番 号 の 之,
#      and already NFKC (so no step of address_key can touch it, nor see it as context);
#   K  kanji numerals (→ str(kanji_to_int(K)), as _KANJI_NUM_RE does before 丁目) or ASCII digits (kept);
#   B, L  ASCII digits (kept as written).
# Pass 1 of _address_key_step on A gives T + K' + "-" + B + "-" + L (丁目 → "-", 番 → "-", 号 → ""), and
# pass 2 changes nothing, so address_key(A) = T + K' + "-" + B + "-" + L.
# With a 方書: the whitespace goes; R's first character must be a letter (Unicode L* except the
# modifier letters ー ﾞ ﾟ) that is not a kanji numeral nor 丁 番 号 の 之. Then no pattern can match across
# the boundary (every pattern that looks left needs a dash, 丁目, 番, の or a numeral before the
# position; every number pattern needs a digit or unit right after A's last digit; 号(?!室) needs R not
# to start with 室), NFKC cannot compose across it (A ends with 号), so address_key(A + ws + R) =
# address_key(A) + address_key(R).
# tests/unit/test_text.py checks both equalities against the plain steps on generated addresses.
_SIMPLE_ADDRESS_RE = re.compile(
    r"([^\s\d\-〇一二三四五六七八九十百千ー丁目番号の之]+?)"
    r"(?:([〇一二三四五六七八九十百千]+|[0-9]+)丁目)?"
    r"([0-9]+)番([0-9]+)号"
    r"(?:\s+(.+))?",
    re.DOTALL,
)
_DANGEROUS_START = frozenset("〇一二三四五六七八九十百千丁番号の之室")


def _safe_start(c: str) -> bool:
    """A 方書 may start with ``c`` (a letter, already NFKC, not a numeral/unit, not 室 (号室))."""
    return (
        unicodedata.category(c) in ("Lo", "Lu", "Ll", "Lt")
        and c not in _DANGEROUS_START
        and unicodedata.is_normalized("NFKC", c)
    )


def address_key(s: str) -> str:
    """Key for matching addresses typed in different ways.

    Steps: NFKC; remove whitespace; unify hyphen-like characters to "-"
    (ー only between numerals); convert kanji numerals that are address
    numbers to ASCII; rewrite "N丁目M番K号", "N番地M", "N番地のM", "NのM"
    into "N-M-K"; drop a dangling "-" after a number. Repeated until the
    key stops changing, with a one-pass shortcut for the usual register shape.

    >>> address_key("桜町２丁目３番４号") == address_key("桜町二丁目3-4") == "桜町2-3-4"
    True
    """
    m = _SIMPLE_ADDRESS_RE.fullmatch(s)
    if m is not None:
        town, chome, block, lot, rest = m.groups()
        if (
            unicodedata.is_normalized("NFKC", town)
            and not _NON_HYPHEN_DASH_RE.search(town)
            and (rest is None or (_safe_start(rest[0]) and not rest[0].isspace()))
        ):
            if chome is None:
                head = f"{town}{block}-{lot}"
            else:
                number = chome if chome.isascii() else str(_cached_kanji_to_int(chome))
                head = f"{town}{number}-{block}-{lot}"
            return head if rest is None else head + cached_address_key(rest)
    return _fixed_point(_address_key_step, s)


cached_address_key = lru_cache(maxsize=1 << 17)(address_key)
"""``address_key`` with a cache, for imports (neighbours in a register share addresses and 方書)."""
