"""The case page and its forms: what each partner sees, and what bad input does."""

from datetime import date

from sqlmodel import select

from mda.cases.models import Consent, DutyConflictDecision, Item, Person
from tests.cases.conftest import api_post
from tests.conftest import audit_rows, audit_subjects, form_post, working_day


def _page(client, case):
    resp = client.get(f"/casussen/{case.id}")
    assert resp.status_code == 200
    return resp.text


def test_police_sees_justice_item_but_not_health_item(app, client, switch_to, scenario):
    """Does the police see its own justice item with its basis, and only a 'niet gedeeld' placeholder for GGZ data?"""
    switch_to(scenario.users["pol"])
    html = _page(client, scenario.case)
    assert "GEHEIM-POL aangifte" in html and "Eigen gegeven (bron)" in html
    assert "GEHEIM-GGZ" not in html
    assert "Niet gedeeld: geen toestemming voor GGZ-gegevens aan Politie" in html
    assert "Risicosignaal: drie meldingen" in html and "Convenant MDA++ Demodam art. 5.1" in html


def test_vt_sees_justice_item_by_covenant(app, client, switch_to, scenario):
    """Does Veilig Thuis see the police's justice item on the Wmo 2015 covenant ground?"""
    switch_to(scenario.users["vt"])
    html = _page(client, scenario.case)
    assert "GEHEIM-POL aangifte" in html and "Wmo 2015" in html
    assert "GEHEIM-GGZ" not in html


def test_every_view_is_audited_with_its_basis(app, client, switch_to, db, scenario):
    """Does opening the case write audit rows naming each basis used and the persons seen?"""
    pol = scenario.users["pol"]
    switch_to(pol)
    _page(client, scenario.case)
    rows = audit_rows(db, action="view", user_id=pol.id, case_id=scenario.case.id)
    bases = {r.basis.split(":")[0] for r in rows}
    assert {"bron", "convenant"} <= bases
    links = audit_subjects(db, action="view", user_id=pol.id, item_id=scenario.items["justice"].id)
    assert links and all(link.basis.startswith("bron") for _, link in links)
    assert scenario.persons["suspect"].id in {link.person_id for _, link in links}
    assert not audit_subjects(db, action="view", user_id=pol.id, item_id=scenario.items["health"].id)


def test_bsn_is_shown_masked(app, client, switch_to, scenario):
    """Is the BSN shown with all but its last three digits hidden?"""
    switch_to(scenario.users["coordinator"])
    html = _page(client, scenario.case)
    assert "111222333" not in html and "••••••333" in html


def test_add_person_with_future_birth_date_is_refused(app, client, switch_to, db, scenario):
    """Does a date of birth in the future give a Dutch message, a 422, and no new person?"""
    switch_to(scenario.users["lt"])
    before = len(db.exec(select(Person)).all())
    tomorrow = (working_day(2)).isoformat()
    resp = form_post(app, client, f"/casussen/{scenario.case.id}/personen/nieuw",
                     {"role": "kind", "name": "Kim Toekomst (fictief)", "date_of_birth": tomorrow})
    assert resp.status_code == 422 and "De geboortedatum ligt in de toekomst." in resp.text
    db.expire_all()
    assert len(db.exec(select(Person)).all()) == before


def test_add_person_with_bsn_failing_elfproef_is_refused(app, client, switch_to, db, scenario):
    """Does a BSN that fails the elfproef give a Dutch message and store nothing?"""
    switch_to(scenario.users["lt"])
    resp = form_post(app, client, f"/casussen/{scenario.case.id}/personen/nieuw",
                     {"role": "kind", "name": "Kim Fout (fictief)", "bsn": "123456789"})
    assert resp.status_code == 422 and "elfproef" in resp.text
    db.expire_all()
    assert db.exec(select(Person).where(Person.name == "Kim Fout (fictief)")).first() is None


def test_add_person_stores_source_organisation_and_audits(app, client, switch_to, db, scenario):
    """Is a valid person stored with the adding user's organisation as its source, and audited?"""
    lt = scenario.users["lt"]
    switch_to(lt)
    resp = form_post(app, client, f"/casussen/{scenario.case.id}/personen/nieuw",
                     {"role": "kind", "name": "Kim Goed (fictief)", "date_of_birth": "2016-02-29",
                      "bsn": "123456782", "address": "Nepstraat 1"})
    assert resp.status_code == 302
    db.expire_all()
    person = db.exec(select(Person).where(Person.name == "Kim Goed (fictief)")).one()
    assert person.source_organisation_id == lt.organisation_id and person.bsn == "123456782"
    assert audit_rows(db, action="create", object_type="person", object_id=str(person.id))


def test_add_item_with_unknown_category_is_refused(app, client, switch_to, db, scenario):
    """Does a category that is not in the catalogue give a clear Dutch message and no item?"""
    switch_to(scenario.users["lt"])
    resp = form_post(app, client, f"/casussen/{scenario.case.id}/gegevens/nieuw",
                     {"category": "horoscoop", "content": "Iets", "recorded_on": "2026-01-05"})
    assert resp.status_code == 422 and "staat niet in de catalogus" in resp.text
    db.expire_all()
    assert db.exec(select(Item).where(Item.content == "Iets")).first() is None


def test_added_item_has_author_organisation_as_source(app, client, switch_to, db, scenario):
    """Is a new item's source organisation the author's organisation, whatever the form says?"""
    lt = scenario.users["lt"]
    switch_to(lt)
    resp = form_post(app, client, f"/casussen/{scenario.case.id}/gegevens/nieuw",
                     {"category": "hulpverlening", "content": "Wekelijkse begeleiding", "recorded_on": "2026-01-05",
                      "persons": [str(scenario.persons["victim"].id)],
                      "source_organisation_id": str(scenario.orgs["GGZ"].id)})
    assert resp.status_code == 302
    db.expire_all()
    item = db.exec(select(Item).where(Item.content == "Wekelijkse begeleiding")).one()
    assert item.source_organisation_id == lt.organisation_id and item.author_id == lt.id


def _consent_form(scenario, recipients, categories=("gezondheid",), **extra):
    return {"person_id": str(scenario.persons["victim"].id), "given_by_kind": "zelf", "purpose": "MDA++-overleg",
            "method": "schriftelijk", "recipients": [str(o.id) for o in recipients], "categories": list(categories),
            "given_on": "2026-01-02", **extra}


def test_consent_for_recipient_outside_circle_is_refused(app, client, switch_to, db, scenario):
    """Does a consent naming an organisation outside the circle give a Dutch message and store nothing?"""
    switch_to(scenario.users["ggz"])
    resp = form_post(app, client, f"/casussen/{scenario.case.id}/toestemmingen/nieuw",
                     _consent_form(scenario, [scenario.orgs["POL"], scenario.orgs["OM"]]))
    assert resp.status_code == 422
    assert "niet in de kring: OM Demodam test" in resp.text
    db.expire_all()
    assert db.exec(select(Consent)).first() is None


def test_consent_with_unknown_category_is_refused(app, client, switch_to, db, scenario):
    """Does a consent for a category outside the catalogue give a Dutch message and store nothing?"""
    switch_to(scenario.users["ggz"])
    resp = form_post(app, client, f"/casussen/{scenario.case.id}/toestemmingen/nieuw",
                     _consent_form(scenario, [scenario.orgs["POL"]], categories=("gezondheid", "dagboek")))
    assert resp.status_code == 422 and "Onbekende categorie(ën): dagboek" in resp.text
    db.expire_all()
    assert db.exec(select(Consent)).first() is None


def test_child_consent_needs_legal_representative(app, client, switch_to, db, scenario, make_person):
    """Is consent 'by the child itself' refused for a young child, and accepted from the legal representative?"""
    child = make_person(scenario.case, source_org=scenario.orgs["ZVH"], role="kind", date_of_birth=date(2019, 1, 1))
    switch_to(scenario.users["ggz"])
    data = {**_consent_form(scenario, [scenario.orgs["POL"]]), "person_id": str(child.id)}
    resp = form_post(app, client, f"/casussen/{scenario.case.id}/toestemmingen/nieuw", data)
    assert resp.status_code == 422 and "wettelijk vertegenwoordiger" in resp.text
    resp = form_post(app, client, f"/casussen/{scenario.case.id}/toestemmingen/nieuw",
                     {**data, "given_by_kind": "vertegenwoordiger", "representative": "Moeder (fictief)"})
    assert resp.status_code == 302
    db.expire_all()
    assert db.exec(select(Consent)).one().given_by == "Moeder (fictief) (wettelijk vertegenwoordiger)"


def test_consent_opens_item_and_withdrawal_closes_it_for_every_recipient(app, client, switch_to, db, scenario):
    """After withdrawal, is the item gone from the next page load and API call of every recipient?"""
    health = "GEHEIM-GGZ behandeling"
    switch_to(scenario.users["ggz"])
    resp = form_post(app, client, f"/casussen/{scenario.case.id}/toestemmingen/nieuw",
                     _consent_form(scenario, [scenario.orgs["POL"], scenario.orgs["LT"]]))
    assert resp.status_code == 302
    consent = db.exec(select(Consent)).one()
    for who in ("pol", "lt"):
        switch_to(scenario.users[who])
        assert health in _page(client, scenario.case)
        assert health in client.get(f"/api/v1/cases/{scenario.case.id}").text
    resp = form_post(app, client, f"/casussen/{scenario.case.id}/toestemmingen/{consent.id}/intrekken",
                     {"reason": "Betrokkene trekt in"})
    assert resp.status_code == 302
    for who in ("pol", "lt"):
        switch_to(scenario.users[who])
        html = _page(client, scenario.case)
        assert health not in html and "is ingetrokken" in html
        body = client.get(f"/api/v1/cases/{scenario.case.id}").get_json()
        item = next(i for i in body["items"] if i["id"] == scenario.items["health"].id)
        assert item["content"] is None and "ingetrokken" in item["niet_gedeeld"]


def test_withdrawing_twice_gives_a_message_not_an_error(app, client, switch_to, db, scenario, make_consent):
    """Does withdrawing an already withdrawn consent give a Dutch message (422) and change nothing?"""
    consent = make_consent(scenario.case, scenario.persons["victim"], [scenario.orgs["POL"]], ["gezondheid"],
                           scenario.users["coordinator"])
    switch_to(scenario.users["lt"])
    url = f"/casussen/{scenario.case.id}/toestemmingen/{consent.id}/intrekken"
    assert form_post(app, client, url, {"reason": "eerste keer"}).status_code == 302
    db.expire_all()
    first = db.get(Consent, consent.id).withdrawn_at
    resp = form_post(app, client, url, {"reason": "tweede keer"})
    assert resp.status_code == 422 and "al ingetrokken" in resp.text
    db.expire_all()
    again = db.get(Consent, consent.id)
    assert again.withdrawn_at == first and again.withdrawal_reason == "eerste keer"


def test_duty_conflict_decision_by_coordinator_opens_for_recipient(app, client, switch_to, db, scenario):
    """Can the coordinator record a conflict-of-duties decision that opens GGZ data for the police only?"""
    switch_to(scenario.users["coordinator"])
    resp = form_post(app, client, f"/casussen/{scenario.case.id}/conflict-van-plichten/nieuw",
                     {"organisation_id": str(scenario.orgs["POL"].id), "category": "gezondheid",
                      "person_id": "0", "reason": "Dreiging met een wapen; toestemming vragen vergroot het gevaar."})
    assert resp.status_code == 302
    decision = db.exec(select(DutyConflictDecision)).one()
    assert decision.decided_by_id == scenario.users["coordinator"].id and decision.person_id is None
    switch_to(scenario.users["pol"])
    html = _page(client, scenario.case)
    assert "GEHEIM-GGZ" in html and "Conflict van plichten" in html
    switch_to(scenario.users["lt"])
    assert "GEHEIM-GGZ" not in _page(client, scenario.case)


def test_professional_cannot_record_duty_conflict(app, client, switch_to, scenario):
    """Is a plain professional refused (403) when recording a conflict-of-duties decision?"""
    switch_to(scenario.users["pol"])
    resp = form_post(app, client, f"/casussen/{scenario.case.id}/conflict-van-plichten/nieuw",
                     {"organisation_id": str(scenario.orgs["POL"].id), "category": "gezondheid", "person_id": "0",
                      "reason": "Ik wil het graag zien, er is gevaar."})
    assert resp.status_code == 403


def test_break_glass_opens_item_is_audited_and_listed_for_privacy_officer(app, client, switch_to, db, scenario):
    """Does break-glass need a reason, open the item for that professional, and reach the privacy officer's list?"""
    pol = scenario.users["pol"]
    item = scenario.items["health"]
    switch_to(pol)
    url = f"/casussen/{scenario.case.id}/gegevens/{item.id}/doorbraak"
    assert client.get(url).status_code == 200
    resp = form_post(app, client, url, {"reason": "kort"})
    assert resp.status_code == 422 and "minstens 10 tekens" in resp.text
    assert "GEHEIM-GGZ" not in _page(client, scenario.case)
    resp = form_post(app, client, url, {"reason": "Vader staat met een mes voor de deur"})
    assert resp.status_code == 302
    html = _page(client, scenario.case)
    assert "GEHEIM-GGZ" in html and "Doorbraak in acuut gevaar" in html
    assert audit_rows(db, action="break_glass", user_id=pol.id)
    assert any(r.basis.startswith("doorbraak") for r in audit_rows(db, action="view", user_id=pol.id))
    switch_to(scenario.users["lt"])
    assert "GEHEIM-GGZ" not in _page(client, scenario.case)
    switch_to(scenario.users["privacy"])
    listing = client.get("/privacy/doorbraken")
    assert listing.status_code == 200 and "Vader staat met een mes voor de deur" in listing.text


def test_team_lead_cannot_break_glass(app, client, switch_to, scenario):
    """Is break-glass reserved for professionals and coordinators (a team lead gets 403)?"""
    switch_to(scenario.users["lt_lead"])
    resp = client.get(f"/casussen/{scenario.case.id}/gegevens/{scenario.items['health'].id}/doorbraak")
    assert resp.status_code == 403


def test_coordinator_changes_phase_and_closing_sets_date(app, client, switch_to, db, scenario):
    """Does closing the case record the closing date, and are new items then refused?"""
    switch_to(scenario.users["coordinator"])
    resp = form_post(app, client, f"/casussen/{scenario.case.id}/fase", {"phase": "afgesloten",
                                                                         "reason": "Doelen bereikt, veilig"})
    assert resp.status_code == 302
    db.expire_all()
    case = db.get(type(scenario.case), scenario.case.id)
    assert case.phase == "afgesloten" and case.closed_at is not None
    resp = form_post(app, client, f"/casussen/{scenario.case.id}/gegevens/nieuw",
                     {"category": "hulpverlening", "content": "Na sluiting", "recorded_on": "2026-01-05"})
    assert resp.status_code == 422 and "afgesloten" in resp.text


def test_professional_cannot_change_phase(app, client, switch_to, scenario):
    """Does a professional in the circle get 403 on the phase form?"""
    switch_to(scenario.users["pol"])
    assert client.get(f"/casussen/{scenario.case.id}/fase").status_code == 403


def test_consent_api_creates_and_withdraws(app, client, switch_to, db, scenario):
    """Can a consent be created and withdrawn through the API, with the same checks as the form?"""
    switch_to(scenario.users["ggz"])
    base = f"/api/v1/cases/{scenario.case.id}/consents"
    payload = {"person_id": scenario.persons["victim"].id, "purpose": "Overleg", "method": "mondeling",
               "recipient_organisation_ids": [scenario.orgs["OM"].id], "categories": ["gezondheid"],
               "given_on": "2026-01-02"}
    resp = api_post(app, client, base, payload)
    assert resp.status_code == 422 and "niet in de kring" in resp.get_json()["message"]
    resp = api_post(app, client, base, {**payload, "recipient_organisation_ids": [scenario.orgs["POL"].id]})
    assert resp.status_code == 201, resp.text
    consent_id = resp.get_json()["id"]
    resp = api_post(app, client, f"{base}/{consent_id}/withdraw", {"reason": "Ingetrokken via API"})
    assert resp.status_code == 200 and resp.get_json()["withdrawn_at"]
    resp = api_post(app, client, f"{base}/{consent_id}/withdraw", {"reason": "nog eens"})
    assert resp.status_code == 422 and "al ingetrokken" in resp.get_json()["message"]


def test_api_lists_only_my_cases_and_detail_names_basis(app, client, switch_to, scenario, make_case):
    """Does the API list only the caller's cases, and give each item its basis or its 'niet gedeeld' reason?"""
    make_case(scenario.users["other_coordinator"])
    switch_to(scenario.users["pol"])
    listing = client.get("/api/v1/cases").get_json()["cases"]
    assert [c["reference"] for c in listing] == [scenario.case.reference]
    body = client.get(f"/api/v1/cases/{scenario.case.id}").get_json()
    items = {i["id"]: i for i in body["items"]}
    assert items[scenario.items["justice"].id]["basis_kind"] == "bron"
    withheld = items[scenario.items["health"].id]
    assert withheld["shared"] is False and withheld["content"] is None
    assert withheld["niet_gedeeld"] == "niet gedeeld: geen toestemming voor GGZ-gegevens aan Politie"
    assert "GEHEIM-GGZ" not in str(body)
