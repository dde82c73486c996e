"""The audit trail: an append-only, hash-chained log with NEN 7513 fields.

Services call :func:`record` in the same unit of work as the change they make;
the row is written when that unit of work commits and disappears with it when it
rolls back. Refused attempts (``denied``) and failed logins are the exception:
they survive a rollback, because the attempt itself is what must be on record.

Writing and chaining are two steps, so that no request waits on a global lock:

1. **Append.** The unit of work inserts its rows *pending* (``seq`` is NULL, no
   hash), like any other row: no shared row is touched, so concurrent requests in
   any number of processes never wait on each other here.
2. **Seal.** After a commit that added rows (in a unit of work: after what waited
   for the commit, such as a live push, ran), the committing process tries to
   become the one *sealer* (``SELECT … FOR UPDATE SKIP LOCKED`` on the
   ``audit_head`` row on PostgreSQL; SQLite serialises writers anyway). The sealer
   gives every pending row, in insertion order, the next ``seq``, the previous
   row's hash and its own hash, in one short transaction. A process that finds
   the sealer busy does not wait: the sealer checks for pending rows again after
   releasing the lock, so a row committed while it worked is sealed too.
   ``flask audit-verify`` (and :func:`seal_pending`) seal whatever is left, e.g.
   after a process was killed between its commit and its seal. On SQLite, which
   admits one writer at a time anyway, the rows are sealed inside the committing
   transaction (one disk flush per request instead of two).

Once sealed, a row is fixed: the database triggers refuse every UPDATE and DELETE
except the single transition from pending to sealed that fills only ``seq``,
``prev_hash`` and ``hash``. The verifier recomputes the chain over the sealed rows
(naming the first altered or missing one) and reports how many are still pending.
"""


import functools
import hashlib
import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from flask import has_request_context, request
from sqlalchemy import Index, bindparam, event, func, text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Field, Session, SQLModel, select

from mda.core import clock

if TYPE_CHECKING:
    from mda.auth.models import User

ACTIONS = (
    "view",
    "create",
    "update",
    "delete",
    "export",
    "denied",
    "login",
    "login_failed",
    "logout",
    "break_glass",
    "search",
)
#: actions whose rows are written even when the request's unit of work rolls back
SURVIVING_ACTIONS = ("denied", "login_failed", "view", "search")
GENESIS_HASH = "0" * 64
_PENDING_KEY = "mda_audit_pending"
#: the defaults of an audit row's text fields (an entry names only what it knows)
_EMPTY_FIELDS = {"user_id": None, "user_name": "", "organisation_id": None, "organisation_name": "",
                 "on_behalf_of": "", "object_type": "", "object_id": "", "case_id": None, "person_ids": "",
                 "basis": "", "client_address": "", "outcome": "success", "summary": "", "prev_hash": "", "hash": ""}
_SEAL_KEY = "mda_audit_seal_after_commit"
_LATER_KEY = "mda_audit_seal_later"
log = logging.getLogger(__name__)


class AuditEvent(SQLModel, table=True):
    """One line of the audit trail (NEN 7513: who, whose data, what, when, where, why)."""

    __tablename__ = "audit_event"
    __table_args__ = (
        # the sealer's work list: small (rows wait milliseconds), found without a scan
        Index("ix_audit_event_pending", "id", postgresql_where=text("seq IS NULL"),
              sqlite_where=text("seq IS NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    seq: int | None = Field(default=None, index=True, unique=True)  # None while pending
    occurred_at: datetime = Field(index=True)
    user_id: int | None = Field(default=None, index=True)
    user_name: str = ""
    organisation_id: int | None = None
    organisation_name: str = ""
    on_behalf_of: str = ""
    action: str = Field(index=True)
    object_type: str = ""
    object_id: str = ""
    case_id: int | None = Field(default=None, index=True)
    person_ids: str = ""
    basis: str = ""
    client_address: str = ""
    outcome: str = "success"
    summary: str = ""
    prev_hash: str = ""
    hash: str = ""

    def canonical(self) -> str:
        """The row's content as the chain hashes it (every field but id and hash)."""
        return canonical({name: getattr(self, name) for name in _HASHED})

    def compute_hash(self) -> str:
        """SHA-256 over the canonical content, which includes the previous hash."""
        return hashlib.sha256(self.canonical().encode()).hexdigest()


#: the fields the chain hashes, in the canonical payload
_HASHED = ("seq", "occurred_at", "user_id", "user_name", "organisation_id", "organisation_name", "on_behalf_of",
           "action", "object_type", "object_id", "case_id", "person_ids", "basis", "client_address", "outcome",
           "summary", "prev_hash")


def canonical(row) -> str:
    """A row's content (a mapping of at least :data:`_HASHED`) as the chain hashes it.

    The sealer hashes rows read with SQLAlchemy Core through this, without building model objects.
    """
    payload = {name: row[name] for name in _HASHED}
    payload["occurred_at"] = _as_utc(row["occurred_at"]).isoformat()
    return _CANONICAL.encode(payload)


#: what ``json.dumps(payload, sort_keys=True, ensure_ascii=False)`` writes, without a new encoder per row
_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False)


class AuditHead(SQLModel, table=True):
    """The single row that holds the end of the chain; only the sealer locks it."""

    __tablename__ = "audit_head"

    id: int = Field(default=1, primary_key=True)
    last_seq: int = 0
    last_hash: str = GENESIS_HASH


@dataclass
class Entry:
    """An audit row waiting for its unit of work to commit."""

    action: str
    fields: dict[str, Any] = field(default_factory=dict)
    occurred_at: datetime = field(default_factory=clock.now)
    #: persons and items the row is about (``audit_subject`` link rows, see audit_subjects)
    subjects: tuple = ()

    @property
    def survives_rollback(self) -> bool:
        """Refused attempts, failed logins and views stay on record when the work is undone.

        A view was shown even when the response is an error (a form re-rendered with a
        422), so what the user saw is on record whatever the status.
        """
        return self.action in SURVIVING_ACTIONS

    def by(self, db: Session, user: "User", address: str | None = None,
           organisation: tuple[int | None, str] | None = None) -> "Entry":
        """The same row for another *user* (from *address*; None: the current request's), e.g. the same view
        shown to everyone in a live room: only who, their organisation and where differ. *organisation*: the
        user's (id, name) when the caller has it (:func:`organisation_of`)."""
        organisation_id, organisation_name = organisation or organisation_of(db, user)
        return Entry(self.action, {**self.fields, "user_id": user.id, "user_name": getattr(user, "email", ""),
                                   "organisation_id": organisation_id, "organisation_name": organisation_name,
                                   "client_address": (address if address is not None else _client_address())[:64]},
                     subjects=self.subjects)


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


#: where the user acting now is, when that is not the current request (a live push builds views for
#: several sockets in one unit of work; each audit row names its own user's address)
_acting_from: ContextVar[str | None] = ContextVar("mda_audit_acting_from", default=None)


@contextmanager
def acting_from(address: str | None) -> Iterator[None]:
    """Audit rows recorded inside name *address* as the client address (None: the request's, as always)."""
    token = _acting_from.set(address)
    try:
        yield
    finally:
        _acting_from.reset(token)


def _client_address() -> str:
    override = _acting_from.get()
    if override is not None:
        return override
    return (request.remote_addr or "") if has_request_context() else "cli"


def record(
    db: Session,
    action: str,
    *,
    user: "User | None" = None,
    object_type: str = "",
    object_id: Any = "",
    case_id: int | None = None,
    person_ids: list[int] | tuple[int, ...] = (),
    basis: str = "",
    outcome: str | None = None,
    summary: str = "",
    on_behalf_of: str = "",
    user_name: str | None = None,
    subjects=(),
) -> None:
    """Queue an audit row in *db*'s unit of work; it is written when that commits.

    *subjects* (:class:`mda.core.audit_subjects.Subject`: person id, item id, basis, kind)
    name what the row is about in the indexed ``audit_subject`` table; every id of
    *person_ids* gets such a row too. Keep free text about persons out of *summary*.
    """
    from mda.core.audit_subjects import subjects_for
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    organisation_id, organisation_name = organisation_of(db, user)
    entry = Entry(
        action=action,
        fields={
            "user_id": getattr(user, "id", None),
            "user_name": user_name if user_name is not None else getattr(user, "email", ""),
            "organisation_id": organisation_id,
            "organisation_name": organisation_name,
            "on_behalf_of": on_behalf_of,
            "object_type": object_type,
            "object_id": str(object_id) if object_id not in (None, "") else "",
            "case_id": case_id,
            "person_ids": ",".join(str(p) for p in sorted(set(person_ids))),
            "basis": basis,
            "client_address": _client_address()[:64],
            "outcome": outcome or ("denied" if action == "denied" else "success"),
            "summary": summary[:500],
        },
        subjects=subjects_for(person_ids, subjects, basis),
    )
    queue(db, entry)


def organisation_of(db: Session, user) -> tuple[int | None, str]:
    """The user's organisation (id, name) as audit rows name it; the name from the per-process cache unless it is
    loaded already."""
    if user is None:
        return None, ""
    state = getattr(user, "_sa_instance_state", None)
    loaded = state.dict.get("organisation") if state is not None else getattr(user, "organisation", None)
    if loaded is not None:
        return getattr(loaded, "id", None), getattr(loaded, "name", "")
    from mda.organisations.names import organisation_name

    organisation_id = getattr(user, "organisation_id", None)
    return (organisation_id, organisation_name(db, organisation_id)) if organisation_id is not None else (None, "")


def queue(db: Session, entry: Entry) -> None:
    """Add an already built :class:`Entry` to *db*'s pending list."""
    db.info.setdefault(_PENDING_KEY, []).append(entry)


def pending_mark(db: Session) -> int:
    """How many entries *db* holds now; :func:`discard_since` drops those queued after this mark."""
    return len(db.info.get(_PENDING_KEY, []))


def pending_since(db: Session, mark: int) -> list[Entry]:
    """The entries queued after *mark*."""
    return db.info.get(_PENDING_KEY, [])[mark:]


def discard_since(db: Session, mark: int) -> None:
    """Drop the entries queued after *mark*: views that were built but will not be shown."""
    del db.info.get(_PENDING_KEY, [])[mark:]


def take_surviving_events(db: Session) -> list[Entry]:
    """Remove the pending entries from *db*; return those that must outlive a rollback."""
    pending = db.info.pop(_PENDING_KEY, [])
    return [entry for entry in pending if entry.survives_rollback]


@event.listens_for(Session, "before_commit")
def _write_pending(db: Session) -> None:
    """Insert the pending entries in the committing transaction: sealed at once on SQLite, pending (sealed after
    the commit by one sealer) on PostgreSQL."""
    pending: list[Entry] = db.info.pop(_PENDING_KEY, [])
    if not pending:
        return
    db.flush()  # the work first (its rows may be what the audit rows name)
    conn = db.connection()
    # Core, not model objects: a live push writes a row per viewer, a page several; each object cost more
    # than its insert.
    table = AuditEvent.__table__
    rows = [{**_EMPTY_FIELDS, **entry.fields, "occurred_at": entry.occurred_at, "action": entry.action}
            for entry in pending]
    if conn.dialect.name == "sqlite":
        # SQLite lets one writer at a time in anyway: take the chain's head now and insert the rows sealed,
        # which saves reading them back and a second commit. Rows left pending by anything else (the partial
        # index finds them without a scan) are sealed first, so the chain keeps the order of insertion.
        # This transaction holds the one write lock once it has touched the head, so the next ids are known: the
        # rows go in with them in one executemany, without RETURNING (which cost more per row than the insert).
        # The head, whether rows are pending and the last id come back from the one statement that locks it.
        head = conn.execute(text(_SQLITE_HEAD)).first()
        if head is None:  # a fresh database: no head row yet
            _lock_head(conn, wait=True)
            head = conn.execute(text(_SQLITE_HEAD)).one()
        seq, prev_hash, pending_left, last_id = head
        if pending_left is not None:
            _seal_batch(conn, seq, prev_hash, batch=10_000)
            seq, prev_hash = conn.execute(text("SELECT last_seq, last_hash FROM audit_head WHERE id = 1")).one()
        for row in rows:
            seq += 1
            last_id += 1
            row["id"], row["seq"], row["prev_hash"] = last_id, seq, prev_hash
            prev_hash = row["hash"] = hashlib.sha256(canonical(row).encode()).hexdigest()
        sql, columns, when = _sqlite_insert(conn.dialect, table)
        conn.exec_driver_sql(sql, [tuple(when(row[c]) if c == "occurred_at" else row[c] for c in columns)
                                   for row in rows])
        conn.execute(text("UPDATE audit_head SET last_seq = :seq, last_hash = :h WHERE id = 1"),
                     {"seq": seq, "h": prev_hash})
        ids = [row["id"] for row in rows]
    else:
        # pending rows; RETURNING in parameter order gives each entry its row id for its subject links
        ids = conn.execute(table.insert().returning(table.c.id, sort_by_parameter_order=True), rows).scalars().all()
        db.info[_SEAL_KEY] = True
    from mda.core.audit_subjects import AuditSubject

    links = [{"event_id": event_id, "person_id": s.person_id, "item_id": s.item_id, "kind": s.kind[:40],
              "basis": s.basis[:1000]} for entry, event_id in zip(pending, ids, strict=True) for s in entry.subjects]
    if links and conn.dialect.name == "sqlite":  # a row per viewer of a live push: plain tuples, as above
        sql, columns, _when = _sqlite_insert(conn.dialect, AuditSubject.__table__, _SUBJECT_COLUMNS)
        conn.exec_driver_sql(sql, [tuple(link[c] for c in columns) for link in links])
    elif links:
        conn.execute(AuditSubject.__table__.insert(), links)


_SQLITE_HEAD = ("UPDATE audit_head SET last_seq = last_seq WHERE id = 1 RETURNING last_seq, last_hash, "
                "(SELECT 1 FROM audit_event WHERE seq IS NULL LIMIT 1), (SELECT COALESCE(MAX(id), 0) FROM audit_event)")


#: the columns an audit subject row is inserted with (its id is the database's)
_SUBJECT_COLUMNS = ("event_id", "person_id", "item_id", "kind", "basis")


@functools.cache
def _sqlite_insert(dialect, table, columns: tuple[str, ...] | None = None) -> tuple[str, tuple[str, ...], Callable]:
    """The SQLite insert of rows of *table* (*columns*; None: all), for one executemany of plain tuples
    (SQLAlchemy's per-row parameter handling cost more than the insert): its SQL, the columns in its order, and
    the time column's own conversion (audit rows), so that rows are stored exactly as the model stores them."""
    names = columns or tuple(c.name for c in table.columns)
    compiled = table.insert().values({name: bindparam(name) for name in names}).compile(dialect=dialect)
    when = table.c.occurred_at.type.bind_processor(dialect) if "occurred_at" in table.c else None
    return str(compiled), tuple(compiled.positiontup), when or (lambda value: value)


@event.listens_for(Session, "after_commit")
def _seal_after_commit(db: Session) -> None:
    """Chain the rows this commit added (and any others pending), unless :func:`sealing_later` holds the seal."""
    if not db.info.get(_LATER_KEY):
        seal_committed(db)


@contextmanager
def sealing_later(db: Session) -> Iterator[None]:
    """Commits of *db* inside this block leave their rows pending; they are sealed when the block ends.

    The unit of work commits in such a block, so that what waits for the commit (a live push, an e-mail)
    does not also wait for a second write transaction: sealing only chains rows already stored. Nested (a
    callback that commits again), only the outermost block seals.
    """
    if db.info.get(_LATER_KEY):
        yield
        return
    db.info[_LATER_KEY] = True
    try:
        yield
    finally:
        db.info.pop(_LATER_KEY, None)
        seal_committed(db)


def seal_committed(db: Session) -> None:
    """Chain what the last commit of *db* added (if it added rows); never wait for a busy sealer."""
    if not db.info.pop(_SEAL_KEY, False):
        return
    try:
        seal_pending(db.get_bind())
    except Exception:  # the work is stored; the next commit or audit-verify seals the rows
        log.exception("sealing the audit trail failed; rows stay pending until the next seal")


@event.listens_for(Session, "after_rollback")
def _forget_seal(db: Session) -> None:
    db.info.pop(_SEAL_KEY, None)


def seal_pending(bind: Engine | Connection, *, wait: bool = False, max_rounds: int = 100) -> int:
    """Give every pending row its place in the chain; return how many rows were sealed.

    Only one sealer works at a time. Without *wait*, a caller that finds another
    sealer at work returns at once: that sealer looks for pending rows again after
    it released the lock, so nothing committed before that moment is left behind.
    """
    engine = bind.engine if isinstance(bind, Connection) else bind
    sealed = 0
    for _ in range(max_rounds):
        with engine.begin() as conn:
            head = _lock_head(conn, wait=wait)
            if head is None:
                return sealed  # another sealer holds the head and will look again
            sealed += _seal_batch(conn, *head)
        with engine.connect() as conn:
            if conn.execute(text("SELECT 1 FROM audit_event WHERE seq IS NULL LIMIT 1")).first() is None:
                return sealed
    return sealed


def _lock_head(conn: Connection, *, wait: bool) -> tuple[int, str] | None:
    """Lock the chain's head for this sealer; None when another sealer holds it."""
    if conn.dialect.name == "postgresql":
        # A lost seal is redone by the next sealer, so this transaction need not wait for the disk.
        conn.execute(text("SET LOCAL synchronous_commit = off"))
        head = select(AuditHead.last_seq, AuditHead.last_hash).where(AuditHead.id == 1)
        row = conn.execute(head.with_for_update(skip_locked=not wait)).first()
        if row is None and conn.execute(text("SELECT 1 FROM audit_head WHERE id = 1")).first() is None:
            conn.execute(text("INSERT INTO audit_head (id, last_seq, last_hash) VALUES (1, 0, :h)"),
                         {"h": GENESIS_HASH})
            return 0, GENESIS_HASH
    else:
        # SQLite: the write lock taken by this statement serialises sealers (and all writers).
        row = conn.execute(text("UPDATE audit_head SET last_seq = last_seq WHERE id = 1 "
                                "RETURNING last_seq, last_hash")).first()
        if row is None:
            conn.execute(text("INSERT INTO audit_head (id, last_seq, last_hash) VALUES (1, 0, :h)"),
                         {"h": GENESIS_HASH})
            row = (0, GENESIS_HASH)
    return (row[0], row[1]) if row is not None else None


def _seal_batch(conn: Connection, seq: int, prev_hash: str, batch: int = 2000) -> int:
    """Seal up to *batch* pending rows in insertion order, continuing the chain at (seq, prev_hash)."""
    table = AuditEvent.__table__
    rows = conn.execute(table.select().where(table.c.seq.is_(None)).order_by(table.c.id).limit(batch)).all()
    if not rows:
        return 0
    seals = []
    for row in rows:
        seq += 1
        link = prev_hash
        prev_hash = hashlib.sha256(canonical({**row._mapping, "seq": seq, "prev_hash": link}).encode()).hexdigest()
        seals.append({"row_id": row.id, "seq": seq, "prev_hash": link, "hash": prev_hash})
    # The one statement that changes an audit row: pending -> sealed, nothing else (the triggers check).
    conn.execute(text(_SEAL_STATEMENT), seals)
    conn.execute(text("UPDATE audit_head SET last_seq = :seq, last_hash = :h WHERE id = 1"),
                 {"seq": seq, "h": prev_hash})
    return len(seals)


_SEAL_STATEMENT = "UPDATE audit_event SET seq = :seq, prev_hash = :prev_hash, hash = :hash WHERE id = :row_id AND seq IS NULL"  # noqa: E501


@dataclass
class ChainReport:
    """The outcome of :func:`verify_chain`."""

    checked: int
    first_broken_seq: int | None = None
    problem: str = ""
    pending: int = 0  # rows committed but not yet sealed into the chain

    @property
    def intact(self) -> bool:
        return self.first_broken_seq is None


def verify_chain(db: Session, batch: int = 5000, *, seal: bool = True) -> ChainReport:
    """Seal what is pending, recompute every sealed hash in order; report the first row that does not match.

    With ``seal=False`` nothing is written; rows still pending are counted in the report.
    """
    if seal:
        seal_pending(db.get_bind(), wait=True)
    prev_hash, expected_seq, checked = GENESIS_HASH, 1, 0
    last_seq = 0
    while True:
        rows = db.exec(
            select(AuditEvent).where(AuditEvent.seq > last_seq).order_by(AuditEvent.seq).limit(batch)
        ).all()
        if not rows:
            break
        for row in rows:
            if row.seq != expected_seq:
                return ChainReport(checked, expected_seq, f"regel {expected_seq} ontbreekt")
            if row.prev_hash != prev_hash:
                return ChainReport(checked, row.seq, "verwijzing naar vorige regel klopt niet")
            if row.compute_hash() != row.hash:
                return ChainReport(checked, row.seq, "inhoud is gewijzigd")
            prev_hash, expected_seq, checked = row.hash, expected_seq + 1, checked + 1
            last_seq = row.seq
        db.expunge_all()
    head = db.exec(select(AuditHead).where(AuditHead.id == 1)).first()
    if head is not None and (head.last_seq != checked or head.last_hash != prev_hash):
        return ChainReport(checked, checked + 1, "regels aan het eind van de keten ontbreken")
    pending = db.exec(select(func.count()).select_from(AuditEvent).where(AuditEvent.seq.is_(None))).one()
    return ChainReport(checked, pending=pending)
