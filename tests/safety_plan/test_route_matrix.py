"""Every route of the safety plan (pages, exports, API) × every role × inside/outside the circle.

The same four rules as tests/cases/test_route_matrix.py: anonymous callers go to the login
page (pages) or get 401 (API); a role without the route's permission gets 403; a case route
outside the circle gets 404; coordinating is for the case's own coordinator (403 otherwise).
"""

import shutil

import pytest

from mda.core import sharing
from mda.safety_plan import services, versions
from tests.cases.test_route_matrix import HOLDERS as CASE_HOLDERS
from tests.cases.test_route_matrix import IN_CIRCLE, OK, ROLES
from tests.conftest import csrf_token, working_day

HOLDERS = {**CASE_HOLDERS,  # from the role definitions: plan.approve/export are coordinators' and team leads'
           "plan.approve": {"coordinator", "other_coordinator", "lead_in", "lead_out"},
           "plan.export": {"coordinator", "other_coordinator", "lead_in", "lead_out"},
           "action.assign": {"lead_in", "lead_out"}}
FORM = {422}

# (method, url, permission, scope, allowed statuses); removals and the proposal come last
PLAN_ROUTES = [
    ("GET", "/casussen/{case}/plan", "case.work", "case", OK),
    ("GET", "/casussen/{case}/plan/versies", "case.work", "case", OK),
    ("GET", "/casussen/{case}/plan/versies/{version}", "case.work", "case", OK),
    ("GET", "/casussen/{case}/plan/export.docx", "plan.export", "case", OK),
    ("GET", "/casussen/{case}/plan/export-gezin.docx", "plan.export", "case", OK),
    ("GET", "/casussen/{case}/plan/export.pdf", "plan.export", "case", OK if shutil.which("soffice") else {404}),
    ("POST", "/casussen/{case}/plan/regels", "case.work", "case", FORM),
    ("POST", "/casussen/{case}/plan/regels/{entry}", "case.work", "case", FORM),
    ("POST", "/casussen/{case}/plan/acties", "case.work", "case", FORM),
    ("POST", "/casussen/{case}/plan/acties/{action}", "case.work", "case", FORM),
    ("POST", "/casussen/{case}/plan/acties/{action}/status", "case.work", "case", FORM),
    ("POST", "/casussen/{case}/plan/evaluatie", "case.work", "case", {302}),
    ("POST", "/casussen/{case}/plan/versies/{version}/vaststellen", "plan.approve", "case", FORM),
    ("GET", "/mijn-acties", "case.work", None, OK),
    ("GET", "/acties-van-mijn-organisatie", "case.work", None, OK),
    ("GET", "/regie/acties", "case.coordinate", None, OK),
    ("POST", "/casussen/{case}/plan/acties/{action}/toewijzen", "action.assign", "case", FORM),
    ("POST", "/casussen/{case}/plan/acties/{action}/termijn", "case.work", "case", FORM),
    ("GET", "/api/v1/cases/{case}/plan", "case.work", "case", OK),
    ("GET", "/api/v1/me/actions", "case.work", None, OK),
    ("API", "/api/v1/cases/{case}/plan/actions", "case.work", "case", {201}),
    ("API", "/api/v1/cases/{case}/plan/actions/{action}/status", "case.work", "case", OK),
    ("POST", "/casussen/{case}/plan/voorstellen", "case.coordinate", "coordinate", {302}),
    ("POST", "/casussen/{case}/plan/regels/{entry}/verwijderen", "case.work", "case", {302, 422}),
    ("POST", "/casussen/{case}/plan/acties/{action}/verwijderen", "case.work", "case", {302, 422}),
]


def expected(role: str, url: str, permission: str, scope: str | None, allowed: set[int]) -> set[int]:
    if role == "anonymous":
        return {401} if url.startswith("/api/") else {302}
    if role not in HOLDERS[permission]:
        return {403}
    if scope in ("case", "coordinate") and role not in IN_CIRCLE:
        return {404}
    if scope == "coordinate" and role != "coordinator":
        return {403}
    return allowed


@pytest.fixture
def targets(db, scenario):
    """An entry, an action and a proposal in the scenario's plan."""
    s = scenario
    ctx = sharing.load_context(db, s.case)
    entry = services.add_entry(db, s.users["coordinator"], ctx, section="zorg", text="Zorg")
    action = services.add_action(db, s.users["coordinator"], ctx, description="Actie",
                                 deadline=working_day(9), owner_is_family=True)
    version = versions.propose(db, s.users["coordinator"], ctx)
    db.commit()
    return {"case": s.case.id, "entry": entry.id, "action": action.id, "version": version.id}


def _call(app, client, method: str, url: str):
    if method == "GET":
        return client.get(url)
    headers = {"X-CSRFToken": csrf_token(app, client)}
    if method == "API":
        payload = ({"status": "bezig", "comment": "Gestart in de matrixtest"} if url.endswith("/status") else
                   {"description": "Matrixactie", "deadline": (working_day(5)).isoformat(),
                    "owner_is_family": True})
        return client.post(url, json=payload, headers=headers)
    data = {"csrf_token": csrf_token(app, client)}
    if url.endswith("/evaluatie"):
        data["next_evaluation_on"] = (working_day(40)).isoformat()
    return client.post(url, data=data)


@pytest.mark.parametrize("role", list(ROLES))
def test_every_plan_route_answers_each_role_as_the_rules_say(app, client, auth, scenario, targets, role):
    """Does each plan route answer this role (inside or outside the circle) with the status the access rules give?"""
    if ROLES[role] is not None:
        assert auth.login(scenario.users[ROLES[role]]).status_code == 302
    failures = []
    for method, template, permission, scope, allowed in PLAN_ROUTES:
        url = template.format(**targets)
        resp = _call(app, client, method, url)
        want = expected(role, url, permission, scope, allowed)
        if resp.status_code not in want:
            failures.append(f"{method} {url}: {resp.status_code}, expected {sorted(want)}")
    assert not failures, "\n".join(failures)
