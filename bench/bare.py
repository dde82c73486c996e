"""The baseline: a bare Flask + SQLAlchemy page doing the case page's read and render, nothing else.

It reads one case, its persons and its items (three indexed queries) and renders them in a
small template, without login, sharing decisions, audit or the site layout. Served by the
same gunicorn settings as MDA++ (``deploy/gunicorn.conf.py``, ``gunicorn bench.bare:app``), it
shows what the stack itself costs, so that the case page's overhead can be given as a ratio
measured in the same run. ``?pad=N`` (or ``MDA_BENCH_BARE_BYTES``) pads the page with an HTML comment to
the size of the page it is compared with, so that both send the same number of bytes.
"""

from __future__ import annotations

import os

from flask import Flask, abort, render_template_string, request
from sqlalchemy import create_engine, text

PAGE = """<!doctype html><html lang="nl"><head><title>{{ case.reference }}</title></head><body>
<h1>{{ case.reference }}</h1><p>{{ case.reason }} / {{ case.goal }}</p>
<table>{% for p in persons %}<tr><td>{{ p.role }}</td><td>{{ p.name }}</td><td>{{ p.address }}</td></tr>
{% endfor %}</table>
<table>{% for i in items %}<tr><td>{{ i.category }}</td><td>{{ i.content }}</td><td>{{ i.recorded_on }}</td></tr>
{% endfor %}</table></body></html>"""

url = os.environ["MDA_DATABASE_URL"]
if url.startswith("postgresql://"):
    url = "postgresql+psycopg://" + url.split("://", 1)[1]
engine = create_engine(url, pool_pre_ping=True)
PAD_TO = int(os.environ.get("MDA_BENCH_BARE_BYTES", "0"))
app = Flask(__name__)


@app.get("/casus/<int:case_id>")
def case_page(case_id: int):
    """One case with its persons and items."""
    with engine.connect() as conn:
        case = conn.execute(text('SELECT id, reference, reason, goal FROM "case" WHERE id = :id'),
                            {"id": case_id}).first()
        if case is None:
            abort(404)
        persons = conn.execute(text("SELECT role, name, address FROM person WHERE case_id = :id ORDER BY id"),
                               {"id": case_id}).all()
        items = conn.execute(text("SELECT category, content, recorded_on FROM item WHERE case_id = :id ORDER BY id"),
                             {"id": case_id}).all()
    return padded(render_template_string(PAGE, case=case, persons=persons, items=items),
                  request.args.get("pad", type=int))


def padded(html: str, size: int | None = None) -> str:
    """*html* with an HTML comment after it, to *size* bytes in UTF-8 (``PAD_TO``); unchanged if already as large."""
    missing = (PAD_TO if size is None else size) - len(html.encode()) - len("<!--  -->")
    return html if missing < 0 else f"{html}<!-- {'x' * missing} -->"
