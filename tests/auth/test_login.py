"""Logging in: passwords, lockout, second factor, sessions."""

from datetime import timedelta

import pyotp
import pytest

from mda.auth.models import User
from tests.conftest import TEST_PASSWORD, audit_rows, form_post


def test_login_with_password_and_totp_reaches_home(app, client, auth, make_user, db):
    """Can a user with an authenticator log in through both steps and see the home page?"""
    user = make_user(roles=("coordinator",))
    resp = auth.login(user)
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
    page = client.get("/")
    assert page.status_code == 200
    assert user.name in page.text
    assert [r.action for r in audit_rows(db, user_id=user.id)] == ["login"]


def test_password_alone_does_not_log_in_a_user_with_2fa(app, client, make_user):
    """Does a correct password without the second step leave the user logged out?"""
    user = make_user()
    resp = form_post(app, client, "/login", {"email": user.email, "password": TEST_PASSWORD})
    assert resp.headers["Location"].endswith("/login/tweede-stap")
    assert client.get("/").status_code == 302


def test_wrong_totp_code_is_refused_and_logged(app, client, make_user, db):
    """Is a wrong second-factor code refused, and the failure written to the audit trail?"""
    user = make_user()
    form_post(app, client, "/login", {"email": user.email, "password": TEST_PASSWORD})
    resp = form_post(app, client, "/login/tweede-stap", {"code": "000000"})
    assert "De code klopt niet" in resp.text
    assert client.get("/").status_code == 302
    assert audit_rows(db, action="login_failed", user_id=user.id)


def test_totp_code_cannot_be_replayed(app, client, auth, make_user, db):
    """Is a TOTP code that was just used refused the second time?"""
    user = make_user()
    code = pyotp.TOTP(user.totp_secret).now()
    form_post(app, client, "/login", {"email": user.email, "password": TEST_PASSWORD})
    assert form_post(app, client, "/login/tweede-stap", {"code": code}).status_code == 302
    auth.logout()
    form_post(app, client, "/login", {"email": user.email, "password": TEST_PASSWORD})
    resp = form_post(app, client, "/login/tweede-stap", {"code": code})
    assert resp.status_code == 200 and "De code klopt niet" in resp.text


def test_same_message_for_unknown_user_and_wrong_password(app, client, make_user):
    """Does the login page give the same answer for an unknown address and a wrong password?"""
    user = make_user()
    unknown = form_post(app, client, "/login", {"email": "nobody@example.test", "password": "x" * 12})
    wrong = form_post(app, client, "/login", {"email": user.email, "password": "x" * 12})
    assert unknown.status_code == wrong.status_code == 200
    assert "Inloggen is niet gelukt" in unknown.text and "Inloggen is niet gelukt" in wrong.text


def test_six_wrong_passwords_lock_the_account(app, client, make_user, db):
    """After repeated wrong passwords, is even the right password refused for a while?"""
    user = make_user()
    for _ in range(6):
        form_post(app, client, "/login", {"email": user.email, "password": "verkeerd wachtwoord"})
    db.expire_all()
    locked = db.get(User, user.id)
    assert locked.locked_until is not None
    resp = form_post(app, client, "/login", {"email": user.email, "password": TEST_PASSWORD})
    assert "Inloggen is niet gelukt" in resp.text
    failed = audit_rows(db, action="login_failed", user_id=user.id)
    assert len(failed) == 7
    assert "geblokkeerd" in failed[-1].summary


def test_lock_expires(app, client, make_user, db):
    """Can a user log in again once the lock period has passed?"""
    from mda.core.timeutil import utcnow

    user = make_user()
    user.locked_until = utcnow() - timedelta(minutes=1)
    db.add(user)
    db.commit()
    resp = form_post(app, client, "/login", {"email": user.email, "password": TEST_PASSWORD})
    assert resp.headers["Location"].endswith("/login/tweede-stap")


def test_failed_login_is_audited_for_unknown_address(app, client, db):
    """Is a failed login with an unknown address on record, with the address tried?"""
    form_post(app, client, "/login", {"email": "ghost@example.test", "password": "x" * 12})
    rows = audit_rows(db, action="login_failed")
    assert rows and rows[-1].user_name == "ghost@example.test" and rows[-1].user_id is None


def test_deactivated_users_session_stops_working(app, client, auth, make_user, db):
    """Is a logged-in user thrown out on the next request once deactivated?"""
    user = make_user()
    auth.login(user)
    assert client.get("/").status_code == 200
    user = db.get(User, user.id)
    user.active = False
    db.add(user)
    db.commit()
    resp = client.get("/")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_admin_deactivation_ends_session(app, make_user, db):
    """When an admin deactivates an account through the page, does that user's open session end?"""
    admin = make_user(roles=("admin",))
    victim = make_user()
    admin_client, victim_client = app.test_client(), app.test_client()
    from tests.conftest import AuthActions

    AuthActions(app, victim_client, db).login(victim)
    AuthActions(app, admin_client, db).login(admin)
    assert victim_client.get("/").status_code == 200
    resp = form_post(app, admin_client, f"/beheer/gebruikers/{victim.id}/deactiveren")
    assert resp.status_code == 302
    assert victim_client.get("/").status_code == 302


def test_idle_timeout_logs_out(app, client, auth, make_user):
    """After 30 minutes without a request, must the user log in again?"""
    from mda.core.timeutil import utcnow

    auth.login(make_user())
    with client.session_transaction() as sess:
        sess["last_seen"] = (utcnow() - timedelta(minutes=31)).isoformat()
    resp = client.get("/")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_activity_is_written_once_a_minute_and_the_cookie_set_only_then(app, client, auth, make_user):
    """Does a page within a minute of the session's written activity leave the cookie as it was (no Set-Cookie),
    and a page after that minute write the activity (a new cookie)?"""
    from mda.core import clock

    auth.login(make_user())
    client.get("/")
    clock.set_now(clock.now() + timedelta(seconds=30), tick=True)
    assert client.get("/").headers.get("Set-Cookie") is None
    clock.set_now(clock.now() + timedelta(seconds=31), tick=True)
    assert "session=" in client.get("/").headers.get("Set-Cookie", "")


def test_idle_timeout_counts_from_the_written_activity_never_later(app, client, auth, make_user):
    """With the activity written once a minute, does a session still end no later than 30 minutes after its last
    page (here: a page 50 s after the written activity, then 29.5 minutes without one)?"""
    from mda.core import clock

    auth.login(make_user())
    client.get("/")
    clock.set_now(clock.now() + timedelta(seconds=50), tick=True)
    assert client.get("/").status_code == 200
    clock.set_now(clock.now() + timedelta(minutes=29, seconds=30), tick=True)
    resp = client.get("/")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_absolute_session_lifetime(app, client, auth, make_user):
    """Does a session end after its absolute lifetime even when it is used all the time?"""
    from mda.core.timeutil import utcnow

    auth.login(make_user())
    with client.session_transaction() as sess:
        sess["auth_at"] = (utcnow() - timedelta(hours=11)).isoformat()
    assert client.get("/").status_code == 302


def test_login_starts_a_fresh_session(app, client, auth, make_user):
    """Session fixation: is what was in the session before login gone after it?"""
    with client.session_transaction() as sess:
        sess["planted"] = "by an attacker"
    auth.login(make_user())
    with client.session_transaction() as sess:
        assert "planted" not in sess


def test_logout_ends_session_everywhere(app, make_user, db):
    """Does logging out in one browser also end the session in another?"""
    from tests.conftest import AuthActions

    user = make_user()
    first, second = app.test_client(), app.test_client()
    AuthActions(app, first, db).login(user)
    AuthActions(app, second, db).login(user)
    assert second.get("/").status_code == 200
    AuthActions(app, first, db).logout()
    assert second.get("/").status_code == 302


def test_user_without_2fa_must_enrol_first(app, client, make_user):
    """Is a coordinator without an authenticator sent to enrolment and kept there?"""
    user = make_user(roles=("coordinator",), totp=False)
    resp = form_post(app, client, "/login", {"email": user.email, "password": TEST_PASSWORD})
    assert resp.headers["Location"].endswith("/tweestapsverificatie")
    assert client.get("/").headers["Location"].endswith("/tweestapsverificatie")


def test_enrolment_shows_qr_and_recovery_codes_work(app, client, make_user, db):
    """Can a user enrol with the server-rendered QR code and later log in with a recovery code?"""
    user = make_user(roles=("coordinator",), totp=False)
    form_post(app, client, "/login", {"email": user.email, "password": TEST_PASSWORD})
    page = client.get("/tweestapsverificatie")
    assert "<svg" in page.text
    db.expire_all()
    secret = db.get(type(user), user.id).totp_pending_secret
    resp = form_post(app, client, "/tweestapsverificatie", {"code": pyotp.TOTP(secret).now()})
    codes = [c for c in __import__("re").findall(r"<li>([a-z0-9-]{14})</li>", resp.text)]
    assert len(codes) == 10
    assert client.get("/").status_code == 200
    form_post(app, client, "/logout")
    form_post(app, client, "/login", {"email": user.email, "password": TEST_PASSWORD})
    assert form_post(app, client, "/login/tweede-stap", {"code": codes[0]}).status_code == 302
    assert client.get("/").status_code == 200
    form_post(app, client, "/logout")
    form_post(app, client, "/login", {"email": user.email, "password": TEST_PASSWORD})
    again = form_post(app, client, "/login/tweede-stap", {"code": codes[0]})
    assert again.status_code == 200, "a recovery code works only once"


def test_demo_accounts_skip_2fa_only_with_the_insecure_setting(app_config, make_user):
    """Is the 2FA exemption limited to demo accounts, and only when the setting is on?"""
    from mda import create_app
    from tests.conftest import AuthActions

    app_config["INSECURE_DEMO_SKIP_2FA"] = True
    application = create_app(app_config)
    from sqlmodel import Session

    with Session(application.extensions["mda_engine"]) as s:
        demo = make_user(roles=("coordinator",), totp=False, is_demo=True)
        real = make_user(roles=("coordinator",), totp=False)
        c1, c2 = application.test_client(), application.test_client()
        r1 = AuthActions(application, c1, s).login(demo)
        r2 = AuthActions(application, c2, s).login(real)
    assert r1.headers["Location"] == "/"
    assert r2.headers["Location"].endswith("/tweestapsverificatie")


def test_next_parameter_cannot_redirect_off_site(app, client, auth, make_user):
    """Is an open redirect through ?next= refused after login?"""
    user = make_user()
    client.get("/login?next=https://evil.example/")
    resp = auth.login(user)
    assert resp.headers["Location"] == "/"


def test_next_parameter_returns_to_the_page_asked_for(app, client, auth, make_user):
    """After logging in, does the user land on the page that sent them to the login?"""
    user = make_user(roles=("admin",))
    client.get("/login?next=/beheer/gebruikers")
    resp = auth.login(user)
    assert resp.headers["Location"] == "/beheer/gebruikers"


@pytest.mark.parametrize("password, ok", [
    ("kort", False),
    ("wachtwoord123", False),
    ("Welkom123456", False),
    ("paars olifant fietst langzaam", True),
])
def test_password_policy(password, ok):
    """Are short and common passwords refused with a Dutch reason, and a passphrase accepted?"""
    from mda.auth.passwords import password_problem

    assert (password_problem(password) is None) is ok


def test_login_attempt_with_a_nul_byte_is_audited_not_a_500(app, client, db):
    """Does a login attempt with a NUL byte in the e-mail address or password get the normal refusal and a
    login_failed audit row (PostgreSQL refuses NUL in text, so it used to end in a 500 with no record)?"""
    for email, password in (("anna\x00@demo.invalid", "x"), ("anna@demo.invalid", "pass\x00word")):
        resp = form_post(app, client, "/login", {"email": email, "password": password})
        assert resp.status_code < 500
    rows = audit_rows(db, action="login_failed")
    assert len(rows) == 2 and all("NUL" in r.summary for r in rows)
    assert "\x00" not in rows[0].user_name and rows[0].user_name == "anna\\0@demo.invalid"
