"""Personal API tokens: created on /account, used as a bearer token, revoked."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from mda.auth.models import ApiToken, User
from tests.conftest import audit_rows, form_post

TOKEN_RE = re.compile(r"mda_[0-9a-f]{12}_[A-Za-z0-9_-]{20,}")


def create_token(app, client, label: str = "rapportage-script") -> str:
    """Create a token through the account page; return the token shown once."""
    resp = form_post(app, client, "/account", {"tok-label": label, "tok-submit": "API-sleutel aanmaken"})
    assert resp.status_code == 200
    return TOKEN_RE.search(resp.text).group(0)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_token_lifecycle_create_use_revoke(app, client, login_as, db):
    """Can a user create a token, call /api/v1/me with it, revoke it, and is it refused afterwards?"""
    user = login_as(("professional",))
    token = create_token(app, client)
    script = app.test_client()
    me = script.get("/api/v1/me", headers=bearer(token))
    assert me.status_code == 200 and me.get_json()["email"] == user.email
    stored = db.exec(select(ApiToken).where(ApiToken.user_id == user.id)).one()
    assert stored.last_used_at is not None
    assert token.split("_", 2)[2] not in stored.token_hash, "only a digest is stored"
    page = client.get("/account")
    assert token not in page.text, "the token is shown only once"
    resp = form_post(app, client, f"/account/tokens/{stored.id}/intrekken")
    assert resp.status_code == 302
    revoked = script.get("/api/v1/me", headers=bearer(token))
    assert revoked.status_code == 401 and revoked.get_json()["error"] == 401
    actions = [(r.action, r.object_type) for r in audit_rows(db, user_id=user.id)]
    assert ("create", "api_token") in actions and ("update", "api_token") in actions


@pytest.mark.parametrize("header", [
    "Bearer ",
    "Bearer onzin",
    "Bearer mda_",
    "Bearer mda_abc",
    "Bearer mda_000000000000_verzonnen",
    "Bearer {prefix}_fout-geheim",
    "Bearer {token}x",
    "Basic dXNlcjpwYXNz",
], ids=["leeg", "onzin", "alleen-voorvoegsel", "twee-delen", "onbekend", "fout-geheim", "verlengd", "basic"])
def test_malformed_or_wrong_token_gets_401(app, client, login_as, header):
    """Is a malformed, unknown or tampered token refused with 401 JSON (never a 500)?"""
    login_as(("professional",))
    token = create_token(app, client)
    prefix = token[:16]  # "mda_" and the twelve hex digits that identify the token
    script = app.test_client()
    resp = script.get("/api/v1/me", headers={"Authorization": header.format(token=token, prefix=prefix)})
    assert resp.status_code == 401
    assert resp.get_json()["title"] == "Niet ingelogd"


def test_token_of_a_deactivated_user_stops_working(app, client, login_as, db):
    """When the account is deactivated, does its API token stop working at once?"""
    user = login_as(("professional",))
    token = create_token(app, client)
    script = app.test_client()
    assert script.get("/api/v1/me", headers=bearer(token)).status_code == 200
    db.expire_all()
    account = db.get(User, user.id)
    account.active = False
    db.add(account)
    db.commit()
    assert script.get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_token_works_only_on_the_api(app, client, login_as):
    """Does a bearer token not log anyone in on the HTML pages?"""
    login_as(("professional",))
    token = create_token(app, client)
    resp = app.test_client().get("/", headers=bearer(token))
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")


def test_token_call_sets_no_session_cookie(app, client, login_as):
    """Is a bearer call stateless: no session cookie is handed out?"""
    login_as(("professional",))
    token = create_token(app, client)
    resp = app.test_client().get("/api/v1/me", headers=bearer(token))
    assert resp.status_code == 200
    assert not [c for c in resp.headers.getlist("Set-Cookie") if c.startswith("mda_session=")]


def test_user_cannot_revoke_someone_elses_token(app, make_user, db):
    """Can a user revoke only their own tokens?"""
    from tests.conftest import AuthActions

    owner, other = make_user(), make_user()
    owner_client, other_client = app.test_client(), app.test_client()
    AuthActions(app, owner_client, db).login(owner)
    token = create_token(app, owner_client)
    stored = db.exec(select(ApiToken).where(ApiToken.user_id == owner.id)).one()
    AuthActions(app, other_client, db).login(other)
    resp = form_post(app, other_client, f"/account/tokens/{stored.id}/intrekken")
    assert resp.status_code == 404
    assert app.test_client().get("/api/v1/me", headers=bearer(token)).status_code == 200


def test_token_without_label_is_refused(app, client, login_as, db):
    """Is a token without a name refused with a Dutch message (nothing created)?"""
    user = login_as(("professional",))
    resp = form_post(app, client, "/account", {"tok-label": "   ", "tok-submit": "API-sleutel aanmaken"})
    assert "Geef de API-sleutel een naam" in resp.text or "Dit veld is verplicht" in resp.text
    assert not TOKEN_RE.search(resp.text)
    assert db.exec(select(ApiToken).where(ApiToken.user_id == user.id)).all() == []
