"""Push a changed minutes piece or decision to everyone in this process who shows its case item.

Without this, a change sends the item's room a notice and every client then asks for its whole
item view: N viewers cost N full views, one after the other, and the last one sees the change
seconds later. Instead, after the change is committed (commit, then emit), one *round* per item
builds the changed pieces' rows for all of this process's sockets showing that item, in one unit
of work:

1. the sockets' login sessions are checked as the guard checks them on every event (account
   active, session version, idle and absolute timeouts), with one query for all of them;
2. who may still enter the item's room: :func:`mda.live.access.enterers`, the rule of joining;
3. every text is decided and audited per user by the sharing engine
   (:func:`mda.core.sharing.item_views_for_users`), each audit row with that user's own address;
4. one commit (the audit rows of what is about to be shown), then each socket gets its own rows
   (``stuk``), never a payload meant for all.

Sockets of other processes (the room notice crosses the Redis message queue), and sockets here
that show another item or did not pass 1-2, get the room notice (ids only) and fetch their view
through the guard as before, which refuses them where it must. Changes arriving while a round runs
are coalesced into the next round of that item.
"""

from __future__ import annotations

import logging
import threading
from contextlib import nullcontext

from flask import Flask, current_app
from sqlmodel import select

from mda import db as unit
from mda.auth.models import User
from mda.cases.models import Case
from mda.core import sharing
from mda.core.timeutil import utcnow
from mda.extensions import socketio
from mda.live import access
from mda.live.guard import NAMESPACE, SOCKETS, session_still_valid
from mda.meetings.models import AgendaItem, Meeting

log = logging.getLogger(__name__)

_lock = threading.Condition()
_pending: dict[int, set[int]] = {}  # agenda item id -> piece ids changed since its last round
_busy: set[int] = set()  # agenda items whose round is running


def _notice(item_id: int) -> dict:
    return {"soort": "punt", "punt": item_id}


def piece_changed(item_id: int, piece_id: int) -> None:
    """Called after the commit of a change to *piece_id* of agenda item *item_id*."""
    room = f"item:{item_id}"
    viewers = [sid for sid, _eio in socketio.server.manager.get_participants(NAMESPACE, room)
               if (state := SOCKETS.get(sid)) is not None and state.viewing == item_id]
    socketio.emit("melding", _notice(item_id), to=room, namespace=NAMESPACE, skip_sid=viewers or None)
    if not viewers:
        return
    app = current_app._get_current_object()
    with _lock:
        _pending.setdefault(item_id, set()).add(piece_id)
        if item_id in _busy:
            return
        _busy.add(item_id)
    socketio.start_background_task(_rounds, app, item_id)


def _rounds(app: Flask, item_id: int) -> None:
    while True:
        with _lock:
            piece_ids = _pending.pop(item_id, None)
            if not piece_ids:
                _busy.discard(item_id)
                _lock.notify_all()
                return
        try:
            with app.app_context():
                push_round(item_id, piece_ids)
        except Exception:  # the change is stored; the viewers fetch their view instead
            log.exception("live push round failed")
            socketio.emit("melding", _notice(item_id), to=f"item:{item_id}", namespace=NAMESPACE)


def wait_idle(timeout: float = 10.0) -> bool:
    """Wait until no round is running or pending (tests and the soak use it); False on timeout."""
    with _lock:
        return _lock.wait_for(lambda: not _busy and not _pending, timeout)


def push_round(item_id: int, piece_ids: set[int]) -> int:
    """Build and send the rows of *piece_ids* for every local socket showing *item_id*; how many got rows."""
    s = unit.session()
    sockets = [(sid, state) for sid, _eio in socketio.server.manager.get_participants(NAMESPACE, f"item:{item_id}")
               if (state := SOCKETS.get(sid)) is not None and state.viewing == item_id]
    item = s.get(AgendaItem, item_id)
    meeting = s.get(Meeting, item.meeting_id) if item is not None else None
    case = s.get(Case, item.case_id) if item is not None and item.case_id else None
    if not sockets or case is None or meeting is None:
        return 0
    users = {u.id: u for u in s.exec(select(User).where(User.id.in_({st.user_id for _sid, st in sockets})))}
    now = utcnow()
    checked, refused = [], []
    for sid, state in sockets:
        user = users.get(state.user_id)
        if session_still_valid(state, user, now):
            checked.append((sid, user))
        else:
            refused.append(sid)
    ctx = sharing.load_context(s, case)
    allowed = access.enterers(s, [u for _sid, u in checked], meeting, item, ctx)
    targets = [(sid, u) for sid, u in checked if u.id in allowed]
    refused += [sid for sid, u in checked if u.id not in allowed]
    rows: dict[int, list[dict]] = {}
    if targets:
        from mda.live import state as live_state

        data = live_state.load_pieces(s, meeting, [item_id], piece_ids)
        viewers = {u.id: u for _sid, u in targets}
        addresses = {u.id: _address(sid) for sid, u in targets}
        views = (sharing.item_views_for_users(s, list(viewers.values()), {case.id: ctx}, data.wanted(),
                                              channel="live overleg", addresses=addresses)
                 if data.wanted() else {})
        environ = socketio.server.get_environ(targets[0][0], NAMESPACE) or {}
        with current_app.request_context(environ) if environ else nullcontext():  # url_for with the real host
            for uid, user in viewers.items():
                rows[uid] = live_state.piece_rows(data, views.get(uid, {}), user, ctx, data.pieces[item_id])
    unit.commit()  # the audit rows of what is about to be shown
    for sid, user in targets:
        socketio.server.emit("stuk", {"punt": item_id, "stukken": rows[user.id]}, to=sid, namespace=NAMESPACE,
                             ignore_queue=True)
    for sid in refused:  # they ask through the guard, which refuses (and audits) or shows
        socketio.server.emit("melding", _notice(item_id), to=sid, namespace=NAMESPACE, ignore_queue=True)
    return len(targets)


def _address(sid: str) -> str:
    environ = socketio.server.get_environ(sid, NAMESPACE) or {}
    return str(environ.get("REMOTE_ADDR") or "")[:64]

