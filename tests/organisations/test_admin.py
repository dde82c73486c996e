"""Administration of organisations and accounts: every change is audited, in its own unit of work."""

from __future__ import annotations

import pytest
from sqlmodel import select

from mda.auth.models import User
from mda.organisations.models import Organisation
from tests.conftest import audit_rows, csrf_token, form_post


@pytest.fixture
def admin(login_as):
    return login_as(("admin",))


@pytest.fixture
def scene(admin, make_user, make_org, make_region):
    """An admin logged in, a region, an organisation and an account to act on."""
    region = make_region()
    org = make_org("GGZ", region=region)
    other = make_user(org=org, roles=("professional",))
    return {"admin": admin, "region": region, "org": org, "other": other}


def _create_org(app, client, s):
    return form_post(app, client, "/beheer/organisaties/nieuw",
                     {"name": "Nieuwe GGZ", "type_code": "GGZ", "region_id": s["region"].id, "active": "y"})


def _edit_org(app, client, s):
    return form_post(app, client, f"/beheer/organisaties/{s['org'].id}",
                     {"name": "Hernoemde GGZ", "type_code": "GGZ", "region_id": s["region"].id})


def _invite(app, client, s):
    return form_post(app, client, "/beheer/gebruikers/nieuw",
                     {"email": "nieuw@example.org", "name": "Nieuwe Collega", "organisation_id": s["org"].id,
                      "roles": ["coordinator", "professional"]})


def _edit_user(app, client, s):
    return form_post(app, client, f"/beheer/gebruikers/{s['other'].id}",
                     {"email": s["other"].email, "name": "Andere Naam", "organisation_id": s["org"].id,
                      "roles": ["team_lead"]})


def _deactivate(app, client, s):
    return form_post(app, client, f"/beheer/gebruikers/{s['other'].id}/deactiveren")


def _activate(app, client, s):
    form_post(app, client, f"/beheer/gebruikers/{s['other'].id}/deactiveren")
    return form_post(app, client, f"/beheer/gebruikers/{s['other'].id}/activeren")


def _reset(app, client, s):
    return form_post(app, client, f"/beheer/gebruikers/{s['other'].id}/resetten")


def _api_create_org(app, client, s):
    return client.post("/api/v1/organisations",
                       json={"name": "API GGZ", "type_code": "GGZ", "region_id": s["region"].id},
                       headers={"X-CSRFToken": csrf_token(app, client)})


def _check_created_org(db, s):
    return db.exec(select(Organisation).where(Organisation.name == "Nieuwe GGZ")).one().id


def _check_edited_org(db, s):
    assert db.get(Organisation, s["org"].id).name == "Hernoemde GGZ"
    return s["org"].id


def _check_invited(db, s):
    user = db.exec(select(User).where(User.email == "nieuw@example.org")).one()
    assert user.roles == {"coordinator", "professional"} and user.password_hash is None
    return user.id


def _check_edited_user(db, s):
    user = db.get(User, s["other"].id)
    assert user.name == "Andere Naam" and user.roles == {"team_lead"}
    return user.id


def _check_inactive(db, s):
    assert db.get(User, s["other"].id).active is False
    return s["other"].id


def _check_active(db, s):
    assert db.get(User, s["other"].id).active is True
    return s["other"].id


def _check_reset(db, s):
    user = db.get(User, s["other"].id)
    assert user.password_hash is None and not user.totp_enabled and user.totp_secret is None
    return user.id


def _check_api_org(db, s):
    return db.exec(select(Organisation).where(Organisation.name == "API GGZ")).one().id


CHANGES = [
    ("organisatie aanmaken", _create_org, _check_created_org, "create", "organisation", "aangemaakt"),
    ("organisatie wijzigen", _edit_org, _check_edited_org, "update", "organisation", "-> Hernoemde GGZ"),
    ("gebruiker uitnodigen", _invite, _check_invited, "create", "user", "nieuw@example.org"),
    ("gebruiker wijzigen", _edit_user, _check_edited_user, "update", "user", "team_lead"),
    ("deactiveren", _deactivate, _check_inactive, "update", "user", "account gedeactiveerd"),
    ("activeren", _activate, _check_active, "update", "user", "account geactiveerd"),
    ("resetten", _reset, _check_reset, "update", "user", "account gereset"),
    ("API organisatie aanmaken", _api_create_org, _check_api_org, "create", "organisation", "aangemaakt"),
]


@pytest.mark.parametrize("do, check, action, object_type, summary", [c[1:] for c in CHANGES],
                         ids=[c[0] for c in CHANGES])
def test_every_admin_change_is_audited(app, client, db, scene, do, check, action, object_type, summary):
    """Does each admin change take effect and leave an audit row naming the admin, the object and
    what changed?"""
    before = len(audit_rows(db))
    resp = do(app, client, scene)
    assert resp.status_code in (201, 302), resp.text[:500]
    db.expire_all()
    object_id = check(db, scene)
    rows = [r for r in audit_rows(db)[before:] if r.object_type == object_type]
    assert rows, "no audit row for the change"
    row = rows[-1]
    assert row.action == action and row.object_id == str(object_id)
    assert row.user_id == scene["admin"].id and row.organisation_id == scene["admin"].organisation_id
    assert summary in row.summary


def test_admin_cannot_deactivate_own_account(app, client, db, admin):
    """Is an admin stopped from locking themselves out, with a Dutch message and nothing changed?"""
    resp = form_post(app, client, f"/beheer/gebruikers/{admin.id}/deactiveren", follow_redirects=True)
    assert "U kunt uw eigen account niet deactiveren." in resp.text
    db.expire_all()
    assert db.get(User, admin.id).active
    assert [r.action for r in audit_rows(db)] == ["login"]


def test_admin_cannot_drop_own_admin_role(app, client, db, admin):
    """Is an admin stopped from removing their own admin role?"""
    resp = form_post(app, client, f"/beheer/gebruikers/{admin.id}",
                     {"email": admin.email, "name": "Ik", "organisation_id": admin.organisation_id,
                      "roles": ["professional"]})
    assert "U kunt uw eigen beheerdersrol niet intrekken." in resp.text
    db.expire_all()
    assert db.get(User, admin.id).roles == {"admin"}


def test_inviting_an_existing_address_is_refused(app, client, db, scene, make_user):
    """Is a second account for the same address (in other capitals) refused with a Dutch message?"""
    make_user(email="bestaand@example.org", org=scene["org"])
    resp = form_post(app, client, "/beheer/gebruikers/nieuw",
                     {"email": "Bestaand@Example.org", "name": "Dubbel", "organisation_id": scene["org"].id,
                      "roles": ["professional"]})
    assert resp.status_code == 422  # refused: nothing committed, the form shown again
    assert "Er bestaat al een account met dit e-mailadres." in resp.text
    assert len(db.exec(select(User)).all()) == 3


def test_invalid_address_is_refused_in_dutch(app, client, db, scene):
    """Is an invitation to a malformed address refused with a Dutch message?"""
    resp = form_post(app, client, "/beheer/gebruikers/nieuw",
                     {"email": "geen-adres", "name": "X", "organisation_id": scene["org"].id,
                      "roles": ["professional"]})
    assert resp.status_code == 422 and "Vul een geldig e-mailadres in." in resp.text
    assert len(db.exec(select(User)).all()) == 2


def test_demo_account_on_reserved_domain_can_be_edited(app, client, db, scene, make_user):
    """Can an admin change a demo account whose address is on the reserved .invalid domain?"""
    demo = make_user(email="regisseur@demo.invalid", org=scene["org"], is_demo=True)
    resp = form_post(app, client, f"/beheer/gebruikers/{demo.id}",
                     {"name": "Demo Hernoemd", "organisation_id": scene["org"].id, "roles": ["coordinator"]})
    assert resp.status_code == 302, resp.text[:300]
    db.expire_all()
    edited = db.get(User, demo.id)
    assert edited.name == "Demo Hernoemd" and edited.email == "regisseur@demo.invalid"


def test_invite_without_role_is_refused(app, client, db, scene):
    """Is an invitation without any role refused with a Dutch message?"""
    resp = form_post(app, client, "/beheer/gebruikers/nieuw",
                     {"email": "rolloos@example.org", "name": "Rolloos", "organisation_id": scene["org"].id})
    assert resp.status_code == 422 and "Kies minstens één rol." in resp.text
    assert db.exec(select(User).where(User.email == "rolloos@example.org")).first() is None


def test_role_change_ends_the_users_sessions(app, db, scene):
    """When an admin changes someone's roles, must that person log in again to get the new rights?"""
    from tests.conftest import AuthActions

    other_client = app.test_client()
    AuthActions(app, other_client, db).login(scene["other"])
    assert other_client.get("/").status_code == 200
    admin_client = app.test_client()
    AuthActions(app, admin_client, db).login(scene["admin"])
    _edit_user(app, admin_client, scene)
    assert other_client.get("/").status_code == 302


def test_lists_show_organisations_and_users(app, client, scene):
    """Do the admin lists show the organisations and the accounts with their roles?"""
    orgs = client.get("/beheer/organisaties")
    assert scene["org"].name in orgs.text
    users = client.get("/beheer/gebruikers")
    assert scene["other"].email in users.text and "Professional" in users.text


def test_an_organisation_gets_a_mailbox_and_a_wrong_address_is_refused(app, client, scene, db):
    """Can the admin set an organisation's mailbox (for reminders of its actions), and is a malformed address
    refused with a Dutch message, the typed name kept?"""
    url = f"/beheer/organisaties/{scene['org'].id}"
    base = {"name": "GGZ met mailbox", "type_code": "GGZ", "region_id": scene["region"].id, "active": "y"}
    bad = form_post(app, client, url, {**base, "mailbox": "geen-adres"})
    assert bad.status_code == 422 and "Vul een geldig e-mailadres in." in bad.text and "GGZ met mailbox" in bad.text
    assert form_post(app, client, url, {**base, "mailbox": "team@ggz.example"}).status_code == 302
    db.expire_all()
    assert db.get(Organisation, scene["org"].id).mailbox == "team@ggz.example"


def test_a_second_organisation_with_the_same_name_in_the_region_is_refused(app, client, db, scene, make_org,
                                                                           make_region):
    """Can the admin create, or rename to, an organisation whose name another organisation of the same region
    already has (other capitals, spaces around it), which would make two identical entries in circle and owner
    lists? Is the refusal on the name field, in Dutch, with the typed input kept and nothing stored, while the
    same name in another region and a change of capitals to an organisation's own name are fine?"""
    existing = scene["org"].name
    typed = f"  {existing.upper()} "
    before = len(db.exec(select(Organisation)).all())
    create = form_post(app, client, "/beheer/organisaties/nieuw",
                       {"name": typed, "type_code": "GGZ", "region_id": scene["region"].id, "active": "y"})
    message = f"In deze regio bestaat al een organisatie met de naam ‘{existing.upper()}’"
    assert create.status_code == 422
    assert f'<div class="utrecht-form-field-error-message" id="name-err">{message}' in create.text
    assert f'value="{typed}"' in create.text  # what was typed is kept
    other = make_org("VT", region=scene["region"])
    rename = form_post(app, client, f"/beheer/organisaties/{other.id}",
                       {"name": existing, "type_code": "VT", "region_id": scene["region"].id, "active": "y"})
    assert rename.status_code == 422 and 'id="name-err"' in rename.text and existing in rename.text
    api = client.post("/api/v1/organisations", json={"name": existing, "type_code": "GGZ",
                                                     "region_id": scene["region"].id},
                      headers={"X-CSRFToken": csrf_token(app, client)})
    assert api.status_code == 422 and api.get_json()["details"] == {"field": "name"}
    db.expire_all()
    assert len(db.exec(select(Organisation)).all()) == before + 1  # only make_org's
    assert db.get(Organisation, other.id).name != existing
    # the same name elsewhere, and an organisation keeping its own name in other capitals, are accepted
    assert form_post(app, client, "/beheer/organisaties/nieuw",
                     {"name": existing, "type_code": "GGZ", "region_id": make_region().id,
                      "active": "y"}).status_code == 302
    assert form_post(app, client, f"/beheer/organisaties/{scene['org'].id}",
                     {"name": existing.lower(), "type_code": "GGZ", "region_id": scene["region"].id,
                      "active": "y"}).status_code == 302
