"""The fictional demo plans: loaded once, in the states the issue lists."""

from sqlmodel import select

from mda.cases.models import Case
from mda.safety_plan.models import PlanAction, PlanVersion
from tests.cases.test_demo_cases import _load


def _plan_of(db, reference):
    case = db.exec(select(Case).where(Case.reference == reference)).one()
    actions = db.exec(select(PlanAction).where(PlanAction.case_id == case.id)).all()
    plan_versions = db.exec(select(PlanVersion).where(PlanVersion.case_id == case.id)).all()
    return actions, plan_versions


def test_demo_plans_load_once_in_every_state(app, db):
    """Is there an approved plan with overdue and finished actions, a draft, and failed actions of both reasons?"""
    assert _load(app, db) > 0
    assert _load(app, db) == 0
    from mda.safety_plan.views import today

    actions, plan_versions = _plan_of(db, "MDA-2026-0001")
    assert [v.number for v in plan_versions if v.status == "vastgesteld"] == [1]
    assert any(a.is_open and a.deadline < today() for a in actions) and any(a.status == "gereed" for a in actions)
    actions, plan_versions = _plan_of(db, "MDA-2026-0002")
    assert [v.status for v in plan_versions] == ["voorgesteld"]
    actions, _ = _plan_of(db, "MDA-2026-0003")
    assert {a.failure_reason for a in actions if a.status == "niet_gelukt"} == {"omstandigheden", "niet_uitgevoerd"}
    assert all("(fictief)" in a.description for a in db.exec(select(PlanAction)))
