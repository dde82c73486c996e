"""The OpenAPI document states the services' rules (docs/api.md, "The contract"); schemathesis checks the answers
against it in tests/api/test_schemathesis.py. These tests pin the rules that schemathesis reaches only by chance."""

from __future__ import annotations

import re

import pytest

MAX_ID = 2**31 - 1


@pytest.fixture
def document(client) -> dict:
    return client.get("/api/v1/openapi.json").get_json()


def _operations(document: dict):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def _schema(document: dict, ref_or_schema: dict) -> dict:
    ref = ref_or_schema.get("$ref")
    if ref is None:
        return ref_or_schema
    node = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def _admits_nul(pattern: str | None) -> bool:
    """Whether a text with a NUL byte can match *pattern* (tried on a few texts that would match without it)."""
    return pattern is None or any(re.search(pattern, text) for text in ("\x00", "a\x00", "https://a\x00", "a\x00a"))


def test_every_id_in_a_path_is_documented_within_the_database_range(document):
    """Does every integer path parameter say 1..2^31-1, the ids the database can hold?"""
    bounds = {(p["name"], p["schema"].get("minimum"), p["schema"].get("maximum"))
              for _path, _method, op in _operations(document) for p in op.get("parameters", [])
              if p["in"] == "path"}
    assert bounds and all(low == 1 and high == MAX_ID for _name, low, high in bounds), bounds


def test_every_error_an_operation_can_give_is_documented_in_the_error_shape(document):
    """Does every operation document 400 (a NUL byte), 404 and 503 (database down), and every write 413, 415 and
    422, each with the one Error schema?"""
    missing = []
    for path, method, op in _operations(document):
        codes = {"400", "401", "403", "404", "503"} | ({"409", "413", "415", "422"} if method != "get" else set())
        for code in codes:
            content = op["responses"].get(code, {}).get("content", {}).get("application/json", {})
            if not content.get("schema", {}).get("$ref", "").split("/")[-1].startswith("Error"):
                missing.append(f"{method.upper()} {path} {code}")
    assert not missing, missing


def test_request_bodies_name_their_fields_and_their_limits(document):
    """Does every JSON request body refuse undocumented fields, and does each free text say its length and what it
    may not hold (a pattern that no text with a NUL byte matches)?"""
    loose, unbounded = [], []
    for path, method, op in _operations(document):
        body = op.get("requestBody", {}).get("content", {}).get("application/json")
        if body is None:
            continue
        schema = _schema(document, body["schema"])
        if schema.get("additionalProperties") is not False:
            loose.append(f"{method.upper()} {path}")
        for name, prop in schema.get("properties", {}).items():
            for variant in prop.get("anyOf", [prop]):
                free_text = variant.get("type") == "string" and not {"enum", "format"} & variant.keys()
                if free_text and ("maxLength" not in variant or _admits_nul(variant.get("pattern"))):
                    unbounded.append(f"{method.upper()} {path} {name}")
    assert not loose, loose
    assert not unbounded, unbounded


def test_a_date_says_its_range(document):
    """Is a date of a request body documented with the years 1900-2199 (the date rule)?"""
    schema = _schema(document, document["paths"]["/api/v1/cases/{case_id}/plan/actions"]["post"]["requestBody"]
                     ["content"]["application/json"]["schema"])
    deadline = schema["properties"]["deadline"]
    assert deadline["format"] == "date" and deadline["pattern"].startswith("^(19[0-9]{2}|2[01][0-9]{2})")


@pytest.mark.parametrize("path", ["/api/v1/cases/99999999999/escalations", "/api/v1/meetings/2147483648/invitations"])
def test_a_write_to_an_id_beyond_the_database_range_is_not_found(app, client, auth, make_user, path):
    """Is a POST to a path whose id no database row can have a 404 in the Error shape (not werkzeug's 405 because
    the path also has a GET)?"""
    from tests.conftest import csrf_token

    auth.login(make_user(roles=("coordinator",)))
    resp = client.post(path, json={}, headers={"X-CSRFToken": csrf_token(app, client)})
    assert resp.status_code == 404 and resp.get_json()["error"] == 404


@pytest.mark.parametrize("body", ["false", "[]", "0", '"tekst"'])
def test_a_json_body_that_is_not_an_object_is_refused(app, client, auth, make_user, body):
    """Is a change whose JSON body is not an object (``false``, a list, a number, a string) refused with 422 in the
    Error shape, instead of read as "nothing sent" and accepted doing nothing?"""
    from tests.conftest import csrf_token

    auth.login(make_user(roles=("coordinator",)))
    resp = client.patch("/api/v1/meetings/1", data=body, content_type="application/json",
                        headers={"X-CSRFToken": csrf_token(app, client)})
    assert resp.status_code == 422 and resp.get_json()["error"] == 422
