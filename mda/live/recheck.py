"""Access changes reach open live sessions within a second.

When a unit of work changes who may see what in a case (circle organisations and members,
consents, conflict-of-duties decisions, an item destroyed) or changes an account (deactivated,
roles, session version), this hook runs after the commit (never before):

1. every live socket on an item of an affected case is checked again with the same rules
   as on joining; sockets that lost access are taken out of the item's room by the server
   itself (across processes through the Socket.IO message queue), and sockets of revoked
   or deactivated accounts are disconnected;
2. a ``controle`` notice (ids only) goes to the case's rooms and to the users concerned, after
   which each client fetches its views again through the sharing engine: withdrawn items
   disappear from the page.
"""

from __future__ import annotations

import logging
from itertools import chain

from flask import has_app_context
from sqlalchemy import event, inspect
from sqlmodel import Session, select

from mda import db
from mda.auth.models import User
from mda.cases.models import CaseMember, CaseOrganisation, Consent, DutyConflictDecision, Item, Person
from mda.extensions import socketio
from mda.live import access
from mda.live.models import LivePresence
from mda.live.sockets import NAMESPACE
from mda.meetings.models import AgendaItem, Meeting

log = logging.getLogger(__name__)
_KEY = "mda_live_recheck"
ACCOUNT_FIELDS = ("active", "roles_text", "session_version", "organisation_id")


def _collect(session: Session, _flush_context) -> None:

    cases, users = set(), set()
    for obj in chain(session.new, session.dirty, session.deleted):
        access_row = isinstance(obj, CaseMember | CaseOrganisation | Consent | DutyConflictDecision)
        destroyed = isinstance(obj, Item | Person) and obj in session.dirty and obj.destroyed_at is not None
        if access_row or destroyed:
            cases.add(obj.case_id)
        elif isinstance(obj, User) and obj in session.dirty:
            state = inspect(obj)
            if any(state.attrs[name].history.has_changes() for name in ACCOUNT_FIELDS):
                users.add(obj.id)
    if cases or users:
        pending = session.info.setdefault(_KEY, (set(), set()))
        pending[0].update(cases)
        pending[1].update(users)


def _after_commit(session: Session) -> None:
    pending = session.info.pop(_KEY, None)
    if not pending or not has_app_context():
        return
    try:
        recheck(*pending)
    except Exception:  # a broadcast failing must not undo stored work; clients recheck on their next event
        log.exception("live recheck failed")


def _forget(session: Session, *_args) -> None:
    session.info.pop(_KEY, None)


def install() -> None:
    """Register the hooks once (idempotent)."""
    if not event.contains(Session, "after_flush", _collect):
        event.listen(Session, "after_flush", _collect)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", _forget)


def recheck(case_ids: set[int], user_ids: set[int]) -> None:
    """Remove sockets that lost access, then tell the rooms concerned to fetch again."""
    server = socketio.server
    touched_users: set[int] = set(user_ids)
    with Session(db.engine(), expire_on_commit=False) as s:
        item_ids = set(s.exec(select(AgendaItem.id).where(AgendaItem.case_id.in_(case_ids)))) if case_ids else set()
        for row in s.exec(select(LivePresence)):
            if not (row.user_id in user_ids or row.room_ids & item_ids):
                continue
            user = s.get(User, row.user_id)
            meeting = s.get(Meeting, row.meeting_id)
            # an account change (deactivated, roles, session version revoked by a logout or a
            # password change) ends its live sockets; a still valid session simply reconnects
            if user is None or not user.active or row.user_id in user_ids:
                server.disconnect(row.sid, namespace=NAMESPACE)
                s.delete(row)
                continue
            kept = set()
            for item_id in row.room_ids:
                item = s.get(AgendaItem, item_id)
                if access.may_enter(s, user, meeting, item):
                    kept.add(item_id)
                else:
                    server.leave_room(row.sid, f"item:{item_id}", namespace=NAMESPACE)
                    if item is not None and item.case_id:
                        server.leave_room(row.sid, f"case:{item.case_id}", namespace=NAMESPACE)
                    touched_users.add(row.user_id)
            if kept != row.room_ids:
                row.item_rooms = ",".join(str(i) for i in sorted(kept))
                if row.editing_piece_id is not None:
                    row.editing_piece_id = None
                s.add(row)
        s.commit()
    for case_id in case_ids:
        socketio.emit("controle", {"reden": "toegang"}, to=f"case:{case_id}", namespace=NAMESPACE)
    for user_id in touched_users:
        socketio.emit("controle", {"reden": "toegang"}, to=f"user:{user_id}", namespace=NAMESPACE)

