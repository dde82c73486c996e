"""Recurrence of a meeting series: the rule, its occurrences in local time, and its limits.

A series repeats at the same local (Europe/Amsterdam) wall-clock time, also across a
daylight-saving change, exactly as calendar programs expand ``RRULE`` with ``TZID``: the
occurrences computed here are the ones Outlook, Google, Apple and Thunderbird show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from dateutil import rrule

from mda.core.timeutil import LocalTimeError, local_to_utc, to_local
from mda.meetings.models import FREQUENCIES

#: a series must end; these keep it sensible (and keep calendar files small)
MAX_SPAN_DAYS = 366
MAX_OCCURRENCES = 60
_WEEKDAYS = (rrule.MO, rrule.TU, rrule.WE, rrule.TH, rrule.FR, rrule.SA, rrule.SU)
_ICAL_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


class SeriesError(ValueError):
    """A series that cannot be planned; the message is Dutch and names the problem."""


@dataclass(frozen=True)
class Rule:
    """A series rule: frequency, and for monthly series the n-th weekday of the month."""

    frequency: str
    weekday: int
    nth: int  # for monthly: 1-4, or -1 for the last

    @classmethod
    def starting(cls, frequency: str, first_local: datetime) -> Rule:
        """The rule of a series whose first occurrence is *first_local*."""
        if frequency not in FREQUENCIES:
            raise SeriesError(f"Onbekende herhaling {frequency!r}; kies {', '.join(FREQUENCIES)}.")
        nth = (first_local.day - 1) // 7 + 1
        return cls(frequency, first_local.weekday(), -1 if nth == 5 else nth)

    def describe(self) -> str:
        """The rule in Dutch."""
        days = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
        if self.frequency == "maandelijks":
            which = "laatste" if self.nth == -1 else f"{self.nth}e"
            return f"elke maand op de {which} {days[self.weekday]}"
        return f"{'elke' if self.frequency == 'wekelijks' else 'om de week op'} {days[self.weekday]}"

    def ical(self, last_start_utc: datetime) -> dict:
        """The RRULE value for icalendar; UNTIL is UTC because DTSTART carries a TZID (RFC 5545)."""
        value: dict = {"freq": "MONTHLY" if self.frequency == "maandelijks" else "WEEKLY",
                       "until": last_start_utc}
        if self.frequency == "tweewekelijks":
            value["interval"] = 2
        if self.frequency == "maandelijks":
            value["byday"] = f"{self.nth}{_ICAL_DAYS[self.weekday]}"
        else:
            value["byday"] = _ICAL_DAYS[self.weekday]
        return value

    def local_dates(self, first_local: datetime, until: date) -> list[datetime]:
        """Naive local start times of every occurrence from *first_local* up to *until* (inclusive)."""
        naive = first_local.replace(tzinfo=None)
        end = datetime.combine(until, datetime.max.time())
        if self.frequency == "maandelijks":
            rule = rrule.rrule(rrule.MONTHLY, dtstart=naive, until=end,
                               byweekday=_WEEKDAYS[self.weekday](self.nth))
        else:
            rule = rrule.rrule(rrule.WEEKLY, dtstart=naive, until=end,
                               interval=2 if self.frequency == "tweewekelijks" else 1)
        return list(rule)


def occurrences(frequency: str, first_start: datetime, until: date | None) -> list[datetime]:
    """UTC starts of every occurrence of a series, checked against the limits.

    Raises :class:`SeriesError` for a series without an end, one that ends before it starts,
    runs longer than :data:`MAX_SPAN_DAYS` or has more than :data:`MAX_OCCURRENCES`
    meetings, and for an occurrence whose local time does not exist or is ambiguous.
    """
    first_local = to_local(first_start)
    if until is None:
        raise SeriesError("Een reeks heeft een einddatum nodig (hoogstens een jaar na de eerste keer).")
    if until < first_local.date():
        raise SeriesError("De einddatum van de reeks ligt vóór de eerste keer.")
    last_allowed = first_local.date() + timedelta(days=MAX_SPAN_DAYS)
    if until > last_allowed:
        raise SeriesError(f"Een reeks mag hoogstens een jaar duren: kies een einddatum tot en met "
                          f"{last_allowed:%d-%m-%Y}.")
    rule = Rule.starting(frequency, first_local)
    local = rule.local_dates(first_local, until)
    if len(local) > MAX_OCCURRENCES:
        raise SeriesError(f"Deze reeks heeft {len(local)} bijeenkomsten; het maximum is {MAX_OCCURRENCES}. "
                          "Kies een eerdere einddatum.")
    starts = []
    for naive in local:
        try:
            starts.append(local_to_utc(naive.date(), naive.time(), dst="zomertijd"))
        except LocalTimeError as exc:
            raise SeriesError(f"De bijeenkomst van {naive:%d-%m-%Y} valt op de zomertijdwissel: {exc}") from None
    return starts


def shift_to_local_time(start_utc: datetime, like_utc: datetime) -> datetime:
    """*start_utc*'s local date at the local wall-clock time of *like_utc* (a series keeps its clock time)."""
    local_day, clock = to_local(start_utc).date(), to_local(like_utc).time()
    return local_to_utc(local_day, clock, dst="zomertijd")
