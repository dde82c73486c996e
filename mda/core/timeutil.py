"""Time: stored in UTC, shown and entered in Europe/Amsterdam."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Europe/Amsterdam")


def utcnow() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """*value* as aware UTC; naive values (as SQLite returns them) are taken as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def to_local(value: datetime) -> datetime:
    """A stored (UTC) datetime in Europe/Amsterdam."""
    return as_utc(value).astimezone(LOCAL_TZ)


def format_local(value: datetime | date | None, fmt: str = "%d-%m-%Y %H:%M") -> str:
    """Format a stored datetime for display in Dutch local time ('' for None)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return to_local(value).strftime(fmt)
    return value.strftime("%d-%m-%Y")
