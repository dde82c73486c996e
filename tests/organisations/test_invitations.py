"""Invitation and reset: a one-time set-password link by mail, a strong password, 2FA afterwards."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import select

from mda.auth.models import AccountToken, RecoveryCode, User
from mda.core import mail
from mda.core.timeutil import utcnow
from tests.conftest import TEST_PASSWORD, AuthActions, audit_rows, form_post, text_of

NEW_PASSWORD = "paars olifant fietst langzaam"
LINK_RE = re.compile(r"http://mda\.test(/wachtwoord-instellen/[A-Za-z0-9_-]+)")


def messages_to(app, address: str) -> list:
    """(subject, body) of every outbox message to *address*, newest first."""
    found = []
    for _name, msg in mail.outbox_messages(app):
        if address in msg["To"]:
            found.append((msg["Subject"], msg.get_body(preferencelist=("plain",)).get_content()))
    return found


def link_in(body: str) -> str:
    return LINK_RE.search(body).group(1)


@pytest.fixture
def admin_client(app, make_user, db):
    admin = make_user(roles=("admin",))
    client = app.test_client()
    AuthActions(app, client, db).login(admin)
    client.admin = admin
    return client


def invite(app, admin_client, org_id: int, email: str = "nieuw@example.org", roles=("coordinator",)):
    resp = form_post(app, admin_client, "/beheer/gebruikers/nieuw",
                     {"email": email, "name": "Nieuwe Collega", "organisation_id": org_id, "roles": list(roles)})
    assert resp.status_code == 302, resp.text[:500]


def test_invitation_end_to_end(app, admin_client, db, make_org):
    """When an admin invites someone, does the mail land in the outbox with a one-time link that sets a
    strong password exactly once, after which the new user logs in and must set up 2FA?"""
    org = make_org("ZVH")
    invite(app, admin_client, org.id)
    [(subject, body)] = messages_to(app, "nieuw@example.org")
    assert subject == "Uitnodiging voor MDA++" and "Beste Nieuwe Collega" in body
    link = link_in(body)

    visitor = app.test_client()
    page = visitor.get(link)
    assert page.status_code == 200 and "nieuw@example.org" in page.text

    weak = form_post(app, visitor, link, {"password": "wachtwoord123", "confirm": "wachtwoord123"})
    assert weak.status_code == 422 and "te makkelijk te raden" in text_of(weak.text)
    short = form_post(app, visitor, link, {"password": "kort", "confirm": "kort"})
    assert "minstens 12 tekens" in text_of(short.text)
    mismatch = form_post(app, visitor, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "!"})
    assert "De wachtwoorden zijn niet gelijk." in text_of(mismatch.text)
    db.expire_all()
    assert db.exec(select(User).where(User.email == "nieuw@example.org")).one().password_hash is None

    done = form_post(app, visitor, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302 and done.headers["Location"] == "/login"
    user = db.exec(select(User).where(User.email == "nieuw@example.org")).one()
    assert [r.summary for r in audit_rows(db, user_id=user.id)] == ["wachtwoord ingesteld via invite-link"]

    again = visitor.get(link)
    assert again.status_code == 404 and "verlopen of al gebruikt" in again.text
    reuse = form_post(app, visitor, link, {"password": "nog een ander lang wachtwoord", "confirm":
                                           "nog een ander lang wachtwoord"})
    assert reuse.status_code == 404

    login = form_post(app, visitor, "/login", {"email": "nieuw@example.org", "password": NEW_PASSWORD})
    assert login.headers["Location"].endswith("/tweestapsverificatie")


def test_invitation_shows_in_the_outbox_page_for_admins(app, admin_client, make_org):
    """Does the admin see the invitation mail on the outbox page?"""
    org = make_org("ZVH")
    invite(app, admin_client, org.id, email="zichtbaar@example.org")
    page = admin_client.get("/beheer/outbox")
    assert page.status_code == 200
    assert "zichtbaar@example.org" in page.text and "Uitnodiging voor MDA++" in page.text


def test_no_mail_when_the_invitation_is_not_stored(app, admin_client, db, make_user, make_org):
    """Is no mail sent for an invitation that was refused (mail goes out only after the commit)?"""
    existing = make_user(email="bestaand@example.org")
    resp = form_post(app, admin_client, "/beheer/gebruikers/nieuw",
                     {"email": existing.email, "name": "Dubbel", "organisation_id": existing.organisation_id,
                      "roles": ["professional"]})
    assert resp.status_code == 422
    assert messages_to(app, existing.email) == []


def test_expired_link_is_refused(app, admin_client, db, make_org):
    """Is a link past its validity refused with a Dutch explanation?"""
    org = make_org("ZVH")
    invite(app, admin_client, org.id)
    link = link_in(messages_to(app, "nieuw@example.org")[0][1])
    row = db.exec(select(AccountToken)).one()
    row.expires_at = utcnow() - timedelta(minutes=1)
    db.add(row)
    db.commit()
    resp = app.test_client().get(link)
    assert resp.status_code == 404 and "verlopen of al gebruikt" in resp.text


def test_unknown_link_is_refused(client):
    """Is a made-up link refused without a stack trace?"""
    resp = client.get("/wachtwoord-instellen/verzonnen-token")
    assert resp.status_code == 404 and "verlopen of al gebruikt" in resp.text


def test_reset_sends_new_link_and_clears_2fa(app, admin_client, db, make_user):
    """Does an admin reset clear password and 2FA, end sessions and mail a new link that works once,
    after which the user must set up 2FA again?"""
    user = make_user(roles=("professional",))
    db.add(RecoveryCode(user_id=user.id, code_hash="x"))
    db.commit()
    user_client = app.test_client()
    AuthActions(app, user_client, db).login(user)
    assert user_client.get("/").status_code == 200

    resp = form_post(app, admin_client, f"/beheer/gebruikers/{user.id}/resetten")
    assert resp.status_code == 302
    db.expire_all()
    reset = db.get(User, user.id)
    assert reset.password_hash is None and not reset.totp_enabled and reset.totp_secret is None
    assert db.exec(select(RecoveryCode).where(RecoveryCode.user_id == user.id)).all() == []
    assert user_client.get("/").status_code == 302, "open sessions end"

    [(subject, body)] = messages_to(app, user.email)
    assert subject == "Nieuw wachtwoord instellen voor MDA++"
    link = link_in(body)
    old = form_post(app, app.test_client(), "/login", {"email": user.email, "password": TEST_PASSWORD})
    assert "Inloggen is niet gelukt" in old.text, "the old password no longer works"

    visitor = app.test_client()
    assert form_post(app, visitor, link, {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302
    assert visitor.get(link).status_code == 404
    login = form_post(app, visitor, "/login", {"email": user.email, "password": NEW_PASSWORD})
    assert login.headers["Location"].endswith("/tweestapsverificatie"), "2FA must be set up again"


def test_new_link_invalidates_the_previous_one(app, admin_client, db, make_org):
    """When the admin resets an invited account, does the first link stop working?"""
    org = make_org("ZVH")
    invite(app, admin_client, org.id)
    first = link_in(messages_to(app, "nieuw@example.org")[0][1])
    user = db.exec(select(User).where(User.email == "nieuw@example.org")).one()
    form_post(app, admin_client, f"/beheer/gebruikers/{user.id}/resetten")
    second = link_in(messages_to(app, "nieuw@example.org")[0][1])
    assert first != second
    visitor = app.test_client()
    assert visitor.get(first).status_code == 404
    assert visitor.get(second).status_code == 200


def test_deactivated_account_cannot_use_its_link(app, admin_client, db, make_org):
    """Does an invitation link stop working when the account is deactivated?"""
    org = make_org("ZVH")
    invite(app, admin_client, org.id)
    link = link_in(messages_to(app, "nieuw@example.org")[0][1])
    user = db.exec(select(User).where(User.email == "nieuw@example.org")).one()
    form_post(app, admin_client, f"/beheer/gebruikers/{user.id}/deactiveren")
    assert app.test_client().get(link).status_code == 404


def test_mail_links_ignore_a_forged_host_header(app):
    """Are links in e-mail and calendar files built on MDA_BASE_URL, not on the request's Host header?"""
    with app.test_request_context("/", base_url="http://evil.example/"):
        link = mail.public_url("auth.set_password", token="abc")
    assert link == app.config["BASE_URL"] + "/wachtwoord-instellen/abc"
    with app.app_context():  # CLI and background jobs build the same link
        assert mail.public_url("auth.set_password", token="abc") == link
