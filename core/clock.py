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


def check_day(
    value: date,
    *,
    field: str,
    what: str,
    earliest: date | None = None,
    earliest_what: str = "",
    latest: date | None = None,
) -> date:
    """``value`` if it lies in [earliest, latest] (latest defaults to today in Japan), else a
    DomainError naming the field: dates typed into the ledgers are never in the future, and never
    before the event they belong to."""
    from core.errors import DomainError

    latest = latest or today_jst()
    if value > latest:
        raise DomainError(f"{what}が未来の日付です（{value.isoformat()}）", field=field)
    if earliest is not None and value < earliest:
        raise DomainError(
            f"{what}が{earliest_what or earliest.isoformat()}より前です（{value.isoformat()}）", field=field
        )
    return value
