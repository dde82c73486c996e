"""Working days in the Netherlands: Monday to Friday, Dutch public holidays excluded.

One answer for every rule that counts working days (the escalation ladder's time limits,
planning a meeting, chasing an overdue action); days are Europe/Amsterdam dates, holidays
come from the ``holidays`` package (Dutch names, King's Day moved when it falls on a Sunday,
Liberation Day in lustrum years).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import cache

import holidays

from mda.core.timeutil import LOCAL_TZ, as_utc


@cache
def _holidays(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("NL", years=year, language="nl")


def is_working_day(day: date) -> bool:
    """Monday to Friday and not a Dutch public holiday."""
    return day.weekday() < 5 and day not in _holidays(day.year)


def next_working_day(day: date) -> date:
    """The first working day after *day*."""
    day += timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def holiday_name(day: date) -> str | None:
    """The Dutch name of the public holiday on *day*, if any."""
    return _holidays(day.year).get(day)


def add_working_days(start: datetime, days: int) -> datetime:
    """*days* working days after *start*: the same Amsterdam clock time on the n-th working day after it.

    Weekends and Dutch public holidays do not count. A start outside a working day counts
    from the beginning of the next working day (so an escalation raised on Saturday has
    the full limit). The clock time is kept in Amsterdam, so a limit that crosses the change
    to winter time ends at the same hour on the wall, one more hour later in UTC.
    """
    local = as_utc(start).astimezone(LOCAL_TZ)
    if not is_working_day(local.date()):
        day = local.date()
        while not is_working_day(day):
            day += timedelta(days=1)
        local = datetime.combine(day, time(0, 0), tzinfo=LOCAL_TZ)
    day, left = local.date(), days
    while left > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            left -= 1
    return as_utc(datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=LOCAL_TZ))
