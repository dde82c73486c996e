"""The plan pages: sections, inline forms, actions with filters and paging, "Mijn acties", home panel."""

import re
from datetime import date

import pytest
from sqlalchemy import event
from sqlmodel import select

from mda.core import sharing
from mda.safety_plan import services
from mda.safety_plan.models import PlanAction, PlanEntry
from tests.conftest import audit_rows, audit_subjects, form_post, text_of, working_day

FUTURE = working_day(14)


@pytest.fixture
def filled(db, scenario):
    """A plan with a condition (VT), an ordinary action (POL, owned by LT) and a GGZ treatment action."""
    s = scenario
    ctx = sharing.load_context(db, s.case)
    services.add_entry(db, s.users["vt"], ctx, section="voorwaarde", text="Geen geweld waar de kinderen bij zijn",
                       party_organisation_id=s.orgs["VT"].id)
    services.add_entry(db, s.users["ggz"], ctx, section="doel", text="GEHEIM-GGZ traumabehandeling moeder",
                       category="gezondheid")
    services.add_action(db, s.users["pol"], ctx, description="Huisbezoek door wijkteam", deadline=FUTURE,
                        owner_user_id=s.users["lt"].id)
    services.add_action(db, s.users["ggz"], ctx, description="GEHEIM-GGZ start EMDR-behandeling", deadline=FUTURE,
                        owner_user_id=s.users["ggz"].id, category="gezondheid")
    db.commit()
    return s


def test_plan_page_shows_sections_and_what_the_engine_allows(client, auth, filled):
    """Does a police professional see the plan's sections and ordinary content, but a placeholder for GGZ content?"""
    auth.login(filled.users["pol"])
    resp = client.get(f"/casussen/{filled.case.id}/plan")
    assert resp.status_code == 200
    text = text_of(resp.text)
    for heading in ("Zorgen", "Wat gaat goed", "Veiligheidsvoorwaarden", "Doelen", "Acties",
                    "Signalen en terugvalscenario", "Monitoring", "Veiligheidsscores"):
        assert heading in text
    assert "Geen geweld waar de kinderen bij zijn" in text and "Huisbezoek door wijkteam" in text
    assert "GEHEIM-GGZ" not in resp.text
    assert "Niet gedeeld: geen toestemming voor GGZ-gegevens aan Politie" in text


def test_the_source_organisation_sees_its_special_entry_with_its_basis(client, auth, filled):
    """Does the GGZ professional see its own GGZ entries, marked as a special category?"""
    auth.login(filled.users["ggz"])
    text = text_of(client.get(f"/casussen/{filled.case.id}/plan").text)
    assert "GEHEIM-GGZ traumabehandeling moeder" in text and "bijzonder gegeven" in text


def test_page_views_are_audited_per_basis(client, auth, filled, db):
    """Is looking at the plan audited, naming the basis (covenant) and the entries, never their text?"""
    auth.login(filled.users["pol"])
    client.get(f"/casussen/{filled.case.id}/plan")
    rows = audit_rows(db, action="view", object_type="safety_plan")
    assert rows and any("art. 7.1" in r.basis for r in rows)
    assert all("Huisbezoek" not in r.summary for r in rows)


def test_plan_views_name_every_person_of_the_case_in_the_access_log(client, auth, filled, db, strict_covenant):
    """Under a covenant that gives the police only the plan's category, is the police's look at the plan written
    with ``audit_subject`` rows naming every person of the case and the entries seen (so that it shows in each
    person's access log)?"""
    strict_covenant("POL", "veiligheidsplan")
    auth.login(filled.users["pol"])
    assert client.get(f"/casussen/{filled.case.id}/plan").status_code == 200
    links = [sub for _row, sub in audit_subjects(db, user_id=filled.users["pol"].id, object_type="safety_plan")]
    assert {sub.person_id for sub in links} == {p.id for p in filled.persons.values()}
    assert any(sub.kind.startswith("regel:") for sub in links)


def test_a_partner_adds_an_action_through_the_form(app, client, auth, filled, db):
    """Can a partner in the circle add an action with an owner from the circle and a deadline?"""
    auth.login(filled.users["lt"])
    resp = form_post(app, client, f"/casussen/{filled.case.id}/plan/acties",
                     {"description": "Gesprek met school", "owner": f"u:{filled.users['lt'].id}",
                      "deadline": FUTURE.isoformat(), "category": "veiligheidsplan"})
    assert resp.status_code == 302
    assert db.exec(select(PlanAction).where(PlanAction.description == "Gesprek met school")).one()


@pytest.mark.parametrize("data, message", [
    ({"description": "", "owner": "gezin"}, "zonder beschrijving"),
    ({"description": "X", "owner": "o:{om}"}, "hoort niet bij de kring"),
    ({"description": "X", "owner": "gezin", "deadline": "2020-01-01"}, "vóór vandaag"),
    ({"description": "X", "owner": "gezin", "deadline": "31-31-2026"}, "geldige datum"),
])
def test_bad_action_input_gets_a_dutch_message_and_keeps_the_text(app, client, auth, filled, db, data, message):
    """Is a bad action refused with a 422 and a Dutch message, the typed text kept, and nothing stored?"""
    auth.login(filled.users["lt"])
    before = len(db.exec(select(PlanAction)).all())
    payload = {"deadline": FUTURE.isoformat(), **data}
    payload["owner"] = payload["owner"].format(om=filled.orgs["OM"].id)
    resp = form_post(app, client, f"/casussen/{filled.case.id}/plan/acties", payload)
    assert resp.status_code == 422
    assert message in text_of(resp.text)
    if data["description"]:
        assert "X</textarea>" in resp.text
    db.expire_all()
    assert len(db.exec(select(PlanAction)).all()) == before


def test_a_past_deadline_is_saved_after_confirming(app, client, auth, filled, db):
    """After the warning, does ticking the confirmation store an action with a past deadline?"""
    auth.login(filled.users["lt"])
    resp = form_post(app, client, f"/casussen/{filled.case.id}/plan/acties",
                     {"description": "Terugblik", "owner": "gezin", "deadline": "2020-01-01", "confirm_past": "y"})
    assert resp.status_code == 302


def test_entries_are_added_changed_and_removed_inline(app, client, auth, filled, db):
    """Can a partner add a worry, change it and take it out again with the inline forms?"""
    auth.login(filled.users["lt"])
    url = f"/casussen/{filled.case.id}/plan"
    assert form_post(app, client, f"{url}/regels", {"section": "zorg", "text": "Schulden lopen op",
                                                    "party": "gezin", "category": "veiligheidsplan"}).status_code == 302
    entry = db.exec(select(PlanEntry).where(PlanEntry.text == "Schulden lopen op")).one()
    assert form_post(app, client, f"{url}/regels/{entry.id}", {"text": "Schulden lopen sterk op",
                                                               "party": ""}).status_code == 302
    assert form_post(app, client, f"{url}/regels/{entry.id}/verwijderen").status_code == 302
    db.expire_all()
    entry = db.get(PlanEntry, entry.id)
    assert entry.text == "Schulden lopen sterk op" and entry.removed_at is not None
    assert form_post(app, client, f"{url}/regels", {"section": "zorg", "text": " "}).status_code == 422


def test_another_organisation_cannot_change_an_entry_it_did_not_bring_in(app, client, auth, filled, db):
    """Is the VT condition protected against a change by the police (only its source or the coordinator)?"""
    entry = db.exec(select(PlanEntry).where(PlanEntry.section == "voorwaarde")).one()
    auth.login(filled.users["pol"])
    resp = form_post(app, client, f"/casussen/{filled.case.id}/plan/regels/{entry.id}", {"text": "Anders"})
    assert resp.status_code == 422 and "Alleen de organisatie" in text_of(resp.text)


def test_status_change_with_comment_from_my_actions(app, client, auth, filled, db):
    """Can the owner set an action to 'niet gelukt' with a reason and a comment from Mijn acties?"""
    action = db.exec(select(PlanAction).where(PlanAction.owner_user_id == filled.users["lt"].id)).one()
    auth.login(filled.users["lt"])
    page = client.get("/mijn-acties")
    assert page.status_code == 200 and "Huisbezoek door wijkteam" in page.text
    resp = form_post(app, client, f"/casussen/{filled.case.id}/plan/acties/{action.id}/status",
                     {"status": "niet_gelukt", "failure_reason": "niet_uitgevoerd", "comment": "Geen capaciteit",
                      "terug": "mijn-acties"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/mijn-acties")
    refused = form_post(app, client, f"/casussen/{filled.case.id}/plan/acties/{action.id}/status",
                        {"status": "niet_gelukt", "comment": "", "terug": "mijn-acties"})
    assert refused.status_code == 422 and "toelichting" in text_of(refused.text)


def test_overdue_actions_are_highlighted_and_filtered(app, client, auth, filled, db):
    """Are overdue actions marked on the plan page and on Mijn acties, and can the list be filtered to them?"""
    ctx = sharing.load_context(db, filled.case)
    services.add_action(db, filled.users["lt"], ctx, description="Te laat actie", deadline=date(2020, 1, 1),
                        owner_user_id=filled.users["lt"].id, allow_past_deadline=True)
    db.commit()
    auth.login(filled.users["lt"])
    mine = client.get("/mijn-acties?te_laat=1")
    assert "Te laat actie" in mine.text and "Huisbezoek door wijkteam" not in mine.text
    assert "termijn verstreken" in text_of(mine.text) and "mda-overdue-row" in mine.text
    plan = client.get(f"/casussen/{filled.case.id}/plan")
    assert "mda-overdue-row" in plan.text
    home = client.get("/")
    assert "1 daarvan is over de termijn" in text_of(home.text)


def test_outsiders_get_404_and_nothing_of_the_plan(client, auth, filled):
    """Does a professional outside the circle get 404 on the plan, its versions and its exports?"""
    auth.login(filled.users["om"])
    for url in ("/plan", "/plan/versies"):
        resp = client.get(f"/casussen/{filled.case.id}{url}")
        assert resp.status_code == 404 and "Geen geweld" not in resp.text


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


def test_plan_page_and_my_actions_have_a_bounded_query_count(app, client, auth, db, filled, make_case):
    """Do the plan page and Mijn acties use the same number of queries for 3 and for 60 actions across cases?"""
    s = filled
    auth.login(s.users["lt"])
    url = f"/casussen/{s.case.id}/plan"
    small_plan = _count_queries(app, lambda: client.get(url))
    small_mine = _count_queries(app, lambda: client.get("/mijn-acties"))
    ctx = sharing.load_context(db, s.case)
    for n in range(30):
        services.add_action(db, s.users["pol"], ctx, description=f"Actie {n}", deadline=FUTURE,
                            owner_user_id=s.users["lt"].id)
        services.add_entry(db, s.users["pol"], ctx, section="zorg", text=f"Zorg {n}")
    for _ in range(3):
        other = make_case(s.users["coordinator"], members=[s.users["lt"]])
        other_ctx = sharing.load_context(db, other)
        for n in range(10):
            services.add_action(db, s.users["pol"], other_ctx, description=f"Elders {n}", deadline=FUTURE,
                                owner_user_id=s.users["lt"].id)
    db.commit()
    big_plan = _count_queries(app, lambda: client.get(url))
    big_mine = _count_queries(app, lambda: client.get("/mijn-acties"))
    # one more audit row when the ids seen no longer fit one summary (about 45 ids a row); bounded, because
    # actions are paged and a section holds at most MAX_ENTRIES_PER_SECTION lines
    assert small_plan <= big_plan <= small_plan + 1, (small_plan, big_plan)
    assert big_mine <= small_mine + 3 * 8, (small_mine, big_mine)  # one context per case on the page (≤25 cases)


def test_next_evaluation_proposes_the_next_conference(app, client, auth, filled, db):
    """Does setting the next evaluation offer the coordinator a meeting form filled with that date and case?"""
    day = working_day(28)
    auth.login(filled.users["coordinator"])
    url = f"/casussen/{filled.case.id}/plan"
    assert form_post(app, client, f"{url}/evaluatie", {"next_evaluation_on": day.isoformat()}).status_code == 302
    page = client.get(url).text
    link = f"/overleggen/nieuw?type=evaluatie&amp;datum={day.isoformat()}&amp;casus={filled.case.id}"
    assert link in page
    form = client.get(link.replace("&amp;", "&")).text
    assert f'value="{day.isoformat()}"' in form
    assert re.search(rf'<input (?=[^>]*checked)(?=[^>]*name="case_ids")(?=[^>]*value="{filled.case.id}")[^>]*>', form)
    past = form_post(app, client, f"{url}/evaluatie", {"next_evaluation_on": "2020-01-01"})
    assert past.status_code == 422 and "verleden" in text_of(past.text)


def test_an_organisation_owned_action_is_named_without_a_dangling_comma(app, client, auth, db, scenario):
    """Is an action owned by the police as a whole shown as "Politie ... (organisatie)" on the plan, never with an
    empty owner before the organisation?"""
    ctx = sharing.load_context(db, scenario.case)
    services.add_action(db, scenario.users["pol"], ctx, description="Politie rijdt extra surveillance",
                        deadline=FUTURE, owner_organisation_id=scenario.orgs["POL"].id)
    db.commit()
    auth.login(scenario.users["coordinator"])
    page = text_of(client.get(f"/casussen/{scenario.case.id}/plan").text)
    owner_cell = page.split("Politie rijdt extra surveillance", 1)[1].lstrip()  # the next cell: its owner
    assert owner_cell.startswith(f"{scenario.orgs['POL'].name} (organisatie)"), owner_cell[:80]


@pytest.mark.parametrize("back", ["mijn-acties", ""])
def test_a_refused_status_change_keeps_what_was_typed(app, client, auth, filled, db, back):
    """When 'niet gelukt' is sent without its reason (from Mijn acties or the plan page), does the 422 page show the
    status form of that action open, with the chosen status and the typed comment still in it?"""
    action = db.exec(select(PlanAction).where(PlanAction.owner_user_id == filled.users["lt"].id)).one()
    auth.login(filled.users["lt"])
    resp = form_post(app, client, f"/casussen/{filled.case.id}/plan/acties/{action.id}/status",
                     {"status": "niet_gelukt", "failure_reason": "", "comment": "Getypte lange toelichting",
                      "terug": back})
    assert resp.status_code == 422 and "Kies waarom de actie niet is gelukt" in text_of(resp.text)
    form = re.search(rf'<details class="mda-inline-edit" open>.*?id="status-{action.id}".*?</details>', resp.text,
                     re.S).group(0)
    assert '<option value="niet_gelukt" selected>' in form
    assert ">Getypte lange toelichting</textarea>" in form
