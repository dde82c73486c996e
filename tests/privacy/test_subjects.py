"""Privacy officer operations on one person: access log, export, destruction on request."""

import csv
import io
import json
from datetime import date

from sqlmodel import select

from mda.cases.models import Consent, Item, Person
from mda.privacy.models import DestructionRecord
from tests.conftest import audit_rows, form_post


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
    resp = client.get("/privacy/personen", query_string={"name": "vera slachtoffer (FICTIEF)",
                                                          "date_of_birth": "1990-01-01"})
    assert resp.status_code == 200 and scenario.case.reference in resp.text
    assert audit_rows(db, action="search", object_type="person")
    assert client.get("/privacy/personen", query_string={"name": "alleen naam"}).status_code == 422


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
    data = {"requested_by": "Betrokkene zelf (fictief)", "requested_on": date.today().isoformat(),
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
    """Can the privacy officer mark a break-glass opening as reviewed, once?"""
    from mda.cases.models import BreakGlass

    pol = scenario.users["pol"]
    switch_to(pol)
    form_post(app, client, f"/casussen/{scenario.case.id}/gegevens/{scenario.items['health'].id}/doorbraak",
              {"reason": "Acuut gevaar voor de kinderen"})
    grant = db.exec(select(BreakGlass)).one()
    switch_to(scenario.users["privacy"])
    assert form_post(app, client, f"/privacy/doorbraken/{grant.id}/beoordeeld").status_code == 302
    db.expire_all()
    assert db.get(BreakGlass, grant.id).reviewed_at is not None
    assert "beoordeeld op" in client.get("/privacy/doorbraken").text
