"""Who may open the admin and privacy pages: a route x role matrix, plus the permission registry."""

from __future__ import annotations

import pytest

from mda.auth.models import ROLES
from mda.core.permissions import PERMISSIONS, has_permission, require_permission
from tests.conftest import audit_rows, csrf_token

#: (method, url template, permission it needs)
ROUTES = [
    ("GET", "/beheer/organisaties", "admin.manage"),
    ("GET", "/beheer/organisaties/nieuw", "admin.manage"),
    ("POST", "/beheer/organisaties/nieuw", "admin.manage"),
    ("GET", "/beheer/organisaties/{org_id}", "admin.manage"),
    ("POST", "/beheer/organisaties/{org_id}", "admin.manage"),
    ("GET", "/beheer/gebruikers", "admin.manage"),
    ("GET", "/beheer/gebruikers/nieuw", "admin.manage"),
    ("POST", "/beheer/gebruikers/nieuw", "admin.manage"),
    ("GET", "/beheer/gebruikers/{user_id}", "admin.manage"),
    ("POST", "/beheer/gebruikers/{user_id}", "admin.manage"),
    ("POST", "/beheer/gebruikers/{user_id}/deactiveren", "admin.manage"),
    ("POST", "/beheer/gebruikers/{user_id}/activeren", "admin.manage"),
    ("POST", "/beheer/gebruikers/{user_id}/resetten", "admin.manage"),
    ("GET", "/beheer/outbox", "outbox.read"),
    ("GET", "/api/v1/users", "admin.manage"),
    ("POST", "/api/v1/organisations", "admin.manage"),
    ("GET", "/privacy/audit", "audit.read"),
    ("GET", "/privacy/audit.csv", "audit.read"),
]
ROUTE_IDS = [f"{m} {u}" for m, u, _ in ROUTES]


@pytest.fixture
def targets(make_user, make_region, make_org):
    """Objects the admin routes act on: an organisation, its region and another account."""
    region = make_region()
    org = make_org("GGZ", region=region)
    other = make_user(org=org)
    return {"org_id": org.id, "user_id": other.id, "region_id": region.id, "email": other.email}


def _request(app, client, method: str, url: str, targets: dict):
    if method == "GET":
        return client.get(url)
    if url.startswith("/api/"):
        body = {"name": "Matrix GGZ", "type_code": "GGZ", "region_id": targets["region_id"]}
        return client.post(url, json=body, headers={"X-CSRFToken": csrf_token(app, client)})
    form = {"name": "Matrix", "type_code": "GGZ", "region_id": targets["region_id"], "active": "y",
            "email": f"nieuw-{url.count('/')}@example.org", "organisation_id": targets["org_id"],
            "roles": ["professional"], "csrf_token": csrf_token(app, client)}
    return client.post(url, data=form)


@pytest.mark.parametrize("role", sorted(ROLES))
@pytest.mark.parametrize("method, template, permission", ROUTES, ids=ROUTE_IDS)
def test_route_role_matrix(app, client, login_as, db, targets, role, method, template, permission):
    """Does each role get exactly the admin and privacy routes its permissions allow, and a
    Dutch 403 (recorded as 'denied', with nothing changed) everywhere else?"""
    user = login_as((role,))
    url = template.format(**targets)
    before = len(audit_rows(db))
    resp = _request(app, client, method, url, targets)
    new_actions = [r.action for r in audit_rows(db)[before:]]
    if role in PERMISSIONS[permission]:
        assert resp.status_code == 200 if method == "GET" else resp.status_code in (201, 302), resp.text[:500]
        assert "denied" not in new_actions
        return
    assert resp.status_code == 403
    if url.startswith("/api/"):
        assert resp.get_json()["title"] == "Geen toegang"
    else:
        assert "Geen toegang" in resp.text
    assert new_actions == ["denied"], "a refused request changes nothing, but is on record"
    denied = audit_rows(db, action="denied")[-1]
    assert denied.user_id == user.id and denied.object_id == permission


@pytest.mark.parametrize("method, template, permission", ROUTES, ids=ROUTE_IDS)
def test_anonymous_is_sent_to_login_or_gets_401(app, client, db, targets, method, template, permission):
    """Is an anonymous visitor redirected to the login page, and an anonymous API call given 401 JSON?"""
    url = template.format(**targets)
    resp = _request(app, client, method, url, targets)
    if url.startswith("/api/"):
        assert resp.status_code == 401
        assert resp.get_json()["error"] == 401
    else:
        assert resp.status_code == 302
        assert resp.headers["Location"].startswith("/login")
    assert [r.action for r in audit_rows(db)] == []


def test_unknown_permission_name_raises():
    """Does a typo in a permission name fail loudly instead of silently opening or closing a door?"""
    with pytest.raises(KeyError):
        has_permission(None, "admin.manag")
    with pytest.raises(KeyError):
        require_permission("audit.reed")


def test_every_permission_is_held_by_known_roles():
    """Is every role named in the permission table a role that exists?"""
    for name, roles in PERMISSIONS.items():
        assert roles and roles <= set(ROLES), name
