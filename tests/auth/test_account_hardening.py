"""Accounts and tokens: API tokens end with the sessions, wrong codes count toward the lockout,
and TOTP secrets are encrypted at rest and never travel in the session cookie."""

from __future__ import annotations

import base64
import json
import zlib

import pyotp
import pytest
from sqlalchemy import text
from sqlmodel import select

from mda.auth.models import ApiToken, User
from tests.auth.test_api_tokens import bearer, create_token
from tests.conftest import TEST_PASSWORD, AuthActions, audit_rows, form_post


@pytest.fixture
def token_owner(app, client, login_as):
    """A professional logged in on *client*, with one live API token."""
    user = login_as(("professional",))
    token = create_token(app, client)
    assert app.test_client().get("/api/v1/me", headers=bearer(token)).status_code == 200
    return user, token


def _admin_client(app, db, make_user):
    admin = make_user(roles=("admin",))
    admin_client = app.test_client()
    assert AuthActions(app, admin_client, db).login(admin).status_code == 302
    return admin_client


def test_admin_reset_revokes_the_users_api_tokens(app, db, make_user, token_owner):
    """After an administrator resets an account, does the account's API token stop working?"""
    user, token = token_owner
    admin_client = _admin_client(app, db, make_user)
    assert form_post(app, admin_client, f"/beheer/gebruikers/{user.id}/resetten").status_code == 302
    assert app.test_client().get("/api/v1/me", headers=bearer(token)).status_code == 401
    assert db.exec(select(ApiToken).where(ApiToken.user_id == user.id)).one().revoked_at is not None
    assert any("API-token" in r.summary for r in audit_rows(db, object_id=str(user.id)))


def test_role_change_revokes_the_users_api_tokens(app, db, make_user, token_owner):
    """After an administrator changes the account's roles, does its API token stop working?"""
    user, token = token_owner
    admin_client = _admin_client(app, db, make_user)
    resp = form_post(app, admin_client, f"/beheer/gebruikers/{user.id}",
                     {"email": user.email, "name": user.name, "organisation_id": user.organisation_id,
                      "roles": ["team_lead"]})
    assert resp.status_code == 302
    assert app.test_client().get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_name_change_alone_keeps_the_api_token(app, db, make_user, token_owner):
    """Does correcting only a name leave the user's tokens working (nothing about their rights changed)?"""
    user, token = token_owner
    admin_client = _admin_client(app, db, make_user)
    form_post(app, admin_client, f"/beheer/gebruikers/{user.id}",
              {"email": user.email, "name": "Nieuwe Naam", "organisation_id": user.organisation_id,
               "roles": ["professional"]})
    assert app.test_client().get("/api/v1/me", headers=bearer(token)).status_code == 200


def test_password_change_revokes_the_users_api_tokens(app, client, db, token_owner):
    """After the user changes their own password, does the old API token stop working?"""
    user, token = token_owner
    new = "een heel ander lang wachtzin 77"
    resp = form_post(app, client, "/account",
                     {"pw-current": TEST_PASSWORD, "pw-password": new, "pw-confirm": new, "pw-submit": "1"})
    assert resp.status_code == 302, resp.text[:300]
    assert app.test_client().get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_wrong_totp_codes_lock_the_account(app, client, db, make_user):
    """Do repeated wrong second-factor codes lock the account, so that even the right code is then refused?"""
    user = make_user()
    assert form_post(app, client, "/login", {"email": user.email, "password": TEST_PASSWORD}).status_code == 302
    right = pyotp.TOTP(user.totp_secret).now()
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        form_post(app, client, "/login/tweede-stap", {"code": wrong})
    db.expire_all()
    assert db.get(User, user.id).locked_until is not None
    resp = form_post(app, client, "/login/tweede-stap", {"code": right})
    assert resp.status_code == 200 and "klopt niet" in resp.text
    assert client.get("/").status_code == 302, "not logged in"
    assert "geblokkeerd" in audit_rows(db, action="login_failed", user_id=user.id)[-1].summary


def test_a_right_password_does_not_wipe_the_count_of_wrong_codes(app, client, db, make_user):
    """Can an attacker with the password get unlimited code guesses by logging in with the password again?"""
    user = make_user()
    wrong = f"{(int(pyotp.TOTP(user.totp_secret).now()) + 1) % 1_000_000:06d}"
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        form_post(app, client, "/login", {"email": user.email, "password": TEST_PASSWORD})
        form_post(app, client, "/login/tweede-stap", {"code": wrong})
    db.expire_all()
    assert db.get(User, user.id).locked_until is not None


def test_totp_secret_is_encrypted_at_rest(app, db, make_user):
    """Is the TOTP seed stored encrypted (the database holds no base32 seed), and still usable by the app?"""
    user = make_user()
    stored = db.execute(text("SELECT totp_secret FROM app_user WHERE id = :i"), {"i": user.id}).scalar_one()
    assert stored != user.totp_secret and user.totp_secret not in stored
    assert stored.startswith("gAAAAA"), "a Fernet token"
    db.expire_all()
    assert db.get(User, user.id).totp_secret == user.totp_secret


def _cookie_payload(client, app) -> str:
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    raw = cookie.value if cookie else ""
    compressed = raw.startswith(".")
    data = raw.lstrip(".").split(".")[0]
    decoded = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
    return (zlib.decompress(decoded) if compressed else decoded).decode()


def test_enrolment_keeps_the_secret_out_of_the_cookie(app, client, db, make_user):
    """During enrolment, does the pending TOTP seed stay on the server (encrypted), out of the session cookie?"""
    user = make_user(roles=("coordinator",), totp=False)
    form_post(app, client, "/login", {"email": user.email, "password": TEST_PASSWORD})
    page = client.get("/tweestapsverificatie")
    assert page.status_code == 200
    db.expire_all()
    pending = db.get(User, user.id).totp_pending_secret
    assert pending and pending in page.text, "the seed is shown for manual entry"
    payload = _cookie_payload(client, app)
    assert pending not in payload and "enrol" not in json.loads(payload)
    stored = db.execute(text("SELECT totp_pending_secret FROM app_user WHERE id = :i"), {"i": user.id}).scalar_one()
    assert pending not in stored
    resp = form_post(app, client, "/tweestapsverificatie", {"code": pyotp.TOTP(pending).now()})
    assert resp.status_code == 200 and "herstelcode" in resp.text.lower()
    db.expire_all()
    enrolled = db.get(User, user.id)
    assert enrolled.totp_enabled and enrolled.totp_secret == pending and enrolled.totp_pending_secret is None


def test_key_rotation_re_encrypts_and_old_key_can_then_go(app, db, make_user, runner):
    """After a new key is put first and rotate-totp-key runs, do secrets decrypt with the new key alone?"""
    from mda.core import crypto

    user = make_user()
    old_keys = list(app.config["TOTP_KEYS"])
    new = crypto.new_key()
    try:
        crypto.configure([new, *old_keys])
        result = runner.invoke(args=["rotate-totp-key"])
        assert result.exit_code == 0, result.output
        crypto.configure([new])
        db.expire_all()
        assert db.get(User, user.id).totp_secret == user.totp_secret
    finally:
        crypto.configure(old_keys)


def test_a_bad_totp_key_stops_start_up(tmp_path):
    """Does an invalid MDA_TOTP_KEYS value stop start-up with a one-line explanation?"""
    from mda.config import ConfigError, load_config

    with pytest.raises(ConfigError, match="MDA_TOTP_KEYS"):
        load_config(str(tmp_path), {"MDA_SECRET_KEY": "x" * 40, "MDA_TOTP_KEYS": "geen-sleutel"})


def test_migration_encrypts_existing_plain_secrets(app_config, tmp_path):
    """Does upgrading a database whose TOTP secrets are stored in plain text encrypt every one of them?"""
    from mda import create_app
    from mda.cli import run_migrations
    from mda.core.crypto import decrypt
    from tests.core.test_migrations import _fresh_database

    url, cleanup = _fresh_database(app_config, tmp_path)
    try:
        application = create_app({**app_config, "DATABASE_URL": url})
        engine = application.extensions["mda_engine"]
        with application.app_context():
            run_migrations(application, "0003")
            with engine.begin() as conn:
                conn.execute(text("INSERT INTO region (id, code, name) VALUES (1, 'R', 'Regio')"))
                conn.execute(text("INSERT INTO organisation (id, name, type_code, region_id, active) "
                                  "VALUES (1, 'VT', 'VT', 1, true)"))
                conn.execute(text(
                    "INSERT INTO app_user (email, name, organisation_id, roles_text, active, is_demo, totp_secret, "
                    "totp_enabled, totp_last_step, failed_logins, session_version, created_at) VALUES "
                    "('a@example.test', 'A', 1, 'professional', true, false, 'JBSWY3DPEHPK3PXP', true, 0, 0, 1, "
                    "'2026-01-01 00:00:00')"))
            run_migrations(application, "head")
            with engine.connect() as conn:
                stored = conn.execute(text("SELECT totp_secret FROM app_user")).scalar_one()
        assert stored != "JBSWY3DPEHPK3PXP" and decrypt(stored) == "JBSWY3DPEHPK3PXP"
        engine.dispose()
    finally:
        cleanup()
