"""Issue 24's follow-up journeys for the demo users, in a real browser: an action owned by an organisation reaches
its team lead and a colleague, the coordinator sees what needs attention over her cases, a user moves a kind of
notice into the daily digest, and the escalation form names the disputed text without numbers users never see.

The other points of issue 24 have their journeys elsewhere: planning with the click count and the forms that keep
what was typed (test_daily_journeys.py), approval and the Word export (test_safety_plan_journey.py), a decision that
changes the plan (test_escalation_journey.py), narrow screens (test_narrow_screens.py)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import axe_violations, describe_violations, login
from tests.conftest import working_day

pytestmark = pytest.mark.browser

LT, LT_LEAD, COORDINATOR = "wijkteam.lt@demo.invalid", "teamleider.lt@demo.invalid", "regisseur.zvh@demo.invalid"
ACTION = "Browsertest: huisbezoek door het wijkteam inplannen (fictief)"


def _open_plan(page, base_url: str, reference: str) -> None:
    page.goto(f"{base_url}/casussen/")
    page.get_by_role("link", name=reference).click()
    page.get_by_role("link", name="Veiligheidsplan", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Veiligheidsplan casus {reference}")


def _select_matching(select, pattern: str) -> None:
    """Choose the option of *select* whose label matches *pattern* (demo names carry "(fictief)" and more)."""
    labels = select.locator("option").all_inner_texts()
    select.select_option(label=next(label for label in labels if re.search(pattern, label)))


def _no_violations(page) -> None:
    violations = axe_violations(page)
    assert violations == [], describe_violations(violations)


def test_an_organisation_s_action_reaches_the_team_lead_who_hands_it_to_a_colleague(page, base_url):
    """Does an action owned by "Wijkteam (organisatie)" show under "Acties van mijn organisatie" for the team lead,
    who assigns it to a colleague, after which it is in the colleague's "Mijn acties"?"""
    login(page, base_url, LT)
    _open_plan(page, base_url, "MDA-2026-0001")
    page.get_by_label("Beschrijving van de actie").fill(ACTION)
    _select_matching(page.get_by_label("Eigenaar (één professional"), r"Wijkteam.*\(organisatie\)")
    page.get_by_label("Termijn", exact=True).fill(working_day(10).isoformat())
    page.get_by_role("button", name="Actie toevoegen").click()
    expect(page.get_by_role("status")).to_contain_text("De actie is toegevoegd.")
    page.get_by_role("button", name="Uitloggen").click()

    login(page, base_url, LT_LEAD)
    page.goto(f"{base_url}/acties-van-mijn-organisatie")
    expect(page.get_by_role("heading", level=1)).to_have_text("Acties van mijn organisatie")
    row = page.get_by_role("row").filter(has_text=ACTION)
    expect(row).to_have_count(1)
    _no_violations(page)
    _select_matching(row.get_by_label("Toewijzen aan"), "Lotte Lokaal")
    row.get_by_role("button", name="Toewijzen").click()
    expect(page.get_by_role("status")).to_contain_text(re.compile(r"Actie \d+ is toegewezen\."))
    expect(page.get_by_role("row").filter(has_text=ACTION)).to_have_count(0)
    page.get_by_role("button", name="Uitloggen").click()

    login(page, base_url, LT)
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Mijn acties", exact=True).click()
    expect(page.get_by_role("row").filter(has_text=ACTION)).to_have_count(1)


def test_the_coordinator_sees_overdue_and_unowned_actions_over_her_cases(page, base_url):
    """Does the coordinator reach "Acties die aandacht vragen" from Mijn acties and see the demo's overdue actions,
    each with its case, in Dutch dates, with no WCAG violations?"""
    login(page, base_url, COORDINATOR)
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Mijn acties", exact=True).click()
    page.get_by_role("link", name="acties die aandacht vragen in uw casussen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Acties die aandacht vragen")
    table = page.get_by_role("table")
    expect(table).to_contain_text("MDA-2026-")
    expect(table).to_contain_text(re.compile(r"\d{2}-\d{2}-\d{4}"))
    _no_violations(page)


def test_a_professional_moves_action_reminders_into_the_daily_digest_at_375_px(page, base_url):
    """At 375 px, does the professional find "E-mailinstellingen" in the header, see every kind on "direct" by
    default and what always comes at once, and keep "in het dagelijkse overzicht" for actions after saving?"""
    page.set_viewport_size({"width": 375, "height": 800})
    login(page, base_url, "toezicht.recl@demo.invalid")
    page.get_by_role("link", name="E-mailinstellingen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("E-mailinstellingen")
    actions = page.get_by_role("group", name=re.compile("^Acties"))
    expect(actions.get_by_label("Direct per e-mail")).to_be_checked()
    expect(page.get_by_role("heading", name="Altijd direct, wat u ook kiest")).to_be_visible()
    _no_violations(page)
    actions.get_by_label("In het dagelijkse overzicht").check()
    page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_role("status")).to_contain_text("Uw keuzes voor meldingen zijn opgeslagen.")
    expect(page.get_by_role("group", name=re.compile("^Acties")).get_by_label("In het dagelijkse overzicht")) \
        .to_be_checked()
    expect(page.get_by_role("group", name=re.compile("^Escalaties")).get_by_label("Direct per e-mail")).to_be_checked()


def test_the_escalation_form_names_the_disputed_text_without_numbers(page, base_url):
    """Does "Escaleren" beside a plan line open the form with that line chosen by section and text (no "regel 13"),
    and a list of the case's decisions instead of a decision number to type?"""
    login(page, base_url, LT)
    _open_plan(page, base_url, "MDA-2026-0001")
    condition = page.locator("li[id^=regel-]").filter(has=page.get_by_role("link", name="Escaleren")).first
    line = condition.inner_text()
    condition.get_by_role("link", name="Escaleren").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Escalatie starten")
    chosen = page.get_by_label("Welk onderdeel van het plan")
    label = chosen.locator("option:checked").inner_text()
    section, _, text = label.partition(": ")
    assert section and text[:30] in line, (label, line)
    options = " ".join(chosen.locator("option").all_inner_texts())
    assert not re.search(r"regel \d+", options)
    expect(page.get_by_label("Welk besluit van een overleg")).to_be_visible()
    expect(page.get_by_text("Nummer van het besluit")).to_have_count(0)
    _no_violations(page)


def test_one_e_mail_per_person_for_a_two_case_meeting(page, base_url):
    """When the coordinator plans a casuïstiekoverleg for two cases with both circles invited, does the outbox (the
    administrator's "Uitgaande mail") hold exactly one invitation per person, also for whoever is in both circles?"""
    title = "Browsertest één mail per persoon (fictief)"
    login(page, base_url, COORDINATOR)
    page.goto(f"{base_url}/casussen/")
    page.get_by_role("link", name="MDA-2026-0001").first.click()
    page.get_by_role("link", name="ander soort overleg").click()
    page.get_by_role("link", name="Casuïstiekoverleg", exact=True).click()
    page.locator("#title").fill(title)
    page.get_by_label(re.compile("MDA-2026-0002")).click()
    page.get_by_label(re.compile("^Locatie")).fill("Zaal 4")
    page.get_by_role("button", name="Opslaan").click()
    if page.get_by_label("Ik heb de waarschuwingen gezien; toch opslaan").count():
        page.get_by_label("Ik heb de waarschuwingen gezien; toch opslaan").click()
        page.get_by_role("button", name="Opslaan").click()
    expect(page.get_by_text(re.compile(r"professional\(s\) uit de kring zijn uitgenodigd"))).to_be_visible()
    page.get_by_role("button", name="Uitloggen").click()

    login(page, base_url, "beheer@demo.invalid")
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Uitgaande mail").click()
    mails = page.locator("article").filter(has_text=title)  # the subject names the item, the body the meeting
    # the invitations only: the server's scheduler may meanwhile have sent the daily digest of updates owed, whose
    # body names the same meeting
    texts = [text for text in mails.all_inner_texts() if text.startswith("Uitnodiging")]
    recipients = [re.search(r"Aan: (\S+)", text).group(1) for text in texts]
    assert len(recipients) >= 8 and len(recipients) == len(set(recipients)), [t[:300] for t in texts]
