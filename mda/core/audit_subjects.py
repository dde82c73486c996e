"""The audit trail's index of what was seen: one ``audit_subject`` row per person or item.

A summary string cannot say which of 72 items a page showed; this link table can. Every
:func:`mda.core.audit.record` call that names persons (``person_ids``) or passes
``subjects`` gets one row per person and item here, with the basis it was shown on, in the
same transaction as the audit row itself. The per-person access log of the privacy
officer (:mod:`mda.privacy.subjects`) finds rows through this table's indexes.

The rows are written with their audit rows when the unit of work commits
(:func:`mda.core.audit.records._write_pending`), so they disappear with them on a rollback.
"""

from __future__ import annotations

from typing import NamedTuple

from sqlmodel import Field, SQLModel


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


def subjects_for(person_ids, subjects, basis: str) -> tuple[Subject, ...]:
    """The explicit *subjects*, plus one row for each of *person_ids* they do not name yet."""
    out = [s if isinstance(s, Subject) else Subject(*s) for s in (subjects or ())]
    named = {s.person_id for s in out}
    out += [Subject(person_id=p, basis=basis, kind="persoon") for p in sorted(set(person_ids)) if p not in named]
    return tuple(out)

