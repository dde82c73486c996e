"""The audit trail's two tables and the canonical form the hash chain is computed over."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

from sqlalchemy import Index, text
from sqlmodel import Field, SQLModel

GENESIS_HASH = "0" * 64


class AuditEvent(SQLModel, table=True):
    """One line of the audit trail (NEN 7513: who, whose data, what, when, where, why)."""

    __tablename__ = "audit_event"
    __table_args__ = (
        # the sealer's work list: small (rows wait under a second), found without a scan
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
        return canonical({name: getattr(self, name) for name in HASHED})

    def compute_hash(self) -> str:
        """SHA-256 over the canonical content, which includes the previous hash."""
        return hashlib.sha256(self.canonical().encode()).hexdigest()


class AuditHead(SQLModel, table=True):
    """The single row that holds the end of the chain; only the sealer locks it."""

    __tablename__ = "audit_head"

    id: int = Field(default=1, primary_key=True)
    last_seq: int = 0
    last_hash: str = GENESIS_HASH


#: the fields the chain hashes, in the canonical payload
HASHED = ("seq", "occurred_at", "user_id", "user_name", "organisation_id", "organisation_name", "on_behalf_of",
          "action", "object_type", "object_id", "case_id", "person_ids", "basis", "client_address", "outcome",
          "summary", "prev_hash")


def canonical(row) -> str:
    """A row's content (a mapping of at least :data:`HASHED`) as the chain hashes it.

    The sealer hashes rows read with SQLAlchemy Core through this, without building model objects.
    """
    payload = {name: row[name] for name in HASHED}
    payload["occurred_at"] = as_utc(row["occurred_at"]).isoformat()
    return _CANONICAL.encode(payload)


def row_hash(row) -> str:
    """The SHA-256 of :func:`canonical` of *row*."""
    return hashlib.sha256(canonical(row).encode()).hexdigest()


#: what ``json.dumps(payload, sort_keys=True, ensure_ascii=False)`` writes, without a new encoder per row
_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False)


def as_utc(value: datetime) -> datetime:
    """*value* in UTC (a naive value, as SQLite returns it, is UTC already)."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
