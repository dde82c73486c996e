"""Benchmarks of the sharing engine at scale: ``python -m bench`` (``make bench``).

Seeds MDA_BENCH_CASES cases (default 100,000) with circles, persons, items and consents
into a fresh database (SQLite file, or MDA_BENCH_DATABASE_URL for PostgreSQL) using bulk
inserts, then times what users do most: the case list of a professional, and opening a
case page (engine decisions + audit rows). Prints a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date

from sqlalchemy import func, insert
from sqlmodel import select

os.environ.setdefault("MDA_INSTANCE_PATH", tempfile.mkdtemp(prefix="mda-bench-"))
os.environ.setdefault("MDA_SECRET_KEY", "bench-secret-key-bench-secret-key-0123456789")

from mda import create_app, db  # noqa: E402
from mda.auth.models import User  # noqa: E402
from mda.cases.models import (  # noqa: E402
    Case,
    CaseMember,
    CaseOrganisation,
    Consent,
    ConsentRecipient,
    Item,
    ItemPerson,
    Person,
)
from mda.cli import run_migrations  # noqa: E402
from mda.core import sharing  # noqa: E402
from mda.core.timeutil import utcnow  # noqa: E402
from mda.demo import load_demo  # noqa: E402

CATEGORIES = ["huishouden", "adres", "risicosignalen", "hulpverlening", "justitie", "gezondheid",
              "jeugdbescherming", "huisverbod"]


def _chunks(rows, size=5000):
    for i in range(0, len(rows), size):
        yield rows[i:i + size]


def seed(s, n_cases: int, rng: random.Random) -> dict:
    """Bulk-insert *n_cases* fictional cases around the demo organisations and users."""
    load_demo(s)
    s.flush()
    users = list(s.exec(select(User)))
    org_ids = sorted({u.organisation_id for u in users})
    # A realistic spread: one professional per ~40 cases, one coordinator per ~400 cases,
    # so that a professional sees a few hundred cases, as in a large region.
    now = utcnow()
    password_hash = users[0].password_hash
    extra = []
    for n in range(max(1, n_cases // 40)):
        extra.append(dict(email=f"bench.prof{n}@bench.invalid", name=f"Bench Professional {n} (fictief)",
                          organisation_id=org_ids[n % len(org_ids)], roles_text="professional",
                          password_hash=password_hash, active=True, is_demo=True, totp_enabled=False,
                          totp_last_step=0, failed_logins=0, session_version=1, created_at=now))
    for n in range(max(1, n_cases // 400)):
        extra.append(dict(email=f"bench.coord{n}@bench.invalid", name=f"Bench Coordinator {n} (fictief)",
                          organisation_id=org_ids[n % len(org_ids)], roles_text="coordinator",
                          password_hash=password_hash, active=True, is_demo=True, totp_enabled=False,
                          totp_last_step=0, failed_logins=0, session_version=1, created_at=now))
    for chunk in _chunks(extra):
        s.execute(insert(User), chunk)
    users = list(s.exec(select(User).where(User.email.like("bench.%"))))
    professionals = [u for u in users if "professional" in u.roles]
    coordinators = [u for u in users if "coordinator" in u.roles]
    from mda.organisations.models import Organisation

    region_id = s.get(Organisation, org_ids[0]).region_id
    start_id = s.exec(select(func.max(Case.id))).one() or 0
    cases, circle, members, persons, items, links, consents, recipients = [], [], [], [], [], [], [], []
    person_id = s.exec(select(func.max(Person.id))).one() or 0
    item_id = s.exec(select(func.max(Item.id))).one() or 0
    for k in range(n_cases):
        cid = start_id + k + 1
        coord = rng.choice(coordinators)
        cases.append(dict(id=cid, reference=f"BENCH-{cid:07d}", region_id=region_id, coordinator_id=coord.id,
                          phase="stabiele_veiligheid", reason="fictief", goal="fictief", urgency="normaal",
                          is_repeat=False, opened_at=now))
        circle_members = rng.sample(professionals, 4)
        for org in {coord.organisation_id} | {m.organisation_id for m in circle_members}:
            circle.append(dict(case_id=cid, organisation_id=org, added_at=now))
        for m in circle_members:
            members.append(dict(case_id=cid, user_id=m.id, added_at=now))
        pids = []
        for role in ("slachtoffer", "vermoedelijke_pleger", "kind"):
            person_id += 1
            pids.append(person_id)
            persons.append(dict(id=person_id, case_id=cid, role=role, name=f"Fictief {person_id}",
                                date_of_birth=date(1990, 1, 1), address="Nepstraat 1", bsn=None,
                                source_organisation_id=coord.organisation_id))
        for _ in range(6):
            item_id += 1
            src = rng.choice(circle_members).organisation_id
            items.append(dict(id=item_id, case_id=cid, category=rng.choice(CATEGORIES), content="fictieve inhoud",
                              source_organisation_id=src, recorded_on=date(2026, 1, 1), created_at=now))
            links.append(dict(item_id=item_id, person_id=rng.choice(pids)))
        consents.append(dict(case_id=cid, person_id=pids[0], given_by="betrokkene zelf", purpose="MDA++",
                             method="schriftelijk", categories_text="gezondheid justitie",
                             recorded_by_id=coord.id, given_on=date(2026, 1, 1), created_at=now,
                             withdrawal_reason=""))
    for table, rows in ((Case, cases), (CaseOrganisation, circle), (CaseMember, members), (Person, persons),
                        (Item, items), (ItemPerson, links), (Consent, consents)):
        for chunk in _chunks(rows):
            s.execute(insert(table), chunk)
    consent_rows = s.exec(select(Consent.id, Consent.case_id)).all()
    case_orgs: dict[int, list[int]] = {}
    for row in circle:
        case_orgs.setdefault(row["case_id"], []).append(row["organisation_id"])
    for cid_, case_id in consent_rows:
        for org in case_orgs.get(case_id, [])[:2]:
            recipients.append(dict(consent_id=cid_, organisation_id=org))
    for chunk in _chunks(recipients):
        s.execute(insert(ConsentRecipient), chunk)
    return {"professionals": professionals}


def timed(fn, repeat: int) -> tuple[float, float]:
    """Median and 95th percentile in milliseconds."""
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def main() -> None:
    n_cases = int(os.environ.get("MDA_BENCH_CASES", "100000"))
    url = os.environ.get("MDA_BENCH_DATABASE_URL") or f"sqlite:///{os.environ['MDA_INSTANCE_PATH']}/bench.sqlite"
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    app = create_app({"DATABASE_URL": url})
    rng = random.Random(7513)
    with app.app_context():
        run_migrations(app)
        t0 = time.perf_counter()
        with db.unit_of_work() as s:
            info = seed(s, n_cases, rng)
        seed_s = time.perf_counter() - t0
    results = []
    with app.test_request_context():
        s = db.session()
        user = s.get(User, info["professionals"][0].id)

        def case_list():
            query = sharing.visible_cases_query(user)
            s.exec(select(func.count()).select_from(query.subquery())).one()
            list(s.exec(query.order_by(Case.opened_at.desc()).limit(50)))

        results.append(("case list of a professional (count + first 50)", *timed(case_list, 30)))
        my_case_ids = [c.id for c in s.exec(sharing.visible_cases_query(user).limit(200))]

        def open_case():
            case, ctx = sharing.load_case_or_404(s, user, rng.choice(my_case_ids))
            sharing.case_view(s, user, case, ctx)
            db.rollback()  # measure the work without growing the audit trail

        results.append(("open a case page (engine decisions for 3 persons, 6 items)", *timed(open_case, 100)))
        visible = s.exec(select(func.count()).select_from(sharing.visible_cases_query(user).subquery())).one()
    dialect = url.split(":", 1)[0]
    print(f"\n{n_cases:,} cases seeded in {seed_s:.1f} s on {dialect}; the measured user sees {visible:,} cases.\n")
    print("| operation | median (ms) | p95 (ms) |\n|---|---|---|")
    for name, median, p95 in results:
        print(f"| {name} | {median:.1f} | {p95:.1f} |")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
