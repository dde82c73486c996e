"""Fixtures and factories shared by the whole suite.

The suite runs on SQLite by default and on PostgreSQL when MDA_TEST_DATABASE_URL
is set. The schema is made by the Alembic migrations (once per run), so the
migrations are tested too. Between tests the data is wiped: SQLite tests each get
a fresh copy of the migrated template file, PostgreSQL tests TRUNCATE every table.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pyotp
import pytest
from itsdangerous import URLSafeTimedSerializer

_TMP = Path(tempfile.mkdtemp(prefix="mda-tests-"))
os.environ["MDA_INSTANCE_PATH"] = str(_TMP / "instance")
os.environ.setdefault("MDA_SECRET_KEY", "test-secret-key-that-is-long-enough-0123456789")
# one TOTP key for the suite and the server processes it starts
os.environ.setdefault("MDA_TOTP_KEYS", "U74B5_0u1xuTUwu36EhbMAxgWZNq044f-_yBK2Goatw=")
os.environ.pop("MDA_DATABASE_URL", None)
os.environ.pop("MDA_REDIS_URL", None)
os.environ.pop("MDA_SMTP_HOST", None)

from sqlalchemy import create_engine, text  # noqa: E402
from sqlmodel import Session, SQLModel  # noqa: E402

from mda import create_app  # noqa: E402
from mda.auth import passwords  # noqa: E402
from mda.auth.models import User  # noqa: E402
from mda.core import clock, workdays  # noqa: E402
from mda.core.audit import sealer as audit_sealer  # noqa: E402
from mda.core.timeutil import utcnow  # noqa: E402
from mda.organisations.models import Organisation, Region  # noqa: E402

# ---------------------------------------------------------------- time
# No test reads the machine's clock or calendar. The application's clock (mda.core.clock) starts
# every test at a named instant and runs on from there; a test where the day matters says which
# with ``@pytest.mark.now(INSTANT)`` or ``clock.frozen(...)``, and asks ``working_day(...)`` for
# "a working day next week" instead of adding days to today.
AMS = ZoneInfo("Europe/Amsterdam")
#: the instant every test starts at unless it names another: an ordinary working day
TEST_NOW = datetime(2026, 12, 3, 10, 0, tzinfo=AMS)  # Thursday
#: instants where the calendar bites
A_MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=AMS)
A_SATURDAY = datetime(2026, 12, 12, 10, 0, tzinfo=AMS)
CHRISTMAS_EVE = datetime(2026, 12, 24, 17, 30, tzinfo=AMS)  # Thursday; Friday and Saturday are holidays
SATURDAY_BEFORE_WINTER_TIME = datetime(2026, 10, 24, 23, 30, tzinfo=AMS)  # clocks go back on Sunday 03:00
NEW_YEARS_EVE = datetime(2026, 12, 31, 23, 30, tzinfo=AMS)

clock.set_now(TEST_NOW, tick=True)  # for collection and session fixtures; each test starts afresh
audit_sealer.SETTINGS["mode"] = "manual"  # also for apps a test builds itself; see app_config

# The check run (.ci/run): MDA_TEST_WALL_CLOCK moves this process' own clock (time.time, datetime.now,
# date.today) to a Saturday or Christmas Eve with time-machine, so a test that still read the real
# clock would meet that day and fail. The browser package pauses it (Chromium keeps the real time).
WALL_CLOCK = None
if os.environ.get("MDA_TEST_WALL_CLOCK"):
    import time_machine

    WALL_CLOCK = time_machine.travel(datetime.fromisoformat(os.environ["MDA_TEST_WALL_CLOCK"]), tick=True)
    WALL_CLOCK.start()


@contextmanager
def machine_time() -> Iterator[None]:
    """Within the block this process keeps the machine's own time, even in the check run: for tests that hand
    signed cookies to a server in another process or to Chromium (both keep the real time, and a cookie signed
    weeks earlier by the moved clock would be too old for them). The application's clock is not affected."""
    if WALL_CLOCK is None:
        yield
        return
    WALL_CLOCK.stop()
    try:
        yield
    finally:
        WALL_CLOCK.start()


@pytest.fixture
def real_wall_clock() -> Iterator[None]:
    """The machine's own time for this test (see :func:`machine_time`)."""
    with machine_time():
        yield


@pytest.fixture(autouse=True)
def clock_start(request) -> datetime:
    """The instant the application's clock starts at in this test: TEST_NOW, or the test's ``now`` mark."""
    marker = request.node.get_closest_marker("now")
    when = marker.args[0] if marker else TEST_NOW
    clock.set_now(when, tick=True)
    yield when
    clock.set_now(TEST_NOW, tick=True)


def today() -> date:
    """The test's today in Amsterdam (by the application's clock, never the machine's)."""
    return clock.today()


def working_day(days: int = 7, *, after: date | None = None) -> date:
    """The first working day at least *days* days after *after* (default: the test's today).

    "A working day next week" for a test that plans something: never a weekend or a Dutch public holiday.
    """
    day = (after or clock.today()) + timedelta(days=days)
    return day if workdays.is_working_day(day) else workdays.next_working_day(day)


PG_URL = os.environ.get("MDA_TEST_DATABASE_URL")
REDIS_URL = os.environ.get("MDA_TEST_REDIS_URL")
TEST_PASSWORD = "correct paard batterij nietje 42"
# Argon2 at production cost makes every login ~0.1 s; tests use the same code with cheap parameters.
passwords._hasher = __import__("argon2").PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
passwords._DUMMY_HASH = passwords._hasher.hash("dummy")
_PASSWORD_HASH = passwords.hash_password(TEST_PASSWORD)
_counter = itertools.count(1)


def _normalise(url: str) -> str:
    return "postgresql+psycopg://" + url.split("://", 1)[1] if url.startswith("postgresql://") else url


@pytest.fixture(scope="session")
def database_template():
    """Migrate a database once per run; return its URL (SQLite: the template file)."""
    url = _normalise(PG_URL) if PG_URL else f"sqlite:///{_TMP / 'template.sqlite'}"
    app = create_app({"DATABASE_URL": url, "TESTING": True})
    with app.app_context():
        from mda.cli import run_migrations

        if PG_URL:
            with app.extensions["mda_engine"].begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        run_migrations(app)
        # Tables a feature has not written its migration for yet still exist in tests;
        # tests/core/test_migrations.py fails until the migration is there.
        SQLModel.metadata.create_all(app.extensions["mda_engine"])
    app.extensions["mda_engine"].dispose()
    return url


def _wipe_postgres(url: str) -> None:
    engine = create_engine(url)
    tables = [t.name for t in SQLModel.metadata.sorted_tables if t.name != "audit_head"]
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        conn.execute(text("UPDATE audit_head SET last_seq = 0, last_hash = :h WHERE id = 1"),
                     {"h": "0" * 64})
    engine.dispose()


@pytest.fixture
def database_url(database_template, tmp_path):
    """A clean, migrated database for one test."""
    if PG_URL:
        _wipe_postgres(database_template)
        return database_template
    target = tmp_path / "test.sqlite"
    shutil.copy(_TMP / "template.sqlite", target)
    return f"sqlite:///{target}"


@pytest.fixture
def app_config(database_url, tmp_path):
    """Settings for the test app; tests may change them before using ``app``."""
    return {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "OUTBOX_DIR": str(tmp_path / "outbox"),
        "RATELIMIT_ENABLED": False,
        "BASE_URL": "http://mda.test",
        # nothing seals in the background unless a test asks (tests/core/test_audit_sealer.py): on PostgreSQL
        # rows stay pending until audit_rows(), verify_chain() or a test's sealer seals them
        "AUDIT_SEALER": "manual",
    }


_APPS: dict = {}


@pytest.fixture
def app(app_config):
    """The application under test, bound to a clean database.

    Building an app costs ~0.25 s (route compilation), so apps are reused between tests
    with the same settings; each test still gets its own database engine and outbox.
    """
    from mda.db import make_engine
    from mda.extensions import limiter

    key = tuple(sorted((k, repr(v)) for k, v in app_config.items() if k not in ("DATABASE_URL", "OUTBOX_DIR")))
    application = _APPS.get(key)
    if application is None or app_config.get("RATELIMIT_ENABLED"):
        application = create_app(app_config)
        _APPS[key] = application
    else:
        application.config.update(app_config)
        application.extensions["mda_engine"] = make_engine(app_config["DATABASE_URL"])
        # the limiter is one object for every app: a rate-limited test before this one left it on
        limiter.enabled = bool(app_config.get("RATELIMIT_ENABLED"))
    if app_config.get("RATELIMIT_ENABLED"):
        limiter.reset()
    yield application
    application.extensions["mda_engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db(app):
    """A session for arranging and inspecting data, outside any request."""
    with Session(app.extensions["mda_engine"], expire_on_commit=False) as session:
        yield session


# ---------------------------------------------------------------- factories
@pytest.fixture
def make_region(db):
    def make(name: str | None = None) -> Region:
        n = next(_counter)
        region = Region(code=f"R{n}", name=name or f"Testregio {n}")
        db.add(region)
        db.commit()
        return region

    return make


@pytest.fixture
def make_org(db, make_region):
    def make(type_code: str = "VT", name: str | None = None, region: Region | None = None) -> Organisation:
        region = region or make_region()
        org = Organisation(name=name or f"{type_code} test {next(_counter)}", type_code=type_code,
                           region_id=region.id)
        db.add(org)
        db.commit()
        return org

    return make


@pytest.fixture
def make_user(db, make_org):
    """Create an account with TEST_PASSWORD and, by default, an enrolled authenticator."""

    def make(roles=("professional",), org: Organisation | None = None, type_code: str = "VT",
             email: str | None = None, totp: bool = True, active: bool = True, **fields) -> User:
        org = org or make_org(type_code)
        n = next(_counter)
        user = User(email=email or f"user{n}@example.test", name=f"Test Gebruiker {n}",
                    organisation_id=org.id, password_hash=_PASSWORD_HASH, created_at=utcnow(),
                    active=active, **fields)
        user.roles = roles
        if totp:
            user.totp_secret = pyotp.random_base32()
            user.totp_enabled = True
        db.add(user)
        db.commit()
        db.refresh(user)
        return user

    return make


# ---------------------------------------------------------------- helpers
def csrf_token(app, client) -> str:
    """A valid CSRF token for *client*'s session (as a rendered form would carry)."""
    with client.session_transaction() as sess:
        raw = sess.setdefault("csrf_token", os.urandom(20).hex())
    return URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)


def form_post(app, client, url: str, data: dict | None = None, **kwargs):
    """POST a form with a valid CSRF token."""
    return client.post(url, data={**(data or {}), "csrf_token": csrf_token(app, client)}, **kwargs)


class AuthActions:
    """Log users in and out through the real forms (password and TOTP)."""

    def __init__(self, app, client, db):
        self._app, self._client, self._db = app, client, db

    def login(self, user: User, password: str = TEST_PASSWORD):
        self._db.expire_all()
        user = self._db.get(User, user.id)
        user.totp_last_step = 0  # tests log in often; let the current code be used again
        self._db.add(user)
        self._db.commit()
        resp = form_post(self._app, self._client, "/login",
                         {"email": user.email, "password": password})
        if resp.status_code == 302 and resp.headers["Location"].endswith("/login/tweede-stap"):
            resp = form_post(self._app, self._client, "/login/tweede-stap",
                             {"code": pyotp.TOTP(user.totp_secret).now()})
        return resp

    def logout(self):
        return form_post(self._app, self._client, "/logout")


@pytest.fixture
def auth(app, client, db):
    return AuthActions(app, client, db)


@pytest.fixture
def login_as(auth, make_user):
    """Create a user with *roles* and log the client in as that user."""

    def login(roles=("professional",), **kwargs) -> User:
        user = make_user(roles=roles, **kwargs)
        resp = auth.login(user)
        assert resp.status_code == 302, resp.text[:500]
        return user

    return login


def statements_run(engine, work) -> list[str]:
    """Every statement run on *engine* while ``work()`` runs, in order."""
    from sqlalchemy import event

    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        work()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def tables_read(engine, work) -> set[str]:
    """The tables that the SELECTs run on *engine* while ``work()`` runs read from (FROM or JOIN): what a kept
    answer rests on is compared with :data:`mda.core.epoch.TRACKED` this way (tests/live/test_facts.py,
    tests/cases/test_sharing_context_cache.py)."""
    import re

    names = sorted(SQLModel.metadata.tables, key=len, reverse=True)
    return {n for statement in statements_run(engine, work) if statement.lstrip().upper().startswith(("SELECT", "WITH"))
            for n in names if re.search(rf'(?:FROM|JOIN)\s+"?{n}"?(?:\s|$|,|\))', statement, re.I)}


def audit_rows(db, **filters):
    """Audit rows matching *filters* (column=value), in chain order (PostgreSQL: pending rows sealed first, as
    the sealer does shortly after a commit)."""
    from sqlmodel import select

    from mda.core.audit import AuditEvent, seal_pending

    seal_pending(db.get_bind(), wait=True)
    db.expire_all()
    stmt = select(AuditEvent).order_by(AuditEvent.seq)
    for column, value in filters.items():
        stmt = stmt.where(getattr(AuditEvent, column) == value)
    return list(db.exec(stmt))


def audit_subjects(db, **filters):
    """(audit row, link row) pairs of the audit_subject index matching *filters* on either table."""
    from sqlmodel import select

    from mda.core.audit import AuditEvent
    from mda.core.audit_subjects import AuditSubject

    db.expire_all()
    stmt = (select(AuditEvent, AuditSubject).join(AuditSubject, AuditSubject.event_id == AuditEvent.id)
            .order_by(AuditEvent.seq, AuditSubject.id))
    for column, value in filters.items():
        model = AuditSubject if column in ("person_id", "item_id", "kind") else AuditEvent
        stmt = stmt.where(getattr(model, column) == value)
    return list(db.exec(stmt))


def text_of(html: str) -> str:
    """Visible text of a page, roughly (tags removed, whitespace collapsed)."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# ---------------------------------------------------------------- case factories
@pytest.fixture
def make_case(db, make_region):
    """Create a case in a region with the given coordinator, circle organisations and members."""
    from mda.cases.models import Case, CaseMember, CaseOrganisation

    def make(coordinator: User, orgs=(), members=(), region: Region | None = None, **fields) -> Case:
        n = next(_counter)
        region_id = region.id if region else db.get(Organisation, coordinator.organisation_id).region_id
        case = Case(reference=f"MDA-2026-{n:04d}", region_id=region_id, coordinator_id=coordinator.id,
                    reason=fields.pop("reason", "Testreden"), goal=fields.pop("goal", "Testdoel"),
                    opened_at=utcnow(), **fields)
        db.add(case)
        db.flush()
        org_ids = {o.id for o in orgs} | {m.organisation_id for m in members} | {coordinator.organisation_id}
        for org_id in org_ids:
            db.add(CaseOrganisation(case_id=case.id, organisation_id=org_id, added_at=utcnow()))
        for member in members:
            db.add(CaseMember(case_id=case.id, user_id=member.id, added_at=utcnow()))
        db.commit()
        db.refresh(case)
        return case

    return make


@pytest.fixture
def make_person(db):
    from datetime import date

    from mda.cases.models import Person

    def make(case, source_org: Organisation | None = None, role: str = "slachtoffer", **fields) -> Person:
        n = next(_counter)
        person = Person(case_id=case.id, role=role, name=fields.pop("name", f"Persoon Fictief {n}"),
                        date_of_birth=fields.pop("date_of_birth", date(1990, 1, 1)),
                        address=fields.pop("address", f"Nepstraat {n}, Demodam"),
                        source_organisation_id=(source_org.id if source_org else
                                                db.get(User, case.coordinator_id).organisation_id), **fields)
        db.add(person)
        db.commit()
        return person

    return make


@pytest.fixture
def make_item(db):
    from datetime import date

    from mda.cases.models import Item, ItemPerson

    def make(case, source_org: Organisation, category: str = "risicosignalen", persons=(), content=None,
             author: User | None = None):
        item = Item(case_id=case.id, category=category, content=content or f"Inhoud {next(_counter)} ({category})",
                    source_organisation_id=source_org.id, author_id=author.id if author else None,
                    recorded_on=date(2026, 11, 1), created_at=utcnow())
        db.add(item)
        db.flush()
        for p in persons:
            db.add(ItemPerson(item_id=item.id, person_id=p.id))
        db.commit()
        return item

    return make


@pytest.fixture
def make_consent(db):
    from datetime import date

    from mda.cases.models import Consent, ConsentRecipient

    def make(case, person, recipients, categories, recorded_by: User, **fields):
        consent = Consent(case_id=case.id, person_id=person.id, given_by=fields.pop("given_by", "betrokkene zelf"),
                          purpose=fields.pop("purpose", "MDA++-overleg"), method=fields.pop("method", "schriftelijk"),
                          categories_text=" ".join(categories), recorded_by_id=recorded_by.id,
                          given_on=fields.pop("given_on", date(2026, 1, 1)), created_at=utcnow(), **fields)
        db.add(consent)
        db.flush()
        for org in recipients:
            db.add(ConsentRecipient(consent_id=consent.id, organisation_id=org.id))
        db.commit()
        return consent

    return make
