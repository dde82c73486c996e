"""Helpers for the browser tests: log in through the form, run axe-core."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from mda.demo.accounts import DEMO_PASSWORD

AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
#: the WCAG 2.0/2.1 level A and AA rules of axe-core
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
#: axe "best practice" rules about page structure (landmarks, headings, skip link) that the WCAG tags leave out
STRUCTURE_RULES = [
    "region", "landmark-one-main", "landmark-unique", "landmark-no-duplicate-banner",
    "landmark-no-duplicate-contentinfo", "page-has-heading-one", "heading-order", "skip-link",
]


def submit_login_form(page: Page, base_url: str, email: str, password: str) -> None:
    """Open the login page and submit *email* and *password* through the form."""
    page.goto(f"{base_url}/login")
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(password)
    page.get_by_role("button", name="Inloggen").click()


def login(page: Page, base_url: str, email: str, password: str = DEMO_PASSWORD) -> None:
    """Log in through the login form as *email* and wait until the user is logged in."""
    submit_login_form(page, base_url, email, password)
    expect(page.get_by_role("button", name="Uitloggen")).to_be_visible()


def _run_axe(page: Page, run_only: dict) -> list[dict]:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    return page.evaluate("async (runOnly) => (await axe.run(document, {runOnly})).violations", run_only)


def axe_violations(page: Page) -> list[dict]:
    """The WCAG 2.1 A/AA violations axe-core finds on the current page."""
    return _run_axe(page, {"type": "tag", "values": WCAG_TAGS})


def structure_violations(page: Page) -> list[dict]:
    """Violations of the page-structure rules (:data:`STRUCTURE_RULES`) on the current page."""
    return _run_axe(page, {"type": "rule", "values": STRUCTURE_RULES})


def describe_violations(violations: list[dict]) -> str:
    """A readable summary of axe violations, for assertion messages."""
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation.get('impact')}): {violation['help']}")
        for node in violation["nodes"][:5]:
            summary = " ".join(line.strip() for line in (node.get("failureSummary") or "").splitlines())
            lines.append(f"    {node['target']}: {summary}")
    return "\n".join(lines)


#: the id of the live page's minutes piece whose text contains the argument (null while there is none)
PIECE_ID = ("(text) => { const t = Array.from(document.querySelectorAll(\"textarea[id^='live-stuk-']\"))"
            ".find(x => x.value.includes(text)); return t ? t.id.slice('live-stuk-'.length) : null; }")
HAS_TEXT = ("(text) => Array.from(document.querySelectorAll(\"textarea[id^='live-stuk-']\"))"
            ".some(x => x.value.includes(text))")
