"""A case document's journey in the browser: the police brings a report with its update before the conference, GGZ
cannot open it without a basis, the coordinator records the suspect's consent, GGZ downloads a watermarked copy,
and the privacy officer finds both of GGZ's looks in the suspect's access log."""

from __future__ import annotations

import io
import re

from playwright.sync_api import expect
from pypdf import PdfReader
from reportlab.pdfgen import canvas

from mda.demo.meetings import CONFERENCE_TITLE
from tests.browser.helpers import login
from tests.conftest import TEST_NOW

TITLE = "Proces-verbaal incident Verzonnenlaan (fictief)"
COORDINATOR = "regisseur.zvh@demo.invalid"


def _report() -> bytes:
    buf = io.BytesIO()
    page = canvas.Canvas(buf, pagesize=(595, 842))
    page.drawString(72, 760, "Proces-verbaal van bevindingen (fictief), demo-journey")
    page.save()
    return buf.getvalue()


def _open_conference(page):
    page.get_by_role("navigation", name="Hoofdmenu").get_by_role("link", name="Overleggen", exact=True).click()
    page.get_by_role("link", name=CONFERENCE_TITLE).first.click()
    expect(page.locator("#updates")).to_be_visible()


def test_police_report_reaches_ggz_only_after_consent_and_both_looks_are_logged(browser, base_url):
    """Does the police's report, brought with its update, show GGZ "Niet gedeeld" and refuse the download until the
    coordinator records Bert's consent for justice data to GGZ, then give GGZ a copy stamped with their name; and
    does the privacy officer see GGZ's refused and permitted look in Bert's access log?"""
    def user(email: str):
        context = browser.new_context(bypass_csp=True, locale="nl-NL", base_url=base_url, accept_downloads=True)
        page = context.new_page()
        login(page, base_url, email)
        return context, page

    # the police writes its update and brings the report with it
    police_ctx, police = user("agent.pol@demo.invalid")
    _open_conference(police)
    conference_url = police.url.split("#")[0]
    police.get_by_label(re.compile("^Uw update")).fill("Aangifte opgenomen na incident; proces-verbaal bijgevoegd "
                                                      "(fictief).")
    police.get_by_role("button", name=re.compile("update", re.I)).first.click()
    police.get_by_role("link", name="Document bij de update van uw organisatie voegen").click()
    police.get_by_label(re.compile("^Bestand")).set_input_files(
        {"name": "pv-incident.pdf", "mimeType": "application/pdf", "buffer": _report()})
    police.get_by_label(re.compile("^Titel")).fill(TITLE)
    police.get_by_label("Categorie").select_option(value="justitie")
    police.get_by_label(re.compile("^Bert Fictief")).check()
    police.get_by_role("button", name="Document toevoegen").click()
    expect(police.get_by_text("Het document is toegevoegd.")).to_be_visible()
    expect(police.get_by_text(f"Document: {TITLE}").first).to_be_visible()  # (also in the live panel)
    download_link = police.get_by_role("link", name=re.compile(r"^Document nr\. \d+ downloaden")).last
    download_path = download_link.get_attribute("href")
    police_ctx.close()

    # GGZ, invited to the conference, has no basis for justice data about Bert (his consent was withdrawn)
    ggz_ctx, ggz = user("behandelaar.ggz@demo.invalid")
    ggz.goto(conference_url)
    expect(ggz.get_by_text(re.compile(r"Document: Niet gedeeld: .*Justitiële gegevens")).first).to_be_visible()
    expect(ggz.get_by_text(TITLE)).to_have_count(0)
    refused = ggz.request.get(base_url + download_path)
    assert refused.status == 403 and b"%PDF" not in refused.body()

    # the coordinator records Bert's consent for justice data to GGZ
    coordinator_ctx, coordinator = user(COORDINATOR)
    coordinator.goto(base_url + download_path.split("/documenten/")[0])
    coordinator.get_by_role("link", name="Toestemming vastleggen").click()
    persons = coordinator.get_by_label("Persoon")
    bert = next(t for t in persons.locator("option").all_text_contents() if t.startswith("Bert Fictief"))
    persons.select_option(label=bert)
    coordinator.get_by_label("Doel").fill("Afstemming behandeling en strafrechtelijke keten (fictief)")
    coordinator.get_by_label("Mondeling").check()
    coordinator.get_by_label("GGZ Demodam (fictief)").check()
    coordinator.get_by_label(re.compile("^Justitiële gegevens")).check()
    coordinator.get_by_label("Gegeven op").fill(TEST_NOW.date().isoformat())
    coordinator.get_by_role("button", name="Toestemming vastleggen").click()
    expect(coordinator.get_by_role("heading", level=1)).to_contain_text("MDA-2026-0001")
    coordinator_ctx.close()

    # now GGZ sees the title and downloads a copy stamped with its own name
    ggz.goto(conference_url)
    expect(ggz.get_by_text(f"Document: {TITLE}").first).to_be_visible()
    with ggz.expect_download() as info:
        ggz.get_by_role("link", name=re.compile(r"^Document nr\. \d+ downloaden")).last.click()
    download = info.value
    assert re.fullmatch(r"MDA-2026-0001-document-\d+\.pdf", download.suggested_filename)
    text = PdfReader(download.path()).pages[0].extract_text()
    assert "Proces-verbaal van bevindingen" in text
    assert "Vertrouwelijk" in text and "gedownload door Gijs Gezond (fictief) (GGZ Demodam (fictief))" in text
    ggz_ctx.close()

    # the privacy officer finds both of GGZ's looks in Bert's access log
    privacy_ctx, privacy = user("privacy@demo.invalid")
    privacy.goto(f"{base_url}/privacy/personen")
    privacy.get_by_label(re.compile("^Casusnummer")).fill("MDA-2026-0001")
    privacy.get_by_role("button", name="Zoeken").click()
    privacy.get_by_role("link", name=re.compile("^Bert Fictief")).click()
    log = privacy.get_by_role("table")
    ggz_rows = log.get_by_role("row").filter(has_text="GGZ Demodam (fictief)").filter(has_text="download")
    expect(ggz_rows.filter(has_text="geweigerd")).to_have_count(1)
    expect(ggz_rows.filter(has_text="toestemming")).not_to_have_count(0)
    privacy_ctx.close()
