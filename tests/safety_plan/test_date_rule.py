"""One date rule for what is stored (1900-2199): the plan form and the plan API refuse other dates in Dutch."""

from sqlmodel import select

from mda.safety_plan.models import PlanAction, SafetyPlan
from tests.cases.conftest import api_post
from tests.conftest import form_post


def test_an_evaluation_date_in_the_year_9999_from_the_form_is_refused_in_dutch(app, client, auth, db, scenario):
    """Is a next evaluation on 31-12-9999 refused with a Dutch message naming the date (422, on the plan page
    itself), nothing stored?"""
    auth.login(scenario.users["lt"])
    resp = form_post(app, client, f"/casussen/{scenario.case.id}/plan/evaluatie",
                     {"next_evaluation_on": "9999-12-31"})
    assert resp.status_code == 422
    assert "31-12-9999 ligt buiten het bereik" in resp.text and "Veiligheidsplan casus" in resp.text
    db.expire_all()
    assert all(p.next_evaluation_on is None for p in db.exec(select(SafetyPlan)).all())


def test_an_evaluation_date_in_range_from_the_form_is_stored(app, client, auth, db, scenario):
    """Is a next evaluation on 31-12-2199 (the last day of the range) stored?"""
    auth.login(scenario.users["lt"])
    resp = form_post(app, client, f"/casussen/{scenario.case.id}/plan/evaluatie",
                     {"next_evaluation_on": "2199-12-31"})
    assert resp.status_code == 302
    db.expire_all()
    assert str(db.exec(select(SafetyPlan.next_evaluation_on)).one()) == "2199-12-31"


def test_an_api_action_dated_in_the_year_968_is_refused_in_dutch(app, client, auth, db, scenario):
    """Is an API action with deadline 0968-07-29 (even with the past deadline confirmed) a Dutch 422, not stored?"""
    auth.login(scenario.users["lt"])
    resp = api_post(app, client, f"/api/v1/cases/{scenario.case.id}/plan/actions",
                    {"description": "Gesprek", "deadline": "0968-07-29", "owner_user_id": scenario.users["lt"].id,
                     "confirm_past_deadline": True})
    assert resp.status_code == 422
    assert "29-07-0968 ligt buiten het bereik" in resp.json["message"]
    db.expire_all()
    assert db.exec(select(PlanAction)).all() == []
