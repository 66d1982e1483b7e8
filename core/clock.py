"""Time helpers: timestamps are timezone-aware UTC (SQLModel stores them as UTC); shown in JST."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

JST = timezone(timedelta(hours=9), "JST")


def utcnow() -> datetime:
    return datetime.now(UTC)


def today_jst() -> date:
    return datetime.now(JST).date()


def to_jst(moment: datetime | None) -> datetime | None:
    """A stored UTC timestamp shown in Japan time."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(JST)
