"""Push a changed minutes piece or decision to everyone in this process who shows its case item.

Without this, a change sends the item's room a notice and every client then asks for its whole
item view: N viewers cost N full views, one after the other, and the last one sees the change
seconds later. Instead, the writer's own unit of work builds the changed pieces' rows for all of
this process's sockets showing that item, just before it commits:

1. the sockets' login sessions are checked as the guard checks them on every event (account
   active, session version, idle and absolute timeouts), with one query for all of them;
2. who may still enter the item's room: :func:`mda.live.access.enterers`, the rule of joining;
3. every text is decided by the sharing engine (:func:`mda.core.sharing.item_views_for_users`, which decides
   once for each group of viewers its rules cannot tell apart) and audited per user, each audit row with that
   user's own address, in the same transaction as the change (the change and the views it caused commit
   together); the rows are built once per group of the engine's views (:func:`mda.live.state.piece_rows_key`);
4. after the commit (commit, then emit) each socket gets its own rows (``stuk``), never a payload
   meant for all: sockets whose rows are identical get them in one emit.

Sockets of other processes (the room notice crosses the Redis message queue), and sockets here
that show another item or did not pass 1-2, get the room notice (ids only) and fetch their view
through the guard as before, which refuses them where it must. When building the rows fails,
the change still commits, the rows' audit entries are dropped (nothing was shown) and everyone
gets the notice.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from dataclasses import dataclass, field

from flask import g
from sqlmodel import Session

from mda import db as unit
from mda.cases.models import Case
from mda.core import audit, sharing
from mda.core.security import session_limits
from mda.core.sharing import rows as view_rows
from mda.core.timeutil import utcnow
from mda.extensions import socketio
from mda.live import access
from mda.live import state as live_state
from mda.live.models import LivePiece
from mda.live.sockets import NAMESPACE, SOCKETS, session_still_valid
from mda.meetings.models import AgendaItem, Meeting

log = logging.getLogger(__name__)


@dataclass
class Delivery:
    """What goes out after the commit for one agenda item: rows per group of sockets, a notice for the rest."""

    item_id: int
    groups: list[tuple[dict, list[str]]] = field(default_factory=list)  # (payload, sids that get exactly it)

    @property
    def pushed(self) -> list[str]:
        return [sid for _payload, sids in self.groups for sid in sids]

    def send(self) -> None:
        for payload, sids in self.groups:
            socketio.server.emit("stuk", payload, to=sids, namespace=NAMESPACE, ignore_queue=True)
        # everyone else in the room (other processes, other items, refused checks) asks through the guard
        notice, room = {"soort": "punt", "punt": self.item_id}, f"item:{self.item_id}"
        if _message_queue():
            socketio.emit("melding", notice, to=room, namespace=NAMESPACE, skip_sid=self.pushed or None)
            return
        # one process: the rest of the room is known here (python-socketio compares each member with a skip
        # list, which for a room of 200 pushed sockets is 40,000 comparisons)
        pushed = set(self.pushed)
        rest = [sid for sid, _eio in socketio.server.manager.get_participants(NAMESPACE, room) if sid not in pushed]
        if rest:
            socketio.server.emit("melding", notice, to=rest, namespace=NAMESPACE)


def _message_queue() -> bool:
    """Do sockets of other processes share this process's rooms (a Redis message queue)?"""
    from socketio.pubsub_manager import PubSubManager

    return isinstance(socketio.server.manager, PubSubManager)


def piece_changed(item_id: int, piece_id: int) -> None:
    """Called in the writer's unit of work when *piece_id* of agenda item *item_id* changed (after flush)."""
    if unit.before_commit(_build_pending):  # the first change of this unit of work (a rolled back one left none)
        g.live_push, g.live_push_held = {}, []
    # The writer's piece, agenda item and meeting are in the session now; the session holds its objects only while
    # something else does, so hold them until the push is built instead of reading them again then.
    s = unit.session()
    if item_id not in g.live_push:
        item = s.get(AgendaItem, item_id)
        g.live_push_held += [item, s.get(Meeting, item.meeting_id) if item is not None else None]
    g.live_push_held.append(s.get(LivePiece, piece_id))
    g.live_push.setdefault(item_id, set()).add(piece_id)


def _build_pending() -> None:
    """Just before the writer commits: build every changed item's rows; send them once it has committed."""
    s = unit.session()
    held = g.pop("live_push_held", [])  # noqa: F841  (kept alive until the rows are built)
    for item_id, piece_ids in sorted(g.pop("live_push", {}).items()):
        mark = audit.pending_mark(s)
        try:
            delivery = build(s, item_id, piece_ids)
        except Exception:  # the change must not fail for its push: the viewers fetch their view instead
            log.exception("building the live push failed")
            audit.discard_since(s, mark)  # nothing of it will be shown
            delivery = Delivery(item_id)
        unit.after_commit(delivery.send)


@dataclass
class RoomTargets:
    """The local sockets showing a case item that passed the session check and may enter the item."""

    meeting: Meeting
    item: AgendaItem
    ctx: sharing.CaseContext
    users: dict  # user id -> viewer row (every socket's user, checked or not: names for the rows)
    targets: list[tuple[str, object]]  # (sid, viewer row) that passed steps 1-2


def room_sockets(item_id: int, skip: str | None = None) -> list[tuple[str, object]]:
    """This process's sockets (sid, state) showing *item_id*, but *skip*."""
    return [(sid, state) for sid, _eio in socketio.server.manager.get_participants(NAMESPACE, f"item:{item_id}")
            if sid != skip and (state := SOCKETS.get(sid)) is not None and state.viewing == item_id]


def room_context(s: Session, item_id: int) -> tuple[Meeting, AgendaItem, sharing.CaseContext] | None:
    """The meeting, agenda item and case context of a case item's room (None when one of them is gone)."""
    item = s.get(AgendaItem, item_id)
    meeting = s.get(Meeting, item.meeting_id) if item is not None else None
    case = s.get(Case, item.case_id) if item is not None and item.case_id else None
    if case is None or meeting is None:
        return None
    return meeting, item, sharing.load_context(s, case)


def room_targets(s: Session, item_id: int) -> RoomTargets | None:
    """Steps 1-2 for the local sockets showing *item_id* (None when there is nobody to push to)."""
    sockets = room_sockets(item_id)
    room = room_context(s, item_id) if sockets else None
    if room is None:
        return None
    meeting, item, ctx = room
    # plain rows with what the checks, the engine and the audit rows read of a viewer (not entities, and not the
    # 2FA seeds, which would be decrypted for every viewer of every change)
    users = view_rows.load_viewers(s, {st.user_id for _sid, st in sockets})
    now, limits = utcnow(), session_limits()
    checked = [(sid, users.get(state.user_id)) for sid, state in sockets
               if session_still_valid(state, users.get(state.user_id), now, limits)]
    allowed = access.enterers(s, [u for _sid, u in checked], meeting, item, ctx)
    targets = [(sid, u) for sid, u in checked if u.id in allowed]
    return RoomTargets(meeting, item, ctx, users, targets) if targets else None


def build(s: Session, item_id: int, piece_ids: set[int]) -> Delivery:
    """The rows of *piece_ids* for every local socket showing *item_id*, decided and audited in *s*."""
    delivery = Delivery(item_id)
    room = room_targets(s, item_id)
    if room is None:
        return delivery
    meeting, ctx, users, targets = room.meeting, room.ctx, room.users, room.targets
    case = ctx.case
    data = live_state.load_pieces(s, meeting, [item_id], piece_ids, names={u.id: u.name for u in users.values()})
    viewers = {u.id: u for _sid, u in targets}
    addresses = {u.id: address(sid) for sid, u in targets}
    views = (sharing.item_views_for_users(s, list(viewers.values()), {case.id: ctx}, data.wanted(),
                                          channel="live overleg", addresses=addresses)
             if data.wanted() else {})
    by_payload: dict[str, tuple[dict, list[str]]] = {}
    sids_of: dict[int, list[str]] = defaultdict(list)
    for sid, user in targets:
        sids_of[user.id].append(sid)
    built: dict[tuple, tuple[dict, str]] = {}  # rows per group of the engine's views (and editor), built once
    for uid, user in viewers.items():
        user_views = views.get(uid, {})
        rows_key = live_state.piece_rows_key(data, user_views, user)
        if rows_key not in built:
            payload = {"punt": item_id, "stukken": live_state.piece_rows(data, user_views, user, ctx,
                                                                         data.pieces[item_id])}
            built[rows_key] = payload, json.dumps(payload, sort_keys=True, default=str)
        payload, key = built[rows_key]
        by_payload.setdefault(key, (payload, []))[1].extend(sids_of[uid])
    delivery.groups = list(by_payload.values())
    return delivery


def address(sid: str) -> str:
    environ = socketio.server.get_environ(sid, NAMESPACE) or {}
    return str(environ.get("REMOTE_ADDR") or "")[:64]
