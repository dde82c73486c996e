"""Forms survive pushes: while another participant writes in the same agenda item, what a partner is typing in
another form (a dissent, an action's description, deadline and owner) keeps its value and focus; and "Bezig met
typen" goes a few seconds after the typist stopped."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import HAS_TEXT, PIECE_ID
from tests.browser.test_live_session import CHAIR, VT, WAIT, _open_live

pytestmark = pytest.mark.browser

SHELTER = "MDA-2026-0002"
DECISION = "Besluit: opvang blijft tot de evaluatie (fictief)"
DISSENT = "Veilig Thuis twijfelt of de opvang"
MORE = " lang genoeg is (fictief)"
MINUTES = "Notulen: de opvang belt de school (fictief)"
#: the id of the piece whose text area holds the given text (null until it is on the page)


def _open_shelter_item(page) -> None:
    expect(page.locator("#live-agenda")).to_contain_text(SHELTER, timeout=WAIT)
    page.locator("#live-agenda").get_by_role("button", name=re.compile(SHELTER)).click()
    expect(page.locator("#live-punt-kop")).to_contain_text(SHELTER, timeout=WAIT)


def _add(page, kind: str, text: str) -> None:
    page.get_by_label("Soort").select_option(kind)
    page.get_by_label("Nieuwe tekst").fill(text)
    page.get_by_role("button", name="Toevoegen").click()


def test_half_filled_dissent_and_action_keep_their_values_while_another_participant_writes(browser, base_url):
    """While the chair changes the (co-edited) decision in the same item, adds minutes and changes the decision
    again, do Veilig Thuis' half written dissent on that decision (with focus and caret) and her half filled action
    (description, deadline, owner) keep their values, and does "Bezig met typen" come and go with the chair's
    typing?"""
    contexts = []
    try:
        ctx, chair = _open_live(browser, base_url, CHAIR)
        contexts.append(ctx)
        ctx, vt = _open_live(browser, base_url, VT)
        contexts.append(ctx)
        for page in (chair, vt):
            _open_shelter_item(page)
        _add(chair, "besluit", DECISION)
        piece = vt.wait_for_function(PIECE_ID, arg=DECISION, timeout=WAIT).json_value()
        decision = {page: page.locator(f"article[data-stuk='{piece}']") for page in (chair, vt)}

        vt.get_by_label("Omschrijving van de actie").fill("Veilig Thuis belt de opvang (fictief)")
        vt.get_by_label("Termijn", exact=True).fill("2099-02-28")
        vt.get_by_label("Eigenaar").select_option("gezin")
        dissent = vt.locator(f"#live-afwijkend-{piece}")
        dissent.fill(DISSENT)
        dissent.press_sequentially(MORE[:6])  # still typing: focus and caret are in the dissent

        expect(chair.locator(f"#live-stuk-{piece}")).to_be_editable(timeout=WAIT)  # co-edited: synced first
        chair.locator(f"#live-stuk-{piece}").fill(f"{DECISION} (aangepast)")  # stored as typed, no save button
        expect(decision[vt]).to_contain_text("Bezig met typen", timeout=WAIT)  # a push that rebuilds the decision
        vt.wait_for_function(HAS_TEXT, arg="(aangepast)", timeout=WAIT)
        expect(decision[vt]).not_to_contain_text("Bezig met typen", timeout=WAIT)  # gone a few seconds after
        assert vt.evaluate("document.activeElement.id") == f"live-afwijkend-{piece}"
        dissent.press_sequentially(MORE[6:])  # typing on where the caret was
        _add(chair, "notulen", MINUTES)
        vt.wait_for_function(HAS_TEXT, arg=MINUTES, timeout=WAIT)
        chair.locator(f"#live-stuk-{piece}").fill(f"{DECISION} (nogmaals aangepast)")
        vt.wait_for_function(HAS_TEXT, arg="(nogmaals aangepast)", timeout=WAIT)
        expect(decision[chair].get_by_role("button", name="Opslaan")).to_have_count(0)

        expect(dissent).to_have_value(DISSENT + MORE)
        expect(vt.get_by_label("Omschrijving van de actie")).to_have_value("Veilig Thuis belt de opvang (fictief)")
        expect(vt.get_by_label("Termijn", exact=True)).to_have_value("2099-02-28")
        expect(vt.get_by_label("Eigenaar")).to_have_value("gezin")

        decision[vt].get_by_role("button", name="Afwijkend standpunt vastleggen").click()
        expect(decision[chair]).to_contain_text(DISSENT + MORE, timeout=WAIT)
        expect(dissent).to_have_value("", timeout=WAIT)  # sent: the form is empty again, also after the push
    finally:
        for ctx in contexts:
            ctx.close()
