"""Escalation pages and API: the journey, prefilled subjects, engine bases, dashboards, steering figures."""

import re
from datetime import UTC, date, timedelta

import pytest
from sqlalchemy import event
from sqlmodel import select

from mda.escalations.models import Escalation
from mda.safety_plan.models import PlanEntry
from tests.conftest import audit_rows, audit_subjects, form_post, text_of, today, working_day
from tests.escalations.conftest import api_post


def _count_queries(app, fn) -> int:
    engine = app.extensions["mda_engine"]
    count = [0]

    def before(*_args):
        count[0] += 1

    event.listen(engine, "before_cursor_execute", before)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", before)
    return count[0]


def test_the_live_session_link_prefills_the_subject(client, auth, ladder_people, condition):
    """Does /escalaties/nieuw?entry=<id> open the form with that subject chosen and VT as party, and is a
    ?besluit=<id> that names no decision of this case refused (a real one: tests/live/test_escalated_decisions.py)?"""
    auth.login(ladder_people.users["lt"])
    base = f"/casussen/{ladder_people.case.id}/escalaties/nieuw"
    page = client.get(f"{base}?entry={condition.id}").text
    assert re.search(rf'<option (selected )?value="plan_entry:{condition.id}"( selected)?', page).group(0).count("sel")
    vt = ladder_people.orgs["VT"].id
    assert re.search(rf'<option (selected )?value="{vt}"( selected)?', page).group(0).count("selected")
    # the choice shows the line's text as the engine lets LT see it (VT's condition: the covenant), and no number
    # users never see (a plan line has none on the plan page)
    assert re.search(rf'value="plan_entry:{condition.id}"[^>]*>Veiligheidsvoorwaarden: '
                     r'GEHEIM-VOORWAARDE Vader heeft geen contact', page)
    assert "regel " not in text_of(page)
    page = client.get(f"{base}?besluit=42").text
    assert 'value="42"' not in page and "hoort niet bij een overleg over deze casus" in text_of(page)


def test_raising_without_a_position_on_the_page_keeps_what_was_typed(app, client, auth, ladder_people, condition, db):
    """Does a form without a position answer 422 with a Dutch message, keep the typed subject, and store nothing?"""
    auth.login(ladder_people.users["lt"])
    resp = form_post(app, client, f"/casussen/{ladder_people.case.id}/escalaties/nieuw", {
        "subject_kind": "plan_entry", "subject_ref": f"plan_entry:{condition.id}", "subject_text": "mijn omschrijving",
        "urgency": "regulier", "other_organisation_id": str(ladder_people.orgs["VT"].id), "position": ""})
    assert resp.status_code == 422
    assert "standpunt" in text_of(resp.text) and "mijn omschrijving" in resp.text
    assert db.exec(select(Escalation)).all() == []


def test_the_journey_on_the_pages(app, client, auth, ladder_people, condition, db, switch_to):
    """Raise, VT's position, move up, a manager decides with a plan change, both acknowledge: does each step work?"""
    s = ladder_people
    switch_to(s.users["lt"])
    base = f"/casussen/{s.case.id}/escalaties"
    resp = form_post(app, client, f"{base}/nieuw", {
        "subject_kind": "plan_entry", "subject_ref": f"plan_entry:{condition.id}", "subject_text": "voorwaarde contact",
        "urgency": "regulier", "other_organisation_id": str(s.orgs["VT"].id),
        "position": "GEHEIM-LT begeleid contact kan", "risk_argument": ""})
    assert resp.status_code == 302
    esc = db.exec(select(Escalation)).one()
    url = f"{base}/{esc.id}"
    # the plan page refuses changes to the disputed condition
    switch_to(s.users["vt"])
    edit = form_post(app, client, f"/casussen/{s.case.id}/plan/regels/{condition.id}", {"text": "Anders"})
    assert edit.status_code == 422 and "vergrendeld" in text_of(edit.text)
    page = client.get(url).text
    assert "In escalatie" in page and "GEHEIM-LT begeleid contact kan" in page
    assert f"In escalatie ({esc.reference}, niveau 1)" in text_of(client.get(f"/casussen/{s.case.id}/plan").text)
    assert "1 in escalatie" in text_of(client.get(f"/casussen/{s.case.id}").text)
    assert form_post(app, client, f"{url}/standpunt", {"text": "GEHEIM-VT geen contact", "version": "1"}
                     ).status_code == 302
    assert form_post(app, client, f"{url}/hoger", {"reason": "Wij komen er niet uit", "version": "2"}
                     ).status_code == 302
    switch_to(s.users["vt_lead"])  # no longer a decider at level 2
    refused = form_post(app, client, f"{url}/besluit", {"decision": "X", "reasons": "Y", "consequence": "geen",
                                                       "version": "3"})
    assert refused.status_code == 422 and "beslisser op niveau 2" in text_of(refused.text)
    mine = [r for r in audit_rows(db, object_type="escalation") if r.user_id == s.users["vt_lead"].id]
    assert {"denied", "view"} <= {r.action for r in mine}  # the refusal, and the page it saw (a 422)
    switch_to(s.users["coordinator"])
    assert f"/overleggen/nieuw?type=escalatieoverleg&amp;casus={s.case.id}" in client.get(url).text
    switch_to(s.users["vt_manager"])
    page = client.get(url).text
    assert "Besluit vastleggen" in page and "de procesregisseur plant het" in page
    done = form_post(app, client, f"{url}/besluit", {
        "decision": "Begeleid contact, eens per week", "reasons": "Afweging van beide standpunten",
        "consequence": "wijzigen", "consequence_text": "Vader heeft alleen begeleid contact", "version": "3"})
    assert done.status_code == 302
    second = form_post(app, client, f"{url}/besluit", {"decision": "Anders", "reasons": "Z", "consequence": "geen",
                                                      "version": "3"})
    assert second.status_code == 422  # the second decision is refused
    for who in ("lt", "vt"):
        switch_to(s.users[who])
        db.expire_all()
        version = str(db.get(Escalation, esc.id).version)
        assert form_post(app, client, f"{url}/bevestigen", {"version": version}).status_code == 302
    db.expire_all()
    assert db.get(Escalation, esc.id).status == "afgesloten"
    assert db.get(PlanEntry, condition.id).text == "Vader heeft alleen begeleid contact"
    plan_page = text_of(client.get(f"/casussen/{s.case.id}/plan").text)
    assert f"Besluit escalatie {esc.reference}" in plan_page and "In escalatie" not in plan_page
    timeline = text_of(client.get(url).text)
    for step in ("Escalatie gestart", "Standpunt toegevoegd", "Naar volgend niveau", "Besluit genomen",
                 "Besluit bevestigd", "Afgesloten"):
        assert step in timeline
    assert "De regel in het veiligheidsplan" in timeline and "plan_entry:" not in timeline
    # the disputed line as the engine lets the viewer see it now, without an id users never see
    assert "Betwist onderdeel Veiligheidsvoorwaarden: Vader heeft alleen begeleid contact" in timeline
    assert f"Regel {condition.id}" not in timeline and f"plan {condition.id}" not in timeline


def test_an_outsider_gets_404_and_no_content(client, auth, ladder_people, seeded):
    """Does a professional outside the circle get 404 without any of the escalation's content?"""
    auth.login(ladder_people.users["om"])
    resp = client.get(f"/casussen/{ladder_people.case.id}/escalaties/{seeded.id}")
    assert resp.status_code == 404 and "GEHEIM" not in resp.text


def test_positions_come_with_the_engines_basis_and_are_audited(app, client, auth, ladder_people, seeded, db):
    """Does the API give each position with the basis the engine found, and is the view audited with it?"""
    auth.login(ladder_people.users["pol"])
    body = client.get(f"/api/v1/cases/{ladder_people.case.id}/escalations/{seeded.id}").get_json()
    (position,) = body["positions"]
    assert position["position"]["text"].startswith("GEHEIM-STANDPUNT-LT")
    assert position["position"]["basis"].startswith("convenant: Convenant MDA++ Demodam art. 7.3")
    rows = audit_rows(db, object_type="escalation", action="view")
    assert rows and "art. 7.3" in rows[-1].basis


def test_the_api_journey_and_two_deciders(app, client, auth, ladder_people, seeded, db, switch_to):
    """Via the API: VT's position, a decision, a second decision with the old version (409), acknowledgements?"""
    s, base = ladder_people, f"/api/v1/cases/{ladder_people.case.id}/escalations/{seeded.id}"
    switch_to(s.users["vt"])
    resp = api_post(app, client, f"{base}/positions", {"position": "VT standpunt", "version": 1})
    assert resp.status_code == 200 and resp.get_json()["status"] == "in_behandeling"
    switch_to(s.users["lt_lead"])
    assert api_post(app, client, f"{base}/decision", {"decision": "Besluit", "reasons": "",
                                                     "version": 2}).status_code == 422
    assert api_post(app, client, f"{base}/decision", {"decision": "Besluit", "reasons": "Omdat",
                                                     "version": 2}).status_code == 200
    switch_to(s.users["vt_lead"])
    assert api_post(app, client, f"{base}/decision", {"decision": "Anders", "reasons": "Omdat",
                                                     "version": 2}).status_code in (409, 422)
    switch_to(s.users["lt"])
    assert api_post(app, client, f"{base}/acknowledge", {}).status_code == 200
    assert api_post(app, client, f"{base}/withdraw", {"reason": "Te laat"}).status_code == 422


def test_the_openapi_document_lists_every_escalation_operation(client):
    """Are raise, position, move up, decide, acknowledge, withdraw and the dashboards in the OpenAPI document?"""
    spec = client.get("/api/v1/openapi.json").get_json()
    paths = spec["paths"]
    for path in ("/api/v1/cases/{case_id}/escalations", "/api/v1/cases/{case_id}/escalations/{escalation_id}/positions",
                 "/api/v1/cases/{case_id}/escalations/{escalation_id}/move-up",
                 "/api/v1/cases/{case_id}/escalations/{escalation_id}/decision",
                 "/api/v1/cases/{case_id}/escalations/{escalation_id}/acknowledge",
                 "/api/v1/cases/{case_id}/escalations/{escalation_id}/withdraw",
                 "/api/v1/escalations/dashboard", "/api/v1/escalations/steering"):
        assert path in paths, sorted(p for p in paths if "escal" in p)


@pytest.fixture
def several(app, db, ladder_people, condition, make_case):
    """Escalations in several cases of the same circle (to grow the dashboards)."""
    from flask import g

    from mda.core import sharing
    from mda.escalations import services

    def grow(n: int):
        with app.app_context():
            g.db_session, g.after_commit = db, []
            for _ in range(n):
                case = make_case(ladder_people.users["coordinator"],
                                 members=[ladder_people.users["lt"], ladder_people.users["vt"]])
                services.raise_escalation(db, ladder_people.users["lt"], sharing.load_context(db, case),
                                          subject_kind="fase", subject_id=None, subject_text="fase",
                                          urgency="regulier", other_organisation_id=ladder_people.orgs["VT"].id,
                                          position="Standpunt")
            db.commit()
            g.pop("db_session", None)

    return grow


def test_dashboards_have_a_bounded_query_count(app, client, auth, ladder_people, several, switch_to):
    """Do the team lead's and coordinator's dashboards use as many queries for 12 escalations as for 2?"""
    several(2)
    counts = {}
    for who, view in (("vt_lead", "beslissen"), ("coordinator", "regie"), ("vt", "partij")):
        switch_to(ladder_people.users[who])
        resp = client.get(f"/escalaties?weergave={view}")
        assert resp.status_code == 200 and resp.text.count("E-") >= 2
        counts[who] = _count_queries(app, lambda v=view: client.get(f"/escalaties?weergave={v}"))
    several(10)
    for who, view in (("vt_lead", "beslissen"), ("coordinator", "regie"), ("vt", "partij")):
        switch_to(ladder_people.users[who])
        client.get(f"/escalaties?weergave={view}")  # as above: the second request (the case contexts kept) counts
        assert _count_queries(app, lambda v=view: client.get(f"/escalaties?weergave={v}")) == counts[who]


def test_the_team_lead_sees_countdowns_and_overdue(app, client, auth, ladder_people, seeded, db):
    """Does the team lead's dashboard show the escalation with its countdown, and overdue once the limit passed?"""
    from mda.core import clock

    auth.login(ladder_people.users["vt_lead"])
    page = text_of(client.get("/escalaties?weergave=beslissen").text)
    assert seeded.reference in page and "nog " in page
    with clock.frozen(seeded.deadline_at + timedelta(days=3)):
        assert client.get("/").status_code == 302  # three days on, the idle session has ended: log in again
        auth.login(ladder_people.users["vt_lead"])
        page = text_of(client.get("/escalaties?weergave=beslissen").text)
    assert "te laat" in page and "1 over de termijn" in page


def test_steering_figures_hold_no_names_or_case_references(app, client, auth, ladder_people, seeded, db):
    """Do the steering page, its CSV and its API give counts only: no names, e-mail, case references or content?"""
    auth.login(ladder_people.users["vt_manager"])
    period = f"van={(today() - timedelta(days=400)).isoformat()}&tot={(working_day(1))}"
    page = client.get(f"/escalaties/stuurinformatie?{period}")
    csv = client.get(f"/escalaties/stuurinformatie.csv?{period}")
    api = client.get("/api/v1/escalations/steering")
    assert page.status_code == csv.status_code == api.status_code == 200
    assert "<svg" in page.text and "escalaties_totaal;1" in csv.text
    forbidden = [ladder_people.case.reference, "GEHEIM", "voorwaarde: contact", seeded.reference]
    forbidden += [u.name for u in ladder_people.users.values() if u.id != ladder_people.users["vt_manager"].id]
    forbidden += [u.email for u in ladder_people.users.values()]
    for body in (csv.text, api.text, text_of(page.text).split("Stuurinformatie escalaties", 1)[-1]):
        assert not [f for f in forbidden if f in body], body
    assert api.get_json()["by_urgency"]["regulier"] >= 1


def test_the_home_page_counts_unread_notifications(client, auth, ladder_people, seeded):
    """Does VT's professional see on the start page that a notification waits, and can they mark it read?"""
    auth.login(ladder_people.users["vt"])
    assert "1 ongelezen melding" in text_of(client.get("/").text)
    page = client.get("/meldingen").text
    assert seeded.reference in page and "GEHEIM" not in page


def test_the_default_steering_period_ends_on_the_amsterdam_date(app):
    """At 23:30 UTC (already tomorrow in Amsterdam), does the default steering period end on Amsterdam's date?"""
    from datetime import datetime

    from mda.core import clock
    from mda.escalations.routes import _period

    late = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)
    with app.test_request_context("/escalaties/stuurinformatie"), clock.frozen(late):
        start, end = _period()
    assert end == date(2026, 11, 24) and start == date(2025, 11, 1)


def test_the_escalatieoverleg_link_invites_the_deciders_and_the_parties(app, client, auth, ladder_people, seeded, db,
                                                                        switch_to):
    """At level 2, does "Escalatieoverleg plannen" open a form with the case and a list of the level's deciders
    and the parties, and does saving it invite them for the case (the planner not counted)?"""

    from mda.meetings.models import Invitation, Meeting

    s = ladder_people
    switch_to(s.users["vt"])
    url = f"/casussen/{s.case.id}/escalaties/{seeded.id}"
    assert form_post(app, client, f"{url}/standpunt", {"text": "GEHEIM-VT geen contact", "version": "1"}
                     ).status_code == 302
    assert form_post(app, client, f"{url}/hoger", {"reason": "Wij komen er niet uit", "version": "2"}
                     ).status_code == 302
    switch_to(s.users["coordinator"])
    link = f"/overleggen/nieuw?type=escalatieoverleg&casus={s.case.id}&escalatie={seeded.id}"
    assert link.replace("&", "&amp;") in client.get(url).text
    form = client.get(link).text
    assert f'name="escalation_id" type="hidden" value="{seeded.id}"' in form or f'value="{seeded.id}"' in form
    page = text_of(form)
    assert f"Escalatieoverleg voor escalatie {seeded.reference} (niveau 2)" in page
    assert s.users["vt_manager"].name in page and s.users["lt_manager"].name in page
    assert s.users["bestuurder"].name not in page  # level 3 decides later
    day = (working_day(7)).isoformat()
    resp = form_post(app, client, link, {
        "type_code": "escalatieoverleg", "escalation_id": str(seeded.id),
        "title": f"Escalatieoverleg {seeded.reference}",
        "day": day, "start_time": "10:00", "end_time": "12:00", "location": "Zaal 2", "online_link": "",
        "chair_id": str(s.users["coordinator"].id), "minute_taker_id": str(s.users["coordinator"].id),
        "case_ids": str(s.case.id), "case_minutes": "60", "agenda-0-title": "Casus", "agenda-0-minutes": "60",
        "agenda-0-cases": "1"})
    assert resp.status_code == 302, text_of(resp.text)[:800]
    meeting = db.exec(select(Meeting)).one()
    invited = set(db.exec(select(Invitation.user_id).where(Invitation.meeting_id == meeting.id,
                                                           Invitation.withdrawn_at.is_(None))))
    assert {s.users["vt_manager"].id, s.users["lt_manager"].id} <= invited
    assert s.users["bestuurder"].id not in invited


def test_a_foreign_or_closed_escalation_in_the_planning_link_prefills_nothing(app, client, auth, ladder_people, seeded,
                                                                             make_user, switch_to):
    """Does a planning link naming an escalation the planner may not see (or nonsense) just open the empty form?"""
    outsider = make_user(roles=("coordinator",))
    switch_to(outsider)
    for value in (str(seeded.id), "abc", "99999999999999"):
        resp = client.get(f"/overleggen/nieuw?type=escalatieoverleg&escalatie={value}")
        assert resp.status_code == 200 and "Escalatieoverleg voor escalatie" not in text_of(resp.text)
        assert seeded.reference not in resp.text


def test_the_free_text_subject_is_shown_only_where_the_engine_decides(
        app, client, switch_to, ladder_people, seeded, db, strict_covenant):
    """Under a covenant without wildcard rules (nothing of category escalatie by covenant), do the police (in the
    circle) and VT (the other party) get "Niet gedeeld" instead of the raiser's free-text subject on the case's
    list, the escalation page, the dashboard and the API, while LT (who wrote it) gets it, audited with the
    persons of the case named?"""
    s, label = ladder_people, "voorwaarde: contact vader"
    pages = {"list": f"/casussen/{s.case.id}/escalaties", "show": f"/casussen/{s.case.id}/escalaties/{seeded.id}",
             "dashboard": "/escalaties?weergave=partij"}
    api = f"/api/v1/cases/{s.case.id}/escalations/{seeded.id}"
    for who in ("pol", "vt"):
        switch_to(s.users[who])
        for name, url in pages.items():
            if who == "pol" and name == "dashboard":
                continue  # not a party: the escalation is not on its dashboard at all
            page = text_of(client.get(url).text)
            assert label not in page and "Niet gedeeld" in page, (who, name)
        subject = client.get(api).get_json()["subject"]
        assert subject["text"] is None and subject["niet_gedeeld"].startswith("Niet gedeeld")
    switch_to(s.users["lt"])
    for url in pages.values():
        assert label in text_of(client.get(url).text), url
    assert client.get(api).get_json()["subject"]["text"] == label
    seen = {(sub.person_id, sub.kind) for _row, sub in audit_subjects(db, user_id=s.users["lt"].id, action="view")}
    assert {(p.id, "onderwerp") for p in s.persons.values()} <= seen
    assert {(p.id, f"standpunt org. {s.orgs['LT'].id}") for p in s.persons.values()} <= seen  # the show page


def test_the_subject_choices_withhold_what_the_engine_withholds(client, auth, ladder_people, condition, db, ctx_of):
    """Does the raise form show a GGZ health line to LT only as "niet gedeeld", with its number, and audit the
    lines it did show?"""
    from mda.safety_plan import services as plan

    plan.add_entry(db, ladder_people.users["ggz"], ctx_of(ladder_people.case), section="doel",
                   text="GEHEIM-GGZ traumabehandeling", category="gezondheid")
    db.commit()
    auth.login(ladder_people.users["lt"])
    page = client.get(f"/casussen/{ladder_people.case.id}/escalaties/nieuw").text
    assert "GEHEIM-GGZ" not in page and "Doelen: niet gedeeld" in page
    assert any("escalatieformulier" in r.summary for r in audit_rows(db, action="view", object_type="safety_plan"))


def test_a_too_long_position_is_named_as_such_not_as_an_expired_form(app, client, auth, ladder_people, condition,
                                                                      db):
    """Does raising with a position over 4000 characters say what is wrong (the length, at the field and in the
    summary) without the generic "Het formulier is verlopen of onvolledig", and store nothing?"""
    auth.login(ladder_people.users["lt"])
    resp = form_post(app, client, f"/casussen/{ladder_people.case.id}/escalaties/nieuw", {
        "subject_kind": "plan_entry", "subject_ref": f"plan_entry:{condition.id}", "subject_text": "omschrijving",
        "urgency": "regulier", "other_organisation_id": str(ladder_people.orgs["VT"].id), "position": "x" * 4001})
    assert resp.status_code == 422
    text = text_of(resp.text)
    assert "verlopen" not in text
    assert "Er is 1 probleem met wat u invulde: Uw standpunt:" in text and "4000 tekens" in text
    assert db.exec(select(Escalation)).all() == []


def test_only_a_failed_csrf_check_counts_as_an_expired_form(app):
    """Is a raise form counted as expired only when its CSRF token failed, not when a field is too long?"""
    from flask_wtf.csrf import generate_csrf
    from werkzeug.datastructures import MultiDict

    from mda.escalations.forms import RaiseForm
    from mda.escalations.routes import _csrf_failed

    fields = {"subject_kind": "anders", "urgency": "regulier", "position": "x" * 4001}
    with app.test_request_context(method="POST"):
        expired = RaiseForm(formdata=MultiDict(fields | {"csrf_token": "verlopen"}))
        assert not expired.validate() and _csrf_failed(expired)
        too_long = RaiseForm(formdata=MultiDict(fields | {"csrf_token": generate_csrf()}))  # this session's token
        assert not too_long.validate() and too_long.position.errors and not _csrf_failed(too_long)


def test_a_too_long_position_on_a_step_is_named_not_called_an_expired_form(app, client, auth, ladder_people,
                                                                          condition, db, switch_to):
    """Does VT's position of over 4000 characters get a 422 naming the field ("Uw standpunt") and keeping the text,
    instead of "Het formulier is verlopen", with nothing stored?"""
    from mda.escalations.models import EscalationPosition

    s = ladder_people
    switch_to(s.users["lt"])
    base = f"/casussen/{s.case.id}/escalaties"
    assert form_post(app, client, f"{base}/nieuw", {
        "subject_kind": "plan_entry", "subject_ref": f"plan_entry:{condition.id}", "subject_text": "contact",
        "urgency": "regulier", "other_organisation_id": str(s.orgs["VT"].id), "position": "LT vindt (fictief)",
        "risk_argument": ""}).status_code == 302
    esc = db.exec(select(Escalation)).one()
    switch_to(s.users["vt"])
    before = len(db.exec(select(EscalationPosition)).all())
    resp = form_post(app, client, f"{base}/{esc.id}/standpunt", {"text": "Lang standpunt " + "x" * 4000,
                                                                 "version": "1"})
    page = text_of(resp.text)
    assert resp.status_code == 422 and "Controleer wat u invulde. Uw standpunt:" in page and "verlopen" not in page
    assert "Lang standpunt xxx" in resp.text
    db.expire_all()
    assert len(db.exec(select(EscalationPosition)).all()) == before


@pytest.mark.parametrize("version", [None, "", "abc", "1e3", "²", "99999999999999999999"])
def test_a_decision_without_a_valid_version_is_refused_as_an_expired_form(app, client, auth, ladder_people, seeded,
                                                                          db, version):
    """Is a decision posted without the version its page was rendered with (missing or not a number) refused as an
    expired form (422, Dutch message), with nothing decided, instead of skipping the check for a newer state?"""
    auth.login(ladder_people.users["vt_lead"])
    fields = {"decision": "Besluit zonder versie", "reasons": "Redenen", "consequence": "geen"}
    if version is not None:
        fields["version"] = version
    resp = form_post(app, client, f"/casussen/{ladder_people.case.id}/escalaties/{seeded.id}/besluit", fields)
    assert resp.status_code == 422
    assert "Het formulier is verlopen; laad de pagina opnieuw en probeer het nog eens." in text_of(resp.text)
    assert "Besluit zonder versie" in resp.text  # what was typed is kept
    db.expire_all()
    esc = db.get(Escalation, seeded.id)
    assert esc.is_open and esc.decision is None and esc.version == seeded.version
