"""The one refusal path (mda.core.refusal): a ServiceError becomes the form again (pages), the documented Error
body (API) or a ``fout`` (sockets, tests/live/test_refusal.py); no route catches it by hand."""

from __future__ import annotations

import ast
from pathlib import Path

from sqlmodel import select

from mda.auth.models import User
from mda.core.errors import ServiceError
from tests.conftest import csrf_token, form_post, text_of

MDA = Path(__file__).resolve().parents[2] / "mda"

#: the handlers of the one path, and the few places that catch a refusal for another reason than answering it
ALLOWED = {
    "core/refusal.py": "the handler of pages, API and CLI",
    "live/guard.py": "the handler of socket events",
    "documents/services.py": "audits a refused upload, then raises it again (owned by the documents feature)",
    "documents/filetypes.py": "lets a refusal pass before a broad except of a PDF parser",
    "escalations/jobs.py": "the auto-escalation job goes on with the next escalation",
    "meetings/routes.py": "inviting an escalation's people goes on with the next person (a warning each)",
    "demo/live.py": "the demo seeder leaves out who cannot be invited",
}


def _refusal_names() -> set[str]:
    """ServiceError and every subclass of it the application defines (the ``app`` fixture imported them all)."""
    names, todo = set(), [ServiceError]
    while todo:
        cls = todo.pop()
        names.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return names


def _caught(handler: ast.ExceptHandler) -> set[str]:
    nodes = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type] if handler.type else []
    return {n.attr if isinstance(n, ast.Attribute) else getattr(n, "id", "") for n in nodes}


def test_no_route_catches_a_service_error_by_hand(app):
    """Is every ServiceError (or subclass) left to the one handler: no ``except ServiceError`` outside it?"""
    names = _refusal_names()
    assert {"ServiceError", "ConflictError", "LiveError", "MeetingError"} <= names
    found = []
    for path in sorted(MDA.rglob("*.py")):
        relative = path.relative_to(MDA).as_posix()
        if relative in ALLOWED:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ExceptHandler) and _caught(node) & names:
                found.append(f"{relative}:{node.lineno}")
    assert found == [], "refusals caught by hand (raise them; mda.core.refusal answers): " + ", ".join(found)


def test_no_hand_made_refusal_helpers_or_message_tests_remain():
    """Are the old refusal styles gone: ``_fail``, ``_refuse``, ``_refused`` helpers and ``"intussen" in str(exc)``?"""
    found = []
    for path in sorted(MDA.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef) and node.name in ("_fail", "_refuse", "_refused"):
                found.append(f"{path.relative_to(MDA)}:{node.lineno} def {node.name}")
            if isinstance(node, ast.Compare) and isinstance(node.left, ast.Constant) and node.left.value == "intussen":
                found.append(f"{path.relative_to(MDA)}:{node.lineno} 'intussen' in ...")
    allowed = {
        "core/input_guard.py",  # _refuse there aborts with an HTTP error before any service runs
        "documents/services.py",  # _refused audits a refused upload and raises it again (documents feature)
        "sso/routes.py",  # _refused answers a failed OpenID Connect login (SsoError, a protocol failure)
    }
    assert [f for f in found if f.split(":")[0] not in allowed] == []


def test_a_refused_form_comes_back_with_the_typed_input_and_the_dutch_message(app, client, db, login_as, make_user):
    """When a service refuses a form (an existing address), is the form shown again (422) with what was typed,
    the Dutch message at the top and on its field, and nothing stored?"""
    admin = login_as(("admin",))
    make_user(email="bestaand@example.org", org=admin.organisation)
    before = len(db.exec(select(User)).all())
    resp = form_post(app, client, "/beheer/gebruikers/nieuw",
                     {"email": "Bestaand@Example.org", "name": "Getypte Naam Blijft", "roles": ["professional"],
                      "organisation_id": admin.organisation_id})
    assert resp.status_code == 422
    page = text_of(resp.text)
    assert page.count("Er bestaat al een account met dit e-mailadres.") >= 2  # the flash and the field
    assert 'value="Getypte Naam Blijft"' in resp.text and 'value="Bestaand@Example.org"' in resp.text
    assert 'utrecht-form-field-error-message' in resp.text
    assert len(db.exec(select(User)).all()) == before


def test_a_refusal_through_the_api_is_the_documented_error_body(app, client, db, login_as, make_region):
    """Does a service's refusal through the API answer with the documented Error schema (and nothing beside it),
    naming the field in details?"""
    doc = client.get("/api/v1/openapi.json").get_json()
    login_as(("admin",))
    resp = client.post("/api/v1/organisations", json={"name": "X", "type_code": "CIA", "region_id": make_region().id},
                       headers={"X-CSRFToken": csrf_token(app, client)})
    assert resp.status_code == 422
    body = resp.get_json()
    schema = doc["components"]["schemas"][next(k for k in doc["components"]["schemas"] if k.startswith("Error"))]
    assert set(schema["required"]) <= set(body) <= set(schema["properties"])
    assert body == {"error": 422, "title": "Ongeldige invoer", "message": "Kies een geldig organisatietype.",
                    "details": {"field": "type_code"}}
    assert "fout" not in body and "veld" not in body


def test_a_conflict_is_a_409_by_its_type_not_by_its_wording(app):
    """Is a stale version refused as a ConflictError (409) whatever its message says?"""
    from mda.core import refusal
    from mda.core.errors import ConflictError

    with app.test_request_context("/api/v1/anything"):
        response, status = refusal.answer(ConflictError("Iets anders gewijzigd."))
    assert status == 409 and response.get_json()["message"] == "Iets anders gewijzigd."
