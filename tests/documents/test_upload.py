"""Uploading a document: stored encrypted under a random name when it passes, nothing stored when refused."""

import io

from sqlmodel import select

from mda.cases.models import Item
from mda.documents.models import Document
from tests.conftest import audit_rows, audit_subjects, csrf_token, text_of
from tests.documents.conftest import EICAR, make_docx, make_pdf, stored


def upload(app, client, case_id, data: bytes, filename="Proces-verbaal Piet.pdf", category="justitie",
           persons=(), title=""):
    """POST the page form with a file, as the browser sends it."""
    return client.post(f"/casussen/{case_id}/documenten/nieuw", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(app, client), "file": (io.BytesIO(data), filename), "title": title,
        "category": category, "persons": [str(p) for p in persons]})


def test_the_police_uploads_a_report_stored_encrypted_under_a_random_name(app, client, db, auth, scenario):
    """Does an uploaded PDF become an item of its category and source, with a document row, stored encrypted
    in a file whose name is neither the user's file name nor anything they typed, and audited without the name?"""
    auth.login(scenario.users["pol"])
    marker = "MARKER-INCIDENT-4711"
    resp = upload(app, client, scenario.case.id, make_pdf(marker), persons=[scenario.persons["suspect"].id])
    assert resp.status_code == 302, text_of(resp.text)[:400]
    doc = db.exec(select(Document)).one()
    item = db.get(Item, doc.item_id)
    assert (item.category, item.source_organisation_id, item.content) == (
        "justitie", scenario.orgs["POL"].id, "Proces-verbaal Piet.pdf")
    assert (doc.content_type, doc.extension, doc.number, doc.scanned_with) == ("application/pdf", "pdf", 1, "clamav")
    blobs = stored(app)
    assert list(blobs) == [doc.storage_key] and "Piet" not in doc.storage_key
    assert marker.encode() not in blobs[doc.storage_key] and b"%PDF" not in blobs[doc.storage_key]  # encrypted
    created = audit_rows(db, action="create", object_type="document")
    assert len(created) == 1 and "Piet" not in created[0].summary and "Proces" not in created[0].summary
    named = audit_subjects(db, id=created[0].id)
    assert [(s.person_id, s.item_id) for _e, s in named] == [(scenario.persons["suspect"].id, doc.item_id)]


def _nothing_stored(app, db):
    db.expire_all()
    return not stored(app) and not db.exec(select(Document)).all() and not db.exec(
        select(Item).where(Item.content.contains("rapport"))).all()


def test_eicar_is_refused_with_a_dutch_message_and_nothing_stored(app, client, db, auth, scenario):
    """Is a file with the EICAR test virus (renamed to .pdf) refused in Dutch, nothing stored, the refusal audited?"""
    auth.login(scenario.users["pol"])
    resp = upload(app, client, scenario.case.id, EICAR, filename="rapport.pdf")
    assert resp.status_code == 422
    assert "Dit bestandstype wordt niet geaccepteerd" in text_of(resp.text)  # not even a type we take
    docx_with_virus = make_docx({"word/media/eicar.bin": EICAR})
    resp = upload(app, client, scenario.case.id, docx_with_virus, filename="rapport.docx")
    assert resp.status_code == 422
    assert "bevat een virus" in text_of(resp.text)
    assert _nothing_stored(app, db)
    refused = audit_rows(db, action="denied", object_type="document")
    assert [("virus gevonden" in r.summary) for r in refused] == [False, True]
    assert all("rapport" not in r.summary for r in refused)


def test_a_scanner_that_cannot_be_reached_refuses_the_upload(app, client, db, auth, scenario, tmp_path):
    """With clamd unreachable, is a clean document refused (fail closed) with a Dutch message and nothing stored?"""
    app.config["CLAMD_ADDRESS"] = str(tmp_path / "no-clamd.sock")
    auth.login(scenario.users["pol"])
    resp = upload(app, client, scenario.case.id, make_pdf(), filename="rapport.pdf")
    assert resp.status_code == 503
    assert "virusscanner is op dit moment niet bereikbaar" in text_of(resp.text)
    assert _nothing_stored(app, db)
    assert len(audit_rows(db, action="denied", object_type="document")) == 1


def test_too_large_files_get_the_dutch_413_before_anything_is_read(app, client, db, auth, scenario):
    """Is a file over the limit, and a request declaring 1 GB, answered with a Dutch 413 naming the limit?"""
    auth.login(scenario.users["pol"])
    big = make_pdf() + b"\n%" + b"x" * (2 * 1024 * 1024)
    resp = upload(app, client, scenario.case.id, big, filename="rapport.pdf")
    assert resp.status_code == 413
    assert "hoogstens 2 MB" in text_of(resp.text)
    resp = client.post(f"/casussen/{scenario.case.id}/documenten/nieuw", input_stream=io.BytesIO(b"--x--"),
                       environ_overrides={"CONTENT_LENGTH": str(1024 ** 3),
                                          "CONTENT_TYPE": "multipart/form-data; boundary=x"})
    assert resp.status_code == 413
    assert "hoogstens 2 MB" in text_of(resp.text)
    assert _nothing_stored(app, db)


def test_hostile_names_and_types_through_the_page_store_nothing(app, client, db, auth, scenario):
    """Are a macro DOCX, HTML renamed to .pdf, 0 bytes, '../' and NUL in the name each refused in Dutch (422)?"""
    auth.login(scenario.users["pol"])
    cases = [(make_docx({"word/vbaProject.bin": b"macro"}), "rapport.docx", "macro"),
             (b"<html><script>alert(1)</script></html>", "rapport.pdf", "HTML"),
             (b"", "rapport.pdf", "leeg"),
             (make_pdf(), "../../rapport.pdf", "mapnamen"),
             (make_pdf(), "rapport\x00.pdf", "stuurtekens")]
    for data, name, phrase in cases:
        resp = upload(app, client, scenario.case.id, data, filename=name)
        assert resp.status_code == 422, (name, resp.status_code)
        assert phrase in text_of(resp.text), (name, text_of(resp.text)[:300])
    assert _nothing_stored(app, db)


def test_the_api_takes_a_document_and_refuses_a_hostile_one(app, client, db, auth, scenario):
    """Does the JSON API store a document (201, no title in the answer) and refuse a macro file with Dutch JSON?"""
    auth.login(scenario.users["pol"])
    url = f"/api/v1/cases/{scenario.case.id}/documents"
    headers = {"X-CSRFToken": csrf_token(app, client)}
    resp = client.post(url, headers=headers, content_type="multipart/form-data", data={
        "file": (io.BytesIO(make_docx()), "Brief school.docx"), "category": "risicosignalen",
        "person_ids": [str(scenario.persons["victim"].id)]})
    assert resp.status_code == 201, resp.text
    body = resp.get_json()
    assert body["number"] == 1 and body["content_type"].endswith("wordprocessingml.document")
    assert "Brief" not in resp.text
    resp = client.post(url, headers=headers, content_type="multipart/form-data", data={
        "file": (io.BytesIO(make_docx({"word/vbaProject.bin": b"m"})), "x.docm"), "category": "risicosignalen"})
    assert resp.status_code == 422 and "macro" in resp.get_json()["message"]
    assert len(stored(app)) == 1


def test_the_demo_switch_skips_the_scan_for_demo_accounts_only(app, client, db, auth, scenario, tmp_path):
    """With MDA_INSECURE_DEMO_SKIP_SCAN on and no clamd, is a real account's upload still refused while a demo
    account's is stored, marked as not scanned?"""
    from mda.auth.models import User

    app.config.update(INSECURE_DEMO_SKIP_SCAN=True, CLAMD_ADDRESS=str(tmp_path / "no-clamd.sock"))
    auth.login(scenario.users["pol"])
    assert upload(app, client, scenario.case.id, make_pdf(), filename="a.pdf").status_code == 503
    auth.logout()
    demo = db.get(User, scenario.users["lt"].id)
    demo.is_demo = True
    db.add(demo)
    db.commit()
    auth.login(demo)
    assert upload(app, client, scenario.case.id, make_pdf(), filename="a.pdf",
                  category="risicosignalen").status_code == 302
    assert [d.scanned_with for d in db.exec(select(Document))] == ["uitgeschakeld (demo)"]


def test_a_damaged_picture_or_pdf_is_refused_at_upload_with_the_input_kept(app, client, db, auth, scenario):
    """Is a PNG cut short after 60 bytes, a JPEG cut in half and a PDF whose page qpdf cannot decode each refused
    in Dutch as damaged (422), nothing stored, the refusal audited, and the title the user typed still in the form
    (rather than accepted and then never downloadable)?"""
    from tests.documents.conftest import make_damaged_pdf, make_picture

    auth.login(scenario.users["pol"])
    jpeg = make_picture("JPEG")
    for data, name in [(make_picture("PNG")[:60], "foto.png"), (jpeg[:len(jpeg) // 2], "foto.jpg"),
                       (make_damaged_pdf(), "rapport.pdf")]:
        resp = upload(app, client, scenario.case.id, data, filename=name, category="risicosignalen",
                      title="Titel-BEWAARD-42")
        assert resp.status_code == 422, (name, text_of(resp.text)[:300])
        assert "Het bestand is beschadigd en kan niet worden geopend" in text_of(resp.text), name
        assert 'value="Titel-BEWAARD-42"' in resp.text, name
    assert _nothing_stored(app, db)
    refused = audit_rows(db, action="denied", object_type="document")
    assert len(refused) == 3 and all("beschadigd" in r.summary and "foto" not in r.summary for r in refused)
