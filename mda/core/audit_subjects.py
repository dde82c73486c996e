"""The audit trail's index of what was seen: one ``audit_subject`` row per person or item.

A summary string cannot say which of 72 items a page showed; this link table can. Every
:func:`mda.core.audit.record` call that names persons (``person_ids``) or passes
``subjects`` gets one row per person and item here, with the basis it was shown on, in the
same transaction as the audit row itself. The per-person access log of the privacy
officer (:mod:`mda.privacy.subjects`) finds rows through this table's indexes.

The rows are written by an ``after_insert`` hook on :class:`AuditEvent`, so they follow
whatever way the chain gives the event its place, and disappear with it on a rollback.
"""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import event
from sqlalchemy.orm import object_session
from sqlmodel import Field, Session, SQLModel

from mda.core.audit import AuditEvent

REGISTRY_KEY = "mda_audit_subjects"


class Subject(NamedTuple):
    """A person and/or an item an audit row is about, and the basis it was seen on."""

    person_id: int | None = None
    item_id: int | None = None
    basis: str = ""
    kind: str = ""  # what of it: persoon | adres | item | toestemming | besluit | aanleiding | doel | ...


class AuditSubject(SQLModel, table=True):
    """One person or item named by one audit row (append-only, like the trail)."""

    __tablename__ = "audit_subject"

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="audit_event.id", index=True)
    person_id: int | None = Field(default=None, index=True)
    item_id: int | None = Field(default=None, index=True)
    kind: str = Field(default="", max_length=40)
    basis: str = Field(default="", max_length=1000)


def _key(action, occurred_at, fields) -> tuple:
    return (action, occurred_at, fields.get("user_id"), fields.get("object_type"), fields.get("object_id"),
            fields.get("basis"), fields.get("summary"), fields.get("person_ids"))


@event.listens_for(AuditEvent, "after_insert")
def _write_subjects(_mapper, connection, target: AuditEvent) -> None:
    """Write the link rows of the audit row just inserted (matched to its queued entry)."""
    db = object_session(target)
    waiting = db.info.get(REGISTRY_KEY) if db is not None else None
    if not waiting:
        return
    key = _key(target.action, target.occurred_at, {
        "user_id": target.user_id, "object_type": target.object_type, "object_id": target.object_id,
        "basis": target.basis, "summary": target.summary, "person_ids": target.person_ids})
    for index, entry in enumerate(waiting):
        if _key(entry.action, entry.occurred_at, entry.fields) == key:
            del waiting[index]
            if entry.subjects:
                connection.execute(AuditSubject.__table__.insert(), [
                    {"event_id": target.id, "person_id": s.person_id, "item_id": s.item_id,
                     "kind": s.kind[:40], "basis": s.basis[:1000]} for s in entry.subjects])
            return


def register(db, entry) -> None:
    """Remember *entry* until its audit row is inserted (called when it is queued)."""
    if entry.subjects:
        db.info.setdefault(REGISTRY_KEY, []).append(entry)


def _forget(db, *_args) -> None:
    db.info.pop(REGISTRY_KEY, None)


def install(session_class) -> None:
    """Forget registered entries when a unit of work ends (survivors are queued again)."""
    event.listen(session_class, "after_commit", _forget)
    event.listen(session_class, "after_rollback", _forget)


def subjects_for(person_ids, subjects, basis: str) -> tuple[Subject, ...]:
    """The explicit *subjects*, plus one row for each of *person_ids* they do not name yet."""
    out = [s if isinstance(s, Subject) else Subject(*s) for s in (subjects or ())]
    named = {s.person_id for s in out}
    out += [Subject(person_id=p, basis=basis, kind="persoon") for p in sorted(set(person_ids)) if p not in named]
    return tuple(out)


install(Session)
