"""The meetings API end to end: plan, put cases on the agenda, invite, answer, see the answers."""

from __future__ import annotations

from sqlmodel import select

from mda.meetings.models import Meeting
from tests.conftest import csrf_token
from tests.meetings.conftest import future_monday


def _json(app, client, method, url, body=None):
    return client.open(url, method=method, json=body, headers={"X-CSRFToken": csrf_token(app, client)})


def test_openapi_documents_the_meeting_endpoints(client):
    """Does the OpenAPI document list the meeting, item, invitation, answer and attendance endpoints?"""
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"/api/v1/meetings", "/api/v1/meetings/{meeting_id}", "/api/v1/meetings/{meeting_id}/items",
            "/api/v1/meetings/{meeting_id}/invitations", "/api/v1/meetings/{meeting_id}/answer",
            "/api/v1/meetings/{meeting_id}/attendance", "/api/v1/meetings/free-slots"} <= set(paths)
    assert {"get", "patch", "delete"} <= set(paths["/api/v1/meetings/{meeting_id}"])


def test_plan_invite_answer_over_the_api(app, client, auth, db, world):
    """Can a coordinator plan a casuïstiekoverleg, add a case, invite a partner for it; can the partner answer;
    and does the coordinator then see that answer?"""
    start = future_monday()
    auth.login(world["coordinator"])
    resp = _json(app, client, "POST", "/api/v1/meetings", {
        "type": "casuistiekoverleg", "title": "Overleg via de API", "start": start.strftime("%Y-%m-%dT%H:%M"),
        "end": start.replace(hour=12).strftime("%Y-%m-%dT%H:%M"), "location": "Zaal 4",
        "case_ids": [world["case_b"].id]})
    assert resp.status_code == 201, resp.text
    meeting_id = resp.get_json()["id"]
    resp = _json(app, client, "POST", f"/api/v1/meetings/{meeting_id}/items", {"case_id": world["case_a"].id,
                                                                             "minutes": 20})
    assert resp.status_code == 201
    items = {i["case_id"]: i for i in resp.get_json()["items"] if i["kind"] == "casus"}
    assert items[world["case_a"].id]["start"] < items[world["case_b"].id]["start"], "case with a child first"
    pol = world["users"]["POL"]
    resp = _json(app, client, "POST", f"/api/v1/meetings/{meeting_id}/invitations",
                 {"user_id": pol.id, "item_ids": [items[world["case_a"].id]["id"]]})
    assert resp.status_code == 201 and resp.get_json()["invitations"][0]["item_ids"]
    auth.logout()
    auth.login(pol)
    resp = _json(app, client, "POST", f"/api/v1/meetings/{meeting_id}/answer", {"response": "onder_voorbehoud"})
    assert resp.status_code == 200 and resp.get_json()["invitations"][0]["response"] == "onder_voorbehoud"
    assert _json(app, client, "PATCH", f"/api/v1/meetings/{meeting_id}", {"title": "x"}).status_code == 403
    auth.logout()
    auth.login(world["coordinator"])
    answers = _json(app, client, "GET", f"/api/v1/meetings/{meeting_id}/invitations").get_json()["invitations"]
    assert {a["user_id"]: a["response"] for a in answers}[pol.id] == "onder_voorbehoud"
    resp = _json(app, client, "PATCH", f"/api/v1/meetings/{meeting_id}", {"title": "Nieuwe titel"})
    assert resp.status_code == 200 and resp.get_json()["title"] == "Nieuwe titel"
    resp = _json(app, client, "DELETE", f"/api/v1/meetings/{meeting_id}")
    assert resp.status_code == 200 and resp.get_json()["status"] == "geannuleerd"
    assert db.exec(select(Meeting)).one().cancelled


def test_api_token_reaches_the_meetings(app, client, db, world, service):
    """Does a personal API token (no cookie, no CSRF header) list the user's meetings?"""
    from mda.auth.services import create_api_token

    token = service(create_api_token, world["coordinator"], "agenda-koppeling")
    resp = client.get("/api/v1/meetings", headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 200 and resp.get_json()["meetings"] == []
