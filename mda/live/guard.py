"""The one wrapper every live socket event passes through.

Socket events do not pass the HTTP request lifecycle (CSRF, timeouts, the single commit), so
:func:`live_event` does here, for every event, what :mod:`mda.core.security` and
:mod:`mda.db` do for a request:

1. refuse oversized or malformed payloads (no database work at all);
2. re-check the login session: the account is active, the session version still matches
   (logging out everywhere, a password or role change revoke it), and the idle timeout and
   absolute lifetime have not passed (:func:`mda.core.security.session_expired`). Only the
   user's own actions (changes, typing) count as activity: the heartbeat, presence and the
   fetches a notice causes do not, so an open tab does not keep an idle session alive. A
   socket past the limit is told (``sessie_verlopen``) and disconnected;
3. rate-limit per user (:mod:`mda.live.ratelimit`; a flooding client gets one Dutch error per window, nothing
   stored);
4. answer a retried client event (same ``id``) with the stored answer instead of applying it again;
5. run the handler in its own unit of work: commit once, then emit (``db.after_commit``);
   on refusal roll back (nothing half-stored) while the ``denied`` audit row survives;
6. send refusals as a ``fout`` event in Dutch and as the acknowledgement; the connection stays.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps
from typing import Any

from flask import request, session
from flask_socketio import disconnect, emit
from sqlalchemy import bindparam, update
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select
from werkzeug.exceptions import HTTPException

from mda import db
from mda.core import audit, refusal
from mda.core.errors import DATABASE_DOWN, ServiceError, database_unreachable
from mda.core.input_guard import NUL_MESSAGE, contains_nul, is_db_int, is_out_of_range
from mda.core.security import load_session_user, session_expired
from mda.core.timeutil import utcnow
from mda.live import presence
from mda.live.models import LivePresence, LiveProcessedEvent
from mda.live.ratelimit import allow_event
from mda.live.sockets import SOCKETS, LiveError, SocketState

log = logging.getLogger(__name__)

MAX_EVENT_BYTES = 20_000
EXPIRED = "Uw sessie is verlopen of beëindigd. Log opnieuw in om verder te gaan."
TOO_FAST = "U stuurt te veel berichten achter elkaar. Wacht even; er is niets opgeslagen van wat te veel was."
TOO_BIG = "Dit bericht is te groot. Maak de tekst korter; er is niets opgeslagen."
MALFORMED = "Dit bericht kon niet worden gelezen. Er is niets opgeslagen."
#: the event that tells a socket its login session ended (idle, lifetime, revoked) before it is disconnected
SESSION_ENDED = "sessie_verlopen"
UNEXPECTED = "Er ging aan onze kant iets mis. Er is niets opgeslagen; probeer het opnieuw."


@dataclass
class EventContext:
    """What a handler gets: the unit of work's session, the checked user, the socket and the payload."""

    db: Session
    user: Any
    sid: str
    payload: dict
    state: SocketState

    def get(self, name: str, kind: type = int, *, required: bool = True, label: str = "") -> Any:
        """A payload field of *kind*, or a Dutch refusal naming the field."""
        value = self.payload.get(name)
        if value is None or value == "":
            if required:
                raise LiveError(f"{label or name} ontbreekt.", field=name)
            return None
        if kind is int:
            if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).lstrip("-").isdigit():
                raise LiveError(f"{label or name} moet een getal zijn.", field=name)
            if len(str(value)) > 12 or not is_db_int(int(value)):  # a number no row can have: refused, not looked up
                raise LiveError(f"{label or name} is geen geldig nummer; er is niets opgeslagen.", field=name)
            return int(value)
        if kind is str:
            if not isinstance(value, str):
                raise LiveError(f"{label or name} moet tekst zijn.", field=name)
            return value
        return value


# ----------------------------------------------------------------------------- session
def check_session(s: Session, sid: str, *, activity: bool = False):
    """The socket's user when its login session is still valid, else None.

    *activity*: the event is the user's own action (a change, typing), which extends the idle timeout as an
    HTTP request does; a heartbeat, a presence ping or a fetch caused by a notice does not."""
    state = SOCKETS.get(sid)
    user = load_session_user(session.get("_user_id"))
    if state is None or user is None or user.id != state.user_id:
        return None
    now = utcnow()
    if session_expired(state.last_seen, state.auth_at, now):
        return None
    if activity:
        state.last_seen = now
    return user


def _size(payload: Any) -> int:
    try:
        return len(json.dumps(payload, ensure_ascii=False))
    except (TypeError, ValueError):
        return MAX_EVENT_BYTES + 1


def refuse(message: str, ack: dict | None = None, *, field: str | None = "", quiet: bool = False) -> dict:
    """Send the Dutch error event to this socket and return the acknowledgement: the one place a ``fout`` leaves
    the server (every refusal of :func:`live_event`, a :class:`ServiceError` included, ends here). *quiet*: the
    acknowledgement only (e.g. the rest of a flood, told once)."""
    field = field or ""
    body = {"ok": False, "fout": message}
    if field:
        body["veld"] = field
    if ack:
        body.update(ack)
    if not quiet:
        emit("fout", {"fout": message, "veld": field})
    return body


def refused(s: Session, user, name: str, exc: ServiceError) -> dict:
    """A refused event: audit a denied attempt, undo the unit of work (the audit row survives), run what the event
    registered for a refusal (:func:`mda.core.refusal.when_refused`) and answer with ``fout``."""
    if getattr(exc, "denied", False):
        audit.record(s, "denied", user=user, object_type="live", object_id=name, summary=f"live: {exc.message}"[:200])
    refusal.undo(exc)
    return refuse(exc.message, getattr(exc, "extra", None), field=exc.field)


def _seen(s: Session, sid: str) -> None:
    """This socket is alive: refresh its presence row (at most every 30 s; no statement in between)."""
    state = SOCKETS.get(sid)
    if state is not None:
        if time.monotonic() - state.presence_refreshed < 30:
            return
        state.presence_refreshed = time.monotonic()
    now = utcnow()
    s.execute(update(LivePresence).where(LivePresence.sid == sid, LivePresence.seen_at < now - timedelta(seconds=30))
              .values(seen_at=now))


def live_event(name: str, *, dedup: bool = False, activity: bool | None = None) -> Callable:
    """Decorate a namespace handler ``fn(self, ctx) -> dict``: the one path for every live event.

    *activity*: whether the event is the user's own action and so extends the idle timeout (default: the
    changes, i.e. the events with *dedup*)."""
    activity = dedup if activity is None else activity

    def decorator(fn: Callable) -> Callable:
        @wraps(fn)
        def handler(self, payload: Any = None) -> dict:
            sid = request.sid
            payload = {} if payload is None else payload
            if _size(payload) > MAX_EVENT_BYTES:
                return refuse(TOO_BIG)
            if not isinstance(payload, dict):
                return refuse(MALFORMED)
            if contains_nul(payload):  # the same refusal as a form or API body with one (mda.core.input_guard)
                return refuse(NUL_MESSAGE)
            s = db.session()
            user = None
            refusal.reset()  # what an earlier event registered for its refusal is not this event's
            try:
                user = check_session(s, sid, activity=activity)
                if user is None:
                    state = SOCKETS.pop(sid, None)
                    audit.record(s, "denied", user=None, user_name=f"gebruiker {state.user_id}" if state else "",
                                 object_type="live", object_id=name, summary="live-bericht na verlopen sessie")
                    db.rollback()
                    answer = refuse(EXPIRED)
                    emit(SESSION_ENDED, {"fout": EXPIRED})  # the page shows the login link and stops reconnecting
                    presence.leave_socket(sid)
                    disconnect()
                    return answer
                allowed, warn = allow_event(user.id)
                if not allowed:
                    if warn:
                        audit.record(s, "denied", user=user, object_type="live", object_id=name,
                                     summary="te veel live-berichten (begrensd)")
                        db.rollback()
                    return refuse(TOO_FAST, quiet=not warn)
                event_id = None
                if dedup:
                    event_id = payload.get("id")
                    if not isinstance(event_id, str) or not 8 <= len(event_id) <= 64:
                        raise LiveError("Dit bericht mist een geldig id; er is niets opgeslagen.", field="id")
                    done = _processed(s, user.id, event_id)
                    if done is not None:
                        db.rollback()
                        return {**done, "herhaald": True}
                ctx = EventContext(s, user, sid, payload, SOCKETS[sid])
                _seen(s, sid)
                answer = fn(self, ctx) or {}
                answer = {"ok": True, **answer}
                if event_id is not None:
                    s.add(LiveProcessedEvent(user_id=user.id, event_id=event_id, name=name,
                                             answer=json.dumps(answer)[:2000], processed_at=utcnow()))
                db.commit()
                return answer
            except ServiceError as exc:  # the one refusal path of sockets (LiveError, or a rule of a service)
                return refused(s, user, name, exc)
            except HTTPException as exc:  # a loader refused (404 outside the circle): already audited
                db.rollback()
                if exc.code == 404:
                    return refuse("Niet gevonden, of u heeft er geen toegang toe.")
                return refuse("Deze handeling is niet toegestaan.")
            except Exception as exc:
                if is_out_of_range(exc):  # a number that reached a query unchecked: it names nothing
                    log.warning("live event %s: number out of the database's range", name)
                    db.rollback()
                    return refuse("Niet gevonden, of u heeft er geen toegang toe.")
                if isinstance(exc, OperationalError):  # the database is down or restarting: expected, said once
                    database_unreachable(exc)
                    with contextlib.suppress(Exception):  # still unreachable: nothing to undo
                        db.rollback()
                    return refuse(DATABASE_DOWN)
                log.exception("live event %s failed", name)
                try:
                    db.rollback()
                except Exception:  # the database may be what failed
                    log.exception("rollback after a failed live event failed")
                return refuse(UNEXPECTED)

        return handler

    return decorator


def _processed(s: Session, user_id: int, event_id: str) -> dict | None:
    row = s.exec(_processed_statement(), params={"user_id": user_id, "event_id": event_id}).first()
    if row is None:
        return None
    try:
        return json.loads(row.answer)
    except ValueError:
        return {"ok": True}


@functools.cache
def _processed_statement():
    """The answer stored for a user's event id (built once per process; asked on every change)."""
    return select(LiveProcessedEvent).where(LiveProcessedEvent.user_id == bindparam("user_id"),
                                            LiveProcessedEvent.event_id == bindparam("event_id"))
