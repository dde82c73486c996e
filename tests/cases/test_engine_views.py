"""Data that used to bypass the engine: reason and goal, consent rows, decision rows, break-glass text.

The case here lives in a region without a covenant file, so nothing is shared by covenant:
every basis is the source organisation, a consent or a conflict-of-duties decision, and
the tests can see the engine mask what a route used to show to the whole circle.
"""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlmodel import select

from mda.cases.models import Consent, DutyConflictDecision
from mda.core.timeutil import utcnow
from tests.cases.conftest import api_post
from tests.conftest import audit_rows, audit_subjects, form_post

REASON = "GEHEIM-REDEN: behandeling in de GGZ na een suïcidepoging (fictief)"
GOAL = "GEHEIM-DOEL: afspraken over de behandeling (fictief)"


@pytest.fixture
def strict(db, make_region, make_org, make_user, make_case, make_person):
    """A case in a region without covenant; reason and goal are GGZ health data from the GGZ."""
    region = make_region()
    orgs = {t: make_org(t, region=region) for t in ("ZVH", "POL", "GGZ", "LT")}
    users = {t.lower(): make_user(roles=("professional",), org=orgs[t]) for t in ("POL", "GGZ", "LT")}
    users["coordinator"] = make_user(roles=("coordinator",), org=orgs["ZVH"])
    users["lt_lead"] = make_user(roles=("team_lead",), org=orgs["LT"])
    case = make_case(users["coordinator"], members=[users["pol"], users["ggz"], users["lt"]], region=region,
                     reason=REASON, goal=GOAL, reason_category="gezondheid", goal_category="gezondheid",
                     source_organisation_id=orgs["GGZ"].id)
    victim = make_person(case, source_org=orgs["ZVH"], name="Wilma Weggestopt (fictief)", bsn="123456782",
                         date_of_birth=date(1977, 3, 14))
    return dict(case=case, orgs=orgs, users=users, victim=victim)


def test_reason_and_goal_are_decided_by_the_engine_on_page_and_api(app, client, switch_to, db, strict):
    """Does the police, with no basis for GGZ data, get neither the case's reason nor its goal in the page
    or the API (but the reason why not), while the GGZ, their source, sees both with the basis named?"""
    case = strict["case"]
    switch_to(strict["users"]["pol"])
    page = client.get(f"/casussen/{case.id}").text
    assert "GEHEIM-REDEN" not in page and "GEHEIM-DOEL" not in page and "Niet gedeeld" in page
    body = client.get(f"/api/v1/cases/{case.id}").get_json()
    assert body["reason"] is None and body["goal"] is None
    assert "GEHEIM" not in str(body) and body["reason_detail"]["niet_gedeeld"]
    switch_to(strict["users"]["ggz"])
    assert "GEHEIM-REDEN" in client.get(f"/casussen/{case.id}").text
    body = client.get(f"/api/v1/cases/{case.id}").get_json()
    assert body["reason"] == REASON and body["reason_detail"]["basis"].startswith("eigen organisatie")
    links = audit_subjects(db, user_id=strict["users"]["ggz"].id, kind="aanleiding")
    assert {link.person_id for _, link in links} == {strict["victim"].id}


def test_consent_row_free_text_is_masked_by_the_engine_on_page_and_api(app, client, switch_to, db, strict,
                                                                       make_consent):
    """Does a professional without a basis for the person's identity see a consent's status and categories
    but not who gave it, its purpose or its withdrawal reason, on the page and in the API answer to a
    withdrawal?"""
    victim, users, orgs = strict["victim"], strict["users"], strict["orgs"]
    consent = make_consent(strict["case"], victim, [orgs["LT"]], ["risicosignalen"], users["coordinator"],
                           given_by="GEHEIM-VOOGD Vader Fictief", purpose="GEHEIM-DOEL-TOESTEMMING")
    switch_to(users["pol"])
    page = client.get(f"/casussen/{strict['case'].id}").text
    assert re.search(rf'<td[^>]*class="utrecht-table__cell"[^>]*>{consent.id}</td>', page)
    resp = api_post(app, client, f"/api/v1/cases/{strict['case'].id}/consents/{consent.id}/withdraw",
                    {"reason": "GEHEIM-INTREKKING op verzoek van moeder"})
    assert resp.status_code == 200, resp.text
    body = resp.get_json()
    assert body["withdrawn_at"] and body["status"] == "ingetrokken"
    assert body["given_by"] is None and body["purpose"] is None and body["shared"] is False
    # the withdrawal reason is the police's own text: their own organisation is its source
    assert body["withdrawal_reason"] == "GEHEIM-INTREKKING op verzoek van moeder"
    switch_to(users["lt"])
    page = client.get(f"/casussen/{strict['case'].id}").text
    assert "GEHEIM-INTREKKING" not in page and "GEHEIM-VOOGD" not in page
    detail = client.get(f"/api/v1/cases/{strict['case'].id}").get_json()
    assert detail["consents"][0]["withdrawal_reason"] is None and detail["consents"][0]["given_by"] is None
    switch_to(users["coordinator"])
    page = client.get(f"/casussen/{strict['case'].id}").text
    assert "GEHEIM-VOOGD" in page and "GEHEIM-DOEL-TOESTEMMING" in page
    assert audit_subjects(db, user_id=users["coordinator"].id, kind=f"toestemming nr. {consent.id}")


def test_decision_reason_is_decided_by_the_engine_not_by_role(app, client, switch_to, db, strict):
    """Is a conflict-of-duties reasoning shown to whoever has a basis for its category (the recipient, the
    decider's organisation) and withheld from a team lead who may record decisions but has no basis?"""
    users, orgs = strict["users"], strict["orgs"]
    db.add(DutyConflictDecision(case_id=strict["case"].id, organisation_id=orgs["POL"].id, category="gezondheid",
                                person_id=strict["victim"].id, decided_by_id=users["coordinator"].id,
                                reason="GEHEIM-AFWEGING acuut gevaar voor de kinderen", decided_at=utcnow()))
    db.commit()
    switch_to(users["pol"])  # the recipient: the decision is its basis for GGZ data about the victim
    assert "GEHEIM-AFWEGING" in client.get(f"/casussen/{strict['case'].id}").text
    switch_to(users["lt_lead"])
    page = client.get(f"/casussen/{strict['case'].id}").text
    assert "GEHEIM-AFWEGING" not in page and "Afweging niet gedeeld" in page
    body = client.get(f"/api/v1/cases/{strict['case'].id}").get_json()
    assert body["decisions"][0]["reason"] is None and body["decisions"][0]["niet_gedeeld"]


def test_no_route_builds_consent_or_decision_rows():
    """Are the route-made masking rules gone from the case routes (the engine's views are rendered)?"""
    from mda.cases import routes

    assert not hasattr(routes, "_consent_rows") and not hasattr(routes, "_decision_rows")


def test_views_shown_on_a_422_are_audited(app, client, switch_to, db, strict):
    """When a form is re-rendered with errors (422, the work rolled back), are the persons it showed on
    record in the trail anyway?"""
    switch_to(strict["users"]["coordinator"])
    resp = form_post(app, client, f"/casussen/{strict['case'].id}/gegevens/nieuw",
                     {"category": "bestaat-niet", "content": "x", "recorded_on": "2026-11-01"})
    assert resp.status_code == 422 and "Wilma Weggestopt" in resp.text
    links = audit_subjects(db, action="view", user_id=strict["users"]["coordinator"].id,
                           person_id=strict["victim"].id)
    assert links and any("formulier" in row.summary for row, _ in links)


def test_break_glass_reason_stays_out_of_the_audit_trail(app, client, switch_to, db, strict, make_item):
    """Is the typed break-glass reason kept in the break-glass record only, the audit row referring to it?"""
    item = make_item(strict["case"], strict["orgs"]["GGZ"], "gezondheid", persons=[strict["victim"]])
    switch_to(strict["users"]["pol"])
    resp = form_post(app, client, f"/casussen/{strict['case'].id}/gegevens/{item.id}/doorbraak",
                     {"reason": "GEHEIM-DOORBRAAK Wilma belde in paniek"})
    assert resp.status_code == 302
    client.get(f"/casussen/{strict['case'].id}")
    rows = audit_rows(db)
    assert not any("GEHEIM-DOORBRAAK" in f"{r.summary} {r.basis}" for r in rows)
    from mda.cases.models import BreakGlass

    grant = db.exec(select(BreakGlass)).one()
    assert any(r.action == "break_glass" and r.object_id == str(grant.id) for r in rows)
    assert audit_subjects(db, action="view", item_id=item.id, person_id=strict["victim"].id)


def test_every_item_of_a_large_case_is_named_in_the_trail(app, client, switch_to, db, strict, make_item):
    """With 80 items on one page, is every item shown findable through the audit subject index (no
    500-character summary cutting some off)?"""
    items = [make_item(strict["case"], strict["orgs"]["ZVH"], "risicosignalen", persons=[strict["victim"]])
             for _ in range(80)]
    switch_to(strict["users"]["coordinator"])
    client.get(f"/casussen/{strict['case'].id}")
    seen = {link.item_id for _, link in audit_subjects(db, action="view",
                                                       user_id=strict["users"]["coordinator"].id)}
    assert {i.id for i in items} <= seen


def test_consent_list_in_db_is_unchanged_by_masking(db, strict, make_consent):
    """Does masking a consent for one viewer leave the stored consent intact (views are read-only)?"""
    consent = make_consent(strict["case"], strict["victim"], [strict["orgs"]["LT"]], ["risicosignalen"],
                           strict["users"]["coordinator"], given_by="X")
    assert db.exec(select(Consent.given_by).where(Consent.id == consent.id)).one() == "X"


def test_views_for_several_users_are_each_users_own_views(app, db, strict, make_item, make_consent):
    """Does the engine's batch for several users (the live push) decide and audit exactly as it does for each
    user alone: the same visible texts, bases and withheld reasons, and the same audit rows per user?"""

    case, orgs, victim = strict["case"], strict["orgs"], strict["victim"]
    make_consent(case, victim, [orgs["POL"]], ["risicosignalen"], strict["users"]["coordinator"])
    items = [make_item(case, orgs["GGZ"], "gezondheid", persons=[victim]),
             make_item(case, orgs["ZVH"], "risicosignalen", persons=[victim]),
             make_item(case, orgs["POL"], "risicosignalen"),
             make_item(case, orgs["LT"], "gezondheid")]
    db.commit()
    ids = [i.id for i in items]
    user_ids = [u.id for u in strict["users"].values()]

    run = _viewing(app, case.id, ids, user_ids,
                   shown=lambda v: (v.decision.visible, v.decision.basis, v.decision.withheld_reason,
                                    v.item.content if v.item else None),
                   row=lambda r: (r.user_id, r.user_name, r.organisation_id, r.organisation_name, r.client_address,
                                 r.action, r.basis, r.summary))
    alone, alone_rows = run(batch=False)
    together, together_rows = run(batch=True)
    assert together == alone and together_rows == alone_rows
    pol = strict["users"]["pol"].id
    assert any(v[0] for v in alone[pol].values()) and not all(v[0] for v in alone[pol].values())  # can fail


def test_viewers_the_rules_cannot_tell_apart_are_decided_once_and_audited_each(app, db, strict, make_user, make_item,
                                                                                monkeypatch):
    """When several police officers view the same items at once (the live push), are the decisions made once for
    those the rules cannot tell apart, while one with a personal break-glass opening, one who may not open the
    case and a team lead each get exactly what they get alone, and every user who saw something gets their own
    audit rows?"""
    from datetime import timedelta

    from mda.cases.models import BreakGlass, CaseMember
    from mda.core import sharing

    case, orgs, victim = strict["case"], strict["orgs"], strict["victim"]
    police = [strict["users"]["pol"]] + [make_user(roles=("professional",), org=orgs["POL"]) for _ in range(3)]
    lead = make_user(roles=("team_lead",), org=orgs["POL"])
    outsider = make_user(roles=("professional",), org=orgs["POL"])  # same organisation, not named in the circle
    for officer in police[1:]:
        db.add(CaseMember(case_id=case.id, user_id=officer.id, added_at=utcnow()))
    health = make_item(case, orgs["GGZ"], "gezondheid", persons=[victim])
    own = make_item(case, orgs["POL"], "risicosignalen", persons=[victim])
    now = utcnow()
    db.add(BreakGlass(case_id=case.id, item_id=health.id, user_id=police[3].id, reason="Acuut gevaar (fictief)",
                      opened_at=now, expires_at=now + timedelta(hours=4)))
    db.commit()
    ids, user_ids = [health.id, own.id], [u.id for u in [*police, lead, outsider, strict["users"]["coordinator"]]]
    decided = []
    real_decision = sharing.item_decision

    def counted(user, ctx, item):
        decided.append(user.id)
        return real_decision(user, ctx, item)

    monkeypatch.setattr(sharing, "item_decision", counted)

    viewing = _viewing(app, case.id, ids, user_ids,
                       shown=lambda v: (v.decision.visible, v.decision.kind, v.decision.basis,
                                        v.decision.withheld_reason, v.item.content if v.item else None),
                       row=lambda r: (r.user_id, r.user_name, r.organisation_id, r.organisation_name, r.client_address,
                                     r.action, r.basis, r.summary, r.person_ids))

    def run(batch: bool):
        decided.clear()
        return (*viewing(batch), len(decided))

    alone, alone_rows, alone_decisions = run(batch=False)
    together, together_rows, together_decisions = run(batch=True)
    assert together == alone and together_rows == alone_rows
    # the check can fail: the break-glass officer sees the health item, the others of the police do not
    assert alone[police[3].id][health.id][1] == "doorbraak" and not alone[police[0].id][health.id][0]
    assert alone[outsider.id] == {} and alone[lead.id][own.id][0]
    # one's own rows for each officer who saw something (the coordinator, ZVH, has no basis for either item here)
    assert not any(v[0] for v in alone[strict["users"]["coordinator"].id].values())
    assert {row[0] for row in together_rows} == {u.id for u in [*police, lead]}
    # alone: every user who may open the case decides both items; together: the four members and the lead of
    # the police are two groups (the break-glass officer on their own), the coordinator a third
    assert alone_decisions == 2 * 6 and together_decisions == 2 * 3


def _viewing(app, case_id: int, item_ids: list[int], user_ids: list[int], *, shown, row):
    """``run(batch)``: the views of *item_ids* for *user_ids* (one engine call per user, or the engine's batch for
    all of them) as ``shown(view)`` per user and item, and the audit rows they wrote as ``row(event)``, sorted."""
    from mda import db as unit
    from mda.auth.models import User
    from mda.cases.models import Case
    from mda.core import sharing
    from mda.core.audit import AuditEvent

    def run(batch: bool):
        with app.test_request_context():
            s = unit.session()
            first = s.exec(select(AuditEvent.id).order_by(AuditEvent.id.desc())).first() or 0
            users = [s.get(User, uid) for uid in user_ids]
            contexts = sharing.load_contexts(s, [s.get(Case, case_id)])
            if batch:
                views = sharing.item_views_for_users(s, users, contexts, item_ids, channel="live overleg")
            else:
                views = {u.id: sharing.item_views(s, u, contexts, item_ids, channel="live overleg") for u in users}
            unit.commit()
            return ({uid: {iid: shown(v) for iid, v in by_item.items()} for uid, by_item in views.items()},
                    sorted(row(r) for r in s.exec(select(AuditEvent).where(AuditEvent.id > first))))

    return run
