"""The Demodam case scenario plus the people of the escalation ladder and a disputed VT condition."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from mda.core import clock, sharing
from mda.core.timeutil import LOCAL_TZ
from mda.safety_plan import services as plan
from tests.cases.conftest import api_post, demodam_region, scenario, strict_covenant, switch_to  # noqa: F401


def at(day, hour: int = 10, minute: int = 0) -> datetime:
    """*day* at *hour* Amsterdam time, as UTC."""
    return datetime.combine(day, time(hour, minute), LOCAL_TZ).astimezone(UTC)


@pytest.fixture
def ctx_of(db):
    """The sharing context of a case, loaded fresh in the test session."""

    def load(case) -> sharing.CaseContext:
        db.expire_all()
        return sharing.load_context(db, db.get(type(case), case.id))

    return load


@pytest.fixture
def ladder_people(db, scenario, make_user):  # noqa: F811
    """Team lead of VT, managers of VT and LT, the ZVH bestuurder (LT's team lead is in the scenario)."""
    o = scenario.orgs
    scenario.users["vt_lead"] = make_user(roles=("team_lead",), org=o["VT"])
    scenario.users["vt_manager"] = make_user(roles=("manager",), org=o["VT"])
    scenario.users["lt_manager"] = make_user(roles=("manager",), org=o["LT"])
    scenario.users["bestuurder"] = make_user(roles=("bestuurder",), org=o["ZVH"])
    scenario.users["om_manager"] = make_user(roles=("manager",), org=o["OM"])
    return scenario


@pytest.fixture
def condition(db, ladder_people, ctx_of):
    """A safety condition set by VT in the case's plan."""
    s = ladder_people
    entry = plan.add_entry(db, s.users["vt"], ctx_of(s.case), section="voorwaarde",
                           text="GEHEIM-VOORWAARDE Vader heeft geen contact met de kinderen")
    db.commit()
    return entry


@pytest.fixture
def frozen_clock():
    """Set the jobs' clock (and so the escalations' clock) for the test; back to real time after."""

    def freeze(moment: datetime) -> None:
        clock.set_now(moment)

    yield freeze
    clock.set_now(None)


@pytest.fixture
def raise_on(db, ladder_people, ctx_of):
    """Raise an escalation as the LT professional against VT, on *entry* (or on the case's phase)."""
    from mda.escalations import services

    def make(entry=None, urgency: str = "regulier", user_key: str = "lt"):
        s = ladder_people
        esc = services.raise_escalation(
            db, s.users[user_key], ctx_of(s.case), subject_kind="plan_entry" if entry else "fase",
            subject_id=entry.id if entry else None, subject_text="voorwaarde: contact vader",
            urgency=urgency, other_organisation_id=s.orgs["VT"].id,
            position="GEHEIM-STANDPUNT-LT Contact onder begeleiding is veilig genoeg",
            risk_argument="GEHEIM-RISICO kinderen missen vader")
        commit()
        return esc

    return make


@pytest.fixture
def in_app(app, db):
    """Service tests: an app context whose unit of work is the test's session (so e-mail goes out on commit).

    Not for tests that use the test client: a request would share this context.
    """
    from flask import g

    with app.app_context():
        g.db_session, g.after_commit = db, []
        yield
        g.pop("db_session", None)


def commit() -> None:
    """Commit the test's unit of work and run what waited for the commit (e-mail)."""
    from mda import db as database

    database.commit()


@pytest.fixture
def seeded(app, db, raise_on, condition):
    """An escalation by LT's professional against VT's condition, made outside any request."""
    from flask import g

    with app.app_context():
        g.db_session, g.after_commit = db, []
        esc = raise_on(condition)
        g.pop("db_session", None)
    return esc
