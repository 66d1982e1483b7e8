"""和暦 (Japanese era dates), the one module: eras, formatting, and reading the dates of municipal ledgers
(ISO, yyyymmdd, 和暦 codes and 和暦 text, incl. non-calendar and 不詳 dates).

Formatting: ``to_wareki`` (``令和8年11月24日``), ``to_wareki_text``, ``to_wareki_code``, ``to_wareki_short``.

Reading: ``parse_date(text, style)``.

Styles (the ``date_style`` of a layout):

``iso``          ``2026-11-24``, ``2026/11/24``, ``20261124``
``yyyymmdd``     ``20261124``
``wareki-code``  era code + YYMMDD: ``5081124`` (1-digit code), ``05081124`` (2-digit code, 中間標準),
                 ``R081124`` (letter M/T/S/H/R); 00 for an unknown month or day
``wareki-text``  ``令和8年11月24日``, ``平成元年2月3日``, ``昭和五十年十月一日``, ``H1.2.3``, ``R2/4/5``

Digit-only values are read **only** in the layout's style (``19890108`` is a Western date under
``yyyymmdd`` and an error under ``wareki-code``: never guessed). Text that says what it is (an era
name, ``年``, separators) is accepted under every style, and so are 不詳 values.

The resident register (住民記録) allows two kinds of dates that are not ordinary dates, and they are
**kept**, never rejected nor silently changed (``ParsedDate.value`` is None, ``unknown`` is True, the
raw text is kept, ``approx`` holds the best internal date):

* non-calendar dates (非暦日): 2/29 of a non-leap year, 4/31, a date outside its era
  (明治45年7月30日, 大正15年12月25日, 昭和64年1月8日, 平成31年5月1日);
* 不詳 dates: ``年月日不詳``, ``令和○○年頃``, ``昭和50年3月上旬``, ``推定昭和10年``, ranges, an era
  year alone (``平成3年``), a zero month/day in a code (``03500000``), all zeros.

Truly malformed text (``abc``, month 13, a digit string of the wrong length) raises ``DateError``.
"""

from __future__ import annotations

import re
import unicodedata
from calendar import monthrange
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from core.text import kanji_to_int

__all__ = [
    "Era",
    "ERAS",
    "era_of",
    "to_wareki",
    "wareki_code",
    "DATE_STYLES",
    "DateError",
    "ParsedDate",
    "parse_date",
    "format_date",
    "era_for",
    "era_end",
    "to_wareki_code",
    "to_wareki_text",
    "to_wareki_short",
]

DATE_STYLES = ("iso", "yyyymmdd", "wareki-code", "wareki-text")

# Gregorian years accepted at all (a year outside is malformed, not "non-calendar").
MIN_YEAR, MAX_YEAR = 1800, 2200


class DateError(ValueError):
    """The text is not a date in any accepted form (an error issue of the import report)."""


@dataclass(frozen=True, slots=True)
class ParsedDate:
    """A date read from a ledger.

    ``value``: the exact date, or None when the text is not an exact calendar date of its era.
    ``unknown``: True for 不詳, partial and non-calendar dates (then ``value`` is None).
    ``approx``: the best internal date (the value itself when exact; 1 January / the 1st for a
    partial date, the last day of the month for 2/30, the Gregorian day for a date outside its era;
    None when not even the year is known).
    ``kind``: ``exact`` | ``partial`` | ``non_calendar`` | ``outside_era`` | ``unknown``.
    """

    value: date | None
    raw: str
    unknown: bool
    approx: date | None
    kind: str = "exact"


# ---------------------------------------------------------------------------------------------- eras


@dataclass(frozen=True)
class Era:
    code: int  # 1-digit era code used in 住基-style date codes (1=明治 .. 5=令和)
    name: str
    start: date  # first day of the era (Gregorian)
    offset: int  # Gregorian year = era year + offset


# Oldest first.
ERAS: tuple[Era, ...] = (
    Era(1, "明治", date(1868, 1, 25), 1867),
    Era(2, "大正", date(1912, 7, 30), 1911),
    Era(3, "昭和", date(1926, 12, 25), 1925),
    Era(4, "平成", date(1989, 1, 8), 1988),
    Era(5, "令和", date(2019, 5, 1), 2018),
)


def era_of(d: date) -> tuple[Era, int]:
    """Return ``(era, era_year)`` for ``d``. Raises ``ValueError`` before 明治."""
    for era in reversed(ERAS):
        if d >= era.start:
            return era, d.year - era.offset
    raise ValueError(f"{d.isoformat()} is before 明治 (1868-01-25); not supported")


_ERA_KEYS: dict[str, Era] = {}
for _era, _short, _letter in zip(ERAS, "明大昭平令", "MTSHR"):
    for _key in (_era.name, _short, _letter, _letter.lower(), str(_era.code), f"{_era.code:02d}"):
        _ERA_KEYS[_key] = _era
_NEXT_START: dict[int, date | None] = {
    era.code: (ERAS[i + 1].start if i + 1 < len(ERAS) else None) for i, era in enumerate(ERAS)
}


def era_for(key: str) -> Era | None:
    """The era named by ``key``: 平成 / 平 / H / h / 4 / 04 (None when unknown)."""
    return _ERA_KEYS.get(key)


def era_end(era: Era) -> date | None:
    """The first day *after* ``era`` (None for the current era)."""
    return _NEXT_START[era.code]


# ---------------------------------------------------------------------------------------------- formatting


def to_wareki_code(d: date, digits: int | str = 1) -> str:
    """Era code + YYMMDD: ``digits`` 1 → ``4010108``, 2 → ``04010108``, ``"letter"`` → ``H010108``."""
    era, year = era_of(d)
    if digits == 2:
        head = f"{era.code:02d}"
    elif digits == "letter":
        head = "MTSHR"[era.code - 1]
    else:
        head = str(era.code)
    return f"{head}{year:02d}{d.month:02d}{d.day:02d}"


_KANJI_DIGITS = "〇一二三四五六七八九"


def _kanji_numeral(n: int) -> str:
    """1..99 → 一 .. 九十九 (十 style)."""
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _KANJI_DIGITS[tens] + "十")
    return head + ("" if ones == 0 else _KANJI_DIGITS[ones])


def to_wareki_text(d: date, *, kanji: bool = False, gannen: bool = True) -> str:
    """``平成元年2月3日``; ``kanji=True`` → ``平成元年二月三日``; ``gannen=False`` → ``平成1年…``."""
    era, year = era_of(d)
    num = _kanji_numeral if kanji else str
    y = "元" if (year == 1 and gannen) else num(year)
    return f"{era.name}{y}年{num(d.month)}月{num(d.day)}日"


def to_wareki(d: date) -> str:
    """``d`` as written on certificates: ``令和8年11月24日``; era year 1 is ``元`` (``令和元年5月1日``)."""
    return to_wareki_text(d)


def wareki_code(d: date) -> str:
    """7-character code: era code (1 明治 .. 5 令和) + YYMMDD, e.g. 2026-11-24 → ``5081124``."""
    return to_wareki_code(d, 1)


def to_wareki_short(d: date, sep: str = ".", *, pad: bool = False) -> str:
    """``H1.2.3`` / ``R2/4/5`` / ``H01.02.03`` (``pad=True``)."""
    era, year = era_of(d)
    f = "{:02d}" if pad else "{}"
    return "MTSHR"[era.code - 1] + sep.join(f.format(v) for v in (year, d.month, d.day))


def format_date(d: date, style: str) -> str:
    """The canonical writing of ``d`` in a layout's style (2-digit era code for ``wareki-code``)."""
    if style == "iso":
        return d.isoformat()
    if style == "yyyymmdd":
        return f"{d.year:04d}{d.month:02d}{d.day:02d}"
    if style == "wareki-code":
        return to_wareki_code(d, 2)
    if style == "wareki-text":
        return to_wareki_text(d)
    raise ValueError(f"unknown date style {style!r}")


# ---------------------------------------------------------------------------------------------- building


def _exact_or_flagged(raw: str, year: int, month: int, day: int, era: Era | None) -> ParsedDate:
    """Build a ParsedDate from components already range-checked (1 ≤ month ≤ 12, 1 ≤ day ≤ 31)."""
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise DateError(f"year {year} out of range")
    try:
        d = date(year, month, day)
    except ValueError:
        last = monthrange(year, month)[1]
        return ParsedDate(None, raw, True, date(year, month, last), "non_calendar")
    if era is not None:
        end = _NEXT_START[era.code]
        if d < era.start or (end is not None and d >= end):
            return ParsedDate(None, raw, True, d, "outside_era")
    return ParsedDate(d, raw, False, d, "exact")


def _build(raw: str, era: Era | None, year: int, month: int, day: int) -> ParsedDate:
    """Components as read (era year when ``era`` is given; 0 = unknown month/day)."""
    if era is not None:
        if not 1 <= year <= 99:
            raise DateError(f"era year {year} out of range")
        year += era.offset
    if not 0 <= month <= 12:
        raise DateError(f"month {month} out of range")
    if not 0 <= day <= 31:
        raise DateError(f"day {day} out of range")
    if month == 0 or day == 0:
        if month == 0 and day != 0:
            raise DateError("day without month")
        if not MIN_YEAR <= year <= MAX_YEAR:
            raise DateError(f"year {year} out of range")
        return ParsedDate(None, raw, True, date(year, month or 1, 1), "partial")
    return _exact_or_flagged(raw, year, month, day, era)


# ---------------------------------------------------------------------------------------------- fast paths


def _digits(s: str) -> bool:
    return s.isascii() and s.isdigit()


def _parse_ymd_digits(raw: str, s: str) -> ParsedDate | None:
    """``yyyymmdd`` (8), ``yyyymm`` (6) or ``yyyy`` (4) digits; None when not that shape."""
    n = len(s)
    if n == 8:
        return _build(raw, None, int(s[:4]), int(s[4:6]), int(s[6:]))
    if n == 6:
        return _build(raw, None, int(s[:4]), int(s[4:6]), 0)
    if n == 4:
        return _build(raw, None, int(s), 0, 0)
    return None


def _parse_code(raw: str, s: str) -> ParsedDate | None:
    """Era code + YYMMDD (7 or 8 chars); None when not that shape."""
    n = len(s)
    if n == 7:
        head, rest = s[0], s[1:]
    elif n == 8:
        head, rest = s[:2], s[2:]
    else:
        return None
    if not _digits(rest):
        return None
    era = _ERA_KEYS.get(head)
    if era is None:
        if head.isdigit():
            raise DateError(f"unknown era code {head!r}")
        return None
    return _build(raw, era, int(rest[:2]), int(rest[2:4]), int(rest[4:]))


_ISO_RE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})")

# ---------------------------------------------------------------------------------------------- text

_NUM = r"(?:\d{1,2}|[〇一二三四五六七八九十]{1,3})"
_ERA_NAMES = "明治|大正|昭和|平成|令和|[明大昭平令MTSHRmtshr]"
_WAREKI_RE = re.compile(rf"({_ERA_NAMES})(元|{_NUM})(?:年|[./-])(?:({_NUM})(?:月|[./-])(?:({_NUM})日?)?)?")
_WESTERN_RE = re.compile(r"(\d{4})(?:年|[./-])(?:(\d{1,2})(?:月|[./-])(?:(\d{1,2})日?)?)?")

# Marks of a 不詳 / approximate date (住民記録システム標準仕様書: 不詳日).
_UNKNOWN_MARKS = (
    "不詳",
    "不明",
    "未詳",
    "頃",
    "ころ",
    "上旬",
    "中旬",
    "下旬",
    "初旬",
    "推定",
    "○",
    "◯",
    "〇〇",
    "～",
    "〜",
    "~",
    "以前",
    "以降",
    "以後",
    "年末",
    "年始",
    "?",
    "？",
    "＊",
    "*",
    "X",
    "x",
    "×",
)
_TEN_DAYS = {"上旬": 1, "初旬": 1, "中旬": 11, "下旬": 21}
_LENIENT_WAREKI_RE = re.compile(rf"({_ERA_NAMES})(元|{_NUM})年?(?:({_NUM})月)?(?:({_NUM})日)?")
_LENIENT_WESTERN_RE = re.compile(r"(\d{4})年?(?:(\d{1,2})月)?(?:(\d{1,2})日)?")


def _num(s: str | None) -> int:
    if not s:
        return 0
    if s == "元":
        return 1
    if s.isdigit():
        return int(s)
    return kanji_to_int(s)


def _normalise_text(s: str) -> str:
    s = unicodedata.normalize("NFKC", s)
    return "".join(s.split())


def _parse_text(raw: str, t: str) -> ParsedDate | None:
    """Era text or Western text with separators (``t`` is NFKC, no spaces); None when neither."""
    m = _WAREKI_RE.fullmatch(t)
    if m:
        era = _ERA_KEYS[m[1]]
        return _build(raw, era, _num(m[2]), _num(m[3]), _num(m[4]))
    m = _WESTERN_RE.fullmatch(t)
    if m:
        return _build(raw, None, int(m[1]), int(m[2] or 0), int(m[3] or 0))
    return None


def _parse_unknown(raw: str, t: str) -> ParsedDate:
    """A 不詳 date: always kept; ``approx`` is whatever can be read from it."""
    approx = None
    m = _LENIENT_WAREKI_RE.search(t)
    year = month = day = 0
    if m:
        era = _ERA_KEYS[m[1]]
        try:
            y = _num(m[2])
            year = y + era.offset if 1 <= y <= 99 else 0
            month, day = _num(m[3]), _num(m[4])
        except ValueError:
            year = 0
    else:
        m = _LENIENT_WESTERN_RE.search(t)
        if m:
            year, month, day = int(m[1]), int(m[2] or 0), int(m[3] or 0)
    if MIN_YEAR <= year <= MAX_YEAR:
        if not 1 <= month <= 12:
            month, day = 1, 1
        if not day:
            for mark, first in _TEN_DAYS.items():
                if mark in t:
                    day = first
                    break
        last = monthrange(year, month)[1]
        approx = date(year, month, min(max(day, 1), last))
    return ParsedDate(None, raw, True, approx, "unknown")


def _has_unknown_mark(t: str) -> bool:
    return any(mark in t for mark in _UNKNOWN_MARKS)


# ---------------------------------------------------------------------------------------------- entry point


@lru_cache(maxsize=1 << 16)
def parse_date(text: str, style: str = "wareki-text") -> ParsedDate:
    """Read one date value in a layout's ``style`` (see the module docstring).

    Returns a ParsedDate (``raw`` = the stripped text). Raises ``DateError`` for malformed text and
    for an empty value (the caller decides what an empty value means). Results are cached.
    """
    raw = text.strip()
    if not raw:
        raise DateError("empty date")
    s = raw
    if _digits(s):
        if set(s) == {"0"}:
            return ParsedDate(None, raw, True, None, "unknown")  # all zeros: 年月日不詳
        if style in ("iso", "yyyymmdd"):
            result = _parse_ymd_digits(raw, s)
        elif style == "wareki-code":
            result = _parse_code(raw, s)
        else:  # wareki-text has no digit-only form; accept the unambiguous 8-digit Western one
            result = _parse_ymd_digits(raw, s) if len(s) == 8 else None
        if result is None:
            raise DateError(f"{len(s)} digits is not a {style} date")
        return result
    if style == "wareki-code" and len(s) == 7 and s[0] in "MTSHRmtshr":
        result = _parse_code(raw, s)
        if result is not None:
            return result
    m = _ISO_RE.fullmatch(s)
    if m:
        return _build(raw, None, int(m[1]), int(m[2]), int(m[3]))
    t = _normalise_text(s)
    if t != s and _digits(t):
        return _reraw(parse_date(t, style), raw)  # full-width digits
    if _has_unknown_mark(t):
        return _parse_unknown(raw, t)
    result = _parse_text(raw, t)
    if result is None:
        raise DateError(f"not a date: {raw!r}")
    return result


def _reraw(p: ParsedDate, raw: str) -> ParsedDate:
    return ParsedDate(p.value, raw, p.unknown, p.approx, p.kind)
