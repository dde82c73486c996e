"""The jobs' clock: the real time, unless a test set it.

Every time-driven decision (is a reminder due, has a deadline passed) reads :func:`now`,
so a test can move time with :func:`set_now` / :func:`frozen` instead of sleeping.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime

from mda.core.timeutil import LOCAL_TZ, as_utc, utcnow

_fixed: datetime | None = None


def now() -> datetime:
    """The current time (aware UTC), or the time a test set."""
    return _fixed if _fixed is not None else utcnow()


def today() -> date:
    """Today's date in Europe/Amsterdam by :func:`now`."""
    return now().astimezone(LOCAL_TZ).date()


def set_now(value: datetime | None) -> None:
    """Fix the clock at *value* (None: back to real time)."""
    global _fixed
    _fixed = as_utc(value) if value is not None else None


@contextmanager
def frozen(value: datetime) -> Iterator[None]:
    """Within the block, :func:`now` is *value*."""
    previous = _fixed
    set_now(value)
    try:
        yield
    finally:
        set_now(previous)


__all__ = ["date", "datetime", "frozen", "now", "set_now", "today"]
