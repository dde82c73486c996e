"""Separation of duties: administrators manage accounts but cannot open case data for themselves,
and the outbox never hands them a link that takes over someone's account."""

from __future__ import annotations

import re

import pytest

from mda.auth.models import User
from tests.conftest import form_post


@pytest.fixture
def admin(login_as):
    return login_as(("admin",))


def _edit(app, client, user, roles, organisation_id=None):
    return form_post(app, client, f"/beheer/gebruikers/{user.id}",
                     {"email": user.email, "name": user.name,
                      "organisation_id": organisation_id or user.organisation_id, "roles": roles})


@pytest.mark.parametrize("role", ["team_lead", "coordinator", "professional", "privacy_officer"])
def test_admin_cannot_grant_themselves_a_case_role(app, client, db, admin, role):
    """Can an administrator give their own account a role that opens case data or the audit trail?"""
    resp = _edit(app, client, admin, ["admin", role])
    assert resp.status_code == 422 and "beheerdersaccount" in resp.text
    db.expire_all()
    assert db.get(User, admin.id).roles == {"admin"}


def test_admin_cannot_move_their_own_account_to_a_circle_organisation(app, client, db, admin, make_org):
    """Can an administrator move their own account into another organisation (for instance a case's circle)?"""
    other = make_org("POL")
    resp = _edit(app, client, admin, ["admin"], organisation_id=other.id)
    assert resp.status_code == 422 and "andere beheerder" in resp.text
    db.expire_all()
    assert db.get(User, admin.id).organisation_id == admin.organisation_id


def test_admin_cannot_give_another_admin_a_case_role(app, client, db, admin, make_user):
    """Can an administrator make a second admin account that also reads cases (for a colleague or a sock puppet)?"""
    other_admin = make_user(roles=("admin",))
    resp = _edit(app, client, other_admin, ["admin", "team_lead"])
    assert resp.status_code == 422
    db.expire_all()
    assert db.get(User, other_admin.id).roles == {"admin"}
    invite = form_post(app, client, "/beheer/gebruikers/nieuw",
                       {"email": "dubbel@example.org", "name": "Dubbele Rol", "organisation_id": admin.organisation_id,
                        "roles": ["admin", "coordinator"]})
    assert invite.status_code == 422 and "twee accounts" in invite.text


def test_admin_still_manages_other_accounts(app, client, db, admin, make_user):
    """Can an administrator still give a professional the team-lead role (an ordinary account change)?"""
    user = make_user(roles=("professional",))
    assert _edit(app, client, user, ["team_lead"]).status_code == 302
    db.expire_all()
    assert db.get(User, user.id).roles == {"team_lead"}


def test_outbox_shows_that_a_link_was_sent_not_the_link(app, client, db, admin, make_user):
    """Does the development outbox hide set-password links, so that an admin cannot take over an account?"""
    user = make_user(roles=("coordinator",))
    assert form_post(app, client, f"/beheer/gebruikers/{user.id}/resetten").status_code == 302
    page = client.get("/beheer/outbox")
    assert page.status_code == 200
    assert "/wachtwoord-instellen/[verborgen]" in page.text
    assert not re.search(r"/wachtwoord-instellen/(?!\[verborgen\])[A-Za-z0-9_-]{10,}", page.text)
    # the link in the stored message still works for its owner
    from mda.core import mail

    body = mail.outbox_messages(app)[0][1].get_body(preferencelist=("plain",)).get_content()
    token = re.search(r"/wachtwoord-instellen/([A-Za-z0-9_-]+)", body).group(1)
    assert app.test_client().get(f"/wachtwoord-instellen/{token}").status_code == 200
