"""Fast equivalents of the core.text search keys, for the import hot loop.

Each function returns exactly what its ``core.text`` counterpart returns (property-tested in
tests/unit/test_import_keys.py); it takes a one-pass fast path when the result is provably a fixed
point, and falls back to the reference implementation otherwise. The address key has no twin
here: ``core.text.address_key`` has its fast path itself (``cached_address_key`` for imports).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from operator import mul

from core.codes import is_valid_mod11
from core.text import kana_key, name_key, to_fullwidth_kana

__all__ = ["fast_name_key", "fast_kana_key", "fast_fullwidth_kana", "mod11_ok"]

_WS_RE = re.compile(r"\s+")
_HALFWIDTH_KANA_RE = re.compile("[\uff61-\uff9f]")
_HIRA_TO_KATA = {o: o + 0x60 for o in range(0x3041, 0x3097)} | {0x309D: 0x30FD, 0x309E: 0x30FE}
_NFKC = unicodedata.normalize
_IS_NFKC = unicodedata.is_normalized


@lru_cache(maxsize=1 << 16)
def fast_name_key(s: str) -> str:
    """``core.text.name_key``."""
    k = _WS_RE.sub("", _NFKC("NFKC", s))
    if _IS_NFKC("NFKC", k):
        return k
    return name_key(s)


_HIRAGANA_RE = re.compile("[\u3041-\u3096\u309d\u309e]")


@lru_cache(maxsize=1 << 16)
def fast_kana_key(s: str) -> str:
    """``core.text.kana_key``."""
    k = _NFKC("NFKC", s)
    if _HIRAGANA_RE.search(k):
        k = k.translate(_HIRA_TO_KATA)
    k = _WS_RE.sub("", k).replace("・", "")
    if _IS_NFKC("NFKC", k):
        return k
    return kana_key(s)


@lru_cache(maxsize=1 << 16)
def fast_fullwidth_kana(s: str) -> str:
    """``core.text.to_fullwidth_kana``."""
    if _HALFWIDTH_KANA_RE.search(s) is None:
        return s
    return to_fullwidth_kana(s)


_WEIGHTS = (2, 3, 4, 5, 6, 7) * 10
_ZERO_SUMS = [48 * sum(_WEIGHTS[:n]) for n in range(len(_WEIGHTS) + 1)]


def mod11_ok(number: str) -> bool:
    """``core.codes.is_valid_mod11`` for an ASCII digit string, without a Python loop."""
    n = len(number) - 1
    if n < 1 or n > len(_WEIGHTS):
        return is_valid_mod11(number)
    data = number.encode("ascii")
    total = sum(map(mul, data[-2::-1], _WEIGHTS)) - _ZERO_SUMS[n]
    r = total % 11
    return (0 if r <= 1 else 11 - r) == data[-1] - 48
