"""CSV injection: no cell of any CSV the application writes can start a spreadsheet formula."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from mda.core.csvsafe import csv_text, safe_cell
from tests.conftest import form_post

HOSTILE = ["=HYPERLINK(\"http://x\",\"klik\")", "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3", "\tstart", "\r=1"]


@pytest.mark.parametrize("value", HOSTILE)
def test_formula_prefixes_are_neutralised(value):
    """Is every formula prefix (=, +, -, @, tab, CR) written as text with a leading apostrophe?"""
    assert safe_cell(value) == "'" + value
    assert list(csv.reader(io.StringIO(csv_text([[value]]), newline=""), delimiter=";"))[0][0] == "'" + value


def test_harmless_cells_are_unchanged():
    """Are ordinary text, numbers, dates and lists written as they are?"""
    from datetime import date

    assert [safe_cell(v) for v in ("Anna", 12, None, date(2026, 1, 2), ["a", "b"])] == [
        "Anna", "12", "", "2026-01-02", "a, b"]


def test_every_csv_writer_uses_the_one_helper():
    """Does no module but mda/core/csvsafe.py create a csv.writer (so no CSV escapes the helper)?"""
    root = Path(__file__).resolve().parents[2] / "mda"
    writers = [p.relative_to(root).as_posix() for p in root.rglob("*.py") if re.search(r"csv\.(writer|DictWriter)\(",
                                                                                      p.read_text())]
    assert writers == ["core/csvsafe.py"]


def test_audit_csv_neutralises_the_user_column_of_an_anonymous_login(app, client, db, make_user):
    """Does an anonymous login attempt typed as a formula reach the privacy officer's CSV as text in
    every column (the user column too, which the attacker fills)?"""
    from tests.conftest import AuthActions

    form_post(app, client, "/login", {"email": "=HYPERLINK(\"http://evil\")", "password": "x"})
    officer = make_user(roles=("privacy_officer",))
    AuthActions(app, client, db).login(officer)
    content = client.get("/privacy/audit.csv?action=login_failed").data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(content), delimiter=";"))
    assert len(rows) >= 2
    for row in rows[1:]:
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row), row
    assert any(cell.startswith("'=HYPERLINK") for row in rows[1:] for cell in row)
