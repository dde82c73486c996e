"""A team lead approves the plan and downloads it as a Word file, in a real browser."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from docx import Document
from playwright.sync_api import expect

from tests.browser.helpers import axe_violations, describe_violations, login, structure_violations
from tests.conftest import working_day

pytestmark = pytest.mark.browser

PARTNER = "opvang.vo@demo.invalid"
COORDINATOR = "regisseur.zvh@demo.invalid"
TEAM_LEAD = "teamleider.vt@demo.invalid"
ACTION = "Browsertest: sleutel van de opvangkamer regelen (fictief)"


def _open_plan(page, base_url: str) -> None:
    page.goto(f"{base_url}/casussen/")
    page.get_by_role("link", name="MDA-2026-0002").click()
    page.get_by_role("link", name="Veiligheidsplan", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Veiligheidsplan casus MDA-2026-0002")


def _logout(page) -> None:
    page.get_by_role("button", name="Uitloggen").click()


def test_team_lead_approves_and_downloads_the_plan_with_a_partners_action(page, base_url):
    """After a partner adds an action and the coordinator proposes the plan, does the team lead's approval
    freeze version 1, and does the Word file the team lead downloads hold that action?"""
    login(page, base_url, PARTNER)
    _open_plan(page, base_url)
    page.get_by_label("Beschrijving van de actie").fill(ACTION)
    page.get_by_label("Eigenaar (één professional").select_option(label="Vita Vrijhaven (fictief) (Vrouwenopvang "
                                                                        "Demodam (fictief))")
    page.get_by_label("Termijn", exact=True).fill((working_day(12)).isoformat())
    page.get_by_role("button", name="Actie toevoegen").click()
    expect(page.get_by_role("status")).to_contain_text("De actie is toegevoegd.")
    expect(page.get_by_role("table")).to_contain_text(ACTION)
    _logout(page)

    login(page, base_url, COORDINATOR)
    _open_plan(page, base_url)
    page.get_by_role("button", name="Plan ter vaststelling voorleggen").click()
    expect(page.get_by_role("status")).to_contain_text("ter vaststelling voorgelegd")
    _logout(page)

    login(page, base_url, TEAM_LEAD)
    _open_plan(page, base_url)
    page.get_by_role("button", name="Goedkeuren namens mijn organisatie").click()
    # proposals and versions share one number per plan (the demo plan's earlier proposals keep theirs)
    expect(page.get_by_role("status")).to_contain_text(re.compile(r"Versie \d+ van het plan is vastgesteld\."))
    number = re.search(r"Versie (\d+) van het plan", page.get_by_role("status").inner_text()).group(1)
    with page.expect_download() as info:
        page.get_by_role("link", name="Word-export (professionals)").click()
    download = info.value
    assert download.suggested_filename == f"veiligheidsplan-MDA-2026-0002-v{number}.docx"
    document = Document(io.BytesIO(Path(download.path()).read_bytes()))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    assert ACTION in cells
    assert any(p.text.startswith(f"Versie {number}, vastgesteld op") for p in document.paragraphs)


@pytest.mark.parametrize("where", ["plan", "mijn-acties"])
def test_plan_pages_have_no_wcag_violations(page, base_url, where):
    """Do the plan page (with its inline forms and chart) and Mijn acties pass axe-core's WCAG 2.1 A/AA rules?"""
    login(page, base_url, "wijkteam.lt@demo.invalid")
    if where == "plan":
        page.goto(f"{base_url}/casussen/")
        page.get_by_role("link", name="MDA-2026-0001").click()
        page.get_by_role("link", name="Veiligheidsplan", exact=True).click()
    else:
        page.get_by_role("link", name="Mijn acties", exact=True).first.click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Mijn acties")
    violations = axe_violations(page) + structure_violations(page)
    assert violations == [], describe_violations(violations)
