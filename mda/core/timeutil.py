"""Time: stored in UTC, shown and entered in Europe/Amsterdam."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from mda.core import clock
from mda.core.clock import LOCAL_TZ


def utcnow() -> datetime:
    """The current time as an aware UTC datetime, from the application's clock (tests set it)."""
    return clock.now()


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


# ----------------------------------------------------------------------------- entering local times
class LocalTimeError(ValueError):
    """A local time that does not exist, or occurs twice, on a daylight-saving change.

    ``kind`` is ``"bestaat_niet"`` or ``"dubbel"``; ``suggestions`` maps a label to a valid
    aware datetime the user can choose instead.
    """

    def __init__(self, message: str, kind: str, suggestions: dict[str, datetime]):
        super().__init__(message)
        self.kind = kind
        self.suggestions = suggestions


#: the dates MDA++ accepts anywhere (birth dates of the oldest persons to the longest plans);
#: outside them date arithmetic and time zones overflow, and the input is a typing error anyway
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2199, 12, 31)


def check_date_range(day: date, what: str = "De datum") -> date:
    """*day* if it lies between 1900 and 2199; otherwise a :class:`LocalTimeError` (a ValueError)
    with a Dutch message, so every caller that handles impossible local times handles this too."""
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise LocalTimeError(f"{what} {day.day:02d}-{day.month:02d}-{day.year:04d} ligt buiten het bereik dat "
                             "MDA++ kent (1900 tot en met 2199). Controleer het jaartal.", "buiten_bereik", {})
    return day


#: how a user picks one of the two readings of an ambiguous local time
DST_CHOICES = {"zomertijd": 0, "wintertijd": 1}


def local_to_utc(day: date, at: time, *, dst: str | None = None) -> datetime:
    """The UTC moment of *day* *at* in Europe/Amsterdam, refusing impossible or unclear times.

    A time in the spring gap (e.g. 2027-03-28 02:30) does not exist; a time in the autumn
    overlap (e.g. 2026-10-25 02:30) occurs twice and needs *dst* = ``"zomertijd"`` (the first,
    +02:00) or ``"wintertijd"`` (the second, +01:00). Both raise :class:`LocalTimeError` with
    a Dutch message that names the valid alternative(s).
    """
    check_date_range(day)
    naive = datetime.combine(day, at)
    first, second = naive.replace(tzinfo=LOCAL_TZ, fold=0), naive.replace(tzinfo=LOCAL_TZ, fold=1)
    label = f"{day:%d-%m-%Y} {at:%H:%M}"
    if first.astimezone(UTC).astimezone(LOCAL_TZ).replace(tzinfo=None) != naive:
        # zoneinfo reads a time in the gap with the offset before the change: it lands after the gap
        valid = first.astimezone(UTC).astimezone(LOCAL_TZ)
        raise LocalTimeError(
            f"{label} bestaat niet in Europe/Amsterdam: de klok gaat die nacht van 02:00 naar 03:00 "
            f"(zomertijd). Bedoelt u {valid:%H:%M}?", "bestaat_niet", {valid.strftime("%H:%M"): valid.astimezone(UTC)})
    if first.utcoffset() != second.utcoffset():
        if dst in DST_CHOICES:
            return (second if DST_CHOICES[dst] else first).astimezone(UTC)
        raise LocalTimeError(
            f"{label} komt twee keer voor in Europe/Amsterdam: de klok gaat die nacht van 03:00 terug "
            f"naar 02:00. Kies {at:%H:%M} zomertijd (+02:00) of {at:%H:%M} wintertijd (+01:00).",
            "dubbel", {"zomertijd": first.astimezone(UTC), "wintertijd": second.astimezone(UTC)})
    return first.astimezone(UTC)


def parse_local(value: str, *, dst: str | None = None) -> datetime:
    """An ISO date-time from a form or the API as UTC: with an offset it is exact; without one
    it is Europe/Amsterdam local time, checked by :func:`local_to_utc`. Raises ValueError."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except (ValueError, AttributeError):
        raise ValueError(f"{value!r} is geen geldige datum en tijd (gebruik JJJJ-MM-DDTUU:MM)") from None
    check_date_range(parsed.date())
    if parsed.tzinfo is not None:
        return parsed.astimezone(UTC)
    return local_to_utc(parsed.date(), parsed.time(), dst=dst)
