"""Narrow screens (375 px, issue 24): every table reads as stacked rows without a word cut in two ("Onde rdeel",
"Uitnodi ging") or a cell wider than itself, and the main menu is a compact disclosure instead of four rows.

The tables are found by crawling what each account can reach (GET links only, once per URL shape, bounded), so a new
wide table is checked without being named here; the escalation dashboard, the invitees of a meeting and the plan's
actions are among them and are asserted to have been seen."""

from __future__ import annotations

import re
import time
from urllib.parse import urldefrag

import pytest
from playwright.sync_api import expect

from tests.browser.helpers import login
from tests.browser.test_crawl_accessibility import SKIP, _shape

pytestmark = pytest.mark.browser

MAX_PAGES = 60
BUDGET_SECONDS = 150
#: every table cell at 375 px: a word whose pieces lie on different lines, or a cell whose content is wider than it
BROKEN_CELLS = """() => {
  const problems = [];
  const skip = new Set(["OPTION", "SELECT", "TEXTAREA", "SCRIPT"]);
  for (const cell of document.querySelectorAll("table td, table th")) {
    const head = cell.closest("thead");
    if (head && getComputedStyle(head).position === "absolute") continue;  // the header row, out of sight
    if (!cell.getClientRects().length) continue;
    const what = cell.textContent.trim().replace(/\\s+/g, " ").slice(0, 60);
    if (cell.scrollWidth > cell.clientWidth + 1) problems.push(`cell wider than itself: "${what}"`);
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (skip.has(node.parentElement.tagName)) continue;
      // a compound may wrap after its own hyphen or dash ("Demodam-" / "Noord"); each piece stays whole
      for (const match of node.data.matchAll(/[^\\s\\-\u2013]+[\\-\u2013]?|[\\-\u2013]/g)) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const tops = new Set(Array.from(range.getClientRects()).filter(r => r.width > 0).map(r => Math.round(r.top)));
        if (tops.size > 1) problems.push(`word cut in "${what}": ${match[0]}`);
      }
    }
  }
  return problems;
}"""
#: the tables issue 24 named, by the URL shape they are on and a header they have
NAMED = {"escalation dashboard": ("/escalaties", "Onderwerp"), "invitees of a meeting": ("/overleggen/N", "Antwoord"),
         "plan's actions": ("/casussen/N/plan", "Eigenaar")}


def _links(page, base_url: str) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    return [h for h in (urldefrag(h)[0] for h in hrefs) if h.startswith(base_url) and not SKIP.search(h)]


@pytest.mark.parametrize("email", ["regisseur.zvh@demo.invalid", "teamleider.vt@demo.invalid",
                                   "privacy@demo.invalid"])
def test_tables_at_375_px_cut_no_word(page, base_url, email, capsys):
    """At 375 px, does no table cell on any page this account reaches cut a word in two or overflow itself?"""
    started = time.monotonic()
    page.set_viewport_size({"width": 375, "height": 800})
    login(page, base_url, email)
    queue, seen, problems, tables = [f"{base_url}/"], set(), [], set()
    while queue:
        url = queue.pop(0)
        shape = _shape(url)
        if shape in seen:
            continue
        seen.add(shape)
        assert len(seen) <= MAX_PAGES and time.monotonic() - started < BUDGET_SECONDS, "crawl bound reached"
        response = page.goto(url)
        if response is None or response.status >= 400:
            continue
        headers = page.eval_on_selector_all("table th", "els => els.map(e => e.textContent.trim())")
        if headers:
            tables.add(shape)
            for name, (where, header) in NAMED.items():
                if re.fullmatch(where, shape.split("?")[0]) and header in headers:
                    tables.add(name)
        problems += [f"{url}: {p}" for p in page.evaluate(BROKEN_CELLS)]
        queue += [link for link in _links(page, base_url) if _shape(link) not in seen]
    with capsys.disabled():
        print(f"\n[375 px] {email}: {len(seen)} pages, {len([t for t in tables if '/' in t])} with tables")
    assert problems == [], "\n".join(problems[:40])
    if email.startswith("regisseur"):
        assert set(NAMED) <= tables, f"not seen: {set(NAMED) - tables}"


def test_the_menu_is_compact_at_375_px_and_opens(page, base_url):
    """At 375 px, is the main menu one row ("Menu", closed) that opens to show every entry, while at 1280 px the
    entries stand in a row as before?"""
    login(page, base_url, "regisseur.zvh@demo.invalid")
    nav = page.get_by_role("navigation", name="Hoofdmenu")
    expect(nav.get_by_role("link", name="Mijn acties", exact=True)).to_be_visible()
    page.set_viewport_size({"width": 375, "height": 800})
    toggle = nav.locator("summary")
    expect(toggle).to_be_visible()
    expect(nav.get_by_role("link", name="Mijn acties", exact=True)).to_be_hidden()
    row = toggle.bounding_box()["height"]
    assert nav.bounding_box()["height"] <= 2 * row  # one row closed (the issue saw four)
    toggle.click()
    expect(nav.get_by_role("link", name="Mijn acties", exact=True)).to_be_visible()
    nav.get_by_role("link", name="Escalaties", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("scalaties")
