"""Re-planning an action: a new deadline only with a reason, kept in its history; the chase starts afresh."""

from datetime import date

import pytest
from sqlmodel import select

from mda.core import sharing
from mda.safety_plan import services
from mda.safety_plan.models import ActionStatusChange, PlanAction
from tests.conftest import audit_rows, form_post, text_of, working_day


@pytest.fixture
def overdue(db, scenario):
    """An overdue action of the LT professional, brought in by the police."""
    ctx = sharing.load_context(db, scenario.case)
    action = services.add_action(db, scenario.users["pol"], ctx, description="Huisbezoek", deadline=date(2026, 11, 20),
                                 owner_user_id=scenario.users["lt"].id, allow_past_deadline=True)
    db.commit()
    return action


def test_the_owner_replans_an_overdue_action_with_a_reason(app, client, auth, db, scenario, overdue):
    """Can the owner give the overdue action a new deadline from Mijn acties, with the reason kept in the action's
    history and an audit row holding dates only?"""
    new = working_day(10)
    auth.login(scenario.users["lt"])
    assert "Nieuwe termijn afspreken" in client.get("/mijn-acties").text
    resp = form_post(app, client, f"/casussen/{scenario.case.id}/plan/acties/{overdue.id}/termijn",
                     {"deadline": new.isoformat(), "reason": "Gezin was op vakantie", "terug": "mijn-acties"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/mijn-acties")
    db.expire_all()
    assert db.get(PlanAction, overdue.id).deadline == new
    (change,) = db.exec(select(ActionStatusChange).where(ActionStatusChange.action_id == overdue.id)).all()
    assert "Gezin was op vakantie" in change.comment and "20-11-2026" in change.comment
    (row,) = [r for r in audit_rows(db, object_type="plan_action", action="update") if "opnieuw gepland" in r.summary]
    assert "vakantie" not in row.summary


def test_replanning_without_a_reason_or_into_the_past_is_refused_keeping_the_input(app, client, auth, db, scenario,
                                                                                   overdue):
    """Is a new deadline without a reason (or in the past) refused with a Dutch message, nothing changed, and the
    typed date and reason shown again in the open form?"""
    auth.login(scenario.users["lt"])
    url = f"/casussen/{scenario.case.id}/plan/acties/{overdue.id}/termijn"
    no_reason = form_post(app, client, url, {"deadline": working_day(10).isoformat(), "reason": ""})
    assert no_reason.status_code == 422 and "Schrijf waarom" in text_of(no_reason.text)
    assert f'value="{working_day(10).isoformat()}"' in no_reason.text
    past = form_post(app, client, url, {"deadline": "2026-11-25", "reason": "Te laat gezien"})
    assert past.status_code == 422 and "in het verleden" in text_of(past.text)
    assert ">Te laat gezien</textarea>" in past.text
    db.expire_all()
    assert db.get(PlanAction, overdue.id).deadline == date(2026, 11, 20)


def test_someone_else_of_the_circle_may_not_replan(app, client, auth, db, scenario, overdue):
    """Is the GGZ professional (not owner, not its organisation, not the source) refused?"""
    auth.login(scenario.users["ggz"])
    resp = form_post(app, client, f"/casussen/{scenario.case.id}/plan/acties/{overdue.id}/termijn",
                     {"deadline": working_day(10).isoformat(), "reason": "Zomaar"})
    assert resp.status_code == 422 and "Alleen de eigenaar" in text_of(resp.text)
