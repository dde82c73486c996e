"""The Word export: what the exporting user may see, placeholders, family version, Word structure, audit."""

import io
import shutil
import subprocess
from datetime import date

import pytest
from docx import Document
from flask_babel import force_locale

from mda.core import sharing
from mda.organisations.models import Organisation
from mda.safety_plan import services, versions
from mda.safety_plan.export_docx import dutch_date
from tests.conftest import audit_rows, working_day

FUTURE = working_day(21)


@pytest.fixture
def plan(db, scenario):
    """Conditions, goals, a GGZ goal and action, an LT action and a family action; approved as version 1."""
    s = scenario
    ctx = sharing.load_context(db, s.case)
    services.add_entry(db, s.users["vt"], ctx, section="voorwaarde", text="Geen geweld waar de kinderen bij zijn",
                       party_organisation_id=s.orgs["VT"].id)
    services.add_entry(db, s.users["lt"], ctx, section="doel", text="Kinderen gaan elke dag naar school",
                       party_is_family=True)
    services.add_entry(db, s.users["ggz"], ctx, section="doel", text="GEHEIM-GGZ traumabehandeling moeder",
                       category="gezondheid")
    services.add_entry(db, s.users["pol"], ctx, section="signaal", text="Nieuwe melding van geweld",
                       detail="Politie komt direct", party_organisation_id=s.orgs["POL"].id)
    services.add_action(db, s.users["ggz"], ctx, description="GEHEIM-GGZ start EMDR", deadline=FUTURE,
                        owner_user_id=s.users["ggz"].id, category="gezondheid")
    services.add_action(db, s.users["lt"], ctx, description="ANDERE-ORG huisbezoek wijkteam", deadline=FUTURE,
                        owner_user_id=s.users["lt"].id)
    services.add_action(db, s.users["lt"], ctx, description="Moeder belt de huisarts", deadline=FUTURE,
                        owner_is_family=True)
    services.record_scores(db, s.users["coordinator"], ctx, meeting_id=None,
                           scores={s.orgs["VT"].id: 4, s.orgs["POL"].id: 5}, round_key="r1")
    version = versions.propose(db, s.users["coordinator"], ctx)
    versions.approve(db, s.users["coordinator"], ctx, version, expected_revision=version.revision, kind="overleg")
    db.commit()
    return s


def all_text(content: bytes) -> str:
    """Every paragraph, table cell, header and footer of a .docx, read back with python-docx."""
    doc = Document(io.BytesIO(content))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    for section in doc.sections:
        parts.extend(p.text for p in section.header.paragraphs)
        parts.extend(p.text for p in section.footer.paragraphs)
    return "\n".join(parts)


def test_export_holds_a_placeholder_where_the_user_lacks_a_basis(client, auth, plan):
    """Does the team lead's export show 'niet gedeeld' for GGZ content, and none of that content?"""
    auth.login(plan.users["lt_lead"])
    resp = client.get(f"/casussen/{plan.case.id}/plan/export.docx")
    assert resp.status_code == 200
    assert resp.mimetype == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    text = all_text(resp.data)
    assert "GEHEIM-GGZ" not in text and "EMDR" not in text
    assert "Niet gedeeld: geen toestemming voor GGZ-gegevens aan" in text
    assert "Geen geweld waar de kinderen bij zijn" in text and "ANDERE-ORG huisbezoek wijkteam" in text
    assert "Politie komt direct" in text


def test_the_source_organisation_exports_its_own_special_content(client, auth, db, plan, make_user):
    """Does a GGZ team lead's export contain the GGZ entries (own source)?"""
    lead = make_user(roles=("team_lead",), org=plan.orgs["GGZ"])
    auth.login(lead)
    text = all_text(client.get(f"/casussen/{plan.case.id}/plan/export.docx").data)
    assert "GEHEIM-GGZ traumabehandeling moeder" in text and "GEHEIM-GGZ start EMDR" in text


def test_the_family_version_holds_no_other_organisations_entries(client, auth, plan, db, make_user):
    """Does the family version (even exported by GGZ) hold conditions, goals and the family's own actions only?"""
    lead = make_user(roles=("team_lead",), org=plan.orgs["GGZ"])
    auth.login(lead)
    resp = client.get(f"/casussen/{plan.case.id}/plan/export-gezin.docx")
    assert resp.status_code == 200
    text = all_text(resp.data)
    assert "Geen geweld waar de kinderen bij zijn" in text and "Kinderen gaan elke dag naar school" in text
    assert "Moeder belt de huisarts" in text
    assert "ANDERE-ORG" not in text and "GEHEIM-GGZ" not in text and "Politie komt direct" not in text
    coordinator_org = db.get(Organisation, plan.users["coordinator"].organisation_id).name
    for org in plan.orgs.values():
        if org.name != coordinator_org:
            assert org.name not in text
    # the coordinator's organisation only as the contact person's, nowhere else
    assert [line for line in text.splitlines() if coordinator_org in line] == [
        line for line in text.splitlines() if "uw vaste contactpersoon:" in line]
    assert "Niet gedeeld" not in text
    assert 'filename="veiligheidsplan-gezin-' in resp.headers["Content-Disposition"]


def test_word_structure_header_page_numbers_headings_repeating_table_header(app, client, auth, plan):
    """Has the document 'Vertrouwelijk' in the header, a PAGE field, heading styles and tables whose header repeats?"""
    auth.login(plan.users["lt_lead"])
    resp = client.get(f"/casussen/{plan.case.id}/plan/export.docx")
    doc = Document(io.BytesIO(resp.data))
    assert doc.sections[0].header.paragraphs[0].text == "Vertrouwelijk"
    assert "PAGE" in doc.sections[0].footer._element.xml
    headings = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert {"Veiligheidsvoorwaarden", "Doelen", "Acties", "Signalen en terugvalscenario", "Monitoring",
            "Veiligheidsscores", "Versiegeschiedenis"} <= set(headings)
    actions = next(t for t in doc.tables if t.rows[0].cells[0].text == "Actie")
    assert [c.text for c in actions.rows[0].cells] == ["Actie", "Eigenaar", "Organisatie", "Termijn", "Status"]
    assert all('w:tblHeader w:val="true"' in t.rows[0]._tr.xml for t in doc.tables)
    text = all_text(resp.data)
    with app.app_context():
        assert dutch_date(FUTURE) in text and "Versie 1, vastgesteld op" in text
    assert f'filename="veiligheidsplan-{plan.case.reference}-v1.docx"' in resp.headers["Content-Disposition"]


def test_every_export_is_audited_and_outsiders_get_404(client, auth, plan, db):
    """Is each export audited, and does a team lead outside the circle get 404 (audited as denied)?"""
    auth.login(plan.users["lt_lead"])
    client.get(f"/casussen/{plan.case.id}/plan/export.docx")
    client.get(f"/casussen/{plan.case.id}/plan/export-gezin.docx")
    rows = audit_rows(db, action="export", object_type="safety_plan")
    assert len(rows) == 2 and all("GEHEIM" not in r.summary for r in rows)
    auth.logout()
    auth.login(plan.users["om_lead"])
    assert client.get(f"/casussen/{plan.case.id}/plan/export.docx").status_code == 404
    assert audit_rows(db, action="denied", user_id=plan.users["om_lead"].id)


def test_professionals_cannot_export(client, auth, plan):
    """Is the export for team leads and coordinators only (403 for a professional in the circle)?"""
    auth.login(plan.users["pol"])
    assert client.get(f"/casussen/{plan.case.id}/plan/export.docx").status_code == 403


def test_dutch_dates(app):
    """Are dates written the Dutch way (23 november 2026), by Flask-Babel in the app's locale?"""
    with app.app_context():
        assert dutch_date(date(2026, 11, 23)) == "23 november 2026"
        assert dutch_date(date(2027, 3, 1)) == "1 maart 2027"
        with force_locale("en"):  # the month names are Babel's, not a list of our own
            assert dutch_date(date(2027, 3, 1)) == "1 March 2027"


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_converts_the_document(client, auth, plan, tmp_path):
    """Does LibreOffice headless open the export and convert it to PDF (no repair needed)?"""
    auth.login(plan.users["lt_lead"])
    source = tmp_path / "plan.docx"
    source.write_bytes(client.get(f"/casussen/{plan.case.id}/plan/export.docx").data)
    subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path}/lo-profile", "--headless",
                    "--convert-to", "pdf", "--outdir", str(tmp_path), str(source)], check=True, timeout=120,
                   capture_output=True)
    assert (tmp_path / "plan.pdf").stat().st_size > 1000


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_pdf_export_when_libreoffice_is_installed(client, auth, plan, db):
    """With LibreOffice on the server, is the plan offered as PDF (with the case reference in the name), audited?"""
    auth.login(plan.users["lt_lead"])
    resp = client.get(f"/casussen/{plan.case.id}/plan/export.pdf")
    assert resp.status_code == 200 and resp.mimetype == "application/pdf" and resp.data.startswith(b"%PDF")
    assert f'filename="veiligheidsplan-{plan.case.reference}-v1.pdf"' in resp.headers["Content-Disposition"]
    assert any("PDF" in r.summary for r in audit_rows(db, action="export"))


def test_pdf_export_without_libreoffice_is_a_clear_404(client, auth, plan, monkeypatch):
    """Without LibreOffice, does asking for the PDF give a 404 (the Word export stays available)?"""
    from mda.safety_plan import export_pdf

    monkeypatch.setattr(export_pdf, "converter", lambda: None)
    auth.login(plan.users["lt_lead"])
    assert client.get(f"/casussen/{plan.case.id}/plan/export.pdf").status_code == 404
    assert client.get(f"/casussen/{plan.case.id}/plan/export.docx").status_code == 200


@pytest.mark.parametrize("url", ["export.docx", "export-gezin.docx"])
def test_the_document_properties_hold_the_export_time_and_the_case_reference_only(client, auth, db, scenario, url):
    """Do the Word properties say when the document was exported (by the app clock, not the template's 2013), with
    the case reference as title and no name of the exporter or the family anywhere in them?"""
    from datetime import UTC, datetime

    from mda.core import clock

    s = scenario
    exported_at = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)
    with clock.frozen(exported_at):  # years on: a session of today would have ended, so log in then
        auth.login(s.users["lt_lead"])
        resp = client.get(f"/casussen/{s.case.id}/plan/{url}")
    assert resp.status_code == 200
    properties = Document(io.BytesIO(resp.data)).core_properties
    assert properties.created == exported_at and properties.modified == exported_at
    assert properties.title == s.case.reference
    values = " ".join(str(getattr(properties, name) or "") for name in (
        "author", "category", "comments", "content_status", "identifier", "keywords", "language",
        "last_modified_by", "subject", "title", "version"))
    assert "python-docx" not in values and s.users["lt_lead"].name not in values
    assert s.persons and not any(p.name in values for p in s.persons.values())
    if url == "export.docx":
        assert "Geëxporteerd op 6 mei 2031" in all_text(resp.data)


def _exported_pieces(db, channel: str) -> list[str]:
    """The plan entries and actions ("regel:<id>", "actie:<id>") the export's view rows name, in audit_subject."""
    from sqlmodel import select

    from mda.core.audit_subjects import AuditSubject

    events = [r.id for r in audit_rows(db, action="view", object_type="safety_plan") if channel in r.summary]
    assert events, f"no view row for {channel}"
    return sorted({s.kind for s in db.exec(select(AuditSubject).where(AuditSubject.event_id.in_(events)))})


def test_the_family_exports_trail_names_exactly_what_the_document_holds(client, auth, plan, db, make_user):
    """Does the family export's audit name the two agreements, the signal and the family's own action it holds,
    and none of the plan's other entries and actions (which the exporting user could see but the document leaves
    out)?"""
    from sqlmodel import select

    from mda.safety_plan.models import PlanAction, PlanEntry

    lead = make_user(roles=("team_lead",), org=plan.orgs["GGZ"])
    auth.login(lead)
    assert client.get(f"/casussen/{plan.case.id}/plan/export-gezin.docx").status_code == 200
    entries = {e.text: e.id for e in db.exec(select(PlanEntry))}
    actions = {a.description: a.id for a in db.exec(select(PlanAction))}
    expected = sorted([f"regel:{entries['Geen geweld waar de kinderen bij zijn']}",
                       f"regel:{entries['Kinderen gaan elke dag naar school']}",
                       f"regel:{entries['Nieuwe melding van geweld']}",
                       f"actie:{actions['Moeder belt de huisarts']}"])
    assert _exported_pieces(db, "Word-export (gezin)") == expected


def test_the_professional_exports_trail_names_every_piece_it_shows(client, auth, plan, db, make_user):
    """Does the professional export's audit name every entry and action the document shows with content (the
    GGZ lead sees all seven), so that narrowing the family version did not narrow this one?"""
    lead = make_user(roles=("team_lead",), org=plan.orgs["GGZ"])
    auth.login(lead)
    assert client.get(f"/casussen/{plan.case.id}/plan/export.docx").status_code == 200
    pieces = _exported_pieces(db, "Word-export (professioneel)")
    assert len([p for p in pieces if p.startswith("regel:")]) == 4
    assert len([p for p in pieces if p.startswith("actie:")]) == 3


def test_the_word_cover_names_every_team_lead_who_approved(client, auth, db, scenario, make_user):
    """When two team leads approved a version, does the Word cover name both, each with their organisation,
    and not only the last?"""
    s = scenario
    pol_lead = make_user(roles=("team_lead",), org=s.orgs["POL"])
    ctx = sharing.load_context(db, s.case)
    services.add_entry(db, s.users["vt"], ctx, section="voorwaarde", text="Geen geweld")
    version = versions.propose(db, s.users["coordinator"], ctx)
    versions.approve(db, s.users["lt_lead"], ctx, version, expected_revision=version.revision, kind="teamleiders")
    versions.approve(db, pol_lead, ctx, version, expected_revision=version.revision, kind="teamleiders")
    db.commit()
    auth.login(s.users["coordinator"])
    text = all_text(client.get(f"/casussen/{s.case.id}/plan/export.docx").data)
    cover = next(line for line in text.splitlines() if line.startswith("Versie 1, vastgesteld"))
    assert f"{s.users['lt_lead'].name} (" in cover and f"{pol_lead.name} ({s.orgs['POL'].name})" in cover, cover
