"""Bad input never gives a 500: ids beyond the database's range, NUL bytes, far dates and
malformed API bodies get a clear Dutch 4xx in the documented shape."""

from __future__ import annotations

from datetime import timedelta

import pytest

from mda.core.input_guard import MAX_DB_INT
from tests.conftest import csrf_token, form_post

ERROR_KEYS = {"error", "title", "message"}


@pytest.mark.parametrize("big", [MAX_DB_INT + 1, 2**63, 10**30])
@pytest.mark.parametrize("path", ["/casussen/{}", "/overleggen/{}", "/api/v1/cases/{}", "/privacy/personen/{}",
                                  "/beheer/gebruikers/{}"])
def test_ids_beyond_the_integer_range_are_404(app, client, login_as, path, big):
    """Is an id larger than the database's integer type a plain 404 (not an overflow in the driver)?"""
    login_as(("coordinator",))
    assert client.get(path.format(big)).status_code == 404


def test_largest_valid_id_still_routes(app, client, login_as):
    """Does the largest id the database can hold still reach the view (and get its ordinary 404)?"""
    login_as(("coordinator",))
    resp = client.get(f"/casussen/{MAX_DB_INT}")
    assert resp.status_code == 404 and "Niet gevonden" in resp.text


@pytest.mark.parametrize("where", ["query", "form", "header", "json"])
def test_nul_byte_anywhere_is_a_dutch_400(app, client, login_as, where):
    """Is a NUL byte in a query value, form field, header or JSON string refused with a 400 in Dutch?"""
    login_as(("coordinator",))
    token = csrf_token(app, client)
    if where == "query":
        resp = client.get("/overleggen/week", query_string={"datum": "2026-01-01\x00"})
    elif where == "form":
        resp = form_post(app, client, "/casussen/aanmelden", {"reason": "reden\x00", "goal": "doel"})
    elif where == "header":
        resp = client.get("/", headers={"X-Iets": "a\x00b"})
    else:
        resp = client.post("/api/v1/meetings", json={"title": "a\x00b"}, headers={"X-CSRFToken": token})
    assert resp.status_code == 400
    assert "ongeldig teken" in resp.get_data(as_text=True)


@pytest.mark.parametrize("datum", ["0001-01-01", "9999-12-31", "1899-12-31"])
def test_far_dates_in_the_week_view_give_a_dutch_message(app, client, login_as, datum):
    """Does the week view answer a date it cannot show with a Dutch message and the current week?"""
    login_as(("coordinator",))
    resp = client.get("/overleggen/week", query_string={"datum": datum})
    assert resp.status_code == 200
    assert "1900 en 2199" in resp.text


@pytest.mark.parametrize("after", ["0001-01-01T00:00", "9999-12-31T23:59", "9999-12-31T23:59+01:00"])
def test_far_dates_in_free_slot_search_give_a_dutch_422(app, client, login_as, after):
    """Does the free-slot search answer a far date with a Dutch 422 in the documented shape?"""
    user = login_as(("coordinator",))
    resp = client.get("/api/v1/meetings/free-slots", query_string={"user_ids": str(user.id), "after": after})
    assert resp.status_code == 422 and resp.get_json().keys() >= ERROR_KEYS
    assert "1900" in resp.get_json()["message"]


def _meeting_form(day: str, confirm: bool = False) -> dict:
    data = {"type_code": "casuistiekoverleg", "title": "Overleg", "day": day, "start_time": "10:00",
            "end_time": "12:00", "location": "Zaal 1", "case_minutes": "20"}
    if confirm:
        data["confirm_conflicts"] = "y"
    return data


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31", "2099-01-05"])
def test_meetings_outside_the_planning_window_are_refused_in_dutch(app, client, login_as, db, day):
    """Is a meeting far in the past or future refused with a Dutch message, and nothing stored?"""
    from sqlmodel import select

    from mda.meetings.models import Meeting

    login_as(("coordinator",))
    resp = form_post(app, client, "/overleggen/nieuw?type=casuistiekoverleg", _meeting_form(day))
    assert resp.status_code in (200, 422)
    assert "1900" in resp.text or "twee jaar vooruit" in resp.text
    assert db.exec(select(Meeting)).first() is None


def test_a_meeting_in_the_past_needs_confirmation(app, client, login_as, db):
    """Is a date in the past (within the window) met with a warning asking to confirm, and saved once confirmed?"""
    from sqlmodel import select

    from mda.core.timeutil import to_local, utcnow
    from mda.meetings.models import Meeting

    login_as(("coordinator",))
    day = (to_local(utcnow()) - timedelta(days=14)).date()
    while day.weekday() > 4:
        day -= timedelta(days=1)
    first = form_post(app, client, "/overleggen/nieuw?type=casuistiekoverleg", _meeting_form(day.isoformat()))
    assert first.status_code == 200 and "in het verleden" in first.text
    assert db.exec(select(Meeting)).first() is None
    second = form_post(app, client, "/overleggen/nieuw?type=casuistiekoverleg",
                       _meeting_form(day.isoformat(), confirm=True))
    assert second.status_code == 302
    assert db.exec(select(Meeting)).first() is not None


@pytest.mark.parametrize("body,content_type,status", [
    ("name=x&type_code=VT&region_id=1", "application/x-www-form-urlencoded", 415),
    ("{\"name\": ", "application/json", 400),
    ("[" * 5000 + "]" * 5000, "application/json", 400),
    ("{\"a\":" * 3000 + "1" + "}" * 3000, "application/json", 400),
    ("\xff\xfe", "application/json", 400),
    ("{\"name\": 1}", "text/plain", 415),
], ids=["form", "afgebroken", "diep-array", "diep-object", "geen-utf8", "text-plain"])
def test_malformed_api_bodies_get_the_documented_error_shape(app, client, login_as, body, content_type, status):
    """Do form-encoded, malformed or absurdly nested API bodies get a 4xx with {error, title, message}?"""
    login_as(("admin",))
    resp = client.post("/api/v1/organisations", data=body.encode("latin-1"), content_type=content_type,
                       headers={"X-CSRFToken": csrf_token(app, client)})
    assert resp.status_code == status
    assert set(resp.get_json()) >= ERROR_KEYS and resp.get_json()["error"] == status


def test_validation_errors_name_fields_but_never_echo_input(app, client, login_as):
    """Does an invalid API body get the Dutch error shape naming the fields, without repeating what was sent?"""
    login_as(("coordinator",))
    secret = "Jansen-geheim-1234"
    resp = client.post("/api/v1/meetings", json={"title": secret, "start": secret, "end": 5, "type": [secret]},
                       headers={"X-CSRFToken": csrf_token(app, client)})
    assert resp.status_code == 422
    body = resp.get_json()
    assert set(body) >= ERROR_KEYS and isinstance(body, dict)
    assert secret not in resp.get_data(as_text=True)


@pytest.mark.parametrize("method,path", [("POST", "/api/v1/meetings"), ("POST", "/api/v1/organisations"),
                                         ("PATCH", "/api/v1/meetings/1"), ("DELETE", "/api/v1/meetings/1"),
                                         ("POST", "/api/v1/cases/1/consents")])
def test_anonymous_api_writes_get_401_not_the_csrf_400(client, method, path):
    """Does an anonymous write to the API get 401 (log in), not the browser's CSRF 400?"""
    resp = client.open(path, method=method, json={})
    assert resp.status_code == 401
    assert set(resp.get_json()) >= ERROR_KEYS


def test_nul_refusal_hooks_run_before_the_refusal(app, client):
    """Can a feature (e.g. the login audit) act on a refused NUL-byte request, while the refusal stays in one place?"""
    from flask import request

    from mda.core import input_guard

    seen = []
    hook = lambda: seen.append(request.path)  # noqa: E731
    input_guard.NUL_REFUSAL_HOOKS.append(hook)
    try:
        resp = form_post(app, client, "/login", {"email": "a\x00@example.test", "password": "x"})
    finally:
        input_guard.NUL_REFUSAL_HOOKS.remove(hook)
    assert resp.status_code == 400 and seen == ["/login"]
