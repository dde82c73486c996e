""""Mijn acties" at 1,000 and at 100,000 cases: ``python -m bench.my_actions`` (part of ``make bench``).

Seeds each size into a fresh database with the case benchmark's seeder (bench/__main__.py),
adds a plan with two actions per case (owners drawn from the case's circle), and times what
the page does for the professional who owns the most actions: the count, the first page
(open and overdue first) and the engine's view of each row (audit queued, rolled back).
``MDA_BENCH_SIZES`` overrides the sizes (e.g. ``1000,10000``).
"""

from __future__ import annotations

import os
import random
import tempfile
from collections import Counter
from datetime import date, timedelta

os.environ.setdefault("MDA_INSTANCE_PATH", tempfile.mkdtemp(prefix="mda-bench-"))
os.environ.setdefault("MDA_SECRET_KEY", "bench-secret-key-bench-secret-key-0123456789")

from sqlalchemy import func, insert  # noqa: E402
from sqlmodel import select  # noqa: E402

from bench.__main__ import _chunks, seed, timed  # noqa: E402
from mda import create_app, db  # noqa: E402
from mda.auth.models import User  # noqa: E402
from mda.cases.models import CaseMember  # noqa: E402
from mda.cli import run_migrations  # noqa: E402
from mda.core.timeutil import utcnow  # noqa: E402
from mda.safety_plan.models import PlanAction, SafetyPlan  # noqa: E402
from mda.safety_plan.routes_follow_up import MY_PER_PAGE, my_action_views, my_actions_query  # noqa: E402


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


def measure(n_cases: int) -> tuple[float, float, int]:
    url = f"sqlite:///{tempfile.mkdtemp()}/my-actions-{n_cases}.sqlite"
    app = create_app({"DATABASE_URL": url, "TESTING": True, "OUTBOX_DIR": tempfile.mkdtemp()})
    rng = random.Random(7)
    with app.app_context():
        run_migrations(app)
        with db.unit_of_work() as s:
            seed(s, n_cases, rng)
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

            median, p95 = timed(page, 30)
            return median, p95, counts[user.id]


def main() -> None:
    sizes = [int(x) for x in os.environ.get("MDA_BENCH_SIZES", "1000,100000").split(",")]
    results = {n: measure(n) for n in sizes}
    print("\n\"Mijn acties\" (count + first page of 25 through the engine), SQLite:\n")  # noqa: T201
    print("| cases | actions of the user | median (ms) | p95 (ms) |\n|---|---|---|---|")  # noqa: T201
    for n, (median, p95, mine) in results.items():
        print(f"| {n:,} | {mine} | {median:.1f} | {p95:.1f} |")  # noqa: T201
    if len(sizes) >= 2:
        low, high = results[sizes[0]][0], results[sizes[-1]][0]
        print(f"| ratio {sizes[-1]:,} / {sizes[0]:,} | | {high / low:.2f}× | |")  # noqa: T201


if __name__ == "__main__":
    main()
