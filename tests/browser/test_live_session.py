"""The live session in a real browser: three partners in three browser contexts join today's demo
casuïstiekoverleg; the chair moves through the agenda; an action appears for another partner without
reloading; a partner outside the second case's circle never sees anything of it (page or websocket
frames); a withdrawn consent removes an item from open pages; axe-core finds no violation."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from mda.demo.live import TITLE
from tests.browser.helpers import (
    HAS_TEXT,
    PIECE_ID,
    axe_violations,
    describe_violations,
    login,
    structure_violations,
)

pytestmark = pytest.mark.browser

CHAIR, LT, VT, POL = ("regisseur.zvh@demo.invalid", "wijkteam.lt@demo.invalid", "medewerker.vt@demo.invalid",
                      "agent.pol@demo.invalid")
FAMILY, SHELTER = "MDA-2026-0001", "MDA-2026-0002"
GGZ_TEXT = "moeder komt trouw naar de behandeling"
WAIT = 15_000  # ms a live change may take on a loaded machine (a bound on waiting, not a speed check)


def _open_live(browser, base_url, email, frames=None):
    ctx = browser.new_context(bypass_csp=True, locale="nl-NL", base_url=base_url)
    page = ctx.new_page()
    if frames is not None:
        page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(str(payload))))
    login(page, base_url, email)
    page.goto("/overleggen/")
    page.get_by_role("link", name=TITLE).first.click()
    page.get_by_role("link", name="Open de live weergave").click()
    expect(page.locator("#live-verbinding")).to_contain_text("Verbonden", timeout=WAIT)
    return ctx, page


POSITION = ("(want) => Array.from(document.querySelectorAll('#live-agenda li'))"
            ".findIndex(li => li.textContent.includes('(nu aan de orde)')) === want")


def _chair_next_until(chair, reference, position):
    """Click "Volgend agendapunt" one step at a time, each after the previous step showed, until *reference*
    is the current item; returns the position reached."""
    for _ in range(10):
        chair.wait_for_function(POSITION, arg=position, timeout=WAIT)
        current = chair.locator("#live-agenda li").nth(position).text_content() or ""
        if reference in current:
            expect(chair.locator("#live-punt-kop")).to_contain_text(reference, timeout=WAIT)
            return position
        chair.get_by_role("button", name="Volgend agendapunt").click()
        position += 1
    raise AssertionError(f"the chair never reached {reference}")


def test_three_partners_follow_the_chair_and_see_only_what_they_may(browser, base_url):
    """Do three partners follow the chair live, see each other's action and minutes, never see a case outside
    their circle, lose a withdrawn item without reloading, and is the live view free of axe violations?"""
    police_frames: list[str] = []
    contexts = []
    try:
        ctx, chair = _open_live(browser, base_url, CHAIR)
        contexts.append(ctx)
        ctx, lt = _open_live(browser, base_url, LT)
        contexts.append(ctx)
        ctx, vt = _open_live(browser, base_url, VT)
        contexts.append(ctx)
        ctx, pol = _open_live(browser, base_url, POL, police_frames)
        contexts.append(ctx)

        chair.get_by_role("button", name="Overleg starten").click()
        position = _chair_next_until(chair, FAMILY, 0)
        for page in (lt, vt, pol):  # everyone's view follows to the family case
            expect(page.locator("#live-punt-kop")).to_contain_text(FAMILY, timeout=WAIT)
        # other tests on this demo server may have added pieces to the item: find GGZ's by its text
        ggz = lt.wait_for_function(PIECE_ID, arg=GGZ_TEXT, timeout=WAIT).json_value()  # shared by mother's consent
        pieces = {p: p.locator(f"#live-stuk-{ggz}") for p in (lt, vt)}
        expect(pieces[lt]).to_have_value(re.compile(GGZ_TEXT), timeout=WAIT)
        expect(pol.locator("#live-punt")).to_contain_text("Niet gedeeld", timeout=WAIT)  # no basis for the police

        # partner A (wijkteam) adds an action; partner B (Veilig Thuis) sees it without reloading
        lt.get_by_label("Omschrijving van de actie").fill("Wijkteam regelt een budgetcoach (fictief)")
        lt.get_by_label("Termijn", exact=True).fill("2099-01-31")
        lt.get_by_label("Eigenaar").select_option(label="Wijkteam Demodam-Noord (fictief) (organisatie)")
        lt.get_by_role("button", name="Actie vastleggen").click()
        expect(vt.locator("#live-acties")).to_contain_text("budgetcoach", timeout=WAIT)

        # the coordinator withdraws the mother's consent: the GGZ text vanishes from the open pages
        case_page = contexts[0].new_page()
        case_page.goto("/casussen/")
        case_page.get_by_role("link", name=FAMILY).first.click()
        row = case_page.locator("tr", has_text="GGZ-gegevens").filter(has=case_page.get_by_role("button"))
        row.get_by_label("Reden van intrekking").fill("Moeder trekt haar toestemming in (fictief)")
        row.get_by_role("button", name=re.compile("intrekken")).click()
        for page in (lt, vt):
            expect(pieces[page]).to_have_count(0, timeout=WAIT)
            assert GGZ_TEXT not in page.content()
        expect(lt.locator("#live-punt")).to_contain_text("ingetrokken", timeout=WAIT)

        # partner B (Veilig Thuis) writes minutes; the server pushes them to partner A's open page
        vt.get_by_label("Nieuwe tekst").fill("Afspraak: Veilig Thuis belt de school (fictief)")
        vt.get_by_role("button", name="Toevoegen").click()
        lt.wait_for_function(HAS_TEXT, arg="belt de school", timeout=WAIT)
        expect(lt.locator("#live-meldingen")).to_contain_text("Nieuwe notulen", timeout=WAIT)

        # the chair moves on to the shelter case: VT follows, the police never sees it
        _chair_next_until(chair, SHELTER, position)
        expect(vt.locator("#live-punt-kop")).to_contain_text(SHELTER, timeout=WAIT)
        expect(pol.locator("#live-agenda")).to_contain_text("casus (niet zichtbaar)", timeout=WAIT)
        pol.wait_for_timeout(500)
        assert SHELTER not in pol.content()
        assert police_frames and not [f for f in police_frames if SHELTER in f or "Proefmans" in f]

        violations = axe_violations(vt) + structure_violations(vt)
        assert violations == [], describe_violations(violations)
    finally:
        for ctx in contexts:
            ctx.close()
