"""Recording: audit rows queued in a unit of work and inserted when it commits.

Services call :func:`record` in the same unit of work as the change they make; the row is written when that
unit of work commits and disappears with it when it rolls back. Refused attempts (``denied``), failed logins,
views and searches are the exception: they survive a rollback, because the attempt itself, or what was
shown, is what must be on record.

On PostgreSQL the rows go in *pending* (no place in the chain yet) and the commit of the request is the only
commit: the sealer (:mod:`mda.core.audit.sealer`) chains them in batches shortly after. On SQLite, which
admits one writer at a time anyway, they are sealed inside the committing transaction (no second commit
either way).
"""

import functools
import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask import has_request_context, request
from sqlalchemy import bindparam, event, text
from sqlmodel import Session

from mda.core import clock
from mda.core.audit.chain import lock_head, seal_batch
from mda.core.audit.models import AuditEvent, canonical

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
_PENDING_KEY = "mda_audit_pending"
#: the defaults of an audit row's text fields (an entry names only what it knows)
_EMPTY_FIELDS = {"user_id": None, "user_name": "", "organisation_id": None, "organisation_name": "",
                 "on_behalf_of": "", "object_type": "", "object_id": "", "case_id": None, "person_ids": "",
                 "basis": "", "client_address": "", "outcome": "success", "summary": "", "prev_hash": "", "hash": ""}
#: set on a session whose commit stored pending rows: the sealer is told after the commit
SEAL_KEY = "mda_audit_seal_after_commit"


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
            lock_head(conn, wait=True)
            head = conn.execute(text(_SQLITE_HEAD)).one()
        seq, prev_hash, pending_left, last_id = head
        if pending_left is not None:
            seal_batch(conn, seq, prev_hash, batch=10_000)
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
    elif len({tuple(row) for row in rows}) == 1:
        # the rows and their subjects in one statement (a page's views: one row per basis, its persons and items)
        columns = tuple(rows[0])
        params = {c: [row[c] for row in rows] for c in columns}
        links = [(n, s) for n, entry in enumerate(pending, start=1) for s in entry.subjects]
        params.update(s_n=[n for n, _s in links], s_person=[s.person_id for _n, s in links],
                      s_item=[s.item_id for _n, s in links], s_kind=[s.kind[:40] for _n, s in links],
                      s_basis=[s.basis[:1000] for _n, s in links])
        conn.exec_driver_sql(_pg_rows_with_subjects(columns), params)
        db.info[SEAL_KEY] = True
        return
    else:
        # pending rows; RETURNING in parameter order gives each entry its row id for its subject links
        ids = conn.execute(table.insert().returning(table.c.id, sort_by_parameter_order=True), rows).scalars().all()
        db.info[SEAL_KEY] = True
    from mda.core.audit_subjects import AuditSubject

    links = [{"event_id": event_id, "person_id": s.person_id, "item_id": s.item_id, "kind": s.kind[:40],
              "basis": s.basis[:1000]} for entry, event_id in zip(pending, ids, strict=True) for s in entry.subjects]
    if links and conn.dialect.name == "sqlite":  # a row per viewer of a live push: plain tuples, as above
        sql, columns, _when = _sqlite_insert(conn.dialect, AuditSubject.__table__, _SUBJECT_COLUMNS)
        conn.exec_driver_sql(sql, [tuple(link[c] for c in columns) for link in links])
    elif links:
        conn.execute(AuditSubject.__table__.insert(), links)


@functools.cache
def _pg_rows_with_subjects(columns: tuple[str, ...]) -> str:
    """PostgreSQL: insert audit rows (pending) and their subject rows in one statement, each column's values as
    one array. The rows go in ordered by their place in the arrays, which gives them ascending ids (the order
    SQLAlchemy's insertmanyvalues relies on for ``sort_by_parameter_order`` on PostgreSQL); the *n*-th id is
    therefore the *n*-th row's, and its subjects (``s_n``) are linked to it. The names are the table's own
    columns (an unknown one fails here), every value a parameter."""
    from sqlalchemy.dialects import postgresql

    table = AuditEvent.__table__
    dialect = postgresql.dialect()
    names = ", ".join(table.c[name].name for name in columns)
    arrays = ", ".join(f"%({name})s::{table.c[name].type.compile(dialect=dialect)}[]" for name in columns)
    return (f"WITH v AS (SELECT * FROM unnest({arrays}) WITH ORDINALITY AS v({names}, n)), "  # noqa: S608
            f"e AS (INSERT INTO audit_event ({names}) SELECT {names} FROM v ORDER BY n RETURNING id), "
            "r AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM e) "
            "INSERT INTO audit_subject (event_id, person_id, item_id, kind, basis) "
            "SELECT r.id, s.person_id, s.item_id, s.kind, s.basis FROM r JOIN unnest(%(s_n)s::integer[], "
            "%(s_person)s::integer[], %(s_item)s::integer[], %(s_kind)s::varchar[], %(s_basis)s::varchar[]) "
            "WITH ORDINALITY AS s(n, person_id, item_id, kind, basis, k) ON s.n = r.n ORDER BY s.k")


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
