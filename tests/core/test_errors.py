"""Error pages: Dutch, friendly, never a stack trace; and the login rate limit."""

from __future__ import annotations

import pytest
from flask import request

from tests.conftest import AuthActions, audit_rows, csrf_token, form_post, text_of

SECRET_DETAIL = "geheime-interne-details-4711"


@pytest.fixture
def crash_app(app_config):
    """An app of its own (not shared with other tests) with test-only routes that fail unexpectedly."""
    from mda import create_app
    from mda import db as mda_db
    from mda.organisations.services import save_organisation

    application = create_app(app_config)

    def crash():
        raise RuntimeError(SECRET_DETAIL)

    def half_done():
        save_organisation(mda_db.session(), None, None, name="Halverwege", type_code="VT",
                          region_id=int(request.args["region"]))
        raise RuntimeError(SECRET_DETAIL)

    application.add_url_rule("/test-only/crash", "test_crash", crash)
    application.add_url_rule("/api/v1/test-only/crash", "test_api_crash", crash)
    application.add_url_rule("/test-only/half", "test_half", half_done)
    yield application
    application.extensions["mda_engine"].dispose()


@pytest.fixture
def visitor(crash_app, db, make_user):
    """A browser on crash_app; ``visitor.login(roles)`` logs in a new user with those roles."""
    client = crash_app.test_client()

    def login(roles):
        user = make_user(roles=roles)
        assert AuthActions(crash_app, client, db).login(user).status_code == 302
        return user

    client.login = login
    return client


def _bad_request(app, client, monkeypatch):
    client.login(("admin",))
    # a form whose security token was tampered with
    return client.post("/beheer/organisaties/nieuw", data={"name": "x", "csrf_token": "kapot"})


def _forbidden(app, client, monkeypatch):
    client.login(("professional",))
    return client.get("/beheer/organisaties")


def _not_found(app, client, monkeypatch):
    client.login(("professional",))
    return client.get("/bestaat/niet")


def _method_not_allowed(app, client, monkeypatch):
    client.login(("professional",))
    return client.get("/logout")


def _too_large(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 16 * 1024)
    return client.post("/login", data={"email": "a@example.test", "password": "x" * 40_000,
                                       "csrf_token": csrf_token(app, client)})


def _server_error(app, client, monkeypatch):
    client.login(("professional",))
    return client.get("/test-only/crash")


@pytest.mark.parametrize("make_request, code, title", [
    (_bad_request, 400, "Ongeldig verzoek"),
    (_forbidden, 403, "Geen toegang"),
    (_not_found, 404, "Niet gevonden"),
    (_method_not_allowed, 405, "Niet toegestaan"),
    (_too_large, 413, "Te groot"),
    (_server_error, 500, "Er ging iets mis"),
], ids=["400", "403", "404", "405", "413", "500"])
def test_error_pages_are_dutch_without_stack_trace(crash_app, visitor, monkeypatch, make_request, code, title):
    """Does every error give a Dutch page with its own title and no technical details?"""
    resp = make_request(crash_app, visitor, monkeypatch)
    assert resp.status_code == code
    assert resp.mimetype == "text/html"
    assert '<html lang="nl"' in resp.text
    page = text_of(resp.text)
    assert title in page and f"Foutcode {code}" in page
    for leak in ("Traceback", "File \"", "werkzeug", "RuntimeError", SECRET_DETAIL, "Bad Request",
                 "Not Found", "Internal Server Error"):
        assert leak not in resp.text


def test_api_errors_are_dutch_json_without_stack_trace(visitor):
    """Does an API call that crashes get a Dutch JSON error and nothing of the exception?"""
    visitor.login(("professional",))
    resp = visitor.get("/api/v1/test-only/crash")
    assert resp.status_code == 500
    body = resp.get_json()
    assert body["error"] == 500 and body["title"] == "Er ging iets mis"
    assert SECRET_DETAIL not in resp.text and "Traceback" not in resp.text
    missing = visitor.get("/api/v1/bestaat-niet")
    assert missing.status_code == 404 and missing.get_json()["title"] == "Niet gevonden"


def test_405_says_which_methods_are_allowed(client):
    """Does a 405 keep the Allow header, so that clients know what to use instead?"""
    resp = client.get("/logout")
    assert resp.status_code == 405
    assert "POST" in resp.headers["Allow"]


def test_crash_rolls_back_the_work_of_the_request(visitor, db, make_region):
    """When a view fails halfway, is nothing of what it did stored (and does the page say so)?"""
    from sqlmodel import select

    from mda.organisations.models import Organisation

    region = make_region()
    visitor.login(("professional",))
    resp = visitor.get(f"/test-only/half?region={region.id}")
    assert resp.status_code == 500 and "Er is niets opgeslagen" in resp.text
    assert db.exec(select(Organisation).where(Organisation.name == "Halverwege")).first() is None
    assert audit_rows(db, object_type="organisation") == []


@pytest.fixture
def rate_limited(app_config):
    app_config["RATELIMIT_ENABLED"] = True


def test_21st_login_attempt_in_a_minute_gets_429(rate_limited, app, client, db, make_user):
    """Does the 21st login POST from one address within a minute get the Dutch 429 page, even with
    the right password?"""
    from tests.conftest import TEST_PASSWORD

    user = make_user(roles=("professional",))
    # incomplete forms: counted like any attempt, and cheap (no password hashing)
    statuses = [form_post(app, client, "/login", {"email": user.email}).status_code for _ in range(20)]
    assert statuses == [200] * 20
    resp = form_post(app, client, "/login", {"email": user.email, "password": TEST_PASSWORD})
    assert resp.status_code == 429
    assert "Te veel pogingen" in text_of(resp.text) and '<html lang="nl"' in resp.text
    assert "Too Many Requests" not in resp.text
    assert client.get("/login/tweede-stap").headers.get("Location", "").endswith("/login")
    assert audit_rows(db, action="login") == [] and audit_rows(db, action="login_failed") == []


def test_login_page_itself_is_not_rate_limited(rate_limited, app, client):
    """Can the login page still be shown (GET) as often as needed?"""
    assert all(client.get("/login").status_code == 200 for _ in range(25))
