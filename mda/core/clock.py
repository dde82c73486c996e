"""The application's clock: every "now" in MDA++ reads :func:`now`.

In production it is the real time. A test sets it to a named instant with :func:`set_now`
or :func:`frozen`, either standing still or running on from there (``tick=True``, which
tests use by default so that the order of events is kept), instead of sleeping or depending
on the day the suite happens to run. Deadlines, reminders, working days and "today" all
follow it; only protocol timers that are not part of the domain (cookie expiry, CSRF token
age, TOTP windows, rate-limit windows) keep the machine's time.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

#: the time zone every user sees and enters times in
LOCAL_TZ = ZoneInfo("Europe/Amsterdam")

_fixed: datetime | None = None
_ticking_since: float | None = None


def now() -> datetime:
    """The current time as an aware UTC datetime (or the time a test set)."""
    if _fixed is None:
        return datetime.now(UTC)
    if _ticking_since is None:
        return _fixed
    return _fixed + timedelta(seconds=time.monotonic() - _ticking_since)


def today() -> date:
    """Today's date in Europe/Amsterdam."""
    return now().astimezone(LOCAL_TZ).date()


def set_now(value: datetime | None, *, tick: bool = False) -> None:
    """Set the clock at *value* (None: back to the real time); with *tick* it runs on from there.

    A naive *value* is read as UTC, as stored times are.
    """
    global _fixed, _ticking_since
    if value is None:
        _fixed = _ticking_since = None
        return
    _fixed = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    _ticking_since = time.monotonic() if tick else None


def is_set() -> bool:
    """Whether a test set the clock."""
    return _fixed is not None


@contextmanager
def frozen(value: datetime, *, tick: bool = False) -> Iterator[None]:
    """Within the block, :func:`now` is *value* (running on from it with *tick*)."""
    previous = (_fixed, _ticking_since)
    set_now(value, tick=tick)
    try:
        yield
    finally:
        _restore(*previous)


def _restore(fixed: datetime | None, ticking_since: float | None) -> None:
    global _fixed, _ticking_since
    _fixed, _ticking_since = fixed, ticking_since
