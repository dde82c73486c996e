"""The demo escalations: one at each level, an acute one with hours left, an overdue one, a decided one."""

from sqlmodel import select

from mda.core.clock import now
from mda.demo import load_demo
from mda.escalations.models import Escalation
from mda.jobs import run_due


def _load(app):
    with app.app_context():
        from mda import db as dbmod

        with dbmod.unit_of_work() as s:
            return load_demo(s)


def test_demo_escalations_cover_every_situation_and_load_once(app, db):
    """Are there escalations at levels 1-3, an acute one with hours left, an overdue one and a decided one, once?"""
    _load(app)
    first = db.exec(select(Escalation)).all()
    assert _load(app) == 0 and len(db.exec(select(Escalation)).all()) == len(first)
    open_ = [e for e in first if e.is_open]
    assert {e.level for e in open_} == {1, 2, 3}
    moment = now()
    assert any(e.urgency == "acuut" and 0 < (e.deadline_at - moment).total_seconds() < 6 * 3600 for e in open_)
    assert any(e.deadline_at < moment for e in open_)
    decided = [e for e in first if e.status == "besluit"]
    assert decided and decided[0].plan_change_ref and "(fictief)" in decided[0].decision


def test_the_job_moves_the_overdue_demo_escalation_up(app, db):
    """Does the next job run move the overdue demo escalation up one level?"""
    _load(app)
    overdue = {e.id: e.level for e in db.exec(select(Escalation)).all() if e.is_open and e.deadline_at < now()}
    with app.app_context():
        assert run_due(["escalatietermijnen"])["escalatietermijnen"] >= len(overdue) >= 1
    db.expire_all()
    assert all(db.get(Escalation, eid).level == level + 1 for eid, level in overdue.items() if level < 3)
