"""Every operation of /api/v1/openapi.json under generated input (schemathesis): no 5xx, every error in the
documented ``{error, title, message}`` shape, and (as a coordinator and as a partner) every answer as the OpenAPI
document says, with ALL of schemathesis's checks: status code, content type, headers and body as documented, valid
data accepted (``positive_data_acceptance``) and invalid data refused (``negative_data_rejection``), and the rest.

Bounded: ``MDA_SCHEMATHESIS_EXAMPLES`` (default 20) generated calls per operation and generation mode; derandomized
(the same calls on every run), shrinking off (a failure is reported as generated). docs/api.md says what is checked.

What the document cannot say (rules between fields and about the data) is generated valid here, each in a
:data:`VALID` hook that changes only the fields its rule is about, to values the document also allows: a consent's
person and recipients from the case, a deadline not in the past, a meeting's times in the coming months. The custom
string format ``local-date-time`` (docs/api.md) and the 1900-2199 range of ``format: date`` get their strategies.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.specs.openapi import formats
from schemathesis.specs.openapi.checks import positive_data_acceptance

EXAMPLES = int(os.environ.get("MDA_SCHEMATHESIS_EXAMPLES", "20"))
ERROR_KEYS = {"error", "title", "message"}
#: an id the database can hold but no object has: what a caller outside a circle meets (404, no hint)
NOBODYS_ID = 2**31 - 1


@dataclass
class World:
    """The accounts and objects of the generated calls."""

    headers: dict[str, dict]
    case_id: int
    person_id: int
    org_of: dict[str, int]
    user_of: dict[str, int]
    #: per caller, plan actions they wrote (and so see)
    plan_action_ids: dict[str, list[int]]


@pytest.fixture
def world(app, db, make_region, make_org, make_user, make_case, make_person) -> World:
    """A coordinator (with a case in their circle), a partner professional in that circle and an admin with
    their bearer headers (and no header at all), a person in the case, and plan actions of each to escalate about."""
    from mda import db as mdadb
    from mda.auth import services
    from mda.auth.models import User
    from mda.core import sharing
    from mda.safety_plan import services as plan

    region = make_region()
    zvh, vt = make_org("ZVH", region=region), make_org("VT", region=region)
    coordinator = make_user(roles=("coordinator",), org=zvh)
    member = make_user(roles=("professional",), org=vt)
    admin = make_user(roles=("admin",), org=zvh)
    case = make_case(coordinator, members=[member])
    person = make_person(case)
    headers = {"anoniem": {}}
    with app.test_request_context():
        s = mdadb.session()
        for name, user in (("regisseur", coordinator), ("partner", member), ("beheerder", admin)):
            headers[name] = {"Authorization": "Bearer " + services.create_api_token(s, s.get(User, user.id), "test")}
        ctx = sharing.load_context(s, s.get(type(case), case.id))
        actions = {caller: [plan.add_action(s, s.get(User, user.id), ctx, description=f"Actie {n}",
                                            deadline=date(2030, 1, 1), owner_organisation_id=vt.id).id
                            for n in range(EXAMPLES + 5)]
                   for caller, user in (("regisseur", coordinator), ("partner", member))}
        mdadb.commit()
    return World(headers=headers, case_id=case.id, person_id=person.id,
                 org_of={"regisseur": zvh.id, "partner": vt.id}, user_of={"regisseur": coordinator.id,
                                                                          "partner": member.id},
                 plan_action_ids=actions)


@pytest.fixture
def clean_scanner(monkeypatch):
    """A virus scanner that finds nothing: the contract is about the API, not about clamd (tests/documents run the
    real one, with an EICAR signature it builds itself, and its fail-closed 503)."""
    from mda.documents import scanner

    class Clean:
        def scan(self, data: bytes) -> str:
            return "schoon (contracttest)"

    monkeypatch.setattr(scanner, "from_config", lambda config, **_kw: Clean())


@pytest.fixture
def contract_formats():
    """Strategies for the formats whose rules JSON Schema cannot hold: ``date`` in 1900-2199 (the date rule) and
    ``local-date-time`` (ISO 8601 local time), put back afterwards."""
    old = formats.STRING_FORMATS.get("date")
    schemathesis.openapi.format("date", st.dates(date(1900, 1, 1), date(2199, 12, 31)).map(date.isoformat))
    schemathesis.openapi.format("local-date-time", st.builds(
        lambda day, minutes: f"{day.isoformat()}T{8 + minutes // 60:02d}:{minutes % 60:02d}",
        st.dates(date(1900, 1, 1), date(2199, 12, 31)), st.integers(0, 9 * 60 - 1)))
    yield
    formats.unregister_string_format("local-date-time")
    if old is not None:
        formats.STRING_FORMATS["date"] = old
        formats._invalidate_caches()


# ----------------------------------------------------------------------------- the document's limits
def _today() -> date:
    from mda.core import clock

    return clock.today()


def _valid_consent(world: World, caller: str, body: dict) -> None:
    """A person of the case, recipients in its circle, given not in the future, valid until not in the past, and a
    representative's name when a representative gave it."""
    body["person_id"] = world.person_id
    body["recipient_organisation_ids"] = [world.org_of["partner"]]
    today = _today()
    given_on = min(date.fromisoformat(body["given_on"]), today)
    body["given_on"] = given_on.isoformat()
    until = body.get("valid_until")
    if until is not None and date.fromisoformat(until) < max(today, given_on):
        body["valid_until"] = None
    if body.get("by_representative") and not body.get("representative", "").strip():
        body["representative"] = "Voogd"


def _valid_action(world: World, caller: str, body: dict) -> None:
    """A deadline before today only when confirmed; one owner: the family, or a professional of the circle (with
    their organisation, if one is named)."""
    if not body.get("confirm_past_deadline") and date.fromisoformat(body["deadline"]) < _today():
        body["deadline"] = _today().isoformat()
    if body.get("owner_is_family"):
        body["owner_user_id"] = body["owner_organisation_id"] = None
    else:
        body["owner_user_id"] = world.user_of["partner"]
        if body.get("owner_organisation_id") is not None:
            body["owner_organisation_id"] = world.org_of["partner"]


def _valid_escalation(world: World, caller: str, body: dict) -> None:
    """Against the other organisation of the circle, about a plan action that has no open escalation yet."""
    from mda.escalations.services import open_on_subject

    body["other_organisation_id"] = world.org_of["partner" if caller == "regisseur" else "regisseur"]
    body["subject_kind"] = "plan_action"
    body["subject_id"] = next(a for a in world.plan_action_ids[caller]
                              if open_on_subject(_session(), world.case_id, "plan_action", a) is None)


def _valid_meeting(world: World, caller: str, body: dict) -> None:
    """A type from agendas/ with the cases it takes, the start a working day in the coming months (the generated
    time of day), three hours long, a place, no separate agenda, chair or update deadline, a series of four weeks."""
    from mda.meetings.agendas import all_types

    types = sorted(all_types())
    kind = types[len(body["title"]) % len(types)]
    body["type"] = kind
    body["case_ids"] = [world.case_id] if all_types()[kind].cases == "een" else []
    start = datetime.fromisoformat(body["start"][:16])
    day = _today() + timedelta(days=7 + start.toordinal() % 120)
    begin = datetime.combine(day, start.time()).replace(second=0)
    body["start"] = begin.strftime("%Y-%m-%dT%H:%M")
    body["end"] = (begin + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M")
    body.update(dst=None, update_deadline=None, agenda=None, case_minutes=None, chair_id=None, minute_taker_id=None)
    if not body.get("location", "").strip() and not body.get("online_link"):
        body["location"] = "Zaal 1"
    if body.get("series"):
        body["series"]["until"] = (day + timedelta(days=28)).isoformat()


#: (method, path) -> what makes a generated body valid for the rules the document cannot hold
def _valid_document(world: World, caller: str, body: dict) -> None:
    """A real (small) PDF about the case's person, in a category of the catalogue, at the case only: the file's
    content, the catalogue and the persons of the case are rules the document names but cannot hold."""
    from tests.documents.conftest import make_pdf

    title = body.get("title", "")
    body.clear()
    body.update({"file": make_pdf(), "category": "risicosignalen", "title": title, "person_ids": [world.person_id]})


VALID: dict[tuple[str, str], Callable[[World, str, dict], None]] = {
    ("POST", "/api/v1/cases/{case_id}/documents"): _valid_document,
    ("POST", "/api/v1/cases/{case_id}/consents"): _valid_consent,
    ("POST", "/api/v1/cases/{case_id}/plan/actions"): _valid_action,
    ("POST", "/api/v1/cases/{case_id}/escalations"): _valid_escalation,
    ("POST", "/api/v1/meetings"): _valid_meeting,
}


#: per caller, the writes that must have been accepted (2xx) at least once: the hooks' data reached the services
EXPECTED_ACCEPTED = {
    "regisseur": [("POST", "/api/v1/cases/{case_id}/consents"), ("POST", "/api/v1/cases/{case_id}/plan/actions"),
                  ("POST", "/api/v1/cases/{case_id}/escalations"), ("POST", "/api/v1/meetings"),
                  ("GET", "/api/v1/cases"), ("GET", "/api/v1/meetings/free-slots"),
                  ("POST", "/api/v1/cases/{case_id}/documents")],
    "partner": [("POST", "/api/v1/cases/{case_id}/plan/actions"), ("POST", "/api/v1/cases/{case_id}/escalations"),
                ("GET", "/api/v1/cases"), ("GET", "/api/v1/cases/{case_id}")],
}


def _session():
    from mda import db as mdadb

    return mdadb.session()


# ----------------------------------------------------------------------------- the probes
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


def test_every_api_operation_survives_generated_input(app, world):
    """Does any operation of the API answer generated input (valid and invalid) with a 5xx, or with an
    error body that is not the documented {error, title, message}?"""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 20, "the whole API is documented"
    failures: list[str] = []
    for operation in operations:
        for caller, headers in world.headers.items():
            failures.extend(_probe(operation, caller, headers))
    assert not failures, "\n".join(failures)


def _path_parameters(operation, world: World) -> dict:
    """The case of the circle for ``case_id`` (so that its bodies meet the services' rules), and for any other id
    one that names nothing (the documented 404: their state machines have tests of their own)."""
    names = {parameter.name for parameter in operation.path_parameters}
    return {name: world.case_id if name == "case_id" else NOBODYS_ID for name in names}


def _excluded(operation) -> list:
    """Checks that cannot hold for *operation*: valid data cannot be sent where the document describes no body
    (the document upload's multipart body, documented by the documents work)."""
    body_taken = operation.method.upper() == "POST" and operation.path.endswith("/documents")
    return [positive_data_acceptance] if body_taken and not operation.body else []


def _contract(app, world: World, caller: str, operation, mode, failures: dict[str, str], accepted: Counter) -> None:
    """EXAMPLES calls of *operation* generated in *mode* by *caller*, each answer validated by every check;
    what fails is added to *failures* (one entry per operation, mode, check and status), and *accepted* counts the
    2xx answers per operation."""
    positive = mode == GenerationMode.POSITIVE
    strategy = operation.as_strategy(generation_mode=mode,
                                     path_parameters=_path_parameters(operation, world) if positive else None)
    valid = VALID.get((operation.method.upper(), operation.path)) if positive else None
    excluded = _excluded(operation)

    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=strategy)
    def probe(case):
        if valid is not None and isinstance(case.body, dict):
            with app.test_request_context():
                valid(world, caller, case.body)
        response = case.call(headers=world.headers[caller])
        if response.status_code < 300:
            accepted[(case.method, case.path)] += 1
        try:
            case.validate_response(response, excluded_checks=excluded, headers=world.headers[caller],
                                   transport_kwargs={"headers": world.headers[caller]})
        except (Exception, BaseExceptionGroup) as exc:  # a FailureGroup of the checks
            for failure in getattr(exc, "exceptions", [exc]):
                title = getattr(failure, "title", type(failure).__name__)
                key = f"{case.method} {case.path} ({mode.value}): {title} {response.status_code}"
                failures.setdefault(key, f"{str(failure)[:300]}\nbody: {str(case.body)[:300]}\nquery: "
                                         f"{str(case.query)[:200]}\npath: {case.path_parameters}\n"
                                         f"answer: {response.text[:300]}")

    probe()


@pytest.mark.parametrize("caller", ["regisseur", "partner"])
def test_every_api_operation_answers_as_its_openapi_document_says(app, world, contract_formats, clean_scanner,
                                                                   caller):
    """Does every operation answer generated input, valid and invalid, with a status code, content type, headers
    and body (errors included) that its OpenAPI document names, accept valid data and refuse invalid data (all
    of schemathesis's checks), for a coordinator and for a partner professional?"""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures: dict[str, str] = {}
    accepted: Counter = Counter()
    for operation in [result.ok() for result in schema.get_all_operations()]:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _contract(app, world, caller, operation, mode, failures, accepted)
    assert not failures, "\n\n".join(f"{key}\n{detail}" for key, detail in list(failures.items())[:8])
    # the valid data reached the services and was stored (the hooks make valid what they should, no more)
    expected = EXPECTED_ACCEPTED[caller]
    assert {op for op in expected if accepted[op] == 0} == set(), dict(accepted)
