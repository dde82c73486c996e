"""The JSON API skeleton: OpenAPI document, who-am-I, organisations, users."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from mda.organisations.models import Organisation
from tests.conftest import audit_rows, csrf_token

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _resolve(doc: dict, ref: str):
    assert ref.startswith("#/"), f"external reference {ref}"
    node = doc
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def test_openapi_document_is_valid_openapi_3(client):
    """Is /api/v1/openapi.json a well-formed OpenAPI 3 document that lists /me and /organisations?"""
    resp = client.get("/api/v1/openapi.json")
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    doc = resp.get_json()
    assert re.fullmatch(r"3\.\d+\.\d+", doc["openapi"])
    assert doc["info"]["title"] and doc["info"]["version"]
    assert {"/api/v1/me", "/api/v1/organisations", "/api/v1/users"} <= set(doc["paths"])
    assert "post" in doc["paths"]["/api/v1/organisations"]
    operation_ids = []
    for path, item in doc["paths"].items():
        assert path.startswith("/")
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            assert operation["responses"], f"{method} {path} documents no response"
            for status, response in operation["responses"].items():
                assert re.fullmatch(r"[1-5]\d\d|default", status)
                assert "description" in response
            operation_ids.append(operation.get("operationId"))
    assert len(operation_ids) == len(set(operation_ids)), "operationIds are unique"
    for ref in set(_refs(doc)):
        assert _resolve(doc, ref) is not None
    schemes = doc["components"]["securitySchemes"]
    assert any(s["type"] == "http" and s["scheme"] == "bearer" for s in schemes.values())


def test_openapi_documents_the_error_shape(client):
    """Do the documented error responses use the same body the API really sends (error, title, message)?"""
    doc = client.get("/api/v1/openapi.json").get_json()
    me = doc["paths"]["/api/v1/me"]["get"]["responses"]["401"]
    schema = _resolve(doc, me["content"]["application/json"]["schema"]["$ref"])
    assert {"error", "title", "message"} <= set(schema["required"])
    actual = client.get("/api/v1/me")
    assert actual.status_code == 401
    assert set(schema["required"]) <= set(actual.get_json())


def test_me_returns_the_callers_account(client, login_as):
    """Does /api/v1/me describe the logged-in user and their organisation?"""
    user = login_as(("coordinator", "professional"))
    body = client.get("/api/v1/me").get_json()
    assert body["id"] == user.id and body["email"] == user.email
    assert body["roles"] == ["coordinator", "professional"]
    assert body["organisation"]["id"] == user.organisation_id and body["organisation"]["type_code"] == "VT"


def test_organisations_are_listed_for_any_logged_in_user(client, login_as, make_org):
    """Can every logged-in user read the list of partner organisations?"""
    extra = make_org("POL", name="Politie Testdam")
    login_as(("professional",))
    body = client.get("/api/v1/organisations").get_json()
    assert {"id": extra.id, "name": "Politie Testdam", "type_code": "POL", "type_name": "Politie",
            "region": extra.region.name} in body["organisations"]


def test_users_list_for_admins(client, login_as, make_user):
    """Does an admin get every account from /api/v1/users (without password or 2FA data)?"""
    other = make_user()
    admin = login_as(("admin",))
    users = client.get("/api/v1/users").get_json()["users"]
    assert {u["id"] for u in users} == {admin.id, other.id}
    assert all(set(u) == {"id", "email", "name", "roles", "active", "organisation_id"} for u in users)


def test_admin_creates_organisation_through_the_api_and_it_is_audited(app, client, login_as, db, make_region):
    """Does POST /api/v1/organisations create the organisation (201) with an audit row for the admin?"""
    admin = login_as(("admin",))
    region = make_region()
    resp = client.post("/api/v1/organisations", json={"name": "GGZ API", "type_code": "GGZ",
                                                       "region_id": region.id},
                       headers={"X-CSRFToken": csrf_token(app, client)})
    assert resp.status_code == 201
    org = db.exec(select(Organisation).where(Organisation.name == "GGZ API")).one()
    assert resp.get_json() == {"id": org.id, "name": "GGZ API", "type_code": "GGZ",
                               "type_name": "GGZ-instelling", "region": region.name}
    [row] = audit_rows(db, object_type="organisation")
    assert (row.action, row.user_id, row.object_id) == ("create", admin.id, str(org.id))


@pytest.mark.parametrize("body, field", [
    ({"name": "Zonder type"}, "type_code"),
    ({"name": "Fout id", "type_code": "VT", "region_id": "een"}, "region_id"),
    ([], "body"),
    (False, "body"),
], ids=["missing-field", "wrong-type", "not-an-object", "false"])
def test_invalid_api_input_gets_dutch_422(app, client, login_as, db, body, field):
    """Is invalid JSON input refused with 422 and the documented Dutch error body, creating nothing?"""
    login_as(("admin",))
    before = len(db.exec(select(Organisation)).all())
    resp = client.post("/api/v1/organisations", json=body, headers={"X-CSRFToken": csrf_token(app, client)})
    assert resp.status_code == 422
    data = resp.get_json()
    assert data["error"] == 422 and data["title"] == "Ongeldige invoer"
    assert "Niet alle velden" in data["message"]
    assert field in data["details"]["fields"]
    db.expire_all()
    assert len(db.exec(select(Organisation)).all()) == before
    assert audit_rows(db, object_type="organisation") == []


def test_unknown_organisation_type_gets_the_services_dutch_reason(app, client, login_as, db, make_region):
    """Is a rule of the service (valid type) reported as 422 with its Dutch reason?"""
    login_as(("admin",))
    region = make_region()
    resp = client.post("/api/v1/organisations", json={"name": "X", "type_code": "CIA", "region_id": region.id},
                       headers={"X-CSRFToken": csrf_token(app, client)})
    assert resp.status_code == 422
    assert resp.get_json()["message"] == "Kies een geldig organisatietype."
    assert audit_rows(db, object_type="organisation") == []
