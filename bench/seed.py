"""Fast, set-based seeding of a benchmark database: 1,000 or 100,000 fictional cases in seconds.

Rows are made by ``INSERT … SELECT`` over a helper table of numbers, so the database does
the work (no Python loop per case) on SQLite and PostgreSQL alike. Every user sees about
the same number of cases whatever the size of the database (one professional per 40
cases, one coordinator per 400), as in a region; only the team lead of a large
organisation sees a share of *all* cases, which is what makes paging matter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Column, Integer, MetaData, String, Table, cast, func, insert, literal, select, union
from sqlmodel import Session

from mda.auth import passwords
from mda.auth.models import User
from mda.cases.models import Case, CaseMember, CaseOrganisation, Consent, ConsentRecipient, Item, ItemPerson, Person
from mda.core.timeutil import utcnow
from mda.demo import load_demo
from mda.meetings.models import AgendaItem, Invitation, Meeting
from mda.organisations.models import Organisation, Region

PASSWORD = "bench wachtwoord fictief 2026"
CATEGORIES = ["huishouden", "adres", "risicosignalen", "hulpverlening", "justitie", "gezondheid"]
_numbers = Table("bench_numbers", MetaData(), Column("i", Integer, primary_key=True))


@dataclass
class Seeded:
    """Who is measured: e-mail addresses and what each one opens."""

    cases: int
    professional: str
    coordinator: str
    team_lead: str
    case_of: dict[str, int]
    meeting_of: dict[str, int]


def _users(s: Session, prefix: str, n: int, role: str, org_ids: list[int], password_hash: str, now) -> int:
    """Insert *n* demo-flagged users; return the id of the first (ids are consecutive in one batch)."""
    rows = [dict(email=f"{prefix}{k}@bench.invalid", name=f"Bench {role} {k} (fictief)",
                 organisation_id=org_ids[k % len(org_ids)], roles_text=role, password_hash=password_hash,
                 active=True, is_demo=True, totp_enabled=False, totp_last_step=0, failed_logins=0,
                 session_version=1, created_at=now) for k in range(n)]
    s.execute(insert(User), rows)
    first, last = s.execute(select(func.min(User.id), func.max(User.id)).where(User.email.like(f"{prefix}%"))).one()
    assert last - first + 1 == n, "user ids are not consecutive"
    return first


def seed(s: Session, n_cases: int) -> Seeded:
    """Demo organisations and accounts, then *n_cases* cases with circles, persons, items, consents, meetings."""
    load_demo(s)
    s.flush()
    now = utcnow()
    region = s.execute(select(Region).where(Region.code == "DEMODAM")).scalars().first() or \
        s.execute(select(Region)).scalars().first()
    org_ids = sorted(s.execute(select(Organisation.id).where(Organisation.region_id == region.id)).scalars())
    password_hash = passwords.hash_password(PASSWORD)
    n_prof, n_coord = max(4, n_cases // 40), max(1, n_cases // 400)
    prof0 = _users(s, "bench.prof", n_prof, "professional", org_ids, password_hash, now)
    coord0 = _users(s, "bench.coord", n_coord, "coordinator", org_ids, password_hash, now)
    lead0 = _users(s, "bench.lead", 1, "team_lead", org_ids, password_hash, now)  # org of professional 0

    conn = s.connection()
    _numbers.drop(conn, checkfirst=True)
    _numbers.create(conn)
    conn.execute(insert(_numbers), [{"i": i} for i in range(1, n_cases + 1)])
    n = _numbers.c.i
    case0 = (s.execute(select(func.max(Case.id))).scalar() or 0)
    person0 = (s.execute(select(func.max(Person.id))).scalar() or 0)
    item0 = (s.execute(select(func.max(Item.id))).scalar() or 0)

    def fill(table, columns, query):
        conn.execute(insert(table).from_select(columns, query))

    fill(Case, ["id", "reference", "region_id", "coordinator_id", "phase", "reason", "goal", "urgency", "is_repeat",
                "opened_at"],
         select(case0 + n, literal("BENCH-") + cast(n, String), literal(region.id), coord0 + n % n_coord,
                literal("stabiele_veiligheid"), literal("fictief"), literal("fictief"), literal("normaal"),
                literal(False), literal(now)))
    for j in range(4):  # four named professionals per case; professional k is in ~160 cases
        fill(CaseMember, ["case_id", "user_id", "added_at"],
             select(case0 + n, prof0 + (n * 4 + j) % n_prof, literal(now)))
    fill(CaseOrganisation, ["case_id", "organisation_id", "added_at"],
         select(union(select(CaseMember.case_id, User.organisation_id).join(User, User.id == CaseMember.user_id)
                      .where(CaseMember.case_id > case0),
                      select(Case.id, User.organisation_id).join(User, User.id == Case.coordinator_id)
                      .where(Case.id > case0)).subquery()).add_columns(literal(now)))
    for r, role in enumerate(("slachtoffer", "vermoedelijke_pleger", "kind")):
        fill(Person, ["id", "case_id", "role", "name", "date_of_birth", "address", "source_organisation_id"],
             select(person0 + (n - 1) * 3 + r + 1, case0 + n, literal(role), literal("Fictief ") + cast(n, String),
                    literal(date(1990, 1, 1)), literal("Nepstraat 1, Demodam"), User.organisation_id)
             .join(User, User.id == coord0 + n % n_coord))
    for k in range(6):
        fill(Item, ["id", "case_id", "category", "content", "source_organisation_id", "recorded_on", "created_at"],
             select(item0 + (n - 1) * 6 + k + 1, case0 + n, literal(CATEGORIES[k]), literal("fictieve inhoud"),
                    User.organisation_id, literal(date(2026, 1, 1)), literal(now))
             .join(User, User.id == prof0 + (n * 4 + k % 4) % n_prof))
        fill(ItemPerson, ["item_id", "person_id"],
             select(item0 + (n - 1) * 6 + k + 1, person0 + (n - 1) * 3 + k % 3 + 1))
    consent0 = s.execute(select(func.max(Consent.id))).scalar() or 0
    fill(Consent, ["id", "case_id", "person_id", "given_by", "purpose", "method", "categories_text", "recorded_by_id",
                   "given_on", "created_at", "withdrawal_reason"],
         select(consent0 + n, case0 + n, person0 + (n - 1) * 3 + 1, literal("betrokkene zelf"), literal("MDA++"),
                literal("schriftelijk"), literal("gezondheid justitie"), coord0 + n % n_coord,
                literal(date(2026, 1, 1)), literal(now), literal("")))
    fill(ConsentRecipient, ["consent_id", "organisation_id"],
         select(union(select(Consent.id, User.organisation_id).join(Case, Case.id == Consent.case_id)
                      .join(User, User.id == Case.coordinator_id).where(Consent.id > consent0),
                      select(Consent.id, User.organisation_id).join(User, User.id == prof0 + (
                          (Consent.case_id - case0) * 4) % n_prof).where(Consent.id > consent0)).subquery()))
    _numbers.drop(conn)
    meetings = _meetings(s, case0, n_cases, coord0, n_coord, prof0, n_prof, lead0, now)

    prof, coord = s.get(User, prof0), s.get(User, coord0)
    lead = s.get(User, lead0)
    # professional 0 is named in case i when (4i + j) % n_prof == 0: i = n_prof // 4, j = n_prof % 4;
    # coordinator 0 coordinates case i when i % n_coord == 0; the team lead shares professional 0's organisation.
    case_of = {"professional": case0 + n_prof // 4, "coordinator": case0 + n_coord, "team_lead": case0 + n_prof // 4}
    return Seeded(cases=n_cases, professional=prof.email, coordinator=coord.email, team_lead=lead.email,
                  case_of=case_of, meeting_of=meetings)


def _meetings(s: Session, case0: int, n_cases: int, coord0: int, n_coord: int, prof0: int, n_prof: int,
              lead0: int, now):
    """One meeting per 10 cases (spread over the year), the case on the agenda, its circle invited.

    The team lead is invited to the first 20 meetings, whatever the size (their feed stays the same size).
    """
    conn = s.connection()
    start = now.replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    meeting0 = s.execute(select(func.max(Meeting.id))).scalar() or 0
    rows, items, invitations = [], [], []
    for k in range(n_cases // 10):
        # meeting k discusses case k+1, whose circle is invited: every professional is in ~16 meetings and
        # every coordinator plans ~40-50, whatever the size of the database
        i = k + 1
        mid, case_id = meeting0 + k + 1, case0 + i
        begin = start + timedelta(hours=(k * 7) % (24 * 300))
        rows.append(dict(id=mid, uid=f"bench-{mid}@mda.invalid", type_code="casuistiekoverleg",
                         title=f"Casuïstiekoverleg {k} (fictief)", starts_at=begin, ends_at=begin + timedelta(hours=1),
                         location="Zaal 1", online_link="", coordinator_id=coord0 + i % n_coord, detached=False,
                         status="gepland", sequence=0, created_at=now, updated_at=now))
        items.append(dict(uid=f"bench-item-{mid}@mda.invalid", meeting_id=mid, position=1, kind="casus",
                          title="Casus", case_id=case_id, minutes=30, starts_at=begin,
                          ends_at=begin + timedelta(minutes=30), steps="", sequence=0))
        invitees = {prof0 + (i * 4 + j) % n_prof for j in range(4)} | ({lead0} if k < 20 else set())
        for user_id in sorted(invitees):
            invitations.append(dict(meeting_id=mid, user_id=user_id, role="deelnemer",
                                    whole_meeting=True, required=True, response="geaccepteerd", created_at=now))
    for table, data in ((Meeting, rows), (AgendaItem, items), (Invitation, invitations)):
        for chunk in range(0, len(data), 5000):
            conn.execute(insert(table), data[chunk:chunk + 5000])
    # meeting k discusses case k+1: professional 0's case n_prof // 4, coordinator 0's case n_coord
    mine, coordinator_meeting = meeting0 + n_prof // 4, meeting0 + n_coord
    return {"professional": mine, "coordinator": coordinator_meeting, "team_lead": meeting0 + 1}


def demo_app(name: str, url: str | None = None):
    """An app on a fresh database (*url*, else a temporary SQLite file *name*), migrated, with the demo data."""
    import tempfile

    from mda import create_app, db
    from mda.cli import run_migrations
    from mda.demo import load_demo

    url = url or f"sqlite:///{tempfile.mkdtemp()}/{name}.sqlite"
    app = create_app({"DATABASE_URL": url, "TESTING": True, "OUTBOX_DIR": tempfile.mkdtemp()})
    with app.app_context():
        run_migrations(app)
        with db.unit_of_work() as s:
            load_demo(s)
    return app
