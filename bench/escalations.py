"""Escalation dashboards and steering figures with many escalations: ``python -m bench.escalations``.

Seeds the demo data plus MDA_BENCH_ESCALATIONS escalations (default 10,000; one in twenty
open) on the demo cases with bulk inserts, then times the team lead's dashboard ("op mijn
niveau") and a year of steering figures, median of MDA_BENCH_REPEAT runs. ``--quick``: 2,000
escalations, median of 3 (labelled quick). The table goes to ``build/bench/escalations.md``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import timedelta

from sqlalchemy import insert
from sqlmodel import select

os.environ.setdefault("MDA_INSTANCE_PATH", tempfile.mkdtemp(prefix="mda-bench-"))
os.environ.setdefault("MDA_SECRET_KEY", "bench-secret-key-bench-secret-key-0123456789")

from bench import doc  # noqa: E402
from bench.seed import demo_app  # noqa: E402
from mda import db  # noqa: E402
from mda.cases.models import Case  # noqa: E402
from mda.core.timeutil import utcnow  # noqa: E402
from mda.demo.accounts import demo_organisation, demo_user  # noqa: E402
from mda.escalations import dashboards  # noqa: E402
from mda.escalations.models import Escalation  # noqa: E402

N = int(os.environ.get("MDA_BENCH_ESCALATIONS", "10000"))
REPEAT = int(os.environ.get("MDA_BENCH_REPEAT", "7"))


def median_seconds(fn, repeat: int = REPEAT) -> float:
    """Median seconds of *repeat* calls of *fn*, after one not counted."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> None:
    """``python -m bench.escalations [--quick]``: print the row and save it to build/bench/escalations.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2,000 escalations, median of 3")
    args = parser.parse_args(argv)
    count, repeat = (2000, 3) if args.quick else (N, REPEAT)
    app = demo_app("esc-bench", os.environ.get("MDA_BENCH_DATABASE_URL"))
    with app.app_context():
        with db.unit_of_work() as s:
            cases = [c.id for c in s.exec(select(Case).where(Case.reference.in_(["MDA-2026-0001", "MDA-2026-0002"])))]
            lt, vt = demo_organisation(s, "LT").id, demo_organisation(s, "VT").id
            raiser = demo_user(s, "wijkteam.lt@demo.invalid").id
            now = utcnow()
            rows = []
            for n in range(count):
                created = now - timedelta(hours=n % 8000)
                is_open = n % 20 == 0
                rows.append(dict(case_id=cases[n % len(cases)], subject_kind="fase", subject_text="bench",
                                 urgency="acuut" if n % 7 == 0 else "regulier",
                                 status="in_behandeling" if is_open else "afgesloten", level=1 + n % 3,
                                 level_started_at=created, deadline_at=created + timedelta(days=2),
                                 raised_by_id=raiser, raiser_organisation_id=lt, other_organisation_id=vt,
                                 created_at=created, decided_at=None if is_open else created + timedelta(hours=30),
                                 decided_level=None if is_open else 1 + n % 3, version=1, warned_level=0))
            s.connection().execute(insert(Escalation), rows)
        with app.test_request_context("/"):
            s = db.session()
            lead = demo_user(s, "teamleider.vt@demo.invalid")
            today = now.date()
            dash = median_seconds(lambda: dashboards.for_decider(s, lead, utcnow()), repeat)
            steer = median_seconds(lambda: dashboards.steering(s, lead, today - timedelta(days=365), today), repeat)
    dialect = "PostgreSQL" if app.config["DATABASE_URL"].startswith("postgresql") else "SQLite"
    report = "\n".join([
        f"## Escalation dashboards{' (quick run)' if args.quick else ''}", "",
        f"In one process, median of {repeat}.", "",
        "| database | escalations | team lead dashboard | steering figures (a year) |", "|---|---|---|---|",
        f"| {dialect} | {count:,} ({count // 20:,} open) | {dash * 1000:.1f} ms | {steer * 1000:.1f} ms |"])
    sys.stdout.write(f"\n{report}\nWritten to {doc.save('escalations', report).relative_to(doc.ROOT)}.\n")


if __name__ == "__main__":
    main()
