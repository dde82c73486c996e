"""Every operation of /api/v1/openapi.json under generated input (schemathesis): no 5xx, every
error in the documented ``{error, title, message}`` shape, and (as a coordinator and as a partner)
every answer as the OpenAPI document says: schemathesis's checks, all but one (see below).

The number of examples per operation is bounded (``MDA_SCHEMATHESIS_EXAMPLES``, default 20) so the
run stays around a minute on SQLite; shrinking is off, a failure is reported as generated.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

EXAMPLES = int(os.environ.get("MDA_SCHEMATHESIS_EXAMPLES", "20"))
ERROR_KEYS = {"error", "title", "message"}


@pytest.fixture
def callers(app, db, make_region, make_org, make_user, make_case, make_person):
    """Bearer headers for a coordinator (with a case in their circle), a partner professional in that circle and an
    admin, and no header at all."""
    from mda import db as mdadb
    from mda.auth import services
    from mda.auth.models import User

    region = make_region()
    zvh, vt = make_org("ZVH", region=region), make_org("VT", region=region)
    coordinator = make_user(roles=("coordinator",), org=zvh)
    member = make_user(roles=("professional",), org=vt)
    admin = make_user(roles=("admin",), org=zvh)
    case = make_case(coordinator, members=[member])
    make_person(case)
    headers = {"anoniem": {}}
    with app.test_request_context():
        s = mdadb.session()
        for name, user in (("regisseur", coordinator), ("partner", member), ("beheerder", admin)):
            headers[name] = {"Authorization": "Bearer " + services.create_api_token(s, s.get(User, user.id), "test")}
        mdadb.commit()
    return headers


def _problem(response) -> str | None:
    """What is wrong with *response*, or None."""
    if response.status_code >= 500:
        return f"{response.status_code}"
    if response.status_code >= 400:
        try:
            body = response.json()
        except ValueError:
            return f"{response.status_code} zonder JSON-foutbericht"
        if not isinstance(body, dict) or not body.keys() >= ERROR_KEYS or body.get("error") != response.status_code:
            return f"{response.status_code} zonder {{error, title, message}}: {str(body)[:120]}"
    return None


def _scanner_refusal(response) -> bool:
    """The one documented 5xx: no virus scanner runs in this test, so an upload that passed every other check is
    refused with the documented 503 (fail closed, docs/documents.md)."""
    if response.status_code != 503:
        return False
    body = response.json()
    return body.get("error") == 503 and "virusscanner" in body.get("message", "")


def _probe(operation, caller: str, headers: dict) -> list[str]:
    """Up to three problems found in EXAMPLES generated calls of *operation* by *caller*."""
    seen: list[str] = []

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def probe(case):
        response = case.call(headers=headers)
        problem = None if _scanner_refusal(response) else _problem(response)
        if problem and len(seen) < 3:
            seen.append(f"{case.method} {case.formatted_path} ({caller}): {problem}")

    probe()
    return seen


def test_every_api_operation_survives_generated_input(app, callers):
    """Does any operation of the API answer generated input (valid and invalid) with a 5xx, or with an
    error body that is not the documented {error, title, message}?"""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20, "the whole API is documented"
    failures: list[str] = []
    for operation in operations:
        for caller, headers in callers.items():
            failures.extend(_probe(operation, caller, headers))
    assert not failures, "\n".join(failures)


#: Not checked yet: "positive data acceptance" (input the schema allows must be accepted). The document does not
#: yet state every rule the services apply (the lists of phases and roles, a deadline not in the past, no NUL in a
#: text, the date-time format of a meeting), so valid-looking input is refused with a documented 422 or 400.
CONTRACT_EXCLUDED = [positive_data_acceptance]


@pytest.mark.parametrize("caller", ["regisseur", "partner"])
def test_every_api_operation_answers_as_its_openapi_document_says(app, callers, caller):
    """Does every operation answer generated input with a status code, content type, headers and body (errors
    included) that its OpenAPI document names, for a coordinator and for a partner professional?"""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = callers[caller]
    failures: dict[str, str] = {}
    for operation in [result.ok() for result in schema.get_all_operations()]:

        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def probe(case):
            try:
                case.call_and_validate(headers=headers, excluded_checks=CONTRACT_EXCLUDED)
            except Exception as exc:  # a FailureGroup of the checks, or anything the call raised
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                failures.setdefault(f"{case.method} {case.path}: {first}", str(exc)[:600])

        probe()
    assert not failures, "\n\n".join(f"{key}\n{detail}" for key, detail in list(failures.items())[:5])
