"""Overdue actions are chased, and organisation-owned actions remind someone: the team lead(s) and the
organisation's mailbox."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from mda.core import clock, sharing
from mda.core.mail import outbox_messages
from mda.core.timeutil import LOCAL_TZ
from mda.core.workdays import next_working_day
from mda.jobs import run_due
from mda.safety_plan import services
from tests.conftest import audit_rows, working_day

DEADLINE = working_day(20)


def at(day: date, hour: int = 7) -> datetime:
    """*day* at *hour* Amsterdam time, as UTC."""
    return datetime.combine(day, time(hour), LOCAL_TZ).astimezone(UTC)


def _run_at(app, day: date, hour: int = 7) -> int:
    with app.app_context(), clock.frozen(at(day, hour)):
        return run_due(["actieherinneringen"])["actieherinneringen"]


def _sent_to(app) -> list[str]:
    return [m["To"] for _n, m in outbox_messages(app)]


@pytest.fixture
def personal(db, scenario):
    """An open action of the LT professional."""
    ctx = sharing.load_context(db, scenario.case)
    made = services.add_action(db, scenario.users["pol"], ctx, description="GEHEIM-ACTIE Huisbezoek",
                               deadline=DEADLINE, owner_user_id=scenario.users["lt"].id)
    db.commit()
    return made


@pytest.fixture
def owned_by_lt(db, scenario):
    """An open action owned by the LT organisation as a whole."""
    ctx = sharing.load_context(db, scenario.case)
    made = services.add_action(db, scenario.users["pol"], ctx, description="GEHEIM-ORG Gesprek met school",
                               deadline=DEADLINE, owner_organisation_id=scenario.orgs["LT"].id)
    db.commit()
    return made


def test_an_overdue_action_is_chased_the_next_working_day_and_weekly_until_closed(app, db, scenario, personal):
    """After the deadline, is the owner reminded on the next working day, then once a week (however often the
    job runs), and no more once the action is done?"""
    first = next_working_day(DEADLINE)
    _run_at(app, DEADLINE)  # the deadline's own reminder
    before = len(_sent_to(app))
    assert _run_at(app, first) == 1
    assert _run_at(app, first, 16) == 0
    assert _run_at(app, next_working_day(first)) == 0  # not daily
    assert _run_at(app, first + timedelta(days=7)) == 1  # a week later
    assert _run_at(app, first + timedelta(days=8)) == 0
    sent = _sent_to(app)[before:]
    assert sent == [scenario.users["lt"].email] * 2
    (_n, message), *_ = outbox_messages(app)[before:]
    assert "Termijn verstreken" in message["Subject"] and "GEHEIM" not in message.get_content()
    ctx = sharing.load_context(db, scenario.case)
    services.change_status(db, scenario.users["lt"], ctx, services.load_action(db, ctx, personal.id),
                           status="gereed", comment="Gedaan")
    db.commit()
    assert _run_at(app, first + timedelta(days=14)) == 0


def test_not_possible_or_not_undertaken_stops_the_chase(app, db, scenario, personal):
    """Does marking the action 'niet gelukt' (with one of the two reasons) stop the weekly reminders?"""
    first = next_working_day(DEADLINE)
    assert _run_at(app, first) == 1
    ctx = sharing.load_context(db, scenario.case)
    services.change_status(db, scenario.users["lt"], ctx, services.load_action(db, ctx, personal.id),
                           status="niet_gelukt", failure_reason="omstandigheden", comment="Gezin verhuisd")
    db.commit()
    assert _run_at(app, first + timedelta(days=7)) == 0


def test_a_replanned_action_is_not_chased_until_its_new_deadline_passes(app, db, scenario, personal):
    """When the deadline is moved after it passed, do the overdue reminders stop until the new one passes?"""
    first = next_working_day(DEADLINE)
    assert _run_at(app, first) == 1
    ctx = sharing.load_context(db, scenario.case)
    action = services.load_action(db, ctx, personal.id)
    new_deadline = first + timedelta(days=14)
    services.update_action(db, scenario.users["pol"], ctx, action, description=action.description,
                           deadline=new_deadline, owner_user_id=scenario.users["lt"].id)
    db.commit()
    assert _run_at(app, first + timedelta(days=7)) == 0
    assert _run_at(app, next_working_day(new_deadline)) == 1


def test_a_weekly_reminder_that_falls_on_a_holiday_goes_out_on_the_next_working_day(app, db, scenario):
    """With the deadline on Thursday 17 December 2026, is the first reminder sent on Friday the 18th, the weekly
    one not on Christmas Day (Friday the 25th) but on Monday the 28th, and the next not on New Year's Day but on
    Monday 4 January?"""
    ctx = sharing.load_context(db, scenario.case)
    services.add_action(db, scenario.users["pol"], ctx, description="Kerst", deadline=date(2026, 12, 17),
                        owner_user_id=scenario.users["lt"].id)
    db.commit()
    sent = {day: _run_at(app, day) for day in (date(2026, 12, 18) + timedelta(days=d) for d in range(0, 18))}
    assert [day for day, count in sent.items() if count] == [date(2026, 12, 18), date(2026, 12, 28),
                                                              date(2027, 1, 4)]


def test_an_organisation_owned_action_reminds_its_team_lead_and_mailbox(app, db, scenario, owned_by_lt, make_user):
    """Does the deadline reminder of an action the LT organisation owns go to the LT team lead (not to the
    other LT professionals) and to the organisation's mailbox, audited without the address?"""
    org = db.get(type(scenario.orgs["LT"]), scenario.orgs["LT"].id)
    org.mailbox = "wijkteam-demodam@example.test"
    db.add(org)
    db.commit()
    assert _run_at(app, DEADLINE) == 1
    assert sorted(_sent_to(app)) == sorted([scenario.users["lt_lead"].email, "wijkteam-demodam@example.test"])
    (row,) = [r for r in audit_rows(db, object_type="plan_action", action="create") if "herinnering" in r.summary]
    assert f"gebruiker {scenario.users['lt_lead'].id}" in row.summary and "example.test" not in row.summary
    assert _run_at(app, DEADLINE, 18) == 0
    assert _run_at(app, next_working_day(DEADLINE)) == 1  # chased when overdue as well


def test_an_organisation_owned_action_without_lead_or_mailbox_is_left_to_the_overview(app, db, scenario):
    """Is an action of an organisation without a team lead or mailbox (the police here) sent to nobody else
    (the coordinator's overview lists it), and not marked as sent?"""
    ctx = sharing.load_context(db, scenario.case)
    services.add_action(db, scenario.users["pol"], ctx, description="Politie", deadline=DEADLINE,
                        owner_organisation_id=scenario.orgs["POL"].id)
    db.commit()
    assert _run_at(app, DEADLINE) == 0 and _sent_to(app) == []


def _digest_at(app, day: date, hour: int = 7) -> int:
    with app.app_context(), clock.frozen(at(day, hour)):
        return run_due(["regieoverzicht_acties"])["regieoverzicht_acties"]


def test_the_coordinator_gets_a_daily_digest_of_overdue_and_unowned_actions(app, db, scenario, personal, owned_by_lt):
    """On a working day after the deadline, does the case's coordinator (only she) get one e-mail counting the two
    overdue actions, one of them the organisation's without a person, with the case reference, a link and no text;
    once a day, and none on a Saturday?"""
    first = next_working_day(DEADLINE)
    assert _digest_at(app, first) == 1
    assert _digest_at(app, first, 16) == 0
    (_n, message), = outbox_messages(app)
    body = message.get_content()
    assert message["To"] == scenario.users["coordinator"].email
    assert "vragen 2 actie(s) aandacht" in body and "(2)" in message["Subject"]
    assert "- 2 over de termijn" in body and "- 1 zonder persoon als eigenaar" in body
    assert scenario.case.reference in body and "http://mda.test/regie/acties" in body and "GEHEIM" not in body
    saturday = first + timedelta(days=(5 - first.weekday()) % 7)
    assert saturday.weekday() == 5 and _digest_at(app, saturday) == 0


def test_no_digest_when_nothing_needs_attention(app, db, scenario, personal):
    """With only an action on track (a person as owner, deadline ahead), is no digest sent?"""
    assert _digest_at(app, DEADLINE - timedelta(days=7)) == 0 and outbox_messages(app) == []


def test_taken_off_the_circle_the_owner_is_reminded_no_more_and_the_organisation_picks_the_action_up(
        app, db, scenario, personal):
    """When the coordinator takes the LT professional off the circle, does their open action go to LT as an
    organisation (audited with ids only), so that LT's team lead is reminded at the deadline and the former owner,
    whom the case is now closed to, gets no mail naming it?"""
    from mda.cases import circle
    from mda.safety_plan.models import PlanAction

    lt, lead = scenario.users["lt"], scenario.users["lt_lead"]
    circle.remove_member(db, scenario.users["coordinator"], sharing.load_context(db, scenario.case), lt.id)
    db.commit()
    db.expire_all()
    action = db.get(PlanAction, personal.id)
    assert (action.owner_user_id, action.owner_organisation_id) == (None, scenario.orgs["LT"].id)
    (row,) = [r for r in audit_rows(db, object_type="plan_action", action="update") if r.object_id == str(action.id)]
    assert f"gebruiker {lt.id}" in row.summary and lt.email not in row.summary and lt.name not in row.summary
    before = len(_sent_to(app))
    assert _run_at(app, DEADLINE) == 1
    assert _sent_to(app)[: len(_sent_to(app)) - before] == [lead.email]


def test_a_reminder_never_goes_to_an_owner_the_case_is_closed_to(app, db, scenario, personal):
    """Should an action still name an owner the case is closed to (their account moved to an organisation outside
    the circle), is that owner sent nothing?"""
    from mda.auth.models import User

    owner = db.get(User, scenario.users["lt"].id)
    owner.organisation_id = scenario.orgs["OM"].id  # OM is not in the circle: rule 1 closes the case to them
    db.commit()
    before = len(_sent_to(app))
    _run_at(app, DEADLINE)
    assert owner.email not in _sent_to(app)[: len(_sent_to(app)) - before]
