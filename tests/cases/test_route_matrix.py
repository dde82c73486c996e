"""Every route of cases, triage, the case API and the privacy operations × every role × inside/outside the circle.

Expected answers follow from four plain rules: anonymous callers are sent to the login page
(pages) or get 401 (API); a role without the route's permission gets 403; a case route
outside the circle gets 404 (never a hint that the case exists); coordinating a case is for
its own coordinator (403 for anyone else in the circle).
"""

from datetime import date, timedelta

import pytest

from mda.cases.models import BreakGlass, Consent, ConsentRecipient, DutyConflictDecision, Referral, ReferralPerson
from mda.core.timeutil import utcnow
from tests.conftest import csrf_token

#: role in the matrix -> scenario user key (None: not logged in)
ROLES = {
    "coordinator": "coordinator",  # the case's coordinator
    "member": "pol",  # professional named in the circle
    "lead_in": "lt_lead",  # team lead of a circle organisation
    "outsider": "om",  # professional outside the circle
    "lead_out": "om_lead",  # team lead of an organisation outside the circle
    "other_coordinator": "other_coordinator",  # coordinator of the region, not of this case
    "privacy": "privacy",
    "admin": "admin",
    "anonymous": None,
}
IN_CIRCLE = {"coordinator", "member", "lead_in"}
HOLDERS = {  # permission -> matrix roles holding it (from the role definitions, not from the code)
    "case.work": {"coordinator", "member", "lead_in", "outsider", "lead_out", "other_coordinator"},
    "case.request": {"coordinator", "member", "lead_in", "outsider", "lead_out", "other_coordinator"},
    "case.triage": {"coordinator", "other_coordinator"},
    "case.coordinate": {"coordinator", "other_coordinator"},
    "case.duty_conflict": {"coordinator", "other_coordinator", "lead_in", "lead_out"},
    "case.break_glass": {"coordinator", "member", "outsider", "other_coordinator"},
    "privacy.manage": {"privacy"},
}
OK = {200}
FORM_POST = {200, 302, 422}  # a POST an allowed user may make: done, or refused with a message

# (method, url, permission, scope, allowed statuses); scope: None | "case" | "coordinate"
ROUTES = [
    ("GET", "/casussen/", "case.work", None, OK),
    ("GET", "/casussen/aanmelden", "case.request", None, OK),
    ("POST", "/casussen/aanmelden", "case.request", None, {422}),
    ("GET", "/casussen/aanmeldingen", "case.request", None, OK),
    ("GET", "/casussen/triage", "case.triage", None, OK),
    ("GET", "/casussen/triage/{referral}", "case.triage", None, OK),
    ("POST", "/casussen/triage/{referral}/bekend", "case.triage", None, OK),
    ("POST", "/casussen/triage/{referral}/doorsturen", "case.triage", None, {302}),
    ("POST", "/casussen/triage/{referral}/afwijzen", "case.triage", None, {422}),
    ("POST", "/casussen/triage/{referral}/toevoegen/{case}", "case.triage", None, {422}),
    ("POST", "/casussen/triage/{referral}/accepteren", "case.triage", None, {302}),
    ("GET", "/casussen/{case}", "case.work", "case", OK),
    ("GET", "/casussen/{case}/personen/nieuw", "case.work", "case", OK),
    ("POST", "/casussen/{case}/personen/nieuw", "case.work", "case", {422}),
    ("GET", "/casussen/{case}/gegevens/nieuw", "case.work", "case", OK),
    ("POST", "/casussen/{case}/gegevens/nieuw", "case.work", "case", {422}),
    ("GET", "/casussen/{case}/gegevens/{item}/doorbraak", "case.break_glass", "case", OK),
    ("POST", "/casussen/{case}/gegevens/{item}/doorbraak", "case.break_glass", "case", FORM_POST),
    ("GET", "/casussen/{case}/toestemmingen/nieuw", "case.work", "case", OK),
    ("POST", "/casussen/{case}/toestemmingen/nieuw", "case.work", "case", {422}),
    ("GET", "/casussen/{case}/toestemmingen/{consent}/intrekken", "case.work", "case", OK),
    ("POST", "/casussen/{case}/toestemmingen/{consent}/intrekken", "case.work", "case", {422}),
    ("GET", "/casussen/{case}/conflict-van-plichten/nieuw", "case.duty_conflict", "case", OK),
    ("POST", "/casussen/{case}/conflict-van-plichten/nieuw", "case.duty_conflict", "case", {422}),
    ("GET", "/casussen/{case}/fase", "case.coordinate", "coordinate", OK),
    ("POST", "/casussen/{case}/fase", "case.coordinate", "coordinate", {422}),
    ("GET", "/casussen/{case}/kring", "case.coordinate", "coordinate", OK),
    ("POST", "/casussen/{case}/kring/organisaties", "case.coordinate", "coordinate", {422}),
    ("GET", "/casussen/{case}/kring/organisaties/{outside_org}/verwijderen", "case.coordinate", "coordinate", OK),
    ("POST", "/casussen/{case}/kring/organisaties/{outside_org}/verwijderen", "case.coordinate", "coordinate", {422}),
    ("GET", "/casussen/{case}/conflict-van-plichten/{decision}/intrekken", "case.duty_conflict", "case", OK),
    ("POST", "/casussen/{case}/conflict-van-plichten/{decision}/intrekken", "case.duty_conflict", "case", {422}),
    # correcting: only the source organisation (items) or who sees name and address (persons) gets the form;
    # tests/cases/test_history.py checks who exactly
    ("GET", "/casussen/{case}/gegevens/{item}/bewerken", "case.work", "case", OK | {403}),
    ("POST", "/casussen/{case}/gegevens/{item}/bewerken", "case.work", "case", {403, 422}),
    ("GET", "/casussen/{case}/gegevens/{item}/geschiedenis", "case.work", "case", OK),
    ("GET", "/casussen/{case}/personen/{person}/bewerken", "case.work", "case", OK | {403}),
    ("POST", "/casussen/{case}/personen/{person}/bewerken", "case.work", "case", {403, 422}),
    ("GET", "/casussen/{case}/toestemmingen/{consent}/bewerken", "case.work", "case", OK),
    ("POST", "/casussen/{case}/toestemmingen/{consent}/bewerken", "case.work", "case", {422}),
    ("GET", "/casussen/{case}/reden-en-doel", "case.coordinate", "coordinate", OK),
    ("POST", "/casussen/{case}/reden-en-doel", "case.coordinate", "coordinate", {422}),
    ("POST", "/casussen/{case}/kring/professionals", "case.coordinate", "coordinate", {422}),
    ("POST", "/casussen/{case}/kring/professionals/{outsider}/verwijderen", "case.coordinate", "coordinate", {422}),
    # documents (tests/documents): the form; a download of an item that is not a document is 404 for everyone
    ("GET", "/casussen/{case}/documenten/nieuw", "case.work", "case", OK),
    ("POST", "/casussen/{case}/documenten/nieuw", "case.work", "case", {422}),
    ("GET", "/casussen/{case}/documenten/{item}/download", "case.work", "case", {404}),
    ("POST", "/api/v1/cases/{case}/documents", "case.work", "case", {422}),
    ("GET", "/api/v1/cases/{case}/documents/{item}/download", "case.work", "case", {404}),
    ("GET", "/api/v1/cases", "case.work", None, OK),
    ("GET", "/api/v1/cases/{case}", "case.work", "case", OK),
    ("API", "/api/v1/cases/{case}/consents", "case.work", "case", {201}),
    ("API", "/api/v1/cases/{case}/consents/{consent}/withdraw", "case.work", "case", OK),
    ("GET", "/privacy/personen", "privacy.manage", None, OK),
    ("GET", "/privacy/personen/{person}", "privacy.manage", None, OK),
    ("GET", "/privacy/personen/{person}/export.json", "privacy.manage", None, OK),
    ("GET", "/privacy/personen/{person}/export.csv", "privacy.manage", None, OK),
    ("GET", "/privacy/personen/{person}/vernietigen", "privacy.manage", None, OK),
    ("POST", "/privacy/personen/{person}/vernietigen", "privacy.manage", None, {422}),
    ("GET", "/privacy/vernietigingen", "privacy.manage", None, OK),
    ("GET", "/privacy/doorbraken", "privacy.manage", None, OK),
    ("POST", "/privacy/doorbraken/{grant}/beoordeeld", "privacy.manage", None, {422}),
    ("POST", "/privacy/doorbraken/{grant}/opvolging", "privacy.manage", None, {422}),
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
    """Ids the routes need: a referral, a consent, a break-glass grant."""
    s = scenario
    referral = Referral(reference="AM-2026-0900", region_id=s.case.region_id, requested_by_id=s.users["lt"].id,
                        requester_organisation_id=s.orgs["LT"].id, reason="Reden", goal="Doel",
                        submitted_at=utcnow())
    db.add(referral)
    db.flush()
    db.add(ReferralPerson(referral_id=referral.id, role="kind", name="Kind Matrix (fictief)",
                          date_of_birth=date(2018, 1, 1)))
    consent = Consent(case_id=s.case.id, person_id=s.persons["victim"].id, given_by="betrokkene zelf",
                      purpose="Overleg", method="mondeling", categories_text="gezondheid",
                      recorded_by_id=s.users["ggz"].id, given_on=date(2026, 1, 1), created_at=utcnow())
    db.add(consent)
    db.flush()
    db.add(ConsentRecipient(consent_id=consent.id, organisation_id=s.orgs["LT"].id))
    grant = BreakGlass(case_id=s.case.id, item_id=s.items["justice"].id, user_id=s.users["pol"].id,
                       reason="Acuut gevaar in de test", opened_at=utcnow(), expires_at=utcnow() + timedelta(hours=1))
    db.add(grant)
    decision = DutyConflictDecision(case_id=s.case.id, organisation_id=s.orgs["LT"].id, category="gezondheid",
                                    decided_by_id=s.users["coordinator"].id, reason="Afweging in de test",
                                    decided_at=utcnow())
    db.add(decision)
    db.commit()
    return {"case": s.case.id, "item": s.items["health"].id, "consent": consent.id, "referral": referral.id,
            "person": s.persons["victim"].id, "grant": grant.id, "outside_org": s.orgs["OM"].id,
            "outsider": s.users["om"].id, "decision": decision.id}


def _call(app, client, method: str, url: str, targets: dict):
    if method == "GET":
        return client.get(url)
    if method == "API":
        payload = ({"reason": "Ingetrokken in de matrixtest"} if url.endswith("/withdraw") else
                   {"person_id": targets["person"], "purpose": "Overleg", "method": "mondeling",
                    "recipient_organisation_ids": [], "categories": ["gezondheid"], "given_on": "2026-01-02"})
        if not url.endswith("/withdraw"):
            payload["recipient_organisation_ids"] = [app.config["_matrix_recipient"]]
        return client.post(url, json=payload, headers={"X-CSRFToken": csrf_token(app, client)})
    if url.endswith("/documents"):  # the document upload takes multipart/form-data (a file), like the page form
        return client.post(url, data={"csrf_token": csrf_token(app, client)}, content_type="multipart/form-data")
    return client.post(url, data={"csrf_token": csrf_token(app, client)})


@pytest.mark.parametrize("role", list(ROLES))
def test_every_route_answers_each_role_as_the_rules_say(app, client, auth, scenario, targets, role):
    """Does each route answer this role (inside or outside the circle) with the status the access rules give?"""
    app.config["_matrix_recipient"] = scenario.orgs["POL"].id
    if ROLES[role] is not None:
        assert auth.login(scenario.users[ROLES[role]]).status_code == 302
    failures = []
    for method, template, permission, scope, allowed in ROUTES:
        url = template.format(**targets)
        resp = _call(app, client, method, url, targets)
        want = expected(role, url, permission, scope, allowed)
        if resp.status_code not in want:
            failures.append(f"{method} {url}: {resp.status_code}, expected {sorted(want)}")
    assert not failures, "\n".join(failures)


def test_matrix_covers_every_route_of_the_feature(app):
    """Is every URL rule of cases, the safety plan, their API and the privacy operations in a matrix?"""
    import re

    from tests.escalations.test_route_matrix import ROUTES as ESCALATION_ROUTES  # listed in their own matrix
    from tests.safety_plan.test_route_matrix import PLAN_ROUTES

    listed = {re.sub(r"\{[a-z_]+\}", "<>", t) for _m, t, *_ in ROUTES + PLAN_ROUTES + ESCALATION_ROUTES}
    missing = []
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<[^>]+>", "<>", rule.rule)
        if not (path.startswith(("/casussen", "/privacy/personen", "/privacy/doorbraken", "/privacy/vern"))
                or path.startswith(("/api/v1/cases", "/mijn-acties", "/api/v1/me/actions",
                                    "/acties-van-mijn-organisatie", "/regie/acties"))):
            continue
        if path.endswith(".<>"):
            path = path.replace(".<>", ".json")
        if path not in listed:
            missing.append(rule.rule)
    assert not missing, missing
