"""Check-digit helpers for identifiers used in Japanese municipal ledgers.

* 地方公共団体コード (local government code): 5 digits + 1 check digit.
* 宛名番号 / 世帯番号 (addressee / household numbers): body + one check digit
  computed with modulus 11, weights 2-7 (M11W2-7).

All functions are pure and accept ``str`` only (leading zeros matter).
"""

from __future__ import annotations

__all__ = [
    "municipality_check_digit",
    "is_valid_municipality_code",
    "mod11_check_digit",
    "is_valid_mod11",
    "with_mod11",
    "my_number_check_digit",
    "is_valid_my_number",
]

_ASCII_DIGITS = frozenset("0123456789")
_MUNICIPALITY_WEIGHTS = (6, 5, 4, 3, 2)


def _require_digits(value: str, what: str, length: int | None = None) -> None:
    """Raise ``ValueError`` unless ``value`` is a non-empty ASCII digit string."""
    if not isinstance(value, str):
        raise ValueError(f"{what} must be a string of ASCII digits, got {type(value).__name__}")
    if not value:
        raise ValueError(f"{what} must not be empty")
    # str.isdigit() accepts full-width and other Unicode digits; we do not.
    if not set(value) <= _ASCII_DIGITS:
        raise ValueError(f"{what} must contain only ASCII digits 0-9, got {value!r}")
    if length is not None and len(value) != length:
        raise ValueError(f"{what} must be exactly {length} digits, got {len(value)} ({value!r})")


# ---------------------------------------------------------------------------
# 地方公共団体コード
# ---------------------------------------------------------------------------


def municipality_check_digit(first5: str) -> str:
    """Return the check digit of a 地方公共団体コード.

    The five digits are multiplied by weights 6, 5, 4, 3, 2 and summed;
    with ``r = sum % 11`` the check digit is the ones digit of ``11 - r``
    (i.e. ``(11 - r) % 10``).

    >>> municipality_check_digit("13101")  # 千代田区 -> 131016
    '6'
    >>> municipality_check_digit("01100")  # 札幌市 -> 011002
    '2'
    """
    _require_digits(first5, "municipality code body", length=5)
    total = sum(int(c) * w for c, w in zip(first5, _MUNICIPALITY_WEIGHTS))
    return str((11 - total % 11) % 10)


def is_valid_municipality_code(code: str) -> bool:
    """True if ``code`` is 6 ASCII digits whose last digit is the correct check digit.

    Never raises; any malformed input simply returns False.
    """
    if not isinstance(code, str) or len(code) != 6 or not set(code) <= _ASCII_DIGITS:
        return False
    return municipality_check_digit(code[:5]) == code[5]


# ---------------------------------------------------------------------------
# 宛名番号 / 世帯番号: modulus 11, weights 2-7
# ---------------------------------------------------------------------------


def mod11_check_digit(body: str) -> str:
    """Return the M11W2-7 check digit for ``body`` (宛名番号/世帯番号 style).

    Weights 2, 3, 4, 5, 6, 7, 2, 3, ... are applied starting from the
    RIGHTMOST digit of the body. With ``r = sum % 11`` the check digit is
    ``11 - r``; when ``r`` is 0 (11 - r = 11) **or 1** (11 - r = 10) the
    check digit is ``0``.

    Convention note: some systems treat ``r == 1`` as "number not issuable"
    or use ``X``; we deliberately map it to ``0`` so every body has a
    single-digit check digit. Consequently two bodies can share a check
    digit of 0 for different reasons; this is acceptable for our use.
    """
    _require_digits(body, "mod11 body")
    total = 0
    for i, c in enumerate(reversed(body)):
        total += int(c) * (2 + i % 6)
    r = total % 11
    if r <= 1:
        return "0"
    return str(11 - r)


def with_mod11(body: str) -> str:
    """Return ``body`` followed by its M11W2-7 check digit."""
    return body + mod11_check_digit(body)


def is_valid_mod11(number: str) -> bool:
    """True if ``number`` (body + check digit, at least 2 ASCII digits) is valid.

    Never raises; malformed input returns False.
    """
    if not isinstance(number, str) or len(number) < 2 or not set(number) <= _ASCII_DIGITS:
        return False
    return mod11_check_digit(number[:-1]) == number[-1]


# ---------------------------------------------------------------------------
# 個人番号 (My Number)
# ---------------------------------------------------------------------------


def my_number_check_digit(first11: str) -> str:
    """Check digit of a 12-digit 個人番号 (番号法施行令 8条): weights 2..7 then 2..6 from the right."""
    if len(first11) != 11 or not first11.isascii() or not first11.isdigit():
        raise ValueError("個人番号の先頭11桁は半角数字11桁です")
    total = 0
    for n, digit in enumerate(reversed(first11), start=1):
        weight = n + 1 if n <= 6 else n - 5
        total += int(digit) * weight
    remainder = total % 11
    return "0" if remainder <= 1 else str(11 - remainder)


def is_valid_my_number(value: str) -> bool:
    return len(value) == 12 and value.isascii() and value.isdigit() and my_number_check_digit(value[:11]) == value[11]
