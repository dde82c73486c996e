"""Every escalation route and API operation × every role × inside/outside the case's circle.

Expected answers follow from plain rules written apart from the code: anonymous callers go to
the login page (pages) or get 401 (API); a role without the route's permission gets 403; a
case route outside the circle gets 404 (never a hint that the case or escalation exists).
Inside the circle a step is done or refused with a message (the services decide who may act;
tests/escalations/test_services.py checks those rules one by one).
"""

import re

import pytest

from tests.conftest import csrf_token

#: matrix role -> scenario user key (None: anonymous)
ROLES = {
    "coordinator": "coordinator",
    "raiser": "lt",  # LT professional, party
    "other_party": "vt",  # VT professional, party
    "member": "pol",  # professional in the circle, not a party
    "lead_in": "lt_lead",  # decider at level 1
    "manager_in": "vt_manager",  # decider at level 2, in the circle
    "bestuurder": "bestuurder",  # ZVH, decider at level 3
    "outsider": "om",
    "lead_out": "om_lead",
    "manager_out": "om_manager",
    "other_coordinator": "other_coordinator",
    "privacy": "privacy",
    "admin": "admin",
    "anonymous": None,
}
IN_CIRCLE = {"coordinator", "raiser", "other_party", "member", "lead_in", "manager_in", "bestuurder"}
HOLDERS = {
    "case.work": set(ROLES) - {"privacy", "admin", "anonymous"},
    "escalation.steering": {"coordinator", "lead_in", "manager_in", "bestuurder", "lead_out", "manager_out",
                            "other_coordinator"},
}
OK = {200}
STEP = {200, 302, 409, 422}  # done, or refused with a Dutch message

# (method, url, permission, case scope, allowed statuses)
ROUTES = [
    ("GET", "/casussen/{case}/escalaties/nieuw", "case.work", True, OK),
    ("GET", "/casussen/{case}/escalaties/nieuw?entry={entry}", "case.work", True, OK),
    ("GET", "/casussen/{case}/escalaties/nieuw?besluit=7", "case.work", True, OK),
    ("POST", "/casussen/{case}/escalaties/nieuw", "case.work", True, {422}),
    ("GET", "/casussen/{case}/escalaties", "case.work", True, OK),
    ("GET", "/casussen/{case}/escalaties/{esc}", "case.work", True, OK),
    ("POST", "/casussen/{case}/escalaties/{esc}/standpunt", "case.work", True, {422}),
    ("POST", "/casussen/{case}/escalaties/{esc}/hoger", "case.work", True, {422}),
    ("POST", "/casussen/{case}/escalaties/{esc}/besluit", "case.work", True, {422}),
    ("POST", "/casussen/{case}/escalaties/{esc}/bevestigen", "case.work", True, {422}),
    ("POST", "/casussen/{case}/escalaties/{esc}/intrekken", "case.work", True, {422}),
    ("GET", "/escalaties", "case.work", False, OK),
    ("GET", "/escalaties?weergave=regie", "case.work", False, OK),
    ("GET", "/escalaties/stuurinformatie", "escalation.steering", False, OK),
    ("GET", "/escalaties/stuurinformatie.csv", "escalation.steering", False, OK),
    ("GET", "/meldingen", "case.work", False, OK),
    ("POST", "/meldingen/gelezen", "case.work", False, {302}),
    ("GET", "/api/v1/cases/{case}/escalations", "case.work", True, OK),
    ("API", "/api/v1/cases/{case}/escalations", "case.work", True, {422}),
    ("GET", "/api/v1/cases/{case}/escalations/{esc}", "case.work", True, OK),
    ("API", "/api/v1/cases/{case}/escalations/{esc}/positions", "case.work", True, STEP),
    ("API", "/api/v1/cases/{case}/escalations/{esc}/move-up", "case.work", True, STEP),
    ("API", "/api/v1/cases/{case}/escalations/{esc}/decision", "case.work", True, STEP),
    ("API", "/api/v1/cases/{case}/escalations/{esc}/acknowledge", "case.work", True, STEP),
    ("API", "/api/v1/cases/{case}/escalations/{esc}/withdraw", "case.work", True, STEP),
    ("GET", "/api/v1/escalations/dashboard", "case.work", False, OK),
    ("GET", "/api/v1/escalations/steering", "escalation.steering", False, OK),
]

PAYLOADS = {  # valid bodies, so that the loader (not the schema) answers
    "escalations": {"subject_kind": "plan_entry", "subject_id": 999999, "subject_text": "matrix",
                    "urgency": "regulier", "other_organisation_id": 999999, "position": "Standpunt"},
    "positions": {"position": "Standpunt uit de matrix"},
    "move-up": {"reason": "Reden uit de matrix"},
    "decision": {"decision": "Besluit", "reasons": "Redenen", "version": 0},
    "acknowledge": {},
    "withdraw": {"reason": "Reden uit de matrix", "version": 0},
}


def expected(role: str, url: str, permission: str, case_scope: bool, allowed: set[int]) -> set[int]:
    if role == "anonymous":
        return {401} if url.startswith("/api/") else {302}
    if role not in HOLDERS[permission]:
        return {403}
    if case_scope and role not in IN_CIRCLE:
        return {404}
    return allowed


def _call(app, client, method: str, url: str):
    if method == "GET":
        return client.get(url)
    if method == "API":
        return client.post(url, json=PAYLOADS[url.rsplit("/", 1)[-1]],
                           headers={"X-CSRFToken": csrf_token(app, client)})
    return client.post(url, data={"csrf_token": csrf_token(app, client)})


@pytest.mark.parametrize("role", list(ROLES))
def test_every_escalation_route_answers_each_role_as_the_rules_say(app, client, auth, ladder_people, seeded,
                                                                   condition, role):
    """Does each escalation route and API operation answer this role (in or out of the circle) as the rules say?"""
    if ROLES[role] is not None:
        assert auth.login(ladder_people.users[ROLES[role]]).status_code == 302
    targets = {"case": ladder_people.case.id, "esc": seeded.id, "entry": condition.id}
    failures = []
    for method, template, permission, scope, allowed in ROUTES:
        url = template.format(**targets)
        resp = _call(app, client, method, url)
        want = expected(role, url, permission, scope, allowed)
        if resp.status_code not in want:
            failures.append(f"{method} {url}: {resp.status_code}, expected {sorted(want)}")
    assert not failures, "\n".join(failures)


def test_an_escalation_of_another_case_is_not_found(app, client, auth, ladder_people, seeded, make_case):
    """Asking for an escalation under a case it does not belong to (both in my circle): is it 404?"""
    other = make_case(ladder_people.users["coordinator"], members=[ladder_people.users["lt"]])
    auth.login(ladder_people.users["lt"])
    assert client.get(f"/casussen/{other.id}/escalaties/{seeded.id}").status_code == 404
    assert client.get(f"/api/v1/cases/{other.id}/escalations/{seeded.id}").status_code == 404


def test_matrix_lists_every_escalation_route(app):
    """Is every URL rule of the escalations feature in this matrix?"""
    listed = {re.sub(r"\{[a-z_]+\}", "<>", t.split("?")[0]) for _m, t, *_ in ROUTES}
    missing = []
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("escalations.") and "/escalations" not in rule.rule:
            continue
        path = re.sub(r"<[^>]+>", "<>", rule.rule)
        if path not in listed:
            missing.append(rule.rule)
    assert not missing, missing
