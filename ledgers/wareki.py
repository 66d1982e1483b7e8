"""Minimal Gregorian -> Japanese era (和暦) formatting.

Only conversion *to* wareki is provided here; parsing free-text wareki
(incl. 不詳 values) is out of scope for this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

__all__ = ["Era", "ERAS", "era_of", "to_wareki", "wareki_code"]


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


def to_wareki(d: date) -> str:
    """Format ``d`` as e.g. "令和8年11月24日"; era year 1 is written 元 ("令和元年5月1日")."""
    era, year = era_of(d)
    y = "元" if year == 1 else str(year)
    return f"{era.name}{y}年{d.month}月{d.day}日"


def wareki_code(d: date) -> str:
    """7-char code: era code (1 明治 .. 5 令和) + YYMMDD, e.g. 2026-11-24 -> "5081124"."""
    era, year = era_of(d)
    return f"{era.code}{year:02d}{d.month:02d}{d.day:02d}"
