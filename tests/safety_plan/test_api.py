"""The plan API: the engine's views as JSON, Dutch errors, and the OpenAPI document."""


from sqlmodel import select

from mda.core import sharing
from mda.safety_plan import services
from mda.safety_plan.models import PlanAction
from tests.cases.conftest import api_post
from tests.conftest import working_day

FUTURE = working_day(10)


def test_plan_json_withholds_special_content(client, auth, db, scenario):
    """Does the plan JSON hold GGZ content only as 'niet gedeeld' for the police, with the basis for the rest?"""
    s = scenario
    ctx = sharing.load_context(db, s.case)
    services.add_entry(db, s.users["ggz"], ctx, section="doel", text="GEHEIM-GGZ behandeling", category="gezondheid")
    services.add_action(db, s.users["lt"], ctx, description="Huisbezoek", deadline=FUTURE, owner_is_family=True)
    db.commit()
    auth.login(s.users["pol"])
    resp = client.get(f"/api/v1/cases/{s.case.id}/plan")
    assert resp.status_code == 200
    assert "GEHEIM-GGZ" not in resp.text
    entry = resp.json["entries"][0]
    assert entry["shared"] is False and entry["text"] is None and entry["niet_gedeeld"].startswith("Niet gedeeld")
    action = resp.json["actions"][0]
    assert action["description"] == "Huisbezoek" and "art. 7.1" in action["basis"]


def test_actions_and_status_changes_through_the_api(app, client, auth, db, scenario):
    """Can a partner add an action and change its status over the API, with Dutch 422s for bad input?"""
    s = scenario
    auth.login(s.users["lt"])
    url = f"/api/v1/cases/{s.case.id}/plan/actions"
    created = api_post(app, client, url, {"description": "Gesprek", "deadline": FUTURE.isoformat(),
                                          "owner_user_id": s.users["lt"].id})
    assert created.status_code == 201 and created.json["owner_organisation"] == s.orgs["LT"].name
    outside = api_post(app, client, url, {"description": "X", "deadline": FUTURE.isoformat(),
                                          "owner_user_id": s.users["om"].id})
    assert outside.status_code == 422 and "kring" in outside.json["message"]
    missing = api_post(app, client, url, {"description": "X"})
    assert missing.status_code == 422 and "deadline" in missing.json["message"]
    status_url = f"{url}/{created.json['id']}/status"
    failed = api_post(app, client, status_url, {"status": "niet_gelukt", "comment": "Verhuisd"})
    assert failed.status_code == 422 and "waarom" in failed.json["message"]
    done = api_post(app, client, status_url, {"status": "niet_gelukt", "comment": "Verhuisd",
                                              "failure_reason": "omstandigheden"})
    assert done.status_code == 200 and done.json["failure_reason"] == "omstandigheden"
    db.expire_all()
    assert len(db.exec(select(PlanAction)).all()) == 1
    mine = client.get("/api/v1/me/actions")
    assert mine.json["total"] == 1 and mine.json["actions"][0]["status"] == "niet_gelukt"


def test_the_openapi_document_describes_the_plan_api(client):
    """Are the plan, action, status and my-actions endpoints in the OpenAPI document?"""
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path in ("/api/v1/cases/{case_id}/plan", "/api/v1/cases/{case_id}/plan/actions",
                 "/api/v1/cases/{case_id}/plan/actions/{action_id}/status", "/api/v1/me/actions"):
        assert path in paths, sorted(paths)
