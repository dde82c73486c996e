"""Word export of a plan with 200 actions against bare python-docx building the same tables.

``python -m bench.plan_export`` (part of ``make bench``). Both run in the same process on the
same machine, so the ratio says what MDA++ adds (engine decisions per entry, audit rows,
queries, header/footer, repeating header rows) over python-docx itself. Target: ≤ 2×.
``--quick``: median of 3 instead of 7 (labelled quick). The table goes to ``build/bench/plan_export.md``.
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta

os.environ.setdefault("MDA_INSTANCE_PATH", tempfile.mkdtemp(prefix="mda-bench-"))
os.environ.setdefault("MDA_SECRET_KEY", "bench-secret-key-bench-secret-key-0123456789")

from docx import Document  # noqa: E402
from sqlmodel import select  # noqa: E402

from bench import doc as report_doc  # noqa: E402
from bench.seed import demo_app  # noqa: E402
from mda import db  # noqa: E402
from mda.cases.models import Case  # noqa: E402
from mda.core import sharing  # noqa: E402
from mda.demo.accounts import demo_user  # noqa: E402
from mda.safety_plan import export_docx, services  # noqa: E402

N_ACTIONS = int(os.environ.get("MDA_BENCH_ACTIONS", "200"))
REPEAT = int(os.environ.get("MDA_BENCH_REPEAT", "7"))


def median_seconds(fn, repeat: int = REPEAT) -> float:
    fn()  # warm up
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def bare_docx(rows: list[list[str]]) -> bytes:
    """python-docx alone: a heading and the same five-column action table, saved."""
    doc = Document()
    doc.add_heading("Acties", level=1)
    table = doc.add_table(rows=1, cols=5)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, ["Actie", "Eigenaar", "Organisatie", "Termijn", "Status"],
                          strict=True):
        cell.text = text
    for values in rows:
        for cell, text in zip(table.add_row().cells, values, strict=True):
            cell.text = text
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> None:
    """``python -m bench.plan_export [--quick]``: print the table and save it to build/bench/plan_export.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="median of 3 exports instead of 7")
    args = parser.parse_args(argv)
    repeat = 3 if args.quick else REPEAT
    app = demo_app("plan-bench", os.environ.get("MDA_BENCH_DATABASE_URL"))
    with app.app_context():
        with db.unit_of_work() as s:
            case = s.exec(select(Case).where(Case.reference == "MDA-2026-0001")).one()
            ctx = sharing.load_context(s, case)
            owner = demo_user(s, "wijkteam.lt@demo.invalid")
            for n in range(N_ACTIONS - 5):  # the demo plan already has 5 actions
                services.add_action(s, owner, ctx, description=f"Benchactie {n}: huisbezoek en verslag (fictief)",
                                    deadline=date.today() + timedelta(days=n % 60 + 1), owner_user_id=owner.id)
        lead = None
        with app.test_request_context("/"):
            s = db.session()
            lead = demo_user(s, "teamleider.lt@demo.invalid")
            case = s.exec(select(Case).where(Case.reference == "MDA-2026-0001")).one()

            def ours():
                ctx = sharing.load_context(s, case)
                return export_docx.build(s, lead, ctx, kind="professioneel").content

            content = ours()
            reread = Document(io.BytesIO(content))
            action_rows = [[c.text for c in row.cells] for t in reread.tables
                           if t.rows[0].cells[0].text == "Actie" for row in t.rows[1:]]
            mda_s = median_seconds(ours, repeat)
            bare_s = median_seconds(lambda: bare_docx(action_rows), repeat)
            s.rollback()  # the audit rows of the benchmark runs are not kept
    ratio = mda_s / bare_s
    report = "\n".join([
        f"## Word export of a safety plan{' (quick run)' if args.quick else ''}", "",
        f"Plan with {len(action_rows)} actions (plus the demo plan's entries), median of {repeat}, in one process.",
        "", "| what | median (ms) |", "|---|---|",
        f"| MDA++ export (engine, audit, all sections) | {mda_s * 1000:.1f} |",
        f"| bare python-docx, same action table | {bare_s * 1000:.1f} |",
        f"| ratio | {ratio:.2f}× (target ≤ 2×) |"])
    print("\n" + report)
    print(f"Written to {report_doc.save('plan_export', report).relative_to(report_doc.ROOT)}.")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
