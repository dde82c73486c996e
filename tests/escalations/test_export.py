"""The Word export of the plan marks a condition that is in escalation."""

import io

import pytest
from docx import Document

from mda.escalations import services
from mda.escalations.models import Escalation
from mda.safety_plan import export_docx

pytestmark = pytest.mark.usefixtures("in_app")


def _cells(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    return " ".join(c.text for t in doc.tables for r in t.rows for c in r.cells)


def test_the_word_export_marks_the_disputed_condition_until_the_decision(db, raise_on, condition, ladder_people,
                                                                        ctx_of):
    """Does the Word export say 'In escalatie' beside the disputed condition, and no longer after the decision?"""
    s = ladder_people
    esc = raise_on(condition)
    cells = _cells(export_docx.build(db, s.users["vt_lead"], ctx_of(s.case)).content)
    assert "GEHEIM-VOORWAARDE Vader heeft geen contact met de kinderen [In escalatie" in cells
    services.decide(db, s.users["vt_lead"], ctx_of(s.case), db.get(Escalation, esc.id), decision="Blijft",
                    reasons="Onderzoek loopt")
    db.commit()
    assert "In escalatie" not in _cells(export_docx.build(db, s.users["vt_lead"], ctx_of(s.case)).content)
