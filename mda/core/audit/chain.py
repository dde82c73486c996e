"""The hash chain: sealing pending audit rows into it, one sealer at a time, and verifying it.

A row is *pending* (``seq`` NULL, no hash) from its commit until a sealer gives it the next ``seq``, the
previous row's hash and its own. Only one sealer works at a time: it locks the ``audit_head`` row
(``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL; SQLite serialises writers anyway). Once sealed a row is
fixed: the database triggers refuse every change but that single transition (``SEAL_STATEMENT``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, text
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, select

from mda.core.audit.models import GENESIS_HASH, AuditEvent, AuditHead, as_utc, row_hash

#: The one statement that changes an audit row: pending -> sealed, nothing else (the triggers check).
SEAL_STATEMENT = "UPDATE audit_event SET seq = :seq, prev_hash = :prev_hash, hash = :hash WHERE id = :row_id AND seq IS NULL"  # noqa: E501
_ANY_PENDING = "SELECT 1 FROM audit_event WHERE seq IS NULL LIMIT 1"


@dataclass
class Sealed:
    """What one call of :func:`seal_pending` did: rows sealed, and the oldest of them (for the lag metric)."""

    rows: int = 0
    oldest: datetime | None = None
    busy: bool = False  # another sealer held the head (it looks for pending rows again when it is done)

    def add(self, rows: int, oldest: datetime | None) -> None:
        self.rows += rows
        if oldest is not None and (self.oldest is None or oldest < self.oldest):
            self.oldest = oldest


def seal_pending(bind: Engine | Connection, *, wait: bool = False, max_rounds: int = 100,
                 look_first: bool = False) -> Sealed:
    """Give every pending row its place in the chain, in insertion order, in batches of one transaction each.

    Only one sealer works at a time. Without *wait*, a caller that finds another sealer at work returns at
    once: that sealer looks for pending rows again after it released the lock, so nothing committed before
    that moment is left behind. *look_first*: check (one read, no transaction to commit) that anything is
    pending before locking the head, as the sealer's periodic sweep does.
    """
    engine = bind.engine if isinstance(bind, Connection) else bind
    sealed = Sealed()
    if look_first and not _anything_pending(engine):
        return sealed
    for _ in range(max_rounds):
        with engine.begin() as conn:
            head = lock_head(conn, wait=wait)
            if head is None:
                sealed.busy = True
                return sealed  # another sealer holds the head and will look again
            sealed.add(*seal_batch(conn, *head))
        if not _anything_pending(engine):
            return sealed
    return sealed


def _anything_pending(engine: Engine) -> bool:
    with engine.connect() as conn:
        return conn.execute(text(_ANY_PENDING)).first() is not None


def lock_head(conn: Connection, *, wait: bool) -> tuple[int, str] | None:
    """Lock the chain's head for this sealer; None when another sealer holds it."""
    if conn.dialect.name == "postgresql":
        # A lost seal is redone by the next sealer (the rows stay pending, committed with the request), so this
        # transaction need not wait for the disk; the audit rows themselves were committed synchronously.
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


def seal_batch(conn: Connection, seq: int, prev_hash: str, batch: int = 2000) -> tuple[int, datetime | None]:
    """Seal up to *batch* pending rows in insertion order, continuing the chain at (seq, prev_hash).

    Returns how many rows were sealed and when the oldest of them was recorded."""
    table = AuditEvent.__table__
    rows = conn.execute(table.select().where(table.c.seq.is_(None)).order_by(table.c.id).limit(batch)).all()
    if not rows:
        return 0, None
    seals = []
    for row in rows:
        seq += 1
        link = prev_hash
        prev_hash = row_hash({**row._mapping, "seq": seq, "prev_hash": link})
        seals.append({"row_id": row.id, "seq": seq, "prev_hash": link, "hash": prev_hash})
    conn.execute(text(SEAL_STATEMENT), seals)
    conn.execute(text("UPDATE audit_head SET last_seq = :seq, last_hash = :h WHERE id = 1"),
                 {"seq": seq, "h": prev_hash})
    return len(seals), min(as_utc(row.occurred_at) for row in rows)


@dataclass
class ChainReport:
    """The outcome of :func:`verify_chain`."""

    checked: int
    first_broken_seq: int | None = None
    problem: str = ""
    pending: int = 0  # rows committed but not yet sealed into the chain: waiting, not broken

    @property
    def intact(self) -> bool:
        return self.first_broken_seq is None


def verify_chain(db: Session, batch: int = 5000, *, seal: bool = True) -> ChainReport:
    """Seal what is pending (unless ``seal=False``), then recompute every sealed hash in order and report the
    first row that does not match; rows still pending are counted, not judged.

    The chain is checked up to the head as read at the start, so a sealer at work meanwhile (the application
    keeps running) neither breaks the check nor is waited for: what it seals later is checked next time.
    """
    if seal:
        seal_pending(db.get_bind(), wait=True)
    head = db.exec(select(AuditHead.last_seq, AuditHead.last_hash).where(AuditHead.id == 1)).first()
    end = head[0] if head is not None else None
    prev_hash, expected_seq, checked = GENESIS_HASH, 1, 0
    last_seq = 0
    while True:
        query = select(AuditEvent).where(AuditEvent.seq > last_seq)
        if end is not None:
            query = query.where(AuditEvent.seq <= end)
        rows = db.exec(query.order_by(AuditEvent.seq).limit(batch)).all()
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
    if head is not None and (head[0] != checked or head[1] != prev_hash):
        return ChainReport(checked, checked + 1, "regels aan het eind van de keten ontbreken")
    pending = db.exec(select(func.count()).select_from(AuditEvent).where(AuditEvent.seq.is_(None))).one()
    return ChainReport(checked, pending=pending)
