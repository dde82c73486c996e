"""The one text rule (control characters cleaned when stored) on forms and API, and exports that never fail on
stored text."""

import io
from datetime import date

import pytest
from docx import Document
from sqlmodel import select, update

from mda.core import sharing
from mda.core.input_guard import clean_text
from mda.safety_plan import export_docx, export_pdf, services
from mda.safety_plan.models import PlanAction, PlanEntry
from tests.cases.conftest import api_post
from tests.conftest import form_post

DEADLINE = date(2099, 1, 15)


def test_the_rule_cleans_what_no_document_can_hold():
    """Does the text rule turn Word's manual line break (vertical tab) into a newline and drop other control
    characters and lone surrogates, keeping tab, newline, carriage return and ordinary Dutch text?"""
    assert clean_text("Eén\x0btwee\x0cdrie") == "Eén\ntwee\ndrie"
    assert clean_text("a\x01b\x1fc\ud800d\ufffe") == "abcd"
    assert clean_text("tab\tregel\r\nëü €") == "tab\tregel\r\nëü €"


def test_a_plan_line_with_a_control_character_from_the_form_is_stored_clean(app, client, auth, db, scenario):
    """Is a plan line pasted with a vertical tab into the plan form stored with a newline instead?"""
    auth.login(scenario.users["lt"])
    resp = form_post(app, client, f"/casussen/{scenario.case.id}/plan/regels",
                     {"section": "zorg", "text": "Vader drinkt\x0bveel\x01", "party": ""})
    assert resp.status_code == 302, resp.text[:500]
    db.expire_all()
    assert db.exec(select(PlanEntry.text)).one() == "Vader drinkt\nveel"


def test_an_action_with_a_control_character_from_the_api_is_stored_clean(app, client, auth, db, scenario):
    """Is an API action whose description holds a vertical tab stored (and answered) without it?"""
    auth.login(scenario.users["lt"])
    resp = api_post(app, client, f"/api/v1/cases/{scenario.case.id}/plan/actions",
                    {"description": "Huisbezoek\x0bmet school\x08", "deadline": DEADLINE.isoformat(),
                     "owner_user_id": scenario.users["lt"].id})
    assert resp.status_code == 201, resp.json
    assert resp.json["description"] == "Huisbezoek\nmet school"
    db.expire_all()
    assert db.exec(select(PlanAction.description)).one() == "Huisbezoek\nmet school"


@pytest.fixture
def stored_with_control_characters(db, scenario):
    """A plan line and an action whose stored text holds control characters, written past the ORM (as rows
    stored before the text rule are)."""
    ctx = sharing.load_context(db, scenario.case)
    entry = services.add_entry(db, scenario.users["lt"], ctx, section="voorwaarde", text="placeholder")
    action = services.add_action(db, scenario.users["lt"], ctx, description="placeholder", deadline=DEADLINE,
                                 owner_user_id=scenario.users["lt"].id)
    db.commit()
    db.exec(update(PlanEntry).where(PlanEntry.id == entry.id).values(text="Geen\x0bgeweld\x02", detail="\x1b"))
    db.exec(update(PlanAction).where(PlanAction.id == action.id).values(description="Bel\x0bschool\x07"))
    db.commit()
    db.expire_all()
    assert "\x0b" in db.get(PlanEntry, entry.id).text  # the rows really hold the characters
    return scenario


@pytest.mark.parametrize("url", ["export.docx", "export-gezin.docx"])
def test_the_word_export_does_not_fail_on_stored_control_characters(client, auth, stored_with_control_characters,
                                                                    url):
    """Does a Word export of a plan whose stored rows hold control characters open, with the text cleaned?"""
    s = stored_with_control_characters
    auth.login(s.users["lt_lead"])
    resp = client.get(f"/casussen/{s.case.id}/plan/{url}")
    assert resp.status_code == 200
    doc = Document(io.BytesIO(resp.data))
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    assert "Geen\ngeweld" in cells
    if url == "export.docx":
        assert "Bel\nschool" in cells


def test_the_pdf_export_does_not_fail_on_stored_control_characters(client, auth, stored_with_control_characters,
                                                                   monkeypatch):
    """Does the PDF export (converted from the Word document) answer 200 for rows holding control characters?"""
    s = stored_with_control_characters
    converted = []

    def fake_pdf(document):
        converted.append(Document(io.BytesIO(document.content)))
        return export_docx.ExportedDocument(b"%PDF-1.7 test", document.filename.removesuffix(".docx") + ".pdf")

    monkeypatch.setattr(export_pdf, "converter", lambda: "/usr/bin/soffice")
    monkeypatch.setattr(export_pdf, "to_pdf", fake_pdf)
    auth.login(s.users["lt_lead"])
    resp = client.get(f"/casussen/{s.case.id}/plan/export.pdf")
    assert resp.status_code == 200 and resp.data.startswith(b"%PDF")
    assert len(converted) == 1
