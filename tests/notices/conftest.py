"""The Demodam case scenario for the notification tests, and helpers to choose a delivery and run jobs."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest
from sqlmodel import func, select

from mda.core import clock
from mda.core.timeutil import LOCAL_TZ
from tests.cases.conftest import demodam_region, scenario  # noqa: F401
from tests.escalations.conftest import condition, ctx_of, in_app, ladder_people, raise_on  # noqa: F401
from tests.meetings.conftest import invite, plan, service, world  # noqa: F401


def at(day: date, hour: int = 7, minute: int = 30) -> datetime:
    """*day* at *hour* Amsterdam time, as UTC."""
    return datetime.combine(day, time(hour, minute), LOCAL_TZ).astimezone(UTC)


def run_job(app, name: str, moment: datetime) -> int:
    """Run the job *name* once at *moment*; how much it did."""
    from mda.jobs import run_due

    with app.app_context(), clock.frozen(moment):
        return run_due([name])[name]


def held(db, user=None) -> int:
    """How many notices wait for a digest (of *user*)."""
    from mda.notices.models import DigestNotice

    db.expire_all()
    query = select(func.count()).select_from(DigestNotice)
    if user is not None:
        query = query.where(DigestNotice.user_id == user.id)
    return db.exec(query).one()


@pytest.fixture
def choose(app, db):
    """Store *user*'s choice for some kinds through the service (as the settings page does)."""
    from mda import db as unit
    from mda.notices import services

    def set_(user, **choices: str) -> None:
        with app.test_request_context():
            s = unit.session()
            services.set_preferences(s, s.get(type(user), user.id), choices)
            unit.commit()

    return set_
