"""The audit trail: an append-only, hash-chained log with NEN 7513 fields.

Services call :func:`record` in the same unit of work as the change they make;
the row is written when that unit of work commits and disappears with it when it
rolls back. Refused attempts (``denied``) and failed logins are the exception:
they survive a rollback, because the attempt itself is what must be on record.

Each row carries the hash of the previous row. Rows get their place in the chain
at commit time, under a lock on the single ``audit_head`` row, so concurrent
writers in several processes still form one unbroken chain (PostgreSQL waits on
the row lock; SQLite serialises writers anyway). The application has no update
or delete path; the migration adds triggers that refuse both.
"""


import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from flask import has_request_context, request
from sqlalchemy import event, text
from sqlmodel import Field, Session, SQLModel, select

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
GENESIS_HASH = "0" * 64
_PENDING_KEY = "mda_audit_pending"


class AuditEvent(SQLModel, table=True):
    """One line of the audit trail (NEN 7513: who, whose data, what, when, where, why)."""

    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    seq: int = Field(index=True, unique=True)
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
    prev_hash: str
    hash: str

    def canonical(self) -> str:
        """The row's content as the chain hashes it (every field but id and hash)."""
        payload = {
            "seq": self.seq,
            "occurred_at": _as_utc(self.occurred_at).isoformat(),
            "user_id": self.user_id,
            "user_name": self.user_name,
            "organisation_id": self.organisation_id,
            "organisation_name": self.organisation_name,
            "on_behalf_of": self.on_behalf_of,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "case_id": self.case_id,
            "person_ids": self.person_ids,
            "basis": self.basis,
            "client_address": self.client_address,
            "outcome": self.outcome,
            "summary": self.summary,
            "prev_hash": self.prev_hash,
        }
        return json.dumps(payload, sort_keys=True, ensure_ascii=False)

    def compute_hash(self) -> str:
        """SHA-256 over the canonical content, which includes the previous hash."""
        return hashlib.sha256(self.canonical().encode()).hexdigest()


class AuditHead(SQLModel, table=True):
    """The single row that holds the end of the chain; its row lock orders writers."""

    __tablename__ = "audit_head"

    id: int = Field(default=1, primary_key=True)
    last_seq: int = 0
    last_hash: str = GENESIS_HASH


@dataclass
class Entry:
    """An audit row waiting for its unit of work to commit."""

    action: str
    fields: dict[str, Any] = field(default_factory=dict)
    occurred_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def survives_rollback(self) -> bool:
        return self.action in ("denied", "login_failed")


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _client_address() -> str:
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
) -> None:
    """Queue an audit row in *db*'s unit of work; it is written when that commits."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    organisation = getattr(user, "organisation", None) if user is not None else None
    entry = Entry(
        action=action,
        fields={
            "user_id": getattr(user, "id", None),
            "user_name": user_name if user_name is not None else getattr(user, "email", ""),
            "organisation_id": getattr(organisation, "id", None),
            "organisation_name": getattr(organisation, "name", ""),
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
    )
    queue(db, entry)


def queue(db: Session, entry: Entry) -> None:
    """Add an already built :class:`Entry` to *db*'s pending list."""
    db.info.setdefault(_PENDING_KEY, []).append(entry)


def take_surviving_events(db: Session) -> list[Entry]:
    """Remove the pending entries from *db*; return those that must outlive a rollback."""
    pending = db.info.pop(_PENDING_KEY, [])
    return [entry for entry in pending if entry.survives_rollback]


@event.listens_for(Session, "before_commit")
def _write_pending(db: Session) -> None:
    """Give the pending entries their place in the chain and add them to the commit."""
    pending: list[Entry] = db.info.pop(_PENDING_KEY, [])
    if not pending:
        return
    # The UPDATE takes the row lock on PostgreSQL (and the write lock on SQLite)
    # before the head is read, so no other writer can chain onto the same row.
    db.execute(text("UPDATE audit_head SET last_seq = last_seq WHERE id = 1"))
    head = db.exec(select(AuditHead).where(AuditHead.id == 1)).first()
    if head is None:
        head = AuditHead(id=1)
        db.add(head)
        db.flush()
    db.refresh(head)
    prev_hash, seq = head.last_hash, head.last_seq
    for entry in pending:
        seq += 1
        row = AuditEvent(
            seq=seq,
            occurred_at=entry.occurred_at,
            action=entry.action,
            prev_hash=prev_hash,
            hash="",
            **entry.fields,
        )
        row.hash = row.compute_hash()
        prev_hash = row.hash
        db.add(row)
    head.last_seq, head.last_hash = seq, prev_hash
    db.add(head)
    db.flush()


@dataclass
class ChainReport:
    """The outcome of :func:`verify_chain`."""

    checked: int
    first_broken_seq: int | None = None
    problem: str = ""

    @property
    def intact(self) -> bool:
        return self.first_broken_seq is None


def verify_chain(db: Session, batch: int = 5000) -> ChainReport:
    """Recompute every hash in order; report the first row that does not match."""
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
    return ChainReport(checked)
