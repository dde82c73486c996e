"""The Word export at A4: equal table widths, columns wide enough for their words, Dutch as the document
language, and the scores as a table of organisations by round."""

import io
import re

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Cm

from mda.core import sharing
from mda.safety_plan import services
from mda.safety_plan.export_docx import SCORE_ROUNDS, TEXT_WIDTH_CM
from tests.safety_plan.test_export import plan  # noqa: F401 - the fixture

#: a generous estimate of the width of one character of Calibri 11 pt, bold (cm), and a cell's two margins
CHAR_CM = 0.21
CELL_MARGINS_CM = 0.4


def _export(client, auth, s, url="export.docx"):
    auth.login(s.users["lt_lead"])
    resp = client.get(f"/casussen/{s.case.id}/plan/{url}")
    assert resp.status_code == 200
    return resp.data


def _cell_widths_cm(table) -> list[list[float]]:
    """The width (cm) of every cell, row by row, as Word reads it (w:tcW in twips)."""
    return [[int(tc.find(qn("w:tcPr")).find(qn("w:tcW")).get(qn("w:w"))) / 567 for tc in row._tr.tc_lst]
            for row in table.rows]


@pytest.mark.parametrize("url", ["export.docx", "export-gezin.docx"])
def test_every_table_is_exactly_the_text_width_with_a_fixed_layout(client, auth, plan, url):  # noqa: F811
    """Is every table (actions included) as wide as the A4 text, in the table, its grid and each row's cells?"""
    doc = Document(io.BytesIO(_export(client, auth, plan, url)))
    assert doc.tables
    for table in doc.tables:
        tbl_pr = table._tbl.tblPr
        assert tbl_pr.find(qn("w:tblLayout")).get(qn("w:type")) == "fixed"
        assert int(tbl_pr.find(qn("w:tblW")).get(qn("w:w"))) == pytest.approx(Cm(TEXT_WIDTH_CM).twips, abs=2)
        grid = [int(col.get(qn("w:w"))) for col in table._tbl.tblGrid.findall(qn("w:gridCol"))]
        assert sum(grid) == pytest.approx(Cm(TEXT_WIDTH_CM).twips, abs=len(grid) + 2)
        for row in _cell_widths_cm(table):
            assert sum(row) == pytest.approx(TEXT_WIDTH_CM, abs=0.05)


def _score_rounds(db, s, count: int = 6) -> list[int]:
    """*count* scoring rounds in all (the fixture's first one included) by four organisations; their ids."""
    ctx = sharing.load_context(db, s.case)
    orgs = [s.orgs[code].id for code in ("VT", "POL", "GGZ", "LT")]
    for number in range(2, count + 1):
        services.record_scores(db, s.users["coordinator"], ctx, meeting_id=None,
                               scores={org: (number + i) % 10 + 1 for i, org in enumerate(orgs)},
                               round_key=f"r{number}")
    db.commit()
    return orgs


@pytest.mark.parametrize("url", ["export.docx", "export-gezin.docx"])
@pytest.mark.parametrize("rounds", [1, 6])
def test_no_column_is_narrower_than_its_longest_word(client, auth, plan, db, url, rounds):  # noqa: F811
    """Does every word of every cell (e.g. 'Organisatie', 'Gemiddeld', a date, a status) fit its column, also
    with four organisations scoring in six rounds, so that Word breaks lines between words and never inside one?"""
    _score_rounds(db, plan, rounds)
    doc = Document(io.BytesIO(_export(client, auth, plan, url)))
    for table in doc.tables:
        widths = _cell_widths_cm(table)
        for row, row_widths in zip(table.rows, widths, strict=True):
            for cell, width in zip(row.cells, row_widths, strict=True):
                for word in re.findall(r"\S+", cell.text):
                    assert len(word) * CHAR_CM + CELL_MARGINS_CM <= width, (word, width)


@pytest.mark.parametrize("url", ["export.docx", "export-gezin.docx"])
def test_the_document_language_is_dutch(client, auth, plan, url):  # noqa: F811
    """Is nl-NL the language of the run defaults and of every style that names one (no en-US left), so that Word
    checks the spelling as Dutch?"""
    content = _export(client, auth, plan, url)
    doc = Document(io.BytesIO(content))
    styles = doc.styles.element
    default = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr")).find(qn("w:lang"))
    assert default.get(qn("w:val")) == "nl-NL"
    languages = {el.get(qn("w:val")) for part in (styles, doc.element) for el in part.iter(qn("w:lang"))}
    assert languages == {"nl-NL"}
    assert doc.core_properties.language == "nl-NL"


def test_scores_have_organisations_as_rows_and_the_latest_rounds_as_columns(client, auth, plan, db):  # noqa: F811
    """With five organisations and six rounds, does the score table keep one row per organisation, the latest
    rounds as columns (no more than fit A4), a 'Gemiddeld' row with a decimal comma, and say that older rounds
    were left out?"""
    orgs = _score_rounds(db, plan, 6)
    ctx = sharing.load_context(db, plan.case)
    doc = Document(io.BytesIO(_export(client, auth, plan)))
    scores = next(t for t in doc.tables if t.rows[0].cells[0].text == "Organisatie" and len(t.columns) > 2)
    assert len(scores.columns) == 1 + SCORE_ROUNDS
    names = [row.cells[0].text for row in scores.rows[1:]]
    assert names[-1] == "Gemiddeld" and len(names) == len(orgs) + 1
    assert {ctx.org_names[o] for o in orgs} == set(names[:-1])
    assert all("," in cell.text for cell in scores.rows[-1].cells[1:])
    assert any(f"De laatste {SCORE_ROUNDS} van 6 scorerondes" in p.text for p in doc.paragraphs)
