"""Every operation of /api/v1/openapi.json under generated input (schemathesis): no 5xx, and every
error in the documented ``{error, title, message}`` shape.

The number of examples per operation is bounded (``MDA_SCHEMATHESIS_EXAMPLES``, default 20) so the
run stays around a minute on SQLite; shrinking is off, a failure is reported as generated.
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings

EXAMPLES = int(os.environ.get("MDA_SCHEMATHESIS_EXAMPLES", "20"))
ERROR_KEYS = {"error", "title", "message"}


@pytest.fixture
def callers(app, db, make_region, make_org, make_user, make_case, make_person):
    """Bearer headers for a coordinator (with a case in their circle) and an admin, and no header at all."""
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
        for name, user in (("regisseur", coordinator), ("beheerder", admin)):
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


def _probe(operation, caller: str, headers: dict) -> list[str]:
    """Up to three problems found in EXAMPLES generated calls of *operation* by *caller*."""
    seen: list[str] = []

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def probe(case):
        response = case.call(headers=headers)
        problem = _problem(response)
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
