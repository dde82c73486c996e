"""Correcting what was typed (items, persons, reason and goal) keeps every old version, shows it only through
the sharing engine, and is audited; and destructive actions need a reason."""

from __future__ import annotations

from datetime import date

from sqlmodel import select

from mda.cases import history
from mda.cases.history import EditHistory
from mda.cases.models import DutyConflictDecision
from mda.core import sharing
from mda.core.confirmations import ActionReason
from tests.conftest import audit_rows, audit_subjects, form_post, text_of


def test_source_corrects_an_item_and_the_old_version_is_kept(app, client, switch_to, db, scenario):
    """Does GGZ correct its own health item, with the old text kept (who, when) and an audit row, the new text on
    the case page, and the old text on the history page for GGZ?"""
    item = scenario.items["health"]
    url = f"/casussen/{scenario.case.id}/gegevens/{item.id}/bewerken"
    switch_to(scenario.users["ggz"])
    assert client.get(url).status_code == 200
    resp = form_post(app, client, url, {"content": "GEHEIM-GGZ behandeling (gecorrigeerd)",
                                        "recorded_on": "2026-01-05"})
    assert resp.status_code == 302
    (row,) = db.exec(select(EditHistory).where(EditHistory.object_type == "item")).all()
    assert row.values["content"] == "GEHEIM-GGZ behandeling van het slachtoffer"
    assert row.edited_by_id == scenario.users["ggz"].id
    assert any("gecorrigeerd" in r.summary for r in audit_rows(db, action="update", object_type="item"))
    assert "(gecorrigeerd)" in client.get(f"/casussen/{scenario.case.id}").text
    history = text_of(client.get(f"/casussen/{scenario.case.id}/gegevens/{item.id}/geschiedenis").text)
    assert "GEHEIM-GGZ behandeling van het slachtoffer" in history


def test_old_version_of_a_withheld_item_is_withheld_too(app, client, switch_to, db, scenario):
    """Does the police, who may not see the GGZ item, get neither the old nor the new text on the history page
    (the engine decides), and may it not correct the item (403)?"""
    item = scenario.items["health"]
    switch_to(scenario.users["ggz"])
    form_post(app, client, f"/casussen/{scenario.case.id}/gegevens/{item.id}/bewerken",
              {"content": "GEHEIM-GGZ nieuwe versie", "recorded_on": "2026-01-05"})
    switch_to(scenario.users["pol"])
    page = client.get(f"/casussen/{scenario.case.id}/gegevens/{item.id}/geschiedenis")
    assert page.status_code == 200 and "GEHEIM-GGZ" not in page.text and "Niet gedeeld" in page.text
    assert client.get(f"/casussen/{scenario.case.id}/gegevens/{item.id}/bewerken").status_code == 403
    assert form_post(app, client, f"/casussen/{scenario.case.id}/gegevens/{item.id}/bewerken",
                     {"content": "overschreven", "recorded_on": "2026-01-05"}).status_code == 403
    switch_to(scenario.users["om"])  # outside the circle: 404, not a hint
    assert client.get(f"/casussen/{scenario.case.id}/gegevens/{item.id}/geschiedenis").status_code == 404


def test_item_correction_with_bad_input_is_refused_and_nothing_is_lost(app, client, switch_to, db, scenario):
    """Is an empty text or a date in the future refused with a Dutch message (422), the typed text kept in the
    form, and no history row written?"""
    item = scenario.items["health"]
    switch_to(scenario.users["ggz"])
    resp = form_post(app, client, f"/casussen/{scenario.case.id}/gegevens/{item.id}/bewerken",
                     {"content": "Nieuwe tekst die blijft staan", "recorded_on": "2999-01-01"})
    assert resp.status_code == 422 and "Nieuwe tekst die blijft staan" in resp.text
    assert not db.exec(select(EditHistory)).all()


def test_person_and_reason_goal_corrections_keep_history(app, client, switch_to, db, scenario):
    """Does the coordinator correct a typo in the victim's name and the case's goal, with both old versions kept
    and shown on the edit pages?"""
    victim = scenario.persons["victim"]
    switch_to(scenario.users["coordinator"])
    url = f"/casussen/{scenario.case.id}/personen/{victim.id}/bewerken"
    assert client.get(url).status_code == 200
    assert form_post(app, client, url, {"name": "Vera Slachtofer (fictief)", "date_of_birth": "1990-02-03",
                                        "address": ""}).status_code == 302
    assert form_post(app, client, url, {"name": "Vera Slachtoffer (fictief)", "date_of_birth": "1990-02-03",
                                        "address": ""}).status_code == 302
    db.expire_all()
    assert db.get(type(victim), victim.id).date_of_birth == date(1990, 2, 3)
    assert "Vera Slachtofer (fictief)" in client.get(url).text
    url = f"/casussen/{scenario.case.id}/reden-en-doel"
    assert form_post(app, client, url, {"reason": "Testreden", "goal": "Veiligheid van het kind"}).status_code == 302
    assert "Testdoel" in text_of(client.get(url).text)
    rows = db.exec(select(EditHistory).order_by(EditHistory.id)).all()
    assert [r.object_type for r in rows] == ["person", "person", "case"]


def test_revoking_a_decision_needs_a_reason(app, client, switch_to, db, scenario):
    """Is revoking a conflict-of-duties decision refused without a reason (422, decision in force), and done with
    one (revoked, reason stored, audited without the reason's text)?"""
    from mda.core.timeutil import utcnow

    decision = DutyConflictDecision(case_id=scenario.case.id, organisation_id=scenario.orgs["POL"].id,
                                    category="gezondheid", decided_by_id=scenario.users["coordinator"].id,
                                    reason="Afweging", decided_at=utcnow())
    db.add(decision)
    db.commit()
    switch_to(scenario.users["coordinator"])
    url = f"/casussen/{scenario.case.id}/conflict-van-plichten/{decision.id}/intrekken"
    assert f"/conflict-van-plichten/{decision.id}/intrekken" in client.get(f"/casussen/{scenario.case.id}").text
    resp = form_post(app, client, url, {"reason": ""})
    assert resp.status_code == 422 and "Geef een reden op" in resp.text
    db.expire_all()
    assert db.get(DutyConflictDecision, decision.id).revoked_at is None
    assert form_post(app, client, url, {"reason": "Geen acuut gevaar meer"}).status_code == 302
    db.expire_all()
    assert db.get(DutyConflictDecision, decision.id).revoked_at is not None
    (reason,) = db.exec(select(ActionReason)).all()
    assert reason.reason == "Geen acuut gevaar meer" and reason.action == "besluit_intrekken"
    row = audit_rows(db, object_type="duty_conflict_decision")[-1]
    assert f"reden nr. {reason.id}" in row.summary and "acuut" not in row.summary


def test_revoking_a_decision_of_another_case_or_none_is_not_found(app, client, switch_to, db, scenario, make_case):
    """Does the revoke page of a conflict-of-duties decision answer 404 (no confirmation page, nothing revoked) for a
    decision of another case of the same coordinator, or a number that is no decision at all?"""
    from datetime import UTC, datetime

    other_case = make_case(scenario.users["coordinator"], orgs=[scenario.orgs["POL"]])
    other = DutyConflictDecision(case_id=other_case.id, organisation_id=scenario.orgs["POL"].id,
                                 category="gezondheid", decided_by_id=scenario.users["coordinator"].id,
                                 reason="Afweging", decided_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    db.add(other)
    db.commit()
    switch_to(scenario.users["coordinator"])
    for decision_id in (other.id, other.id + 1000):
        url = f"/casussen/{scenario.case.id}/conflict-van-plichten/{decision_id}/intrekken"
        assert client.get(url).status_code == 404
        assert form_post(app, client, url, {"reason": "Geen acuut gevaar meer"}).status_code == 404
    assert client.get(f"/casussen/{other_case.id}/conflict-van-plichten/{other.id}/intrekken").status_code == 200
    db.expire_all()
    assert db.get(DutyConflictDecision, other.id).revoked_at is None


def test_closing_a_case_needs_a_reason(app, client, switch_to, db, scenario):
    """Is closing a case without a reason refused (422, still open) and with one stored and audited?"""
    switch_to(scenario.users["coordinator"])
    url = f"/casussen/{scenario.case.id}/fase"
    assert form_post(app, client, url, {"phase": "afgesloten"}).status_code == 422
    db.expire_all()
    assert db.get(type(scenario.case), scenario.case.id).closed_at is None
    assert form_post(app, client, url, {"phase": "afgesloten", "reason": "Doelen bereikt"}).status_code == 302
    row = db.exec(select(ActionReason).where(ActionReason.action == "casus_afsluiten")).one()
    assert row.reason == "Doelen bereikt"


def test_expired_consent_offers_no_withdrawal(app, client, switch_to, db, scenario):
    """Does an expired consent show no "intrekken" form, and is withdrawing it refused with a Dutch message?"""
    from mda.cases.models import Consent
    from mda.core.timeutil import utcnow

    consent = Consent(case_id=scenario.case.id, person_id=scenario.persons["victim"].id, given_by="betrokkene zelf",
                      purpose="Overleg", method="mondeling", categories_text="gezondheid",
                      recorded_by_id=scenario.users["ggz"].id, given_on=date(2025, 1, 1),
                      valid_until=date(2025, 6, 1), created_at=utcnow())
    db.add(consent)
    db.commit()
    switch_to(scenario.users["coordinator"])
    page = client.get(f"/casussen/{scenario.case.id}").text
    assert f"/toestemmingen/{consent.id}/intrekken" not in page
    resp = form_post(app, client, f"/casussen/{scenario.case.id}/toestemmingen/{consent.id}/intrekken",
                     {"reason": "Toch intrekken"})
    assert resp.status_code == 422 and "verlopen" in resp.text


def test_earlier_versions_are_destroyed_with_the_data(app, client, switch_to, db, scenario):
    """When the retention period ends and the case is purged, are the earlier versions destroyed too (nothing
    of the old text left in the database)?"""
    from mda.privacy.retention import purge_case

    item = scenario.items["health"]
    switch_to(scenario.users["ggz"])
    form_post(app, client, f"/casussen/{scenario.case.id}/gegevens/{item.id}/bewerken",
              {"content": "GEHEIM-GGZ nieuwe versie", "recorded_on": "2026-01-05"})
    assert db.exec(select(EditHistory)).all()
    purge_case(db, db.get(type(scenario.case), scenario.case.id))
    db.commit()
    assert not db.exec(select(EditHistory)).all()


def test_form_errors_are_summarised_at_the_top(app, client, switch_to, db, scenario):
    """Does a form sent with several problems list all of them at once in one error summary at the top, each
    linking to its field, and does a confirmation page keep its own single summary?"""
    switch_to(scenario.users["coordinator"])
    resp = form_post(app, client, f"/casussen/{scenario.case.id}/reden-en-doel", {"reason": "", "goal": ""})
    assert resp.status_code == 422
    assert "Er zijn 2 problemen met wat u invulde" in resp.text
    assert 'href="#reason"' in resp.text and 'href="#goal"' in resp.text
    resp = form_post(app, client, f"/casussen/{scenario.case.id}/kring/organisaties/{scenario.orgs['POL'].id}"
                                  "/verwijderen", {"reason": ""})
    assert resp.status_code == 422 and resp.text.count('role="alert"') == 1


def test_consent_typo_is_corrected_with_history(app, client, switch_to, db, scenario):
    """Can a circle member correct a typo in a consent's purpose, with the old purpose kept and shown, and is a
    withdrawn consent left as it was?"""
    from mda.cases.models import Consent
    from mda.core.timeutil import utcnow

    consent = Consent(case_id=scenario.case.id, person_id=scenario.persons["victim"].id, given_by="betrokkene zelf",
                      purpose="Overlge", method="mondeling", categories_text="gezondheid",
                      recorded_by_id=scenario.users["ggz"].id, given_on=date(2026, 1, 1), created_at=utcnow())
    db.add(consent)
    db.commit()
    switch_to(scenario.users["lt"])
    url = f"/casussen/{scenario.case.id}/toestemmingen/{consent.id}/bewerken"
    assert form_post(app, client, url, {"purpose": "Overleg", "method": "mondeling"}).status_code == 302
    db.expire_all()
    assert db.get(Consent, consent.id).purpose == "Overleg"
    assert "Overlge" in client.get(url).text
    consent = db.get(Consent, consent.id)
    consent.withdrawn_at = utcnow()
    db.add(consent)
    db.commit()
    resp = form_post(app, client, url, {"purpose": "Iets anders", "method": "mondeling"})
    assert resp.status_code == 422 and "ingetrokken" in resp.text


def test_consent_purpose_withheld_on_the_case_page_is_withheld_when_correcting_it(
        app, client, switch_to, db, scenario, strict_covenant, make_consent):
    """Under a covenant without wildcard rules, does LT, who gets "(doel niet gedeeld)" for a consent GGZ recorded,
    also get no correction link, a 403 on the correction form (no pre-filled purpose) and on a correction, and no
    old purpose in the history, while GGZ (the recorder) gets all three?"""
    s = scenario
    consent = make_consent(s.case, s.persons["victim"], [s.orgs["POL"]], ["gezondheid"], s.users["ggz"],
                           purpose="GEHEIM-DOEL-OUD behandeloverleg")
    url = f"/casussen/{s.case.id}/toestemmingen/{consent.id}/bewerken"
    switch_to(s.users["ggz"])
    assert url in client.get(f"/casussen/{s.case.id}").text
    assert "GEHEIM-DOEL-OUD" in client.get(url).text
    assert form_post(app, client, url, {"purpose": "GEHEIM-DOEL-NIEUW", "method": "mondeling"}).status_code == 302
    assert "GEHEIM-DOEL-OUD" in client.get(url).text  # the kept version, for the recorder
    switch_to(s.users["lt"])
    page = client.get(f"/casussen/{s.case.id}").text
    assert "(doel niet gedeeld)" in page and "GEHEIM-DOEL" not in page and url not in page
    assert client.get(url).status_code == 403
    assert form_post(app, client, url, {"purpose": "overschreven", "method": "mondeling"}).status_code == 403
    ctx = sharing.load_context(db, s.case)
    (version,) = history.history(db, s.users["lt"], ctx, "consent", consent.id)
    assert version.values == {"method": "schriftelijk"}


def test_old_reason_and_goal_are_decided_like_the_current_ones(app, client, switch_to, db, make_org, make_user,
                                                               make_case, make_person, strict_covenant):
    """Under a covenant that gives ZVH the goal's category but not the reason's, does the coordinator see old goals
    but no old reasons (audited with the persons named), and get a 403 instead of a form pre-filled with a reason
    they may not read?"""
    from tests.cases.conftest import demodam_region

    strict_covenant("ZVH", "hulpverlening")
    region = demodam_region(db)
    zvh, lt = make_org("ZVH", region=region), make_org("LT", region=region)
    coordinator = make_user(roles=("coordinator",), org=zvh)
    case = make_case(coordinator, orgs=[lt], reason="GEHEIM-REDEN-OUD", goal="DOEL-OUD",
                     source_organisation_id=lt.id)
    person = make_person(case, source_org=lt)
    ctx = sharing.load_context(db, case)
    history.edit_reason_goal(db, coordinator, ctx, reason="GEHEIM-REDEN-NIEUW", goal="DOEL-NIEUW")
    db.commit()
    ctx = sharing.load_context(db, case)
    (version,) = history.history(db, coordinator, ctx, "case", case.id)
    db.commit()
    assert version.values == {"goal": "DOEL-OUD"}
    assert [(sub.person_id, sub.kind) for _row, sub in audit_subjects(db, user_id=coordinator.id)] == [
        (person.id, "doel")]
    switch_to(coordinator)
    resp = client.get(f"/casussen/{case.id}/reden-en-doel")
    assert resp.status_code == 403 and "GEHEIM-REDEN" not in resp.text


def test_the_correction_form_prefilled_with_an_item_is_an_audited_view(app, client, switch_to, db, scenario,
                                                                       strict_covenant):
    """Under a covenant without wildcard rules, does opening the correction form of its own item (the text
    pre-filled) write a view row for GGZ naming the item and the person it is about?"""
    item = scenario.items["health"]
    switch_to(scenario.users["ggz"])
    resp = client.get(f"/casussen/{scenario.case.id}/gegevens/{item.id}/bewerken")
    assert resp.status_code == 200 and "GEHEIM-GGZ behandeling van het slachtoffer" in resp.text
    seen = {(sub.person_id, sub.item_id) for _row, sub in audit_subjects(db, user_id=scenario.users["ggz"].id,
                                                                         action="view")}
    assert (scenario.persons["victim"].id, item.id) in seen


def test_item_history_shows_dutch_dates(app, client, auth, db, scenario):
    """After a correction of an item's date, does its history show the earlier date as dd-mm-jjjj, not ISO?"""
    item = scenario.items["risk"]
    old = item.recorded_on
    auth.login(scenario.users["lt"])
    resp = form_post(app, client, f"/casussen/{scenario.case.id}/gegevens/{item.id}/bewerken",
                     {"content": "Risicosignaal: vier meldingen", "recorded_on": "2026-01-05"})
    assert resp.status_code == 302
    history = text_of(client.get(f"/casussen/{scenario.case.id}/gegevens/{item.id}/geschiedenis").text)
    assert old.strftime("%d-%m-%Y") in history and old.isoformat() not in history
