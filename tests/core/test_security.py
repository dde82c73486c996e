"""The security baseline: CSRF, security headers on every page, cookie flags, request size."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select
from werkzeug.routing import AnyConverter, IntegerConverter, PathConverter

from mda import create_app
from mda.auth.models import ROLES
from mda.core.security import PROBE_ENDPOINTS
from mda.organisations.models import Organisation
from tests.conftest import csrf_token, form_post, text_of


def _rules(method: str) -> list:
    """Every rule of the application that answers *method* (read from a throw-away app)."""
    application = create_app({"TESTING": True, "DATABASE_URL": "sqlite://"})
    rules = [r for r in application.url_map.iter_rules() if method in r.methods]
    application.extensions["mda_engine"].dispose()
    return sorted(rules, key=lambda r: r.rule)


GET_RULES = _rules("GET")
#: routes another server calls without a browser, session or CSRF token; each checks a signed message itself
SERVER_TO_SERVER = {"/login/sso/backchannel-logout"}  # tests/auth/test_sso_login.py: forged tokens refused
POST_RULES = [r for r in _rules("POST") if r.rule not in SERVER_TO_SERVER]


def _url(rule, ids: dict[str, int]) -> str:
    """A concrete URL for *rule*: known ids where the argument names one, else a plausible value."""
    values = {}
    for name, converter in rule._converters.items():
        if isinstance(converter, AnyConverter):
            values[name] = sorted(converter.items)[0]
        elif isinstance(converter, PathConverter):
            values[name] = "css/app.css"
        elif isinstance(converter, IntegerConverter):
            values[name] = ids.get(name, 1)
        else:
            values[name] = "onbekend"
    return rule.build(values, append_unknown=False)[1]


def _csp(response) -> dict[str, str]:
    header = response.headers.get("Content-Security-Policy", "")
    return {part.split()[0]: part.strip() for part in header.split(";") if part.strip()}


@pytest.fixture
def everything_user(login_as):
    """A logged-in user holding every role, so that every page renders for real."""
    return login_as(tuple(ROLES))


@pytest.mark.parametrize("logged_in", [False, True], ids=["anoniem", "ingelogd"])
@pytest.mark.parametrize("rule", GET_RULES, ids=[r.rule for r in GET_RULES])
def test_security_headers_on_every_get_route(app, client, login_as, db, rule, logged_in):
    """Does every page (anonymous and logged in) carry CSP, nosniff, no-referrer and no-store,
    and is the session cookie HttpOnly and SameSite?"""
    ids = {}
    if logged_in:
        from mda.core import clock
        from mda.core.security import SEEN_STEP

        user = login_as(tuple(ROLES))
        ids = {"user_id": user.id, "org_id": user.organisation_id}
        clock.set_now(clock.now() + SEEN_STEP, tick=True)  # the activity is due to be written: the cookie is set
    resp = client.get(_url(rule, ids))
    assert resp.status_code < 500, resp.text[:300]
    csp = _csp(resp)
    assert "script-src" in csp or "default-src" in csp
    assert "'unsafe-inline'" not in csp.get("script-src", csp.get("default-src"))
    assert "'unsafe-eval'" not in csp.get("script-src", csp.get("default-src"))
    assert csp.get("frame-ancestors") == "frame-ancestors 'none'"
    assert resp.headers.get("X-Content-Type-Options") == "nosniff"
    assert resp.headers.get("Referrer-Policy") == "no-referrer"
    if rule.endpoint != "static":
        assert "no-store" in resp.headers.get("Cache-Control", "")
    cookies = [c for c in resp.headers.getlist("Set-Cookie") if c.startswith("mda_session=")]
    if logged_in and rule.endpoint != "static" and rule.endpoint not in PROBE_ENDPOINTS:  # probes read no session
        assert cookies, "a logged-in request a minute on writes its activity in the cookie (idle timeout)"
    for cookie in cookies:
        assert "HttpOnly" in cookie
        assert "SameSite=Lax" in cookie
        assert "Secure" not in cookie  # MDA_HTTPS is off in this test


def test_login_page_sets_a_hardened_session_cookie(client):
    """Does the first page a visitor sees set the session cookie HttpOnly and SameSite=Lax?"""
    resp = client.get("/login")
    cookie = next(c for c in resp.headers.getlist("Set-Cookie") if c.startswith("mda_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_https_setting_makes_the_cookie_secure_and_sends_hsts(app_config):
    """With MDA_HTTPS on, is the session cookie Secure and is HSTS sent over HTTPS?"""
    app_config["HTTPS"] = True
    application = create_app(app_config)
    try:
        resp = application.test_client().get("/login", base_url="https://mda.test")
    finally:
        application.extensions["mda_engine"].dispose()
    cookie = next(c for c in resp.headers.getlist("Set-Cookie") if c.startswith("mda_session="))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "max-age=" in resp.headers.get("Strict-Transport-Security", "")


def test_page_cannot_be_framed(client):
    """Is the login page protected against click-jacking by a frame header too (old browsers)?"""
    assert client.get("/login").headers.get("X-Frame-Options") == "DENY"


# ------------------------------------------------------------------ CSRF
@pytest.mark.parametrize("rule", POST_RULES, ids=[r.rule for r in POST_RULES])
def test_every_post_route_refuses_a_request_without_csrf_token(app, client, login_as, db, rule):
    """Is a logged-in POST without CSRF token refused (400, Dutch message) on every route?"""
    user = login_as(tuple(ROLES))
    resp = client.post(_url(rule, {"user_id": user.id, "org_id": user.organisation_id}),
                       data={"name": "x"})
    assert resp.status_code == 400
    body = resp.get_json()["message"] if rule.rule.startswith("/api/") else text_of(resp.text)
    assert "beveiligingscode ontbreekt" in body


def test_only_the_listed_routes_go_without_csrf_token(app):
    """Is the CSRF exemption for server-to-server routes given to exactly the listed routes, so that it cannot
    spread to a browser route unnoticed?"""
    exempt = {r.rule for r in app.url_map.iter_rules()
              if getattr(app.view_functions[r.endpoint], "server_to_server", False)}
    assert exempt == SERVER_TO_SERVER


def test_login_without_csrf_token_does_not_log_in(app, client, make_user, db):
    """Is the login form refused without a CSRF token, even with the right password?"""
    from tests.conftest import TEST_PASSWORD, audit_rows

    user = make_user(totp=False, roles=("professional",))
    resp = client.post("/login", data={"email": user.email, "password": TEST_PASSWORD})
    assert resp.status_code == 400
    assert client.get("/").status_code == 302
    assert not audit_rows(db, action="login")


def test_admin_form_without_csrf_token_changes_nothing(app, client, login_as, db, make_region):
    """Does a forged admin form (no CSRF token) leave the database unchanged?"""
    login_as(("admin",))
    region = make_region()
    resp = client.post("/beheer/organisaties/nieuw",
                       data={"name": "Vervalst", "type_code": "VT", "region_id": region.id, "active": "y"})
    assert resp.status_code == 400
    assert db.exec(select(Organisation).where(Organisation.name == "Vervalst")).first() is None


def _org_body(region_id: int, name: str) -> dict:
    return {"name": name, "type_code": "GGZ", "region_id": region_id}


def test_json_api_with_session_cookie_needs_csrf_header(app, client, login_as, db, make_region):
    """Is a JSON call authenticated by the session cookie refused without X-CSRFToken,
    and accepted with a valid one?"""
    login_as(("admin",))
    region = make_region()
    refused = client.post("/api/v1/organisations", json=_org_body(region.id, "Zonder token"))
    assert refused.status_code == 400
    assert refused.get_json()["error"] == 400
    wrong = client.post("/api/v1/organisations", json=_org_body(region.id, "Fout token"),
                        headers={"X-CSRFToken": "niet-geldig"})
    assert wrong.status_code == 400
    accepted = client.post("/api/v1/organisations", json=_org_body(region.id, "Met token"),
                           headers={"X-CSRFToken": csrf_token(app, client)})
    assert accepted.status_code == 201, accepted.text
    names = set(db.exec(select(Organisation.name)).all())
    assert "Met token" in names and "Zonder token" not in names and "Fout token" not in names


def _api_token(app, client) -> str:
    resp = form_post(app, client, "/account", {"tok-label": "script", "tok-submit": "API-sleutel aanmaken"})
    return re.search(r"mda_[0-9a-f]{12}_[A-Za-z0-9_-]+", resp.text).group(0)


def test_bearer_token_call_needs_no_csrf(app, client, login_as, db, make_region):
    """Can a script with a personal API token write through the API without any CSRF token?"""
    login_as(("admin",))
    token = _api_token(app, client)
    region = make_region()
    script = app.test_client()  # no cookie at all
    resp = script.post("/api/v1/organisations", json=_org_body(region.id, "Via token"),
                       headers={"Authorization": f"Bearer {token}"})
    assert resp.status_code == 201, resp.text
    assert db.exec(select(Organisation).where(Organisation.name == "Via token")).first() is not None


def test_bogus_bearer_header_does_not_switch_off_csrf_for_a_cookie_session(app, client, login_as, db,
                                                                           make_region):
    """With a session cookie, does adding a made-up Authorization header still leave CSRF in force?"""
    login_as(("admin",))
    region = make_region()
    resp = client.post("/api/v1/organisations", json=_org_body(region.id, "Omweg"),
                       headers={"Authorization": "Bearer mda_000000000000_verzonnen"})
    assert resp.status_code == 400 and "beveiligingscode ontbreekt" in resp.get_json()["message"]
    assert db.exec(select(Organisation).where(Organisation.name == "Omweg")).first() is None


# ------------------------------------------------------------------ request size
@pytest.fixture
def small_requests(app_config):
    app_config["MAX_CONTENT_LENGTH"] = 16 * 1024


def test_oversized_form_gets_dutch_413_page(small_requests, app, client):
    """Is a request above MAX_CONTENT_LENGTH refused with the Dutch 413 page?"""
    resp = client.post("/login", data={"email": "a@example.test", "password": "x" * 40_000,
                                       "csrf_token": csrf_token(app, client)})
    assert resp.status_code == 413
    assert "Te groot" in resp.text and '<html lang="nl"' in resp.text
    assert "no-store" in resp.headers["Cache-Control"]
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]


@pytest.mark.parametrize("authentication", ["cookie", "bearer"])
def test_oversized_api_call_gets_json_413(small_requests, app, login_as, client, make_region, db, authentication):
    """Is an oversized JSON call refused with a 413 JSON error, whether it comes with the session cookie
    or with a bearer token (which skips the CSRF check that would otherwise read the body first)?"""
    login_as(("admin",))
    region = make_region()
    if authentication == "cookie":
        caller, headers = client, {"X-CSRFToken": csrf_token(app, client)}
    else:
        caller, headers = app.test_client(), {"Authorization": f"Bearer {_api_token(app, client)}"}
    resp = caller.post("/api/v1/organisations", json=_org_body(region.id, "x" * 40_000), headers=headers)
    assert resp.status_code == 413
    assert resp.get_json()["title"] == "Te groot"
    assert db.exec(select(Organisation).where(Organisation.region_id == region.id)).first() is None
