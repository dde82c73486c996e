""""Mijn acties" at 1,000 and at 100,000 cases: ``python -m bench.my_actions`` (part of ``make bench``).

Seeds each size into a fresh database with the case benchmark's seeder (``bench/seed.py``),
adds a plan with two actions per case (owners drawn from the case's circle), and times what
the page does for the professional who owns the most actions: the count, the first page
(open and overdue first) and the engine's view of each row (audit queued, rolled back).
``MDA_BENCH_SIZES`` overrides the sizes (e.g. ``1000,10000``); ``--quick`` is 1,000 and 10,000 cases and
10 timings instead of 30 (labelled quick). The table goes to ``build/bench/my_actions.md``.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
from collections import Counter
from datetime import date, timedelta

os.environ.setdefault("MDA_INSTANCE_PATH", tempfile.mkdtemp(prefix="mda-bench-"))
os.environ.setdefault("MDA_SECRET_KEY", "bench-secret-key-bench-secret-key-0123456789")

from sqlalchemy import func, insert  # noqa: E402
from sqlmodel import select  # noqa: E402

from bench import doc  # noqa: E402
from bench.seed import seed  # noqa: E402
from mda import create_app, db  # noqa: E402
from mda.auth.models import User  # noqa: E402
from mda.cases.models import CaseMember  # noqa: E402
from mda.cli import run_migrations  # noqa: E402
from mda.core.timeutil import utcnow  # noqa: E402
from mda.safety_plan.models import PlanAction, SafetyPlan  # noqa: E402
from mda.safety_plan.pages import MY_PER_PAGE, my_action_views, my_actions_query  # noqa: E402


def _chunks(rows: list, size: int = 5000):
    """*rows* in slices of *size*: one INSERT each, under the databases' limits on parameters."""
    for i in range(0, len(rows), size):
        yield rows[i:i + size]


def timed(fn, repeat: int) -> tuple[float, float]:
    """Median and 95th percentile of *repeat* calls of *fn*, in milliseconds."""
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]


def add_actions(s, rng: random.Random) -> None:
    """One plan and two actions per case, owned by professionals of its circle."""
    now, today = utcnow(), date.today()
    members: dict[int, list[int]] = {}
    for case_id, user_id in s.exec(select(CaseMember.case_id, CaseMember.user_id)):
        members.setdefault(case_id, []).append(user_id)
    owners = {u.id: u.organisation_id for u in s.exec(select(User))}
    planned = set(s.exec(select(SafetyPlan.case_id)).all())  # the demo cases have their plans already
    members = {cid: users for cid, users in members.items() if cid not in planned}
    plans = [dict(case_id=cid, revision=2, created_at=now, updated_at=now) for cid in members]
    for chunk in _chunks(plans):
        s.execute(insert(SafetyPlan), chunk)
    plan_ids = dict(s.exec(select(SafetyPlan.case_id, SafetyPlan.id)).all())
    actions = []
    for cid, users in members.items():
        for _ in range(2):
            owner = rng.choice(users)
            actions.append(dict(plan_id=plan_ids[cid], case_id=cid, description="fictieve actie",
                                category="veiligheidsplan", owner_user_id=owner, owner_organisation_id=owners[owner],
                                owner_is_family=False, deadline=today + timedelta(days=rng.randint(-20, 40)),
                                status=rng.choice(["open", "bezig", "gereed"]), source_organisation_id=owners[owner],
                                created_at=now, updated_at=now))
    for chunk in _chunks(actions):
        s.execute(insert(PlanAction), chunk)


def measure(n_cases: int, repeat: int = 30) -> tuple[float, float, int]:
    """Seed *n_cases* cases with plans and actions; time the page for the user owning the most actions."""
    url = f"sqlite:///{tempfile.mkdtemp()}/my-actions-{n_cases}.sqlite"
    app = create_app({"DATABASE_URL": url, "TESTING": True, "OUTBOX_DIR": tempfile.mkdtemp()})
    rng = random.Random(7)
    with app.app_context():
        run_migrations(app)
        with db.unit_of_work() as s:
            seed(s, n_cases)
        with db.unit_of_work() as s:
            add_actions(s, rng)
        with app.test_request_context("/"):
            s = db.session()
            counts = Counter(s.exec(select(PlanAction.owner_user_id)).all())
            user = s.get(User, counts.most_common(1)[0][0])

            def page():
                stmt = my_actions_query(user)
                s.exec(select(func.count()).select_from(stmt.order_by(None).subquery())).one()
                rows = list(s.exec(stmt.limit(MY_PER_PAGE)))
                my_action_views(s, user, rows)
                s.rollback()

            median, p95 = timed(page, repeat)
            return median, p95, counts[user.id]


def main(argv: list[str] | None = None) -> None:
    """``python -m bench.my_actions [--quick]``: print the table and save it to build/bench/my_actions.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1,000 and 10,000 cases, 10 timings each")
    args = parser.parse_args(argv)
    default, repeat = ("1000,10000", 10) if args.quick else ("1000,100000", 30)
    sizes = [int(x) for x in os.environ.get("MDA_BENCH_SIZES", default).split(",")]
    results = {n: measure(n, repeat) for n in sizes}
    lines = [f"## \"Mijn acties\"{' (quick run)' if args.quick else ''}", "",
             f"Count + first page of 25 through the engine, in one process, SQLite; median / p95 of {repeat}.", "",
             "| cases | actions of the user | median (ms) | p95 (ms) |", "|---|---|---|---|"]
    for n, (median, p95, mine) in results.items():
        lines.append(f"| {n:,} | {mine} | {median:.1f} | {p95:.1f} |")
    if len(sizes) >= 2:
        low, high = results[sizes[0]][0], results[sizes[-1]][0]
        lines.append(f"| ratio {sizes[-1]:,} / {sizes[0]:,} | | {high / low:.2f}× | |")
    report = "\n".join(lines)
    print("\n" + report)
    print(f"Written to {doc.save('my_actions', report).relative_to(doc.ROOT)}.")


if __name__ == "__main__":
    main()
