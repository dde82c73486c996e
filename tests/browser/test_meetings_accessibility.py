"""The meeting pages in a real browser: WCAG 2.1 A/AA (axe-core) and what a partner sees of the demo series."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import axe_violations, describe_violations, login, structure_violations

pytestmark = pytest.mark.browser

COORDINATOR = "regisseur.zvh@demo.invalid"
POLICE = "agent.pol@demo.invalid"
SERIES = "Casuïstiekoverleg Demodam (demo)"


def _menu(page, name):
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name=name, exact=True).click()


def _open_series(page):
    _menu(page, "Overleggen")
    page.get_by_role("link", name=SERIES).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(SERIES)


def _check(page, name):
    if os.environ.get("MDA_SCREENSHOTS"):
        page.screenshot(path=f"{os.environ['MDA_SCREENSHOTS']}/{name}.png", full_page=True)
    violations = axe_violations(page) + structure_violations(page)
    assert violations == [], describe_violations(violations)


@pytest.mark.parametrize("link, heading", [("Overleggen", "Mijn overleggen"), ("Mijn week", None)])
def test_meeting_lists_have_no_wcag_violations(page, base_url, link, heading):
    """Are 'Mijn overleggen' and the week view free of WCAG 2.1 A/AA violations?"""
    login(page, base_url, COORDINATOR)
    _menu(page, link)
    if heading:
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    _check(page, f"list-{link}")


def test_meeting_page_for_the_coordinator_has_no_wcag_violations(page, base_url):
    """Is the coordinator's meeting page (agenda, updates, answers, invite and cancel forms) accessible?"""
    login(page, base_url, COORDINATOR)
    _open_series(page)
    expect(page.get_by_role("heading", name="Genodigden en antwoorden")).to_be_visible()
    _check(page, "meeting-coordinator")


def test_create_form_has_no_wcag_violations(page, base_url):
    """Is the form to plan a casuïstiekoverleg, with its pre-filled agenda, accessible?"""
    login(page, base_url, COORDINATOR)
    _menu(page, "Overleggen")
    page.get_by_role("link", name="Casuïstiekoverleg", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Casuïstiekoverleg plannen")
    _check(page, "form")


def test_subscription_page_has_no_wcag_violations(page, base_url):
    """Is the calendar subscription page accessible, also after making a secret address?"""
    login(page, base_url, POLICE)
    _menu(page, "Overleggen")
    page.get_by_role("link", name="Agenda-abonnement (Outlook, Google, Apple)").click()
    page.get_by_role("button", name="Abonnementsadres maken").click()
    expect(page.get_by_role("status")).to_contain_text("/overleggen/feed/")
    _check(page, "subscription")


def test_partner_sees_only_its_own_case_in_the_series(page, base_url):
    """Does the police officer see MDA-2026-0001 on the agenda and the other case only as hidden, in an
    accessible page?"""
    login(page, base_url, POLICE)
    _open_series(page)
    agenda = page.locator("ol.mda-agenda")
    expect(agenda).to_contain_text("MDA-2026-0001")
    expect(agenda).to_contain_text("casus (niet zichtbaar)")
    expect(agenda).not_to_contain_text("MDA-2026-0002")
    _check(page, "meeting-partner")
