"""Downloading a document: the sharing engine decides exactly as for a typed item, every download is audited,
a PDF carries who downloaded it, and a withheld document's bytes never leave the server."""

import io
from datetime import date

import pytest
from pypdf import PdfReader
from sqlmodel import select

from mda.documents.models import Document
from tests.conftest import audit_rows, audit_subjects, text_of
from tests.documents.conftest import make_pdf
from tests.documents.test_upload import upload

MARKER = "MARKER-PV-0815"


def _police_report(app, client, db, auth, scenario):
    """The police uploads a report about the suspect (category justitie, special) and logs out."""
    auth.login(scenario.users["pol"])
    resp = upload(app, client, scenario.case.id, make_pdf(MARKER, pages=2), filename="PV Piet Pleger.pdf",
                  persons=[scenario.persons["suspect"].id])
    assert resp.status_code == 302
    auth.logout()
    return db.exec(select(Document)).one()


def test_a_partner_without_a_basis_sees_niet_gedeeld_and_gets_no_bytes(app, client, db, auth, scenario,
                                                                        strict_covenant):
    """Under a covenant without '*' rules, does GGZ see "Niet gedeeld" with the reason instead of the title, get
    403 on the download (page and API) without a byte of the file, and is the refusal audited naming the person?"""
    doc = _police_report(app, client, db, auth, scenario)
    auth.login(scenario.users["ggz"])
    page = text_of(client.get(f"/casussen/{scenario.case.id}").text)
    assert "Document: Niet gedeeld: geen toestemming voor Justitiële gegevens" in page
    assert "PV Piet Pleger" not in page and "downloaden" not in page
    api_item = next(i for i in client.get(f"/api/v1/cases/{scenario.case.id}").get_json()["items"]
                    if i["id"] == doc.item_id)
    assert (api_item["shared"], api_item["content"], api_item["document"]) == (False, None, {"number": 1})
    for url in (f"/casussen/{scenario.case.id}/documenten/{doc.item_id}/download",
                f"/api/v1/cases/{scenario.case.id}/documents/{doc.item_id}/download"):
        resp = client.get(url)
        assert resp.status_code == 403, url
        assert b"%PDF" not in resp.data and MARKER.encode() not in resp.data
        message = resp.get_json()["message"] if url.startswith("/api/") else text_of(resp.text)
        assert "Niet gedeeld: geen toestemming voor Justitiële gegevens aan GGZ-instelling" in message
    refused = audit_rows(db, action="denied", object_type="document")
    assert len(refused) == 2 and all("niet gedeeld" in r.basis for r in refused)
    assert {s.person_id for _e, s in audit_subjects(db, object_type="document", action="denied")} == {
        scenario.persons["suspect"].id}
    assert "Piet" not in " ".join(r.summary for r in refused)


def test_a_partner_with_a_basis_gets_a_watermarked_attachment_audited(app, client, db, auth, scenario,
                                                                     strict_covenant, make_consent):
    """Once the suspect consents to justice data for GGZ, does GGZ get the PDF as an attachment with a neutral
    name, nosniff and no caching, every page stamped with their name, organisation and the time, and is the
    download audited with the basis and the person in audit_subject?"""
    doc = _police_report(app, client, db, auth, scenario)
    make_consent(scenario.case, scenario.persons["suspect"], [scenario.orgs["GGZ"]], ["justitie"],
                 scenario.users["coordinator"], given_on=date(2026, 11, 1))
    ggz = scenario.users["ggz"]
    auth.login(ggz)
    page = text_of(client.get(f"/casussen/{scenario.case.id}").text)
    assert "Document: PV Piet Pleger.pdf" in page and "Document nr. 1 downloaden" in page
    api_item = next(i for i in client.get(f"/api/v1/cases/{scenario.case.id}").get_json()["items"]
                    if i["id"] == doc.item_id)
    assert api_item["content"] == "PV Piet Pleger.pdf"
    assert api_item["document"]["download"] == f"/api/v1/cases/{scenario.case.id}/documents/{doc.item_id}/download"
    assert client.get(api_item["document"]["download"]).status_code == 200
    resp = client.get(f"/casussen/{scenario.case.id}/documenten/{doc.item_id}/download")
    assert resp.status_code == 200
    assert resp.headers["Content-Disposition"] == f'attachment; filename="{scenario.case.reference}-document-1.pdf"'
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in resp.headers["Cache-Control"]
    pages = PdfReader(io.BytesIO(resp.data)).pages
    assert len(pages) == 2
    for page in pages:
        text = page.extract_text()
        assert MARKER in text
        assert f"gedownload door {ggz.name} ({scenario.orgs['GGZ'].name}) op 03-12-2026" in text
    views = [e for e, s in audit_subjects(db, item_id=doc.item_id, action="view") if "download" in e.summary]
    assert len(views) == 2  # one per download: the API's and the page's
    assert all(v.user_id == ggz.id and v.basis.startswith("toestemming: ") for v in views)
    assert {s.person_id for e, s in audit_subjects(db, id=views[0].id)} == {scenario.persons["suspect"].id}


def test_outsiders_get_404_and_other_cases_documents_are_not_found(app, client, db, auth, scenario, strict_covenant):
    """Does a professional outside the circle get 404 for the download, as for the case itself?"""
    doc = _police_report(app, client, db, auth, scenario)
    auth.login(scenario.users["om"])
    assert client.get(f"/casussen/{scenario.case.id}/documenten/{doc.item_id}/download").status_code == 404
    assert client.get(f"/api/v1/cases/{scenario.case.id}/documents/{doc.item_id}/download").status_code == 404


def test_the_case_page_runs_as_many_statements_with_five_documents_as_with_one(app, client, db, auth, scenario,
                                                                              count_queries):
    """Does the case page stay at the same number of SQL statements when documents are added (no N+1)?"""
    auth.login(scenario.users["pol"])
    upload(app, client, scenario.case.id, make_pdf(), filename="a.pdf", persons=[scenario.persons["suspect"].id])
    with count_queries() as one:
        assert client.get(f"/casussen/{scenario.case.id}").status_code == 200
    for n in range(4):
        upload(app, client, scenario.case.id, make_pdf(), filename=f"b{n}.pdf",
               persons=[scenario.persons["victim"].id])
    with count_queries() as five:
        page = client.get(f"/casussen/{scenario.case.id}")
    assert page.text.count("downloaden</a>") == 5
    assert len(five) == len(one), five


def test_who_may_download_follows_the_item_rules_for_every_member_of_the_circle(app, client, db, auth, scenario,
                                                                                strict_covenant, switch_to):
    """For everyone around the case, does the download answer as the rules for a typed item of the same category,
    source and person say (written out here, apart from the engine): the source (POL) and VT by an explicit covenant
    rule get the file; the coordinator, GGZ, LT and LT's team lead get 403; OM outside the circle gets 404?"""
    strict_covenant("VT", "justitie")
    doc = _police_report(app, client, db, auth, scenario)
    expected = {"pol": 200, "vt": 200, "coordinator": 403, "ggz": 403, "lt": 403, "lt_lead": 403, "om": 404}
    answers = {}
    for who in expected:
        switch_to(scenario.users[who])
        answers[who] = client.get(f"/casussen/{scenario.case.id}/documenten/{doc.item_id}/download").status_code
    assert answers == expected


def test_a_downloaded_photo_is_marked_and_loses_its_location(app, client, db, auth, scenario):
    """Does a JPEG come back re-encoded with a red band along its bottom edge (the stamp) and without the EXIF
    (GPS position) it was uploaded with?"""
    from PIL import Image

    original = Image.new("RGB", (600, 400), (0, 0, 255))
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (52.0, 5.0, 0.0)}  # GPSInfo: where the photo was taken
    buf = io.BytesIO()
    original.save(buf, "JPEG", exif=exif)
    assert Image.open(io.BytesIO(buf.getvalue())).getexif()
    auth.login(scenario.users["pol"])
    assert upload(app, client, scenario.case.id, buf.getvalue(), filename="foto.jpg",
                  category="risicosignalen").status_code == 302
    doc = db.exec(select(Document)).one()
    resp = client.get(f"/casussen/{scenario.case.id}/documenten/{doc.item_id}/download")
    assert resp.status_code == 200 and resp.headers["Content-Disposition"].endswith('-document-1.jpg"')
    marked = Image.open(io.BytesIO(resp.data))
    assert not marked.getexif()
    band = [marked.getpixel((x, y)) for y in range(marked.height - 12, marked.height) for x in range(0, 600, 5)]
    assert sum(1 for r, g, _b in band if r > 200 and g > 200) > len(band) / 2  # the white band of the stamp
    red = [p for y in range(marked.height - 14, marked.height) for p in (marked.getpixel((x, y)) for x in range(600))
           if p[0] > 150 and p[1] < 80 and p[2] < 80]
    assert red  # the stamp's red letters
    assert marked.getpixel((300, 100))[2] > 200  # the photo itself is untouched above the band


def test_a_pdf_that_cannot_be_stamped_is_not_sent_unmarked(app, client, db, auth, scenario, monkeypatch):
    """When the watermark fails, is the download refused with a Dutch page (409, not a server error) instead of
    sent without it?"""
    from mda.documents import watermark

    auth.login(scenario.users["pol"])
    upload(app, client, scenario.case.id, make_pdf(MARKER), filename="a.pdf")
    doc = db.exec(select(Document)).one()

    def broken(*_args):
        raise ValueError("kapotte pagina")

    monkeypatch.setattr(watermark, "watermark_pdf", broken)
    resp = client.get(f"/casussen/{scenario.case.id}/documenten/{doc.item_id}/download")
    assert resp.status_code == 409 and MARKER.encode() not in resp.data and b"%PDF" not in resp.data
    assert "geen watermerk" in text_of(resp.text) and "contact op met de beheerder" in text_of(resp.text)


@pytest.mark.parametrize("name", ["foto.png", "rapport.pdf"])
def test_a_damaged_file_stored_before_the_upload_check_gets_a_dutch_refusal_not_a_500(app, client, db, auth,
                                                                                      scenario, monkeypatch, name):
    """A PNG cut short or a PDF qpdf cannot read, stored before uploads were opened in full: does its download
    answer a Dutch 409 page (and the API a Dutch 409 in the error shape) saying the stored file is damaged, with
    no bytes of it and no stack trace, instead of a 500?"""
    from mda.documents import filetypes
    from tests.documents.conftest import make_damaged_pdf, make_picture

    data = make_picture("PNG")[:60] if name.endswith(".png") else make_damaged_pdf()
    with monkeypatch.context() as before_the_check:  # as the upload was: the file was not opened
        before_the_check.setattr(filetypes, "_image_opens", lambda _data, kind: kind)
        before_the_check.setattr(filetypes, "_pdf_opens", lambda _data: filetypes.PDF)
        auth.login(scenario.users["pol"])
        assert upload(app, client, scenario.case.id, data, filename=name, category="risicosignalen"
                      ).status_code == 302
    doc = db.exec(select(Document)).one()
    resp = client.get(f"/casussen/{scenario.case.id}/documenten/{doc.item_id}/download")
    assert resp.status_code == 409
    text = text_of(resp.text)
    assert "het opgeslagen bestand is beschadigd" in text and "Traceback" not in text
    assert data[:8] not in resp.data and "attachment" not in resp.headers.get("Content-Disposition", "")
    api = client.get(f"/api/v1/cases/{scenario.case.id}/documents/{doc.item_id}/download")
    assert api.status_code == 409 and "beschadigd" in api.get_json()["message"]


def _upload_and_download_as_police(app, client, auth, scenario, data, filename, category="risicosignalen"):
    """The police uploads *data*; the police officer downloads it (the source always may)."""
    auth.login(scenario.users["pol"])
    resp = upload(app, client, scenario.case.id, data, filename=filename, category=category)
    assert resp.status_code == 302, text_of(resp.text)[:300]
    return client.get(f"/casussen/{scenario.case.id}/documenten/{_last_item(app)}/download")


def _last_item(app):
    from sqlalchemy import text

    with app.extensions["mda_engine"].connect() as conn:
        return conn.execute(text("SELECT max(item_id) FROM document")).scalar()


def test_a_downloaded_word_document_carries_the_mark_in_every_header_and_still_opens(app, client, db, auth,
                                                                                   scenario):
    """Does a .docx come back as a Word file python-docx opens, its body intact, with "Vertrouwelijk — gedownload
    door <name> (<organisation>) op <time>" as the first line of every header of every section (also a section's
    own first-page header), so on every page?"""
    from docx import Document as WordDocument

    from tests.documents.conftest import make_word

    resp = _upload_and_download_as_police(app, client, auth, scenario, make_word(MARKER, sections=2), "brief.docx")
    assert resp.status_code == 200 and resp.headers["Content-Disposition"].endswith('-document-1.docx"')
    stamp = (f"Vertrouwelijk \u2014 gedownload door {scenario.users['pol'].name} ({scenario.orgs['POL'].name}) "
             "op 03-12-2026")
    word = WordDocument(io.BytesIO(resp.data))
    assert [p.text for p in word.paragraphs if p.text] == [MARKER, f"{MARKER} deel 2"]
    headers = [s.header for s in word.sections] + [word.sections[1].first_page_header]
    assert len(headers) == 3
    for header in headers:
        assert header.paragraphs[0].text.startswith(stamp), header.paragraphs[0].text
    assert word.core_properties.subject.startswith(stamp)


def test_a_downloaded_odt_carries_the_mark_in_every_page_style_and_stays_a_valid_package(app, client, db, auth,
                                                                                        scenario):
    """Does an .odt come back as an OpenDocument package (mimetype first and uncompressed, every part kept, the
    text intact) with the mark as the first paragraph of every master page's header; and an .odt without page
    styles with the mark as its first paragraph?"""
    import zipfile

    from lxml import etree

    from tests.documents.conftest import make_odt

    ns = {"style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
          "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0"}
    stamp = f"Vertrouwelijk \u2014 gedownload door {scenario.users['pol'].name} ({scenario.orgs['POL'].name})"
    original = make_odt(MARKER)
    resp = _upload_and_download_as_police(app, client, auth, scenario, original, "risico.odt")
    assert resp.status_code == 200
    package = zipfile.ZipFile(io.BytesIO(resp.data))
    first = package.infolist()[0]
    assert (first.filename, first.compress_type) == ("mimetype", zipfile.ZIP_STORED)
    assert package.namelist() == zipfile.ZipFile(io.BytesIO(original)).namelist()
    assert package.read("content.xml") == zipfile.ZipFile(io.BytesIO(original)).read("content.xml")
    pages = etree.fromstring(package.read("styles.xml")).findall(".//style:master-page", ns)
    assert len(pages) == 1
    assert pages[0].find("style:header/text:p", ns).text.startswith(stamp)
    resp = _upload_and_download_as_police(app, client, auth, scenario, make_odt(MARKER, page_styles=False), "kaal.odt")
    body = etree.fromstring(zipfile.ZipFile(io.BytesIO(resp.data)).read("content.xml"))
    paragraphs = [p.text for p in body.iter(f"{{{ns['text']}}}p")]
    assert paragraphs[0].startswith(stamp) and paragraphs[1:] == [MARKER]


def test_libreoffice_shows_the_mark_on_the_page_of_a_downloaded_word_and_odt(app, client, db, auth, scenario,
                                                                              tmp_path):
    """Rendered by LibreOffice to PDF, do the downloaded .docx and .odt show the mark and their own text (the
    files are not broken for a real word processor)?"""
    import shutil
    import subprocess

    import pytest

    from tests.documents.conftest import make_odt, make_word

    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice is niet geïnstalleerd")
    for name, data in (("brief.docx", make_word(MARKER)), ("risico.odt", make_odt(MARKER))):
        resp = _upload_and_download_as_police(app, client, auth, scenario, data, name)
        auth.logout()
        path = tmp_path / name
        path.write_bytes(resp.data)
        subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path}/lo-profile", "--headless",
                        "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)], check=True,
                       capture_output=True, timeout=120)
        text = PdfReader(tmp_path / (path.stem + ".pdf")).pages[0].extract_text()
        assert MARKER in text and "gedownload door" in text, (name, text)


def test_probing_another_case_s_document_through_ones_own_case_is_audited(app, client, db, auth, scenario,
                                                                          make_case):
    """Does asking for case A's document under a case the OM professional coordinates answer 404 on the page and
    the API, each with a denied audit row naming only the document's number?"""
    from tests.conftest import audit_rows

    doc = _police_report(app, client, db, auth, scenario)
    om = scenario.users["om"]
    own = make_case(om)
    auth.login(om)
    before = len(audit_rows(db, action="denied", object_type="document"))
    assert client.get(f"/api/v1/cases/{own.id}/documents/{doc.item_id}/download").status_code == 404
    assert client.get(f"/casussen/{own.id}/documenten/{doc.item_id}/download").status_code == 404
    rows = audit_rows(db, action="denied", object_type="document")[before:]
    assert len(rows) == 2 and all(r.object_id == str(doc.item_id) and r.user_id == om.id for r in rows)
    assert all("PV" not in r.summary and "Piet" not in r.summary for r in rows)
