"""Every page each demo account can reach, crawled (not sampled): axe-core WCAG 2.1 A/AA at 1280 px and at
375 px, and no horizontal overflow at 375 px.

The crawl follows every same-origin link from the start page (GET only: forms are not submitted, so nothing
changes), once per URL shape (ids replaced by N: the second case page has the same template as the first),
and is bounded: at most :data:`MAX_PAGES` shapes per account and :data:`BUDGET_SECONDS` per account. When a
bound is hit the test fails instead of passing silently, so a growing site is noticed."""

from __future__ import annotations

import re
import time
from urllib.parse import urldefrag, urlparse

import pytest

from mda.demo.accounts import ACCOUNTS
from tests.browser.helpers import axe_violations, describe_violations, login

pytestmark = pytest.mark.browser

MAX_PAGES = 60
BUDGET_SECONDS = 150
#: links that download a file, end the session or are not pages
SKIP = re.compile(r"(/uitloggen|/logout|\.(ics|csv|json|docx|pdf)(\?|$)|/feed/|/api/|/static/|/healthz|export|mailto:)")
WIDTHS = (1280, 375)


def _shape(url: str) -> str:
    parsed = urlparse(url)
    return re.sub(r"\d+", "N", parsed.path) + ("?" + re.sub(r"\d+", "N", parsed.query) if parsed.query else "")


def _links(page, base_url: str) -> list[str]:
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    result = []
    for href in hrefs:
        href = urldefrag(href)[0]
        if href.startswith(base_url) and not SKIP.search(href):
            result.append(href)
    return result


def _overflow(page) -> int:
    """How many CSS pixels the page is wider than the viewport."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


@pytest.mark.parametrize("email", [a[0] for a in ACCOUNTS])
def test_every_reachable_page_is_accessible_at_both_widths(page, base_url, email, capsys):
    """Does every page this demo account can reach have no WCAG 2.1 A/AA violations at 1280 px and 375 px, and no
    horizontal overflow at 375 px?"""
    started = time.monotonic()
    login(page, base_url, email)
    queue, seen, problems, checked = [f"{base_url}/"], set(), [], 0
    while queue:
        url = queue.pop(0)
        shape = _shape(url)
        if shape in seen:
            continue
        seen.add(shape)
        assert len(seen) <= MAX_PAGES, f"more than {MAX_PAGES} page shapes for {email}: raise the bound knowingly"
        assert time.monotonic() - started < BUDGET_SECONDS, f"crawl for {email} exceeded {BUDGET_SECONDS} s"
        response = page.goto(url)
        if response is None or response.status >= 400:
            problems.append(f"{url}: HTTP {response.status if response else '?'}")
            continue
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            violations = axe_violations(page)
            if violations:
                problems.append(f"{url} at {width} px:\n{describe_violations(violations)}")
            if width == 375 and (extra := _overflow(page)) > 1:
                problems.append(f"{url} at 375 px: {extra} px horizontal overflow")
        page.set_viewport_size({"width": 1280, "height": 900})
        checked += 1
        queue += [link for link in _links(page, base_url) if _shape(link) not in seen]
    with capsys.disabled():
        print(f"\n[crawl] {email}: {checked} pages, {time.monotonic() - started:.0f} s")
    assert problems == [], "\n".join(problems)
