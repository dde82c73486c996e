"""Intake (aanmelding) and triage: requesting MDA++, the 'already known?' check, accepting and declining."""

import re
from datetime import timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path

from sqlmodel import select

from mda.cases.models import Case, CaseMember, CaseOrganisation, Person, Referral, ReferralPerson
from mda.core.timeutil import utcnow
from tests.cases.conftest import demodam_region
from tests.conftest import audit_rows, form_post, text_of, working_day


def _intake_data(partners=(), **persons):
    data = {"reason": "Herhaald geweld in het gezin", "goal": "Een gezamenlijk plan", "urgency": "hoog",
            "partners": [str(p.id) for p in partners]}
    rows = persons.get("rows") or [{"role": "slachtoffer", "name": "Mira Aanmeld (fictief)",
                                    "date_of_birth": "1990-03-03", "bsn": "", "address": "Nepweg 1"}]
    for n, row in enumerate(rows):
        for key, value in row.items():
            data[f"persons-{n}-{key}"] = value
    return data


def _outbox(app) -> list:
    folder = Path(app.config["OUTBOX_DIR"])
    parser = BytesParser(policy=policy.default)
    return [parser.parsebytes(f.read_bytes()) for f in sorted(folder.glob("*.eml"))] if folder.exists() else []


def _refer(app, client, switch_to, requester, **kwargs) -> None:
    switch_to(requester)
    resp = form_post(app, client, "/casussen/aanmelden", _intake_data(**kwargs))
    assert resp.status_code == 302, resp.text


def test_professional_submits_referral_with_persons_and_partners(app, client, switch_to, db, scenario):
    """Can any professional request MDA++ with reason, goal, urgency, persons and partners to involve?"""
    _refer(app, client, switch_to, scenario.users["lt"], partners=[scenario.orgs["POL"]])
    referral = db.exec(select(Referral)).one()
    assert referral.status == "open" and referral.urgency == "hoog" and referral.reference.startswith("AM-")
    persons = db.exec(select(ReferralPerson).where(ReferralPerson.referral_id == referral.id)).all()
    assert [p.name for p in persons] == ["Mira Aanmeld (fictief)"]
    assert audit_rows(db, action="create", object_type="referral")
    page = client.get("/casussen/aanmeldingen")
    assert referral.reference in page.text and "Wacht op triage" in page.text


def test_intake_refuses_future_birth_date_and_bad_bsn_without_saving(app, client, switch_to, db, scenario):
    """Do a future date of birth and a BSN failing the elfproef give Dutch messages and no referral?"""
    switch_to(scenario.users["lt"])
    future = (working_day(3)).isoformat()
    resp = form_post(app, client, "/casussen/aanmelden", _intake_data(rows=[
        {"role": "kind", "name": "Kind Toekomst", "date_of_birth": future},
        {"role": "ouder_verzorger", "name": "Ouder Fout", "bsn": "111222334"}]))
    assert resp.status_code == 422
    assert "De geboortedatum ligt in de toekomst." in resp.text and "elfproef" in resp.text
    db.expire_all()
    assert db.exec(select(Referral)).first() is None


def test_intake_error_summary_names_each_person_row_in_dutch_and_counts_its_lines(app, client, switch_to, db,
                                                                                  scenario):
    """Does the error summary of the intake form give one Dutch line per problem of a person row ("Persoon 2,
    Geboortedatum: ..."), each linking to that row's field, with the heading counting those lines, instead of
    "Persons: date_of_birth bsn" under a heading that counts the list as one problem?"""
    switch_to(scenario.users["lt"])
    resp = form_post(app, client, "/casussen/aanmelden", _intake_data(rows=[
        {"role": "kind", "name": "Kind Een", "date_of_birth": "2015-01-01"},
        {"role": "ouder_verzorger", "name": "Ouder Twee", "date_of_birth": "31-02-2015", "bsn": "111222334"}])
        | {"reason": ""})
    assert resp.status_code == 422
    summary = resp.text[resp.text.index('id="foutoverzicht-titel"'):]
    summary = summary[:summary.index("</ul>")]
    links = re.findall(r'<a class="utrecht-link" href="#([^"]*)">([^<]*)</a>', summary)
    assert links == [
        ("reason", "Reden van de aanmelding: Dit veld is verplicht."),
        ("persons-1-date_of_birth", "Persoon 2, Geboortedatum: Ongeldige datum."),
        ("persons-1-bsn", "Persoon 2, BSN (optioneel): Dit BSN is ongeldig (het voldoet niet aan de elfproef). "
                          "Controleer de cijfers."),
    ]
    assert "Er zijn 3 problemen met wat u invulde:" in text_of(summary)
    assert 'id="persons-1-date_of_birth"' in resp.text and 'id="persons-1-bsn"' in resp.text  # the links land
    assert "Persons" not in resp.text and "date_of_birth bsn" not in resp.text


def test_intake_needs_at_least_one_person(app, client, switch_to, db, scenario):
    """Is a referral without any person refused with a Dutch message?"""
    switch_to(scenario.users["lt"])
    resp = form_post(app, client, "/casussen/aanmelden", _intake_data(rows=[{"role": "kind", "name": ""}]))
    assert resp.status_code == 422 and "minstens één betrokken persoon" in resp.text


def test_triage_list_shows_region_referrals_to_coordinator_only(app, client, switch_to, db, scenario, make_user,
                                                               make_org):
    """Does the coordinator of the region see the referral, and a coordinator of another region get 404?"""
    _refer(app, client, switch_to, scenario.users["lt"])
    referral = db.exec(select(Referral)).one()
    switch_to(scenario.users["coordinator"])
    assert referral.reference in client.get("/casussen/triage").text
    assert "Mira Aanmeld (fictief)" in client.get(f"/casussen/triage/{referral.id}").text
    elsewhere = make_user(roles=("coordinator",), org=make_org("ZVH"))
    switch_to(elsewhere)
    assert referral.reference not in client.get("/casussen/triage").text
    assert client.get(f"/casussen/triage/{referral.id}").status_code == 404
    switch_to(scenario.users["pol"])
    assert client.get("/casussen/triage").status_code == 403


def test_known_check_reveals_only_that_a_match_exists_and_is_audited(app, client, switch_to, db, scenario):
    """Does 'already known?' tell a coordinator outside the case's circle only that a person is known (not which
    case, not who coordinates it), and write a search audit row naming the matched person?"""
    _refer(app, client, switch_to, scenario.users["om"], rows=[
        {"role": "slachtoffer", "name": "vera  SLACHTOFFER (fictief)", "date_of_birth": "1990-01-01"}])
    referral = db.exec(select(Referral)).one()
    switch_to(scenario.users["other_coordinator"])
    resp = form_post(app, client, f"/casussen/triage/{referral.id}/bekend")
    assert resp.status_code == 200
    coordinator = scenario.users["coordinator"]
    assert "Persoon 1 is bekend in een lopende casus" in resp.text
    assert coordinator.name not in resp.text and coordinator.email not in resp.text
    assert scenario.case.reference not in resp.text and "GEHEIM" not in resp.text and "Risicosignaal" not in resp.text
    rows = audit_rows(db, action="search", object_type="referral")
    assert rows and rows[-1].person_ids == str(scenario.persons["victim"].id)


def test_a_known_referral_is_routed_to_the_coordinator_without_naming_them(app, client, switch_to, db, scenario):
    """Can a coordinator outside the circle route the referral to the matched case's coordinator, who gets one
    e-mail with the referral's reference and the router's contact details (no person's name), while the router's
    pages never name that coordinator, and is the routing audited with the matched person?"""
    _refer(app, client, switch_to, scenario.users["om"], rows=[
        {"role": "slachtoffer", "name": "Vera Slachtoffer (fictief)", "date_of_birth": "1990-01-01"}])
    referral = db.exec(select(Referral)).one()
    router, coordinator = scenario.users["other_coordinator"], scenario.users["coordinator"]
    switch_to(router)
    before = len(_outbox(app))
    resp = form_post(app, client, f"/casussen/triage/{referral.id}/doorsturen")
    assert resp.status_code == 302
    page = client.get(resp.headers["Location"]).text
    assert "neemt contact met u op" in page
    assert coordinator.name not in page and coordinator.email not in page and scenario.case.reference not in page
    (message,) = _outbox(app)[before:]
    body = message.get_body().get_content()
    assert message["To"] == coordinator.email and referral.reference in message["Subject"]
    assert router.email in body and scenario.case.reference in body and "Vera" not in body
    (row,) = [r for r in audit_rows(db, action="create", object_type="referral") if "doorgestuurd" in r.summary]
    assert row.user_id == router.id and row.person_ids == str(scenario.persons["victim"].id)


def test_known_check_matches_on_bsn(app, client, switch_to, db, scenario):
    """Does a BSN alone find the person, whatever name was typed?"""
    _refer(app, client, switch_to, scenario.users["om"], rows=[
        {"role": "slachtoffer", "name": "Heel Andere Naam", "bsn": "111 222 333"}])
    referral = db.exec(select(Referral)).one()
    switch_to(scenario.users["coordinator"])
    resp = form_post(app, client, f"/casussen/triage/{referral.id}/bekend")
    assert "Persoon 1 is bekend" in resp.text


def test_accept_opens_case_with_circle_persons_and_tells_requester(app, client, switch_to, db, scenario):
    """Does accepting open a case (reference, circle with requester and partners, persons) and e-mail the requester?"""
    requester = scenario.users["lt"]
    _refer(app, client, switch_to, requester, partners=[scenario.orgs["VT"]])
    referral = db.exec(select(Referral)).one()
    switch_to(scenario.users["other_coordinator"])
    resp = form_post(app, client, f"/casussen/triage/{referral.id}/accepteren")
    assert resp.status_code == 302
    db.expire_all()
    referral = db.get(Referral, referral.id)
    case = db.get(Case, referral.case_id)
    assert referral.status == "geaccepteerd" and case.reference.startswith("MDA-")
    assert case.coordinator_id == scenario.users["other_coordinator"].id and not case.is_repeat
    circle = set(db.exec(select(CaseOrganisation.organisation_id).where(CaseOrganisation.case_id == case.id)))
    assert circle == {scenario.orgs["ZVH"].id, scenario.orgs["LT"].id, scenario.orgs["VT"].id}
    assert db.exec(select(CaseMember.user_id).where(CaseMember.case_id == case.id)).all() == [requester.id]
    person = db.exec(select(Person).where(Person.case_id == case.id)).one()
    assert person.name == "Mira Aanmeld (fictief)" and person.source_organisation_id == requester.organisation_id
    assert db.exec(select(ReferralPerson)).one().name == ""  # blanked: the data now lives in the case
    mails = _outbox(app)
    assert mails and mails[-1]["To"] == requester.email and "geaccepteerd" in mails[-1]["Subject"]
    assert "Mira" not in mails[-1].get_content()
    switch_to(requester)
    assert client.get(f"/casussen/{case.id}").status_code == 200


def test_decline_needs_reason_and_tells_requester(app, client, switch_to, db, scenario):
    """Does declining need a reason, keep no persons, and tell the requester, who then sees the reason?"""
    requester = scenario.users["lt"]
    _refer(app, client, switch_to, requester)
    referral = db.exec(select(Referral)).one()
    switch_to(scenario.users["coordinator"])
    resp = form_post(app, client, f"/casussen/triage/{referral.id}/afwijzen", {"reason": "kort"})
    assert resp.status_code == 422
    resp = form_post(app, client, f"/casussen/triage/{referral.id}/afwijzen",
                     {"reason": "Reguliere hulp is nog niet geprobeerd; neem contact op met Veilig Thuis."})
    assert resp.status_code == 302
    db.expire_all()
    assert db.get(Referral, referral.id).status == "afgewezen"
    assert db.exec(select(ReferralPerson)).one().name == ""
    assert "afgewezen" in _outbox(app)[-1]["Subject"]
    switch_to(requester)
    assert "Reguliere hulp is nog niet geprobeerd" in client.get("/casussen/aanmeldingen").text
    switch_to(scenario.users["coordinator"])
    resp = form_post(app, client, f"/casussen/triage/{referral.id}/accepteren")
    assert resp.status_code == 422 and "al behandeld" in resp.text


def test_rereferral_within_twelve_months_of_closure_is_a_repeat_case(app, client, switch_to, db, scenario):
    """Is a case opened for a person whose case closed less than 12 months ago flagged as a repeat case?"""
    closed = db.get(Case, scenario.case.id)
    closed.phase, closed.closed_at = "afgesloten", utcnow() - timedelta(days=100)
    db.add(closed)
    db.commit()
    _refer(app, client, switch_to, scenario.users["om"], rows=[
        {"role": "vermoedelijke_pleger", "name": "Piet Pleger (fictief)", "date_of_birth": "1980-05-05"}])
    referral = db.exec(select(Referral)).one()
    switch_to(scenario.users["coordinator"])
    check = form_post(app, client, f"/casussen/triage/{referral.id}/bekend")
    assert "minder dan 12 maanden geleden is afgesloten" in check.text
    form_post(app, client, f"/casussen/triage/{referral.id}/accepteren")
    db.expire_all()
    case = db.get(Case, db.get(Referral, referral.id).case_id)
    assert case.is_repeat and case.previous_case_id == scenario.case.id


def test_case_closed_long_ago_is_not_found_or_repeat(app, client, switch_to, db, scenario):
    """Is a case closed more than 12 months ago neither reported as known nor a reason for the repeat flag?"""
    closed = db.get(Case, scenario.case.id)
    closed.phase, closed.closed_at = "afgesloten", utcnow() - timedelta(days=400)
    db.add(closed)
    db.commit()
    _refer(app, client, switch_to, scenario.users["om"], rows=[
        {"role": "vermoedelijke_pleger", "name": "Piet Pleger (fictief)", "date_of_birth": "1980-05-05"}])
    referral = db.exec(select(Referral)).one()
    switch_to(scenario.users["coordinator"])
    assert "Geen van deze personen" in form_post(app, client, f"/casussen/triage/{referral.id}/bekend").text
    form_post(app, client, f"/casussen/triage/{referral.id}/accepteren")
    db.expire_all()
    assert not db.get(Case, db.get(Referral, referral.id).case_id).is_repeat


def test_new_case_reference_follows_the_highest_of_the_year(app, db, scenario):
    """Does the next case reference count on from the highest reference of this year?"""
    from mda.cases.intake import next_case_reference

    demodam_region(db)
    year = utcnow().year
    case = db.get(Case, scenario.case.id)
    case.reference = f"MDA-{year}-0041"
    db.add(case)
    db.commit()
    assert next_case_reference(db) == f"MDA-{year}-0042"


def test_coordinator_start_page_counts_waiting_referrals(app, client, switch_to, db, scenario):
    """Does the coordinator's start page say how many referrals wait for triage (and nobody else's)?"""
    _refer(app, client, switch_to, scenario.users["lt"])
    assert "wachten op uw triage" not in client.get("/").text
    switch_to(scenario.users["coordinator"])
    assert "1 aanmelding(en) wachten op uw triage" in client.get("/").text


def test_referral_text_moves_into_the_case_with_its_source(app, client, switch_to, db, scenario):
    """After acceptance, is the referral's reason kept only in the case (source: the referring organisation,
    decided by the engine) and no longer shown on the triage page to every coordinator of the region?"""
    requester = scenario.users["lt"]
    _refer(app, client, switch_to, requester)
    referral = db.exec(select(Referral)).one()
    reason = referral.reason
    switch_to(scenario.users["other_coordinator"])
    form_post(app, client, f"/casussen/triage/{referral.id}/accepteren")
    db.expire_all()
    referral = db.get(Referral, referral.id)
    case = db.get(Case, referral.case_id)
    assert referral.reason == "" and referral.goal == ""
    assert case.reason == reason and case.source_organisation_id == requester.organisation_id
    switch_to(scenario.users["coordinator"])
    assert reason not in client.get(f"/casussen/triage/{referral.id}").text


def test_known_household_is_added_to_its_running_case(app, client, switch_to, db, scenario):
    """When 'al bekend?' finds the victim in a running case, is only that case's coordinator offered "Toevoegen
    aan bestaande casus", and does it turn the referral into an item of that case (new persons added, the
    requester in the circle, audited) instead of a duplicate case?"""
    from mda.cases.models import Item

    _refer(app, client, switch_to, scenario.users["om"], rows=[
        {"role": "slachtoffer", "name": "Vera Slachtoffer (fictief)", "date_of_birth": "1990-01-01"},
        {"role": "kind", "name": "Kim Nieuw (fictief)", "date_of_birth": "2019-04-04"}])
    referral = db.exec(select(Referral)).one()
    url = f"/casussen/triage/{referral.id}/toevoegen/{scenario.case.id}"
    switch_to(scenario.users["other_coordinator"])  # coordinates other cases: only whom to call
    page = form_post(app, client, f"/casussen/triage/{referral.id}/bekend").text
    assert "Toevoegen aan bestaande casus" not in page
    assert form_post(app, client, url).status_code == 422
    switch_to(scenario.users["coordinator"])
    page = form_post(app, client, f"/casussen/triage/{referral.id}/bekend").text
    assert f"Toevoegen aan bestaande casus {scenario.case.reference}" in page
    assert form_post(app, client, url).status_code == 302
    db.expire_all()
    referral = db.get(Referral, referral.id)
    assert referral.status == "geaccepteerd" and referral.case_id == scenario.case.id
    assert db.exec(select(Case)).all() == [db.get(Case, scenario.case.id)]  # no duplicate
    item = db.exec(select(Item).where(Item.case_id == scenario.case.id,
                                      Item.content.contains(referral.reference))).one()
    assert item.category == "risicosignalen" and item.source_organisation_id == scenario.orgs["OM"].id
    names = {p.name for p in db.exec(select(Person).where(Person.case_id == scenario.case.id))}
    assert "Kim Nieuw (fictief)" in names
    assert db.exec(select(CaseMember).where(CaseMember.case_id == scenario.case.id,
                                            CaseMember.user_id == scenario.users["om"].id)).one()
    assert any("toegevoegd aan bestaande casus" in r.summary for r in audit_rows(db, object_type="case"))
