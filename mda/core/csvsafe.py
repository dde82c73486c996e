"""Every CSV the application writes goes through here: no cell can start a spreadsheet formula.

A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read as a
formula by Excel and LibreOffice (CSV injection: ``=HYPERLINK(...)``, ``+cmd|...``,
``@SUM(...)``, ``-2+3``). Such a cell gets a leading apostrophe, which spreadsheets show
as "text" and do not evaluate. Every cell is neutralised, not only those we think a user
fills: an anonymous login attempt fills the user column of the audit trail.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date, datetime

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """*value* as CSV cell text that a spreadsheet will not evaluate."""
    if value is None:
        text = ""
    elif isinstance(value, (list, tuple, set, frozenset)):
        text = ", ".join(str(v) for v in value)
    elif isinstance(value, (date, datetime)):
        text = value.isoformat()
    else:
        text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def csv_text(rows: Iterable[Iterable], delimiter: str = ";") -> str:
    """*rows* as CSV text (semicolon-separated by default, as Dutch Excel expects), every cell made safe."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return out.getvalue()
