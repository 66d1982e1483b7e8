"""Fast equivalents of the ledgers.text search keys, for the import hot loop.

Each function returns exactly what its ``ledgers.text`` counterpart returns (property-tested in
tests/unit/test_import_keys.py); it takes a one-pass fast path when the result is provably a fixed
point, and falls back to the reference implementation otherwise.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from operator import mul

from ledgers import text as _text
from ledgers.codes import is_valid_mod11
from ledgers.text import kana_key, kanji_to_int, name_key, to_fullwidth_kana

__all__ = ["fast_name_key", "fast_kana_key", "fast_fullwidth_kana", "fast_address_key", "cached_address_key", "mod11_ok"]

_WS_RE = re.compile(r"\s+")
_HALFWIDTH_KANA_RE = re.compile("[\uff61-\uff9f]")
_HIRA_TO_KATA = {o: o + 0x60 for o in range(0x3041, 0x3097)} | {0x309D: 0x30FD, 0x309E: 0x30FE}
_NFKC = unicodedata.normalize
_IS_NFKC = unicodedata.is_normalized


@lru_cache(maxsize=1 << 16)
def fast_name_key(s: str) -> str:
    """``ledgers.text.name_key``."""
    k = _WS_RE.sub("", _NFKC("NFKC", s))
    if _IS_NFKC("NFKC", k):
        return k
    return name_key(s)


_HIRAGANA_RE = re.compile("[\u3041-\u3096\u309d\u309e]")


@lru_cache(maxsize=1 << 16)
def fast_kana_key(s: str) -> str:
    """``ledgers.text.kana_key``."""
    k = _NFKC("NFKC", s)
    if _HIRAGANA_RE.search(k):
        k = k.translate(_HIRA_TO_KATA)
    k = _WS_RE.sub("", k).replace("・", "")
    if _IS_NFKC("NFKC", k):
        return k
    return kana_key(s)


@lru_cache(maxsize=1 << 16)
def fast_fullwidth_kana(s: str) -> str:
    """``ledgers.text.to_fullwidth_kana``."""
    if _HALFWIDTH_KANA_RE.search(s) is None:
        return s
    return to_fullwidth_kana(s)


# ``ledgers.text.address_key`` runs ~11 regex substitutions per pass and at least two passes. The
# same substitutions, with the same patterns and in the same order, are applied here, but each one is
# skipped when a cheap test shows it cannot change the text (the unit it rewrites is absent, …).
# So the result is the same by construction; tests/unit/test_import_keys.py checks it on random text.
_NON_HYPHEN_DASH_RE = re.compile(f"[{re.escape(_text._DASHES.replace('-', ''))}]")
_KANJI_NUM_CHAR_RE = re.compile(f"[{_text._KANJI_NUM_CHARS}]")
_UNITS = ("丁目", "番地", "番", "号", "の")


def _template(repl: str):  # noqa: ANN202
    """The replacement templates of ledgers.text (r"\1-" and r"\1") as functions (faster, same text)."""
    if repl == r"\1-":
        return lambda m: m.group(1) + "-"
    if repl == r"\1":
        return lambda m: m.group(1)
    raise AssertionError(f"unexpected template {repl!r} in ledgers.text._UNIT_RES")


_UNIT_GUARDS = tuple((rx, _template(repl), unit) for (rx, repl), unit in zip(_text._UNIT_RES, _UNITS, strict=True))
assert [rx.pattern.split(")")[1][:2] for rx, _r, _u in _UNIT_GUARDS] == ["丁目", "番地", "番(", "号(", "の("]
_kanji_to_int = lru_cache(maxsize=4096)(kanji_to_int)


def _kanji_number(m: re.Match) -> str:
    return str(_kanji_to_int(m.group(0)))


def _fast_address_key_step(s: str) -> str:
    s = _NFKC("NFKC", s)
    if " " in s or not s.isprintable():  # every \s character is " " or non-printable
        s = _WS_RE.sub("", s)
    if _NON_HYPHEN_DASH_RE.search(s):  # "-" -> "-" is a no-op
        s = _text._DASH_RE.sub("-", s)
    if "ー" in s:
        s = _text._CHOON_RE.sub("-", s)
    if _KANJI_NUM_CHAR_RE.search(s) and ("丁目" in s or "番" in s or "号" in s or "-" in s or "の" in s):
        s = _text._KANJI_NUM_RE.sub(_kanji_number, s)  # every match needs one of those next to it
    for rx, repl, unit in _UNIT_GUARDS:
        if unit in s:
            s = rx.sub(repl, s)
    if "--" in s:
        s = _text._MULTI_DASH_RE.sub("-", s)
    if "-" in s:
        s = _text._DANGLING_DASH_RE.sub("", s)
    return s


def _slow_address_key(s: str) -> str:
    for _ in range(8):
        t = _fast_address_key_step(s)
        if t == s:
            return t
        s = t
    return s


# Exact shortcut for the usual shape of a register address, A = T + [K 丁目] + B 番 + L 号, optionally
# followed by whitespace and a 方書 R:
#   T  a town part with no whitespace, digit (\d), dash, ー, kanji numeral, nor any of 丁 目 番 号 の 之,
#      and already NFKC (so no step of address_key can touch it, nor see it as context);
#   K  kanji numerals (→ str(kanji_to_int(K)), as _KANJI_NUM_RE does before 丁目) or ASCII digits (kept);
#   B, L  ASCII digits (kept as written).
# Pass 1 of address_key on A gives T + K' + "-" + B + "-" + L (丁目 → "-", 番 → "-", 号 → ""), and pass 2
# changes nothing, so address_key(A) = T + K' + "-" + B + "-" + L.
# With a 方書: the whitespace goes; R's first character must be a letter (Unicode L* except the
# modifier letters ー ﾞ ﾟ) that is not a kanji numeral nor 丁 番 号 の 之. Then no pattern can match across
# the boundary (every pattern that looks left needs a dash, 丁目, 番, の or a numeral before the
# position; every number pattern needs a digit or unit right after A's last digit; 号(?!室) needs R not
# to start with 室), NFKC cannot compose across it (A ends with 号), so address_key(A + ws + R) = address_key(A) + address_key(R).
# tests/unit/test_import_keys.py checks both equalities on generated addresses.
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
    return unicodedata.category(c) in ("Lo", "Lu", "Ll", "Lt") and c not in _DANGEROUS_START and _IS_NFKC("NFKC", c)


def fast_address_key(s: str) -> str:
    """``ledgers.text.address_key``."""
    m = _SIMPLE_ADDRESS_RE.fullmatch(s)
    if m is not None:
        town, chome, block, lot, rest = m.groups()
        if (
            _IS_NFKC("NFKC", town)
            and not _NON_HYPHEN_DASH_RE.search(town)
            and (rest is None or (_safe_start(rest[0]) and not rest[0].isspace()))
        ):
            if chome is None:
                head = f"{town}{block}-{lot}"
            else:
                number = chome if chome.isascii() else str(_kanji_to_int(chome))
                head = f"{town}{number}-{block}-{lot}"
            return head if rest is None else head + cached_address_key(rest)
    return _slow_address_key(s)


cached_address_key = lru_cache(maxsize=1 << 17)(fast_address_key)
"""``fast_address_key`` with a cache (neighbours in a register share addresses)."""

_WEIGHTS = (2, 3, 4, 5, 6, 7) * 10
_ZERO_SUMS = [48 * sum(_WEIGHTS[:n]) for n in range(len(_WEIGHTS) + 1)]


def mod11_ok(number: str) -> bool:
    """``ledgers.codes.is_valid_mod11`` for an ASCII digit string, without a Python loop."""
    n = len(number) - 1
    if n < 1 or n > len(_WEIGHTS):
        return is_valid_mod11(number)
    data = number.encode("ascii")
    total = sum(map(mul, data[-2::-1], _WEIGHTS)) - _ZERO_SUMS[n]
    r = total % 11
    return (0 if r <= 1 else 11 - r) == data[-1] - 48
