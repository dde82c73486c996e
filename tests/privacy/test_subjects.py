"""Privacy officer operations on one person: access log, export, destruction on request."""

import csv
import io
import json

from sqlmodel import select

from mda.cases.models import Consent, Item, Person
from mda.privacy.models import DestructionRecord
from tests.conftest import audit_rows, form_post, today


def test_access_log_lists_who_saw_the_person_on_what_basis(app, client, switch_to, db, scenario):
    """After the police opens the case, does the victim's access log name the police user and the basis?"""
    pol = scenario.users["pol"]
    switch_to(pol)
    client.get(f"/casussen/{scenario.case.id}")
    switch_to(scenario.users["privacy"])
    victim = scenario.persons["victim"]
    page = client.get(f"/privacy/personen/{victim.id}")
    assert page.status_code == 200
    assert pol.email in page.text and "convenant: Convenant MDA++ Demodam art. 5.1" in page.text
    rows = audit_rows(db, action="view", object_type="access_log")
    assert rows and rows[-1].person_ids == str(victim.id)


def test_access_log_matches_whole_person_ids_only(app, client, switch_to, db, scenario, make_person):
    """Does person 1's log leave out rows that only name person 11 (comma-separated ids matched exactly)?"""
    from mda.core import audit

    victim = scenario.persons["victim"]
    other_id = int(f"{victim.id}1")
    audit.record(db, "view", user_name="test", object_type="case", person_ids=[other_id], summary="ander")
    audit.record(db, "view", user_name="test", object_type="case", person_ids=[3000, victim.id], summary="wel")
    db.commit()
    switch_to(scenario.users["privacy"])
    page = client.get(f"/privacy/personen/{victim.id}").text
    assert "wel" in page and ">ander<" not in page


def test_search_finds_person_by_name_and_birth_date_and_is_audited(app, client, switch_to, db, scenario):
    """Can the privacy officer find a person by name and date of birth, with the search audited?"""
    switch_to(scenario.users["privacy"])
    resp = form_post(app, client, "/privacy/personen", {"name": "vera slachtoffer (FICTIEF)",
                                                         "date_of_birth": "1990-01-01"})
    assert resp.status_code == 200 and scenario.case.reference in resp.text
    assert audit_rows(db, action="search", object_type="person")
    assert form_post(app, client, "/privacy/personen", {"name": "alleen naam"}).status_code == 422


def test_person_search_is_a_post_form_without_personal_data_in_the_url(app, client, switch_to, scenario):
    """Does the person search post its BSN and name in the body, so they never reach a URL or access log?"""
    switch_to(scenario.users["privacy"])
    page = client.get("/privacy/personen", query_string={"bsn": "111222333"})
    assert page.status_code == 200 and '<form method="post"' in page.text
    assert scenario.case.reference not in page.text  # a GET with a query string searches nothing


def test_access_log_uses_the_subject_index_not_the_summary(app, client, switch_to, db, scenario, make_item):
    """Is a person findable in the access log through audit_subject even when a row's summary and
    person_ids do not name them (e.g. an item about them among 80 others)?"""
    from mda.core import audit
    from mda.core.audit_subjects import Subject

    victim = scenario.persons["victim"]
    audit.record(db, "view", user_name="indexed@test", object_type="case", summary="vele gegevens",
                 subjects=[Subject(victim.id, 999, "bron: test", "item")])
    db.commit()
    switch_to(scenario.users["privacy"])
    assert "indexed@test" in client.get(f"/privacy/personen/{victim.id}").text


def test_destructions_page_and_break_glass_review_are_in_the_persons_access_log(
        app, client, switch_to, db, scenario, make_item):
    """Are looking at the destructions list and reviewing a break-glass audited with the person's id,
    so both appear in that person's own access log?"""
    from mda.cases.models import BreakGlass, ItemPerson
    from mda.core.timeutil import utcnow

    victim = scenario.persons["victim"]
    switch_to(scenario.users["privacy"])
    form_post(app, client, f"/privacy/personen/{victim.id}/vernietigen", {
        "requested_by": "betrokkene", "requested_on": "2026-11-01", "reason": "vermoeden weerlegd na onderzoek",
        "refuted": "y"})
    assert client.get("/privacy/vernietigingen").status_code == 200
    rows = audit_rows(db, action="view", object_type="destruction_list")
    assert rows and str(victim.id) in rows[-1].person_ids.split(",")
    suspect = scenario.persons["suspect"]
    item_id = db.exec(select(ItemPerson.item_id).where(ItemPerson.person_id == suspect.id)).first()
    now = utcnow()
    grant = BreakGlass(case_id=scenario.case.id, item_id=item_id, user_id=scenario.users["pol"].id,
                       reason="acuut gevaar, test", opened_at=now, expires_at=now)
    db.add(grant)
    db.commit()
    from tests.conftest import csrf_token

    client.post(f"/privacy/doorbraken/{grant.id}/beoordeeld",
                data={"csrf_token": csrf_token(app, client), "judgement": "terecht", "comment": "terecht"})
    reviews = audit_rows(db, action="update", object_type="break_glass")
    assert reviews and str(suspect.id) in reviews[-1].person_ids.split(",")
    log = client.get(f"/privacy/personen/{suspect.id}").text
    assert f"doorbraak nr. {grant.id} beoordeeld" in log


def test_export_json_and_csv_hold_the_persons_data_and_are_audited(app, client, switch_to, db, scenario,
                                                                  make_consent):
    """Do the JSON and CSV exports hold the person, their items and consents, and is each export audited?"""
    victim = scenario.persons["victim"]
    make_consent(scenario.case, victim, [scenario.orgs["POL"]], ["gezondheid"], scenario.users["ggz"])
    switch_to(scenario.users["privacy"])
    resp = client.get(f"/privacy/personen/{victim.id}/export.json")
    assert resp.status_code == 200 and "attachment" in resp.headers["Content-Disposition"]
    doc = json.loads(resp.text)
    assert doc["persoon"]["naam"] == victim.name and doc["persoon"]["bsn"] == "111222333"
    assert {i["inhoud"] for i in doc["gegevens"]} >= {"GEHEIM-GGZ behandeling van het slachtoffer"}
    assert doc["toestemmingen"][0]["categorieen"] == ["gezondheid"]
    resp = client.get(f"/privacy/personen/{victim.id}/export.csv")
    rows = list(csv.reader(io.StringIO(resp.text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0] == ["onderdeel", "nummer", "veld", "waarde"] and ["persoon", "", "naam", victim.name] in rows
    assert len(audit_rows(db, action="export", object_type="person")) == 2


def test_destruction_needs_refuted_suspicion_and_records_what_was_destroyed(app, client, switch_to, db, scenario,
                                                                            make_consent):
    """Does destruction blank the person, their items and consents, keep a record, and hide them from partners?"""
    victim = scenario.persons["victim"]
    consent = make_consent(scenario.case, victim, [scenario.orgs["POL"]], ["gezondheid"], scenario.users["ggz"])
    switch_to(scenario.users["privacy"])
    url = f"/privacy/personen/{victim.id}/vernietigen"
    data = {"requested_by": "Betrokkene zelf (fictief)", "requested_on": today().isoformat(),
            "reason": "Vermoeden weerlegd door onderzoek Veilig Thuis"}
    resp = form_post(app, client, url, data)
    assert resp.status_code == 422 and "weerlegd" in resp.text
    db.expire_all()
    assert db.get(Person, victim.id).destroyed_at is None
    resp = form_post(app, client, url, {**data, "refuted": "y"})
    assert resp.status_code == 302
    db.expire_all()
    person = db.get(Person, victim.id)
    assert person.destroyed_at and person.name == "" and person.bsn is None and person.date_of_birth is None
    health = db.get(Item, scenario.items["health"].id)
    assert health.destroyed_at and health.content == ""
    assert db.get(Consent, consent.id).given_by == ""
    record = db.exec(select(DestructionRecord)).one()
    assert record.requested_by == "Betrokkene zelf (fictief)" and f"({health.id}" in record.summary
    assert audit_rows(db, action="delete", object_type="person")
    assert "Betrokkene zelf (fictief)" in client.get("/privacy/vernietigingen").text
    assert form_post(app, client, url, {**data, "refuted": "y"}).status_code == 422  # already destroyed
    switch_to(scenario.users["ggz"])
    page = client.get(f"/casussen/{scenario.case.id}").text
    assert "Vera Slachtoffer" not in page and "GEHEIM-GGZ" not in page


def test_break_glass_review_is_recorded(app, client, switch_to, db, scenario):
    """Is a review without a judgement refused (422, the comment kept), and does the privacy officer record
    'onterecht' with a comment, once, and then a follow-up; does the home page count what waits?"""
    from mda.cases.models import BreakGlass

    pol = scenario.users["pol"]
    switch_to(pol)
    form_post(app, client, f"/casussen/{scenario.case.id}/gegevens/{scenario.items['health'].id}/doorbraak",
              {"reason": "Acuut gevaar voor de kinderen"})
    grant = db.exec(select(BreakGlass)).one()
    switch_to(scenario.users["privacy"])
    assert "1 doorbraak(en) wachten op uw oordeel" in client.get("/").text
    url = f"/privacy/doorbraken/{grant.id}/beoordeeld"
    resp = form_post(app, client, url, {"comment": "Geen acuut gevaar zichtbaar"})
    assert resp.status_code == 422 and "terecht of onterecht" in resp.text
    assert "Geen acuut gevaar zichtbaar" in resp.text
    assert form_post(app, client, url, {"judgement": "onterecht", "comment": "Geen acuut gevaar"}).status_code == 302
    db.expire_all()
    grant = db.get(BreakGlass, grant.id)
    assert grant.reviewed_at is not None and grant.judgement == "onterecht"
    assert form_post(app, client, url, {"judgement": "terecht", "comment": "Toch wel"}).status_code == 422
    assert "1 onterechte doorbraak(en) zonder opvolging" in client.get("/").text
    assert form_post(app, client, f"/privacy/doorbraken/{grant.id}/opvolging",
                     {"follow_up": "Gesprek met teamleider politie"}).status_code == 302
    db.expire_all()
    assert db.get(BreakGlass, grant.id).followed_up_at is not None
    assert "Opvolging" in client.get("/privacy/doorbraken").text


def test_name_search_ignores_case_and_accents_and_accepts_parts():
    """Does a typed name find a person with accents and capitals, from parts of the name, and not someone else?"""
    from mda.privacy.subjects import name_matches

    assert name_matches("jose pere", "José Pérez-Ruiz (fictief)")
    assert name_matches("PEREZ", "José Pérez-Ruiz (fictief)")
    assert not name_matches("jose perez garcia", "José Pérez-Ruiz (fictief)")
    assert not name_matches("janssen", "José Pérez-Ruiz (fictief)")


def test_invalid_bsn_gets_the_elfproef_message(app, db, scenario):
    """Does searching with a nine-digit number that fails the elfproef say so (instead of 'nobody found')?"""
    import pytest

    from mda.core.errors import ServiceError
    from mda.privacy.subjects import find_persons

    with pytest.raises(ServiceError, match="elfproef"):
        find_persons(db, scenario.users["privacy"], bsn="123456789")


def test_the_access_log_names_actions_in_dutch_and_is_paged(app, client, switch_to, db, scenario):
    """Does a person's access log say "gezocht", "bekeken", "gewijzigd (geweigerd)" instead of the codes, show at
    most one page of rows (newest first) with a link to older ones that reaches the oldest, and audit each page?"""
    import re

    from mda.core import audit
    from mda.privacy.services import PAGE_SIZE
    from tests.conftest import text_of

    victim = scenario.persons["victim"]
    audit.record(db, "search", user_name="zoeker@test", object_type="person", person_ids=[victim.id],
                 summary="ZOEK-OUD")
    audit.record(db, "update", user_name="wijziger@test", object_type="person", person_ids=[victim.id],
                 outcome="denied", summary="WIJZIG-OUD")
    for n in range(PAGE_SIZE + 5):
        audit.record(db, "view", user_name="kijker@test", object_type="case", person_ids=[victim.id],
                     summary=f"RIJ-{n}-")
    db.commit()
    switch_to(scenario.users["privacy"])
    page = client.get(f"/privacy/personen/{victim.id}")
    text = text_of(page.text)
    assert page.status_code == 200 and f"RIJ-{PAGE_SIZE + 4}-" in text and "RIJ-0-" not in text
    assert text.count("kijker@test") == PAGE_SIZE and "bekeken" in text and "Oudere regels" in text
    older = re.search(r'href="([^"]*voor=\d+[^"]*)"', page.text).group(1).replace("&amp;", "&")
    rest = text_of(client.get(older).text)
    assert "RIJ-0-" in rest and f"RIJ-{PAGE_SIZE + 4}-" not in rest and "Nieuwste regels" in rest
    assert "gezocht" in rest and "gewijzigd (geweigerd)" in rest
    assert not re.search(r">\s*(search|view|update)\s*<", page.text + client.get(older).text)
    assert client.get(f"/privacy/personen/{victim.id}?voor=99999999999999").status_code == 200  # no 500
    looked = audit_rows(db, action="view", object_type="access_log")
    assert len(looked) == 4 and f"{PAGE_SIZE} regels" in looked[0].summary
