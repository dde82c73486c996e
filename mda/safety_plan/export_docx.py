"""The plan as a Word document (python-docx): a professional version and a family version.

Both are built from :mod:`mda.safety_plan.views`, so a user sees in the document exactly what
the engine lets them see on the page, with the same "niet gedeeld" placeholders. Every export
writes an ``export`` audit row (and the view rows per basis) in the request's unit of work.

Word details that matter to readers: "Vertrouwelijk" in every page header, page numbers in
the footer (a PAGE field), built-in heading styles (Word's navigation pane), real tables whose
header row repeats on every page, Dutch dates, and a file name with the case reference and
the plan version.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from sqlmodel import Session, select

from mda.auth.models import User
from mda.core import audit, sharing
from mda.core.input_guard import clean_text
from mda.core.timeutil import to_local, utcnow
from mda.safety_plan import services, views
from mda.safety_plan.models import APPROVAL_KINDS, PLAN_CATEGORY, PlanVersion

MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober",
          "november", "december")


def dutch_date(value: date | datetime | None) -> str:
    """``23 november 2026`` (a datetime is shown in Europe/Amsterdam)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_local(value).date()
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


@dataclass
class ExportedDocument:
    """A generated document and the name to save it under."""

    content: bytes
    filename: str


# ----------------------------------------------------------------------------- Word helpers
# Every string enters the document through clean_text: a row stored before the text rule (or by a
# channel that bypassed the ORM) may hold a control character, which python-docx refuses with an error.
def _paragraph(doc, text: str = ""):
    return doc.add_paragraph(clean_text(text))


def _heading(doc, text: str, level: int):
    return doc.add_heading(clean_text(text), level=level)


def new_document(title: str) -> Document:
    """A document with "Vertrouwelijk" in the header and page numbers in the footer."""
    doc = Document()
    doc.core_properties.title = title
    doc.core_properties.author = "MDA++"
    doc.styles["Normal"].font.name = "Calibri"
    doc.styles["Normal"].font.size = Pt(11)
    section = doc.sections[0]
    header = section.header.paragraphs[0]
    header.text = "Vertrouwelijk"
    header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    header.runs[0].bold = True
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run("Pagina ")
    _field(footer, "PAGE")
    footer.add_run(" van ")
    _field(footer, "NUMPAGES")
    return doc


def _field(paragraph, instruction: str) -> None:
    """A Word field (PAGE, NUMPAGES) that Word and LibreOffice fill in."""
    run = paragraph.add_run()
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    text = OxmlElement("w:t")
    text.text = "1"
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    for element in (begin, instr, separate, text, end):
        run._r.append(element)


def table(doc, headers: list[str], rows: list[list[str]], widths: list[float] | None = None):
    """A real Word table with a bold header row that repeats on every page."""
    tbl = doc.add_table(rows=1, cols=len(headers))
    tbl.style = "Table Grid"
    header_row = tbl.rows[0]
    tr_pr = header_row._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    tr_pr.append(repeat)
    for cell, text in zip(header_row.cells, headers, strict=True):
        cell.text = ""
        cell.paragraphs[0].add_run(clean_text(text)).bold = True
    for values in rows:
        for cell, text in zip(tbl.add_row().cells, values, strict=True):
            cell.text = clean_text(text)
    if widths:
        tbl.autofit = False
        # a fixed layout (autofit off) makes Word and LibreOffice both follow the grid's widths
        for column, width in zip(tbl.columns, widths, strict=True):
            column.width = Cm(width)
        for cell, width in zip(header_row.cells, widths, strict=True):
            cell.width = Cm(width)
    doc.add_paragraph()
    return tbl


# ----------------------------------------------------------------------------- content
def _version_line(view: views.PlanView, names: dict[int, str]) -> tuple[str, str]:
    """(label for the file name, sentence for the cover) about the plan's version and approval."""
    latest = view.latest_approved
    if latest is None:
        return "concept", "Concept: dit plan is nog niet vastgesteld."
    how = APPROVAL_KINDS.get(latest.approval_kind or "", "")
    sentence = (f"Versie {latest.number}, vastgesteld op {dutch_date(latest.approved_at)} "
                f"({how.lower()}; vastgelegd door {names.get(latest.approved_by_id, 'onbekend')}).")
    if not view.is_approved_as_is:
        return f"v{latest.number}-concept", (sentence + " Het plan is daarna gewijzigd; die wijzigingen zijn "
                                             "nog niet vastgesteld.")
    return f"v{latest.number}", sentence


def _entry_text(entry: views.EntryView) -> str:
    text = entry.text if entry.text is not None else entry.placeholder
    return f"{text} [In escalatie: wijzigen pas na het besluit]" if getattr(entry, "locked", False) else text


def _shown(value: str | None, entry) -> str:
    return value if entry.decision.visible else "(niet gedeeld)"


def build(db: Session, user: User, ctx: sharing.CaseContext, *, kind: str = "professioneel",
          file_format: str = "docx") -> ExportedDocument:
    """Build the professional (``professioneel``) or family (``gezin``) version, audited as an export
    (*file_format* names what the user receives: ``docx``, or ``pdf`` converted from it)."""
    view = views.plan_view(db, user, ctx, channel=f"Word-export ({kind})", per_page=None, with_versions=False)
    for rows in view.entries.values():  # mark what an open escalation disputes (locked)
        for entry in rows:
            entry.locked = services.entry_is_locked(db, entry)
    view.versions = list(db.exec(select(PlanVersion).where(PlanVersion.case_id == ctx.case.id)
                                 .order_by(PlanVersion.id.desc()).limit(100)))
    names = views.user_names(db, {user.id} | {v.approved_by_id for v in view.versions}
                             | {v.proposed_by_id for v in view.versions})
    label, version_sentence = _version_line(view, names)
    reference = ctx.case.reference
    if kind == "gezin":
        doc = _family(view, reference, version_sentence)
        filename = f"veiligheidsplan-gezin-{reference}-{label}.docx"
    else:
        doc = _professional(view, user, ctx, reference, version_sentence, names)
        filename = f"veiligheidsplan-{reference}-{label}.docx"
    buffer = io.BytesIO()
    doc.save(buffer)
    audit.record(db, "export", user=user, object_type="safety_plan", object_id=ctx.case.id, case_id=ctx.case.id,
                 summary=f"veiligheidsplan {reference} geëxporteerd naar {'PDF' if file_format == 'pdf' else 'Word'} "
                         f"({kind}, {label})")
    return ExportedDocument(buffer.getvalue(), filename)


def _professional(view: views.PlanView, user: User, ctx, reference: str, version_sentence: str,
                  names: dict[int, str]) -> Document:
    doc = new_document(f"Veiligheidsplan {reference}")
    _heading(doc, f"Veiligheidsplan casus {reference}", 0)
    _paragraph(doc, version_sentence)
    _paragraph(doc, f"Geëxporteerd op {dutch_date(utcnow())} door {user.name} "
                    f"({ctx.org_names.get(user.organisation_id, '')}).")
    _paragraph(doc, "Dit document bevat alleen wat de exporterende gebruiker mag zien. Onderdelen zonder "
                    "grondslag zijn vervangen door 'Niet gedeeld' met de reden. Bewaar en deel dit document "
                      "alleen volgens het privacyconvenant.")
    doc.add_page_break()
    entries = view.entries
    _heading(doc, "Zorgen en wat goed gaat", 1)
    for code, title in (("zorg", "Zorgen"), ("gaat_goed", "Wat gaat goed")):
        _heading(doc, title, 2)
        table(doc, ["Zorg" if code == "zorg" else title, "Genoemd door"],
              [[_entry_text(e), _shown(e.party, e) or ""] for e in entries.get(code, [])] or [["(geen)", ""]])
    _heading(doc, "Veiligheidsvoorwaarden", 1)
    _paragraph(doc, "Gesteld door Veilig Thuis. Over deze voorwaarden wordt niet onderhandeld.")
    table(doc, ["Voorwaarde", "Gesteld door"],
          [[_entry_text(e), _shown(e.party, e) or ""] for e in entries.get("voorwaarde", [])] or [["(geen)", ""]])
    _heading(doc, "Doelen", 1)
    table(doc, ["Doel", "Genoemd door"],
          [[_entry_text(e), _shown(e.party, e) or ""] for e in entries.get("doel", [])] or [["(geen)", ""]])
    _heading(doc, "Acties", 1)
    table(doc, ["Actie", "Eigenaar", "Organisatie", "Termijn", "Status"],
          [[a.description if a.description is not None else a.placeholder,
            _shown(a.owner, a) or "", _shown(a.owner_organisation, a) or "", dutch_date(a.deadline),
            a.status_name + (f": {a.failure_reason_name}" if a.failure_reason_name else "")
            + (" (termijn verstreken)" if a.overdue else "")] for a in view.actions] or [["(geen)", "", "", "", ""]],
          widths=[5.6, 2.8, 2.8, 2.4, 2.4])  # 16 cm: the text width of A4 with default margins
    _heading(doc, "Signalen en terugvalscenario", 1)
    table(doc, ["Signaal", "Wat gebeurt er dan", "Wie handelt"],
          [[_entry_text(e), _shown(e.detail, e) or "", _shown(e.party, e) or ""]
           for e in entries.get("signaal", [])] or [["(geen)", "", ""]])
    _heading(doc, "Monitoring", 1)
    table(doc, ["Wat wordt gevolgd", "Welke voorwaarde", "Wie houdt toezicht"],
          [[_entry_text(e), _shown(e.detail, e) or "", _shown(e.party, e) or ""]
           for e in entries.get("monitoring", [])] or [["(geen)", "", ""]])
    next_evaluation = view.plan.next_evaluation_on if view.plan else None
    _paragraph(doc, f"Volgende evaluatie: {dutch_date(next_evaluation) if next_evaluation else 'nog niet gepland'}.")
    _heading(doc, "Veiligheidsscores", 1)
    if view.scores:
        organisations = sorted({org for _when, scores in view.scores for org in scores})
        table(doc, ["Datum", *organisations, "Gemiddeld", "Verloop"],
              [[when, *[str(scores.get(o, "")) for o in organisations], f"{_mean(scores):.1f}",
                "■" * round(_mean(scores)) + "□" * (10 - round(_mean(scores)))] for when, scores in view.scores])
    else:
        _paragraph(doc, "Er zijn nog geen veiligheidsscores gegeven.")
    _heading(doc, "Versiegeschiedenis", 1)
    table(doc, ["Versie", "Status", "Voorgesteld", "Vastgesteld"],
          [[str(v.number) if v.number else f"voorstel {v.id}", v.status_name,
            f"{dutch_date(v.proposed_at)} door {names.get(v.proposed_by_id, '')}",
            (f"{dutch_date(v.approved_at)}, {APPROVAL_KINDS.get(v.approval_kind or '', '').lower()}"
             if v.approved_at else "")] for v in view.versions] or [["(geen)", "", "", ""]])
    return doc


def _mean(scores: dict[str, int]) -> float:
    return sum(scores.values()) / len(scores) if scores else 0.0


def _family(view: views.PlanView, reference: str, version_sentence: str) -> Document:
    """Plain Dutch (B1): the safety agreements, the goals and what the family itself does.

    Only plan content of the ordinary plan category that the exporting user may see; nothing
    of which organisation said or does what, no internal notes, no other organisations' actions.
    """

    def family_safe(entry) -> bool:
        return entry.decision.visible and entry.category == PLAN_CATEGORY

    doc = new_document(f"Veiligheidsplan gezin {reference}")
    _heading(doc, "Ons veiligheidsplan", 0)
    _paragraph(doc, f"Nummer van het plan: {reference}. {version_sentence.split('(')[0].strip()}")
    _paragraph(doc, "In dit plan staan de afspraken over veiligheid in uw gezin. Iedereen houdt zich aan deze "
                    "afspraken. Heeft u vragen? Bel dan uw vaste contactpersoon.")
    _heading(doc, "Afspraken over veiligheid", 1)
    _paragraph(doc, "Deze afspraken zijn altijd geldig. Hierover kunnen we niet onderhandelen.")
    conditions = [e.text for e in view.entries.get("voorwaarde", []) if family_safe(e)]
    table(doc, ["Afspraak"], [[t] for t in conditions] or [["Er zijn nog geen afspraken."]])
    _heading(doc, "Waar we samen aan werken", 1)
    goals = [e.text for e in view.entries.get("doel", []) if family_safe(e)]
    table(doc, ["Doel"], [[t] for t in goals] or [["Er zijn nog geen doelen."]])
    _heading(doc, "Wat u zelf doet", 1)
    own = [a for a in view.actions if a.owner_is_family and a.decision.visible and a.category == PLAN_CATEGORY]
    table(doc, ["Wat", "Wanneer klaar", "Hoe staat het ervoor"],
          [[a.description, dutch_date(a.deadline), a.status_name] for a in own]
          or [["Er staan nog geen acties voor u in het plan.", "", ""]])
    next_evaluation = view.plan.next_evaluation_on if view.plan else None
    _heading(doc, "Wanneer kijken we opnieuw?", 1)
    _paragraph(doc, f"We bespreken het plan weer op {dutch_date(next_evaluation)}." if next_evaluation
                    else "We spreken nog af wanneer we het plan opnieuw bespreken.")
    return doc
