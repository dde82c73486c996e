"""WCAG 2.1 A/AA checks with axe-core, and no request leaving the closed network."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import axe_violations, describe_violations, login, structure_violations

pytestmark = pytest.mark.browser

#: (who logs in, the link they follow from the home page, the h1 they reach); no e-mail: not logged in
PAGES = [
    pytest.param(None, None, "Inloggen", id="login"),
    pytest.param("regisseur.zvh@demo.invalid", None, "Welkom, Roos Regie (fictief)", id="home"),
    pytest.param("beheer@demo.invalid", "Gebruikers", "Gebruikers", id="admin-users"),
    pytest.param("beheer@demo.invalid", "Mijn account", "Mijn account", id="account"),
]


def _not_local(urls: list[str]) -> list[str]:
    """The URLs among *urls* that go to a host other than 127.0.0.1 (data: URLs excluded)."""
    return [u for u in urls if urlparse(u).scheme not in ("data", "blob", "about")
            and urlparse(u).hostname != "127.0.0.1"]


@pytest.mark.parametrize(("email", "link", "heading"), PAGES)
def test_page_has_no_wcag_violations(page, base_url, requested_urls, email, link, heading):
    """Does axe-core find no WCAG 2.1 A/AA violation, and does the page only talk to 127.0.0.1?"""
    if email:
        login(page, base_url, email)
    else:
        page.goto(f"{base_url}/login")
    if link:
        page.get_by_role("link", name=link, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)

    violations = axe_violations(page)
    structure = structure_violations(page)

    assert violations == [], describe_violations(violations)
    assert structure == [], describe_violations(structure)
    assert requested_urls, "the request listener recorded nothing"
    assert _not_local(requested_urls) == []


def test_login_page_with_errors_has_no_wcag_violations(page, base_url):
    """Is the login page still accessible when it shows the failed-login alert?"""
    page.goto(f"{base_url}/login")
    page.get_by_label("E-mailadres").fill("niemand@demo.invalid")
    page.get_by_label("Wachtwoord").fill("onjuist")
    page.get_by_role("button", name="Inloggen").click()
    expect(page.get_by_role("alert")).to_be_visible()

    violations = axe_violations(page)

    assert violations == [], describe_violations(violations)


def test_privacy_officer_audit_page_has_no_wcag_violations(page, base_url, requested_urls):
    """Is the privacy officer's audit trail accessible, also when it shows a table of rows?"""
    login(page, base_url, "privacy@demo.invalid")
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Audittrail").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Audittrail")
    page.get_by_label("Actie").select_option("login")  # a short table: axe's time grows with the page
    page.get_by_role("button", name="Filteren").click()
    expect(page.get_by_role("table")).to_be_visible()

    violations = axe_violations(page)
    structure = structure_violations(page)

    assert violations == [], describe_violations(violations)
    assert structure == [], describe_violations(structure)
    assert _not_local(requested_urls) == []
