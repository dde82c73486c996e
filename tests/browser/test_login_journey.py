"""Logging in and out through the real forms, in a real browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import login, submit_login_form

pytestmark = pytest.mark.browser

COORDINATOR = "regisseur.zvh@demo.invalid"


def test_demo_user_logs_in_and_sees_home_page(page, base_url):
    """Does a demo user who logs in through the form land on the home page with their name?"""
    login(page, base_url, COORDINATOR)

    expect(page).to_have_url(f"{base_url}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Welkom, Roos Regie (fictief)")
    expect(page.get_by_role("banner")).to_contain_text("Roos Regie (fictief)")
    expect(page.get_by_role("navigation", name="Hoofdmenu")).to_be_visible()


def test_wrong_password_shows_dutch_error(page, base_url):
    """Does a wrong password keep the user on the login page with a Dutch error?"""
    submit_login_form(page, base_url, COORDINATOR, "dit-is-niet-het-wachtwoord")

    expect(page.get_by_role("alert")).to_contain_text(
        "Inloggen is niet gelukt. Controleer uw e-mailadres en wachtwoord.")
    expect(page).to_have_url(f"{base_url}/login")
    expect(page.get_by_role("button", name="Uitloggen")).to_have_count(0)


def test_empty_form_shows_field_errors(page, base_url):
    """Does submitting an empty login form say, next to each field, that it is required?"""
    page.goto(f"{base_url}/login")
    page.get_by_role("button", name="Inloggen").click()

    email = page.get_by_label("E-mailadres")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_have_accessible_description(re.compile("Dit veld is verplicht"))


def test_logout_ends_the_session(page, base_url):
    """After logging out, is the user told so and sent back to the login page for the home page?"""
    login(page, base_url, COORDINATOR)

    page.get_by_role("button", name="Uitloggen").click()

    expect(page.get_by_role("status")).to_contain_text("U bent uitgelogd.")
    expect(page).to_have_url(f"{base_url}/login")
    page.goto(f"{base_url}/")
    expect(page).to_have_url(re.compile(r"/login(\?|$)"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Inloggen")


def test_skip_link_is_first_and_moves_focus_to_main(page, base_url):
    """Is 'Direct naar de inhoud' the first tab stop, visible on focus, and does it reach the content?"""
    page.goto(f"{base_url}/login")

    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Direct naar de inhoud")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    expect(skip).not_to_have_css("outline-style", "none")

    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("E-mailadres")).to_be_focused()


def test_focus_is_visible_on_form_controls(page, base_url):
    """Does a keyboard user see where the focus is on fields and buttons?"""
    page.goto(f"{base_url}/login")
    email = page.get_by_label("E-mailadres")
    email.focus()
    page.keyboard.press("Tab")  # keyboard focus, so :focus-visible applies
    password = page.get_by_label("Wachtwoord")
    expect(password).to_be_focused()
    expect(password).not_to_have_css("outline-style", "none")
    page.keyboard.press("Tab")
    button = page.get_by_role("button", name="Inloggen")
    expect(button).to_be_focused()
    expect(button).not_to_have_css("outline-style", "none")
