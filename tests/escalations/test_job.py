"""The job runner moves escalations up when a level's time limit passes, once, and warns before it does."""

import threading
from datetime import date, timedelta

import pytest
from sqlmodel import select

from mda import create_app
from mda.core import clock
from mda.escalations.models import Escalation, EscalationStep
from mda.jobs import run_due
from mda.jobs.models import JobMark
from tests.escalations.conftest import at

JOB = "escalatietermijnen"
CHRISTMAS_EVE = date(2026, 12, 24)  # a Thursday; Friday 25 is a public holiday, then the weekend


def _run(app, moment) -> int:
    with app.app_context(), clock.frozen(moment):
        return run_due([JOB])[JOB]


def _fresh(db, esc) -> Escalation:
    db.expire_all()
    return db.get(Escalation, esc.id)


def test_a_regular_escalation_moves_up_after_its_working_days_skipping_weekend_and_holiday(
        app, db, in_app, frozen_clock, raise_on, condition):
    """Raised Thu 24-12 10:00 with 2 working days: still level 1 on Mon 28-12, level 2 on Tue 29-12 10:00?"""
    frozen_clock(at(CHRISTMAS_EVE, 10))
    esc = raise_on(condition)
    assert _run(app, at(date(2026, 12, 28), 9)) == 0  # Monday: one working day gone, 25 hours left
    assert _fresh(db, esc).level == 1
    assert _run(app, at(date(2026, 12, 29), 9, 59)) == 1  # the warning (24 hours ahead), no move
    assert _fresh(db, esc).level == 1
    assert _run(app, at(date(2026, 12, 29), 10)) == 1
    moved = _fresh(db, esc)
    assert moved.level == 2 and moved.status == "in_behandeling"
    assert moved.deadline_at > at(date(2026, 12, 31), 10)  # level 2: three working days from the 29th
    assert _run(app, at(date(2026, 12, 29), 11)) == 0  # again: nothing more
    assert _fresh(db, esc).level == 2


def test_an_acute_escalation_moves_up_after_its_hours(app, db, in_app, frozen_clock, raise_on, condition):
    """Raised acute on a Saturday at 10:00 with 4 hours: level 2 at 14:00, not before?"""
    saturday = date(2026, 11, 21)
    frozen_clock(at(saturday, 10))
    esc = raise_on(condition, urgency="acuut")
    _run(app, at(saturday, 13, 59))
    assert _fresh(db, esc).level == 1
    _run(app, at(saturday, 14))
    assert _fresh(db, esc).level == 2
    kinds = [s.kind for s in db.exec(select(EscalationStep).where(EscalationStep.escalation_id == esc.id))]
    assert kinds.count("auto_moved_up") == 1 and "meeting_proposed" in kinds


def test_deciders_are_warned_once_before_the_limit(app, db, in_app, frozen_clock, raise_on, condition,
                                                   ladder_people):
    """An hour before an acute limit, are deciders and parties warned, once however often the job runs?"""
    from mda.escalations.models import Notification

    saturday = date(2026, 11, 21)
    frozen_clock(at(saturday, 10))
    esc = raise_on(condition, urgency="acuut")
    before = len(db.exec(select(Notification)).all())
    assert _run(app, at(saturday, 13, 5)) == 1
    assert _run(app, at(saturday, 13, 30)) == 0
    warnings = db.exec(select(Notification).where(Notification.escalation_id == esc.id)).all()[before:]
    assert {n.user_id for n in warnings} >= {ladder_people.users["vt_lead"].id, ladder_people.users["lt"].id}
    assert all("verloopt" in n.text and "GEHEIM" not in n.text for n in warnings)


def test_at_the_top_level_the_job_reports_once_and_moves_nothing(app, db, in_app, frozen_clock, raise_on,
                                                                  condition, ladder_people, ctx_of):
    """When the limit passes at level 3, does the job leave the level alone and tell the deciders once?"""
    from mda.escalations import services

    frozen_clock(at(date(2026, 11, 21), 10))
    esc = raise_on(condition, urgency="acuut")
    for _ in range(2):
        services.move_up(__import__("mda").db.session(), ladder_people.users["lt"], ctx_of(ladder_people.case),
                         _fresh(db, esc), reason="Hoger")
        __import__("mda").db.commit()
    late = at(date(2026, 11, 23), 10)
    assert _run(app, late) == 1 and _run(app, late + timedelta(hours=1)) == 0
    assert _fresh(db, esc).level == 3


def test_a_decided_escalation_is_not_moved_up(app, db, in_app, frozen_clock, raise_on, condition, ladder_people,
                                              ctx_of):
    """After the decision, does the passing limit leave the escalation alone?"""
    from mda import db as database
    from mda.escalations import services

    frozen_clock(at(date(2026, 11, 21), 10))
    esc = raise_on(condition, urgency="acuut")
    services.decide(database.session(), ladder_people.users["vt_lead"], ctx_of(ladder_people.case),
                    _fresh(db, esc), decision="Besluit", reasons="Redenen")
    database.commit()
    assert _run(app, at(date(2026, 11, 22), 10)) == 0
    assert _fresh(db, esc).level == 1


@pytest.mark.parametrize("attempt", range(2))
def test_two_job_runs_at_once_move_up_once(app_config, db, frozen_clock, raise_on, condition, in_app, attempt):
    """With two processes running the job at the same moment (PostgreSQL too), does it move up exactly once?"""
    frozen_clock(at(date(2026, 11, 21), 10))
    esc = raise_on(condition, urgency="acuut")
    apps = [create_app(app_config), create_app(app_config)]
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run(application):
        try:
            with application.app_context():
                barrier.wait(timeout=30)
                results.append(run_due([JOB])[JOB])
        except Exception as exc:  # surfaced below
            errors.append(exc)

    with clock.frozen(at(date(2026, 11, 21), 15)):
        threads = [threading.Thread(target=run, args=(a,)) for a in apps]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    for application in apps:
        application.extensions["mda_engine"].dispose()
    assert not errors, errors
    assert sorted(results) in ([0, 1], [-1, 1])  # the loser did nothing (or was rolled back, SQLite busy)
    moved = _fresh(db, esc)
    assert moved.level == 2
    steps = db.exec(select(EscalationStep).where(EscalationStep.escalation_id == esc.id,
                                                 EscalationStep.kind == "auto_moved_up")).all()
    assert len(steps) == 1
    assert len(db.exec(select(JobMark).where(JobMark.job == JOB)).all()) == 1


def test_two_deciders_at_once_only_one_decision_stands(app_config, db, frozen_clock, raise_on, condition,
                                                       ladder_people, in_app):
    """VT's and LT's team leads decide at the same moment: is exactly one decision stored, the other refused?"""
    from mda import db as database
    from mda.auth.services import ServiceError
    from mda.core import sharing
    from mda.escalations import services

    esc = raise_on(condition)
    start_version = esc.version
    apps = [create_app(app_config), create_app(app_config)]
    barrier = threading.Barrier(2)
    outcomes = []

    def decide(application, user_key):
        with application.app_context():
            s = database.session()
            try:
                ctx = sharing.load_context(s, s.get(type(ladder_people.case), ladder_people.case.id))
                target = s.get(Escalation, esc.id)
                barrier.wait(timeout=30)
                services.decide(s, s.get(type(ladder_people.users[user_key]), ladder_people.users[user_key].id),
                                ctx, target, decision=f"Besluit van {user_key}", reasons="Redenen",
                                expected_version=target.version)
                database.commit()
                outcomes.append("ok")
            except ServiceError:
                database.rollback()
                outcomes.append("refused")
            except Exception as exc:  # SQLite: the loser may get "database is locked" instead
                database.rollback()
                outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=decide, args=(a, k)) for a, k in zip(apps, ("vt_lead", "lt_lead"),
                                                                            strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for application in apps:
        application.extensions["mda_engine"].dispose()
    assert outcomes.count("ok") == 1, outcomes
    if db.get_bind().dialect.name == "postgresql":
        assert sorted(outcomes) == ["ok", "refused"]
    decided = _fresh(db, esc)
    assert decided.status == "besluit" and decided.version == start_version + 1
