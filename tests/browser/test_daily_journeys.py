"""The coordinator's daily journeys in a real browser: planning from the case page with the whole circle
invited (counting the user's actions), a destructive action refused without a reason, and an item correction
that keeps its history."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import axe_violations, describe_violations, login

pytestmark = pytest.mark.browser

COORDINATOR = "regisseur.zvh@demo.invalid"
#: the most clicks and keystrokes (besides typing the title) a 2-case casuïstiekoverleg may take (issue 11)
MAX_ACTIONS = 15


def _shot(page, name: str) -> None:
    """A screenshot for the README when `make screenshots` runs the journeys (MDA_SCREENSHOTS=folder)."""
    if os.environ.get("MDA_SCREENSHOTS"):
        page.screenshot(path=f"{os.environ['MDA_SCREENSHOTS']}/{name}.png", full_page=False)


class Counter:
    """Counts what the user does: one per click, one per typed character."""

    def __init__(self):
        self.clicks = self.keys = 0

    @property
    def actions(self) -> int:
        return self.clicks + self.keys

    def click(self, locator):
        self.clicks += 1
        locator.click()

    def type(self, locator, text: str):
        self.keys += len(text)
        locator.fill(text)


def _open_case(page, reference: str):
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Casussen", exact=True).click()
    page.get_by_role("link", name=reference).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Casus {reference}")


def test_plan_casuistiekoverleg_from_the_case_with_both_circles(page, base_url, capsys):
    """From the case page, does a casuïstiekoverleg for two cases with every named professional of both
    circles invited (each for their own case) take at most 15 clicks and keystrokes besides the title?"""
    login(page, base_url, COORDINATOR)
    _open_case(page, "MDA-2026-0001")
    _shot(page, "casus")
    count = Counter()
    count.click(page.get_by_role("link", name="ander soort overleg"))
    count.click(page.get_by_role("link", name="Casuïstiekoverleg", exact=True))
    expect(page.get_by_role("heading", level=1)).to_have_text("Casuïstiekoverleg plannen")
    page.locator("#title").fill("Casuïstiekoverleg Demodam (browsertest)")  # the title: not counted
    expect(page.get_by_label(re.compile("MDA-2026-0001"))).to_be_checked()
    expect(page.get_by_label(re.compile("De kring van elke casus uitnodigen"))).to_be_checked()
    count.click(page.get_by_label(re.compile("MDA-2026-0002")))
    count.type(page.get_by_label(re.compile("^Locatie")), "Zaal 1")
    count.click(page.get_by_role("button", name="Opslaan"))
    warned = 0  # another test's meeting at the same time: the planner confirms the conflict warning (2 clicks)
    if page.get_by_label("Ik heb de waarschuwingen gezien; toch opslaan").count():
        count.click(page.get_by_label("Ik heb de waarschuwingen gezien; toch opslaan"))
        count.click(page.get_by_role("button", name="Opslaan"))
        warned = 2
    expect(page.get_by_text(re.compile(r"professional\(s\) uit de kring zijn uitgenodigd"))).to_be_visible()
    rows = page.get_by_role("table").filter(has_text="Wie is uitgenodigd").locator("tbody tr")
    invited = rows.count()
    page.locator("#kring-uitnodigen").scroll_into_view_if_needed()
    _shot(page, "overleg-kring-uitnodigen")
    with capsys.disabled():
        print(f"\n[issue 11] 2-case casuïstiekoverleg from the case page: {count.actions} clicks+keystrokes, "
              f"{invited} invitations")
    assert count.actions <= MAX_ACTIONS
    # the README states the measured figure (issue 24: it said 10 while an honest count gave 21)
    readme = " ".join((Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8").split())
    assert (f"**{count.actions - warned} clicks and keystrokes** besides the title ({count.clicks - warned} clicks, "
            f"{count.keys} keystrokes") in readme
    assert invited >= 8  # 4 named in MDA-2026-0001, 5 in MDA-2026-0002 (one of them in both)
    violations = axe_violations(page)
    assert violations == [], describe_violations(violations)


def test_cancelling_a_meeting_without_a_reason_is_refused(page, base_url):
    """Does the cancel confirmation refuse an empty reason with a Dutch message, leaving the meeting planned?"""
    login(page, base_url, COORDINATOR)
    _open_case(page, "MDA-2026-0001")
    page.get_by_role("link", name="Overleg plannen").click()
    page.get_by_label(re.compile("^Locatie")).fill("Zaal 3")
    page.get_by_role("button", name="Opslaan").click()
    if page.get_by_label("Ik heb de waarschuwingen gezien; toch opslaan").count():
        page.get_by_label("Ik heb de waarschuwingen gezien; toch opslaan").click()
        page.get_by_role("button", name="Opslaan").click()
    meeting_url = page.url
    page.get_by_role("link", name="Overleg annuleren…").click()
    page.get_by_role("button", name="Overleg annuleren").click()
    expect(page.get_by_role("alert")).to_contain_text("Geef een reden op")
    _shot(page, "annuleren-met-reden")
    assert axe_violations(page) == []
    page.goto(meeting_url)
    expect(page.get_by_text("Dit overleg is geannuleerd.")).to_have_count(0)


def test_correcting_an_item_keeps_its_history(page, base_url):
    """Does the police officer correct their own item and then see the earlier text under 'Eerdere versies'?"""
    login(page, base_url, "agent.pol@demo.invalid")
    _open_case(page, "MDA-2026-0001")
    page.get_by_role("link", name=re.compile(r"^Gegeven nr\. \d+ corrigeren")).first.click()
    content = page.get_by_label("Inhoud")
    old = content.input_value()
    content.fill(old + " Aangevuld na telefoontje (fictief).")
    page.get_by_role("button", name="Correctie opslaan").click()
    expect(page.get_by_text("De correctie is opgeslagen")).to_be_visible()
    page.get_by_role("link", name=re.compile(r"^Gegeven nr\. \d+ corrigeren")).first.click()
    expect(page.get_by_role("heading", name="Eerdere versies")).to_be_visible()
    expect(page.locator("#geschiedenis + ol")).to_contain_text(old[:40])
    _shot(page, "correctie-met-geschiedenis")
    violations = axe_violations(page)
    assert violations == [], describe_violations(violations)


def test_a_case_goes_on_the_agenda_by_its_reference(page, base_url):
    """On a planned casuïstiekoverleg, does the coordinator put a second case on the agenda by typing its
    reference (in lower case), after an unknown reference was refused with a Dutch message?"""
    login(page, base_url, COORDINATOR)
    _open_case(page, "MDA-2026-0001")
    page.get_by_role("link", name="ander soort overleg").click()
    page.get_by_role("link", name="Casuïstiekoverleg", exact=True).click()
    page.locator("#title").fill("Casuïstiekoverleg op nummer (browsertest)")
    page.get_by_label(re.compile("^Locatie")).fill("Zaal 4")
    page.get_by_role("button", name="Opslaan").click()
    if page.get_by_label("Ik heb de waarschuwingen gezien; toch opslaan").count():
        page.get_by_label("Ik heb de waarschuwingen gezien; toch opslaan").click()
        page.get_by_role("button", name="Opslaan").click()
    agenda = page.locator("#agenda + ol")
    expect(agenda).not_to_contain_text("MDA-2026-0002")
    page.get_by_label("Of het casusnummer").fill("MDA-1999-9999")
    page.get_by_role("button", name="Op de agenda zetten").click()
    expect(page.get_by_role("alert")).to_contain_text("Deze casus bestaat niet, is gesloten")
    page.get_by_label("Of het casusnummer").fill("mda-2026-0002")
    page.get_by_role("button", name="Op de agenda zetten").click()
    expect(page.get_by_text("De casus staat op de agenda.")).to_be_visible()
    expect(agenda).to_contain_text("MDA-2026-0002")
    violations = axe_violations(page)
    assert violations == [], describe_violations(violations)
