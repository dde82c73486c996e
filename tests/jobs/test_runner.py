"""The job runner: registry, CLI, settable clock, and reminders that go out exactly once."""

import threading
from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlmodel import select

from mda import create_app
from mda.core import clock, sharing
from mda.core.mail import outbox_messages
from mda.core.timeutil import LOCAL_TZ
from mda.jobs import load_jobs, run_due
from mda.jobs.models import JobMark
from mda.safety_plan import services
from tests.conftest import audit_rows, working_day

DEADLINE = working_day(20)


def at(day: date, hour: int = 7) -> datetime:
    """*day* at *hour* Amsterdam time, as UTC."""
    return datetime.combine(day, time(hour), LOCAL_TZ).astimezone(UTC)


@pytest.fixture
def action(db, scenario):
    """An open action of the LT professional, deadline in 20 days."""
    ctx = sharing.load_context(db, scenario.case)
    made = services.add_action(db, scenario.users["pol"], ctx, description="GEHEIM-ACTIE Huisbezoek bij het gezin",
                               deadline=DEADLINE, owner_user_id=scenario.users["lt"].id)
    db.commit()
    return made


def _run_at(app, moment: datetime) -> dict:
    with app.app_context(), clock.frozen(moment):
        return run_due()


def test_reminders_go_out_days_before_and_on_the_deadline_once_each(app, action, scenario, db):
    """Is the owner reminded N days before and on the deadline, once each, however often the job runs?"""
    days = app.config["ACTION_REMINDER_DAYS"]
    assert _run_at(app, at(DEADLINE - timedelta(days=days + 1)))["actieherinneringen"] == 0
    assert _run_at(app, at(DEADLINE - timedelta(days=days)))["actieherinneringen"] == 1
    assert _run_at(app, at(DEADLINE - timedelta(days=days), 18))["actieherinneringen"] == 0
    assert _run_at(app, at(DEADLINE))["actieherinneringen"] == 1
    assert _run_at(app, at(DEADLINE, 20))["actieherinneringen"] == 0
    messages = [m for _n, m in outbox_messages(app)]
    assert len(messages) == 2
    assert {m["To"] for m in messages} == {scenario.users["lt"].email}
    assert len(audit_rows(db, object_type="plan_action", action="create")) == 3  # the action + 2 reminders


def test_reminder_e_mail_holds_only_pseudonymous_references(app, action, scenario):
    """Does the reminder name the case reference and action number, but none of the action's text?"""
    _run_at(app, at(DEADLINE))
    (_name, message), = outbox_messages(app)
    body = message.get_content()
    assert scenario.case.reference in message["Subject"] and f"actie {action.id}" in body
    assert "GEHEIM-ACTIE" not in body and "Huisbezoek" not in body and "GEHEIM-ACTIE" not in message["Subject"]
    assert "http://mda.test/mijn-acties" in body


def test_finished_and_family_actions_get_no_reminder(app, db, action, scenario):
    """Are actions that are done, or owned by the family (no account), left alone?"""
    ctx = sharing.load_context(db, scenario.case)
    services.change_status(db, scenario.users["lt"], ctx, action, status="gereed", comment="Gedaan")
    services.add_action(db, scenario.users["pol"], ctx, description="Gezin belt", deadline=DEADLINE,
                        owner_is_family=True)
    db.commit()
    assert _run_at(app, at(DEADLINE))["actieherinneringen"] == 0


def test_a_moved_deadline_gets_its_own_reminder(app, db, action, scenario):
    """When the deadline moves, is the owner reminded of the new deadline too?"""
    _run_at(app, at(DEADLINE))
    ctx = sharing.load_context(db, scenario.case)
    action = services.load_action(db, ctx, action.id)
    services.update_action(db, scenario.users["pol"], ctx, action, description=action.description,
                           deadline=DEADLINE + timedelta(days=7), owner_user_id=scenario.users["lt"].id)
    db.commit()
    assert _run_at(app, at(DEADLINE + timedelta(days=7)))["actieherinneringen"] == 1


def test_two_runs_at_the_same_moment_send_each_reminder_once(app_config, action, scenario, db):
    """With two processes running the job at the same moment (PostgreSQL too), is each reminder sent once?"""
    apps = [create_app(app_config), create_app(app_config)]
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run(application):
        try:
            with application.app_context():
                barrier.wait(timeout=30)
                results.append(run_due()["actieherinneringen"])
        except Exception as exc:  # surfaced below
            errors.append(exc)

    with clock.frozen(at(DEADLINE)):
        threads = [threading.Thread(target=run, args=(a,)) for a in apps]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    for application in apps:
        application.extensions["mda_engine"].dispose()
    assert not errors, errors
    assert sorted(results) == [0, 1]
    assert len(outbox_messages(apps[0])) == 1
    assert len(db.exec(select(JobMark)).all()) == 1


def test_a_failing_job_is_rolled_back_and_the_others_still_run(app, monkeypatch, action):
    """Does one failing job leave nothing half-done and not stop the other jobs?"""
    from mda import jobs

    registry = load_jobs()
    calls = []

    def broken(db, now):
        from mda.jobs import claim

        claim(db, "kapot", "kapot")
        raise RuntimeError("boom")

    monkeypatch.setitem(registry, "kapot", jobs.Job("kapot", broken, "kapot"))
    monkeypatch.setitem(registry, "telt", jobs.Job("telt", lambda db, now: calls.append(now) or 7, "telt"))
    with app.app_context():
        results = run_due(["kapot", "telt"])
        from mda.db import session

        assert session().exec(select(JobMark).where(JobMark.key == "kapot")).first() is None
    assert results == {"kapot": -1, "telt": 7} and len(calls) == 1


def test_cli_runs_the_jobs_once(app, runner, action):
    """Does `flask --app mda jobs` run the jobs and report what each did, and list them?"""
    with clock.frozen(at(DEADLINE)):
        result = runner.invoke(args=["jobs"])
    assert result.exit_code == 0, result.output
    assert "actieherinneringen: 1 verwerkt" in result.output
    listed = runner.invoke(args=["jobs", "--list"])
    assert "actieherinneringen" in listed.output
    assert runner.invoke(args=["jobs", "--job", "bestaat-niet"]).exit_code != 0


def test_the_clock_can_be_set_and_released():
    """Does the jobs' clock return the set time inside `frozen`, and the real time afterwards?"""
    moment = datetime(2030, 1, 1, 12, tzinfo=UTC)
    with clock.frozen(moment):
        assert clock.now() == moment and clock.today() == date(2030, 1, 1)
    assert clock.now().year != 2030


def test_the_scheduler_runs_the_jobs_in_the_background(app, action):
    """Does the in-process scheduler (make run) run the jobs right after it starts?"""
    import time as _time

    with clock.frozen(at(DEADLINE)):
        from mda.jobs import start_scheduler

        scheduler = start_scheduler(app, minutes=60)
        try:
            for _ in range(300):  # polls until the background run wrote its e-mail
                if outbox_messages(app):
                    break
                _time.sleep(0.1)
        finally:
            scheduler.shutdown(wait=True)
    assert len(outbox_messages(app)) == 1
