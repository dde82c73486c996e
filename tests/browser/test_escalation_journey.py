"""The escalation journey in a real browser: raise against a VT condition, VT's position, the limit passes
(the jobs' clock, in this process, against the server's database), it moves up, a manager decides, both
parties acknowledge, and the condition shows the outcome.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import (
    ROOT,
    _free_port,
    _prepare_database,
    _server_env,
    _wait_until_healthy,
)
from tests.browser.helpers import axe_violations, describe_violations, login

pytestmark = pytest.mark.browser

VT, LT, VT_MANAGER = "medewerker.vt@demo.invalid", "wijkteam.lt@demo.invalid", "manager.vt@demo.invalid"
CONDITION = "Moeder en kinderen slapen niet in de woning van vader (fictief, browsertest)"


@pytest.fixture(scope="module")
def server():
    """A server of its own (its database is moved in time by this test), with the demo data."""
    tmp = Path(tempfile.mkdtemp(prefix="mda-escalation-"))
    port = _free_port()
    env = _server_env(tmp, port)
    _prepare_database(env["MDA_DATABASE_URL"])
    log = tmp / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen([sys.executable, "-m", "mda"], cwd=ROOT, env=env, stdout=out,
                                   stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_healthy(url, process, log)
        yield url, env["MDA_DATABASE_URL"]
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="module")
def chromium(browser):
    """The package's one Chromium (a second sync Playwright inside the same run is refused)."""
    return browser


def _as(chromium, base_url, email):
    context = chromium.new_context(locale="nl-NL", base_url=base_url, bypass_csp=True)  # CSP bypassed for axe
    page = context.new_page()
    login(page, base_url, email)
    return context, page


def _let_the_limit_pass(database_url: str, escalation_id: int) -> int:
    """Run the escalation job once, with the jobs' clock just past the escalation's limit."""
    from mda import create_app
    from mda.core import clock
    from mda.escalations.models import Escalation
    from mda.jobs import run_due

    app = create_app({"DATABASE_URL": database_url, "TESTING": True})
    try:
        with app.app_context():
            from mda import db

            deadline = db.session().get(Escalation, escalation_id).deadline_at
            db.session().close()
            with clock.frozen(deadline + timedelta(minutes=1)):
                return run_due(["escalatietermijnen"])["escalatietermijnen"]
    finally:
        app.extensions["mda_engine"].dispose()


def _case_id(database_url: str, reference: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as conn:
        found = conn.execute(text("select id from \"case\" where reference = :r"), {"r": reference}).scalar_one()
    engine.dispose()
    return found


def test_professional_and_vt_escalate_a_condition_to_a_decision(chromium, server):
    """Raise, VT's position, limit passes and it moves up, the manager decides, both acknowledge: outcome shown?"""
    base_url, database_url = server
    case_id = _case_id(database_url, "MDA-2026-0001")
    plan_url = f"{base_url}/casussen/{case_id}/plan"

    vt_ctx, vt = _as(chromium, base_url, VT)
    vt.goto(plan_url)
    vt.get_by_text("Regel toevoegen aan veiligheidsvoorwaarden").click()
    vt.locator("#nieuw-tekst-voorwaarde").fill(CONDITION)
    vt.locator("form:has(#nieuw-tekst-voorwaarde) button[type=submit]").click()
    expect(vt.locator("li.mda-condition", has_text=CONDITION)).to_be_visible()

    lt_ctx, lt = _as(chromium, base_url, LT)
    lt.goto(plan_url)
    lt.locator("li.mda-condition", has_text=CONDITION).get_by_role("link", name="Escaleren").click()
    lt.get_by_label("Korte omschrijving (zonder namen)").fill("voorwaarde slapen bij vader")
    lt.get_by_label("Uw standpunt").fill("Begeleid logeren is veilig genoeg (fictief).")
    lt.get_by_role("button", name="Escalatie starten").click()
    expect(lt.get_by_text("In escalatie", exact=True)).to_be_visible()
    escalation_url = lt.url
    escalation_id = int(re.search(r"/escalaties/(\d+)", escalation_url).group(1))
    lt.goto(plan_url)
    expect(lt.locator("li.mda-condition", has_text=CONDITION)).to_contain_text("In escalatie")

    vt.goto(escalation_url)
    vt.get_by_label("Uw standpunt").fill("Niet zolang het onderzoek loopt (fictief).")
    vt.get_by_role("button", name="Standpunt toevoegen").click()
    expect(vt.get_by_text("Niet zolang het onderzoek loopt (fictief).")).to_be_visible()

    assert _let_the_limit_pass(database_url, escalation_id) >= 1
    manager_ctx, manager = _as(chromium, base_url, VT_MANAGER)
    manager.goto(escalation_url)
    expect(manager.get_by_role("heading", name="Besluiten (niveau 2)")).to_be_visible()
    violations = axe_violations(manager)
    assert not violations, describe_violations(violations)
    expect(manager.locator(".mda-timeline")).to_contain_text("automatisch naar volgend niveau")
    manager.get_by_label("Besluit", exact=True).fill("Logeren alleen onder begeleiding (fictief).")
    manager.get_by_label("Motivering").fill("Beide standpunten gewogen; onderzoek loopt nog (fictief).")
    manager.get_by_label("Het betwiste onderdeel wijzigen").check()
    manager.get_by_label("Nieuwe tekst in het plan (bij aanvullen of wijzigen)").fill(
        "Kinderen logeren bij vader alleen onder begeleiding (fictief, besluit escalatie)")
    manager.get_by_role("button", name="Besluit vastleggen").click()
    expect(manager.get_by_text("Het besluit is vastgelegd")).to_be_visible()

    for page in (lt, vt):
        page.goto(escalation_url)
        page.get_by_role("button", name="Besluit bevestigen").click()
        expect(page.get_by_text("U heeft het besluit bevestigd.")).to_be_visible()
    expect(vt.get_by_text("Afgesloten", exact=True).first).to_be_visible()

    for url in ("/escalaties?weergave=partij", "/escalaties/stuurinformatie", "/meldingen",
                f"/casussen/{case_id}/escalaties/nieuw"):
        (manager if "stuur" in url else lt).goto(f"{base_url}{url}")
        violations = axe_violations(manager if "stuur" in url else lt)
        assert not violations, f"{url}: {describe_violations(violations)}"
    lt.goto(plan_url)
    outcome = lt.locator("li.mda-condition", has_text="alleen onder begeleiding (fictief, besluit escalatie)")
    expect(outcome).to_contain_text(f"Besluit escalatie E-{escalation_id}")
    expect(outcome).not_to_contain_text("In escalatie")
    for ctx in (vt_ctx, lt_ctx, manager_ctx):
        ctx.close()
