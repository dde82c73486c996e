"""Access epochs: a number per case, per meeting and one for everything, raised in the same transaction as every
write that a sharing decision or a live room's entry is made from.

A decision remembered together with the epochs it was made under may be used again, in any process, for as long
as those epochs have not moved (:mod:`mda.live.facts` keeps the rights of a room's writers and viewers between
keystrokes this way). The scopes:

- ``case:<id>``: the case, its circle (organisations, members), consents and their recipients, duty-conflict
  decisions, break-glass openings, persons, items (not an item's text) and which persons an item is about;
- ``meeting:<id>``: the meeting, its agenda items, the invitations and the items they cover;
- ``*``: accounts, organisations and regions, and any write whose case or meeting the unit of work cannot
  name (a statement of SQL rather than an object's flush);
- ``sessions``: an account's session version alone (a logout, a password change): what the live session checks
  of a viewer's login, which no sharing decision reads (so a logout leaves kept case contexts standing).

The scopes a unit of work touched are collected at each flush and raised together, in sorted order, when it
commits (one short row lock per scope, taken last); a flush during the commit raises its own at once. A unit of
work that rolls back raised nothing. :data:`TRACKED` names the tables; ``tests/core/test_epoch.py`` fails when a
remembered decision reads a table that is not in it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from sqlalchemy import BigInteger, Column, event, inspect, select
from sqlmodel import Field, Session, SQLModel

from mda.auth.models import User
from mda.cases.models import (
    BreakGlass,
    Case,
    CaseMember,
    CaseOrganisation,
    Consent,
    ConsentRecipient,
    DutyConflictDecision,
    Item,
    ItemPerson,
    Person,
)
from mda.meetings.models import AgendaItem, Invitation, InvitationItem, Meeting
from mda.organisations.models import Organisation, Region

EVERYTHING = "*"
#: the scope of accounts' session versions (see the module's text)
SESSIONS = "sessions"
#: of an account, what only the login session checks read (raises :data:`SESSIONS`, not :data:`EVERYTHING`)
SESSION_ATTRIBUTES = frozenset({"session_version"})
_PENDING = "mda_epoch_scopes"
_COMMITTING = "mda_epoch_committing"
_RAISED = "mda_epoch_raised"
_LAST = "mda_epoch_last_commit_raised"


class AccessEpoch(SQLModel, table=True):
    """How often what the decisions of one scope are made from has changed."""

    __tablename__ = "access_epoch"

    scope: str = Field(primary_key=True, max_length=40)
    epoch: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, default=0))


#: changes of these attributes alone leave every decision as it was (an item's text: a minutes piece typed in)
FREE_ATTRIBUTES: dict[type, frozenset[str]] = {Item: frozenset({"content"})}
#: of an account, only these are read by a decision (its rights and organisation, and its name as a recorder's):
#: a login, a failed one or a new authenticator raises nothing
READ_ATTRIBUTES: dict[type, frozenset[str]] = {
    User: frozenset({"active", "roles_text", "organisation_id", "name", "email", "is_demo"}),
}
_CASE_SCOPED = (Case, CaseOrganisation, CaseMember, Consent, DutyConflictDecision, BreakGlass, Item, Person)
_MEETING_SCOPED = (Meeting, AgendaItem, Invitation)
_EVERYWHERE = (User, Organisation, Region)
#: the tables whose writes raise an epoch
TRACKED: frozenset[str] = frozenset(m.__table__.name for m in (*_CASE_SCOPED, *_MEETING_SCOPED, *_EVERYWHERE,
                                                                 ItemPerson, ConsentRecipient, InvitationItem))
_WRITE = re.compile(r"^\s*(insert|update|delete|replace|merge)\b", re.IGNORECASE)


def case_scope(case_id: int) -> str:
    return f"case:{case_id}"


def meeting_scope(meeting_id: int) -> str:
    return f"meeting:{meeting_id}"


def read(db: Session, scopes: Iterable[str]) -> tuple[int, ...]:
    """The current epochs of *scopes* (in their order; a scope never raised is 0), in one statement."""
    scopes = list(scopes)
    found = dict(db.execute(_read_statement(), {"scopes": scopes}).all())
    return tuple(found.get(s, 0) for s in scopes)


@functools.cache
def _read_statement():
    from sqlalchemy import bindparam

    return select(AccessEpoch.scope, AccessEpoch.epoch).where(
        AccessEpoch.scope.in_(bindparam("scopes", expanding=True)))


def raised_here(db: Session) -> bool:
    """Has this unit of work raised (or is it about to raise) an epoch? Its own decisions may then rest on what
    it has not committed yet, and must not be remembered."""
    return bool(db.info.get(_PENDING) or db.info.get(_RAISED))


def last_commit_raised(db: Session) -> bool:
    """Did the unit of work that *db* committed last raise an epoch (asked after its commit)?"""
    return db.info.get(_LAST, True)


# ----------------------------------------------------------------------------- collecting
def _changed(obj, read: frozenset[str] | None = None) -> bool:
    """Did the flush change an attribute a decision reads (of *read*, when given)?"""
    attrs = inspect(obj).attrs
    if (read := read or READ_ATTRIBUTES.get(type(obj))) is not None:
        return any(attrs[name].history.has_changes() for name in read)
    free = FREE_ATTRIBUTES.get(type(obj), frozenset())
    return any(attr.key not in free and attr.history.has_changes() for attr in attrs)


def _scope_of(session: Session, obj) -> str | None:
    if isinstance(obj, Case):
        return case_scope(obj.id)
    if isinstance(obj, _CASE_SCOPED):
        return case_scope(obj.case_id)
    if isinstance(obj, Meeting):
        return meeting_scope(obj.id)
    if isinstance(obj, _MEETING_SCOPED):
        return meeting_scope(obj.meeting_id)
    if isinstance(obj, ItemPerson):
        return _parent_scope(session, Item, obj.item_id, case_scope, "case_id")
    if isinstance(obj, ConsentRecipient):
        return _parent_scope(session, Consent, obj.consent_id, case_scope, "case_id")
    if isinstance(obj, InvitationItem):
        return _parent_scope(session, Invitation, obj.invitation_id, meeting_scope, "meeting_id")
    if isinstance(obj, _EVERYWHERE):
        return EVERYTHING
    return None


def _parent_scope(session: Session, model: type, ident, scope, column: str) -> str:
    """The scope of a link row's parent (in the session, else read on the flush's own connection)."""
    parent = session.identity_map.get(session.identity_key(model, ident)) if ident is not None else None
    if parent is not None:
        return scope(getattr(parent, column))
    if ident is None:
        return EVERYTHING
    value = session.connection().execute(select(getattr(model, column)).where(model.id == ident)).scalar()
    return scope(value) if value is not None else EVERYTHING


@event.listens_for(Session, "after_flush")
def _collect(session: Session, _flush_context) -> None:
    scopes = set()
    for obj in session.new:
        scopes.add(_scope_of(session, obj))
    for obj in session.deleted:
        scopes.add(_scope_of(session, obj))
    for obj in session.dirty:
        if _scope_of(session, obj) is not None and _changed(obj):
            scopes.add(_scope_of(session, obj))
        elif isinstance(obj, User) and _changed(obj, SESSION_ATTRIBUTES):
            scopes.add(SESSIONS)
    scopes.discard(None)
    _note(session, scopes)


@event.listens_for(Session, "do_orm_execute")
def _collect_statement(state) -> None:
    """A write by statement instead of by object: every scope, unless its table is known and not tracked."""
    if state.is_select:
        return
    statement = state.statement
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(statement, "table", None)
        if getattr(table, "name", None) not in (*TRACKED, None):
            return
    elif not _WRITE.match(str(statement)) or not any(name in str(statement) for name in TRACKED):
        return
    _note(state.session, {EVERYTHING})


def _note(session: Session, scopes: set[str]) -> None:
    if not scopes:
        return
    if session.info.get(_COMMITTING):  # a flush of the commit itself: raise now, in its transaction
        _raise(session, scopes)
        return
    session.info.setdefault(_PENDING, set()).update(scopes)


# ----------------------------------------------------------------------------- raising
@event.listens_for(Session, "before_commit")
def _raise_pending(session: Session) -> None:
    session.info[_COMMITTING] = True
    scopes = session.info.pop(_PENDING, None)
    if scopes:
        _raise(session, scopes)


def _raise(session: Session, scopes: set[str]) -> None:
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    table = AccessEpoch.__table__
    statement = insert(table).values([{"scope": s, "epoch": 1} for s in sorted(scopes)])
    statement = statement.on_conflict_do_update(index_elements=[table.c.scope], set_={"epoch": table.c.epoch + 1})
    conn.execute(statement)
    session.info.setdefault(_RAISED, set()).update(scopes)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    session.info[_LAST] = bool(session.info.get(_PENDING) or session.info.get(_RAISED))
    _reset(session)


def _reset(session: Session) -> None:
    for key in (_PENDING, _COMMITTING, _RAISED):
        session.info.pop(key, None)


@event.listens_for(Session, "after_soft_rollback")
def _reset_after_rollback(session: Session, _previous) -> None:
    """A rollback to a savepoint keeps what the outer transaction collected (raising too much is harmless,
    too little is not); the end of the whole transaction forgets it."""
    if not session.in_transaction():
        _reset(session)
