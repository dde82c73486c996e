"""Co-editing in real browsers: three partners type into the same minutes piece at the same time, in a random
interleaving, one of them offline for a while and then reloading her page; afterwards every screen and the stored
text agree and hold every word each of them typed."""

from __future__ import annotations

import random
import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import PIECE_ID
from tests.browser.test_live_session import CHAIR, FAMILY, LT, VT, WAIT, _open_live

pytestmark = pytest.mark.browser

START = "Notulen samen (fictief):"
SAME = ("([ids, tokens]) => { const v = ids.map(id => document.getElementById(id)); return v.every(x => x) &&"
        " tokens.every(t => v[0].value.includes(t)); }")


def _open_family_item(page) -> None:
    expect(page.locator("#live-agenda")).to_contain_text(FAMILY, timeout=WAIT)
    page.locator("#live-agenda").get_by_role("button", name=re.compile(FAMILY)).click()
    expect(page.locator("#live-punt-kop")).to_contain_text(FAMILY, timeout=WAIT)


def test_three_partners_typing_at_once_end_with_the_same_stored_text(browser, base_url):
    """When the chair, the wijkteam and Veilig Thuis type into one minutes piece at the same time (random order
    and places, Veilig Thuis offline for part of it and reloading before her words were sent), do all three end up
    showing the same text, equal to what a freshly opened page loads from the server, containing every word each
    of them typed, with no save button?"""
    rng = random.Random(2312)
    contexts, pages = [], {}
    try:
        for email in (CHAIR, LT, VT):
            ctx, page = _open_live(browser, base_url, email)
            contexts.append(ctx)
            pages[email] = page
            _open_family_item(page)
        chair = pages[CHAIR]
        chair.get_by_label("Nieuwe tekst").fill(START)
        chair.get_by_role("button", name="Toevoegen").click()
        piece = None
        for page in pages.values():
            piece = page.wait_for_function(PIECE_ID, arg=START, timeout=WAIT).json_value()
        area = {email: page.locator(f"#live-stuk-{piece}") for email, page in pages.items()}
        for email, page in pages.items():
            expect(area[email]).to_be_editable(timeout=WAIT)  # synced: writable for the shared minutes
            expect(page.locator(f"article[data-stuk='{piece}']").get_by_role("button", name="Opslaan")).to_have_count(0)

        typed = []
        order = [CHAIR, LT, VT] * 6
        rng.shuffle(order)
        for n, email in enumerate(order):
            if n == 6:
                contexts[2].set_offline(True)  # Veilig Thuis drops off and keeps typing
                expect(pages[VT].locator("#live-verbinding")).to_contain_text("verbroken", timeout=WAIT)
            if n == 13:  # back online, and the page reloaded before its socket could send what was typed
                contexts[2].set_offline(False)
                pages[VT].reload()
                expect(pages[VT].locator("#live-verbinding")).to_contain_text("Verbonden", timeout=WAIT)
                _open_family_item(pages[VT])
                expect(area[VT]).to_be_editable(timeout=WAIT)
            token = f"woord{n}{email[:2]}"
            typed.append(token)
            area[email].click()
            pages[email].keyboard.press(rng.choice(["Home", "End"]) if n % 3 else "Control+End")
            pages[email].keyboard.insert_text(f" {token} ")

        ids = [f"live-stuk-{piece}"]
        for page in pages.values():
            page.wait_for_function(SAME, arg=[ids, typed + [START]], timeout=WAIT * 2)
        for email, page in pages.items():  # and nothing left unsent
            expect(page.locator(f"#live-samen-{piece}")).to_have_text(
                re.compile(r"^(Alles is bewaard|Samen bewerken: alles wordt vanzelf bewaard)\.$"), timeout=WAIT * 2)
        texts = {email: area[email].input_value() for email in pages}
        assert len(set(texts.values())) == 1, texts

        ctx, fresh = _open_live(browser, base_url, CHAIR)  # what the server stored
        contexts.append(ctx)
        _open_family_item(fresh)
        expect(fresh.locator(f"#live-stuk-{piece}")).to_have_value(texts[CHAIR], timeout=WAIT)
    finally:
        for ctx in contexts:
            ctx.close()
