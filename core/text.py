"""Japanese text normalisation used to build search / matching keys.

These keys are for *matching* only (e.g. finding a resident typed as
"ﾔﾏﾀﾞ ﾀﾛｳ" or "やまだ　たろう"); never store them as display values.

All functions are pure and stdlib-only.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

__all__ = [
    "kana_key",
    "name_key",
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


def _fixed_point(step: Callable[[str], str], s: str) -> str:
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

_KANJI_DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
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
# Readable text of undecodable input
# ---------------------------------------------------------------------------

_UNREADABLE_RE = re.compile("[\ud800-\udfff\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _escape(m: re.Match) -> str:
    ch = m.group(0)
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # a byte kept by errors="surrogateescape"
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def readable(text: str) -> str:
    """``text`` safe to store and show: the undecodable bytes of a wrongly encoded file (kept as
    surrogate escapes) and control characters written as ``\\xNN``, so that a message about a
    binary or mis-encoded file can still be saved, printed and read."""
    return _UNREADABLE_RE.sub(_escape, text) if _UNREADABLE_RE.search(text) else text
