"""Co-editing a minutes piece: several people type in it at once and nothing is lost.

Each piece holds a CRDT state (:mod:`mda.live.crdt`; yjs in the browser). A writer's update is
checked (the engine shows the piece to the writer, the writer may change it, the minutes are not
final), merged into the stored state and the piece's case item gets the merged text, in the
writer's unit of work together with its audit row; the acknowledgement and the pushes to others go
out only after the commit (commit, then emit).

The update goes to each local socket showing the item whose user passes the session check, may
enter the item, and whom the sharing engine shows the piece (:func:`push_update`): decided and
audited per viewer in the same transaction, never one payload for a room.

Who may write: a piece of the meeting's own category (:data:`SHARED_CATEGORY`, the shared minutes)
by everyone who sees it; a piece of another category is its source organisation's data and only
that organisation changes it (the others add their own piece or a dissent).
"""

from __future__ import annotations

import functools
import logging
import threading
import weakref
from datetime import timedelta

from sqlalchemy import bindparam, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, select

from mda import db as unit
from mda.auth.models import User
from mda.cases import history
from mda.cases.models import Item
from mda.core import audit, sharing
from mda.core.security import session_limits
from mda.core.timeutil import as_utc, utcnow
from mda.extensions import socketio
from mda.live import access, crdt, facts, push
from mda.live.loaders import (
    DEFAULT_CATEGORY,
    MAX_TEXT,
    _load_piece,
    case_context,
    live_by_id,
    live_of,
    load_meeting,
)
from mda.live.models import LiveMeeting, LivePiece, LiveRevision
from mda.live.sockets import NAMESPACE, LiveError, session_still_valid
from mda.meetings.models import Meeting

log = logging.getLogger(__name__)

#: the category of the meeting's own minutes: co-edited by every participant who sees them
SHARED_CATEGORY = DEFAULT_CATEGORY
FINAL = "Deze notulen zijn definitief en kunnen niet meer samen worden bewerkt."
BROKEN = "Deze wijziging kon niet worden gelezen; er is niets opgeslagen. Laad de pagina opnieuw."
#: a co-editing update's compare-and-set on the piece's version (two processes merging at once both keep theirs)
_STORE = (update(LivePiece).where(LivePiece.id == bindparam("piece_id"), LivePiece.version == bindparam("base"))
          .values(crdt_state=bindparam("state"), version=bindparam("version"), updated_by_id=bindparam("user_id"),
                  updated_at=bindparam("at"))
          .execution_options(synchronize_session=False))
_RETRIES = 5
#: one author's typing within this time of their last change is one revision (not one per keystroke)
REVISION_RUN = timedelta(minutes=5)
#: a viewer's view of a co-edited piece is audited at most once per this time (per process): the row names the
#: viewer and the piece's item, and covers the keystrokes pushed to them in the window that follows it. Every
#: keystroke is still decided by the engine for every viewer; only the repeated row is left out (one per keystroke
#: per viewer was 200 rows a keystroke in a room of 200, most of the latency and ~200 MB an hour; docs/live.md)
VIEW_AUDIT_WINDOW = timedelta(seconds=60)
_audited_lock = threading.Lock()
_AUDITED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # engine -> {(viewer id, item id): when}


def write_refusal(db: Session, user: User, live: LiveMeeting, piece: LivePiece, record: Item) -> str | None:
    """Why *user* may not change this piece (None: they may). Seeing a piece is not owning it."""
    if live.minutes_status == "definitief":
        return FINAL
    if refusal := history.item_lock_refusal(db, record):  # e.g. a decision in escalation
        return refusal
    if record.category != SHARED_CATEGORY and record.source_organisation_id != user.organisation_id:
        return ("Deze tekst is ingebracht door een andere organisatie; alleen die organisatie kan hem wijzigen. "
                "Voeg zelf een stuk toe of geef een afwijkend standpunt.")
    return None


def state_of(piece: LivePiece, record: Item) -> bytes:
    """The piece's stored state; a piece written before co-editing starts from its item's text (the same bytes
    wherever that happens, so two processes doing it at once agree)."""
    if piece.crdt_state is None:
        piece.crdt_state = crdt.initial_state(record.content or "")
    return piece.crdt_state


def sync(db: Session, user: User, meeting: Meeting, piece_id, state_vector) -> dict:
    """What the caller's replica (with *state_vector*, base64; empty: nothing) lacks of the piece, shown and
    audited through the engine, and whether the caller may write in it."""
    piece, item, record = _load_piece(db, user, meeting, piece_id)
    vector = crdt.decode(state_vector) if state_vector else b""
    view = sharing.item_view(db, user, case_context(db, item), piece.item_id, channel="live overleg")
    if not view.decision.visible:  # _load_piece refused already; kept so that no path sends an unseen text
        raise LiveError("Deze tekst wordt niet met uw organisatie gedeeld.", denied=True, status=404)
    state = state_of(piece, record)
    db.add(piece)
    try:
        missing = crdt.missing(state, vector)
    except crdt.CrdtError:
        raise LiveError(BROKEN) from None
    refusal = write_refusal(db, user, live_of(db, meeting), piece, record)
    return {"stuk": piece.id, "update": crdt.encode(missing), "versie": piece.version,
            "schrijven": refusal is None, "alleen_lezen": refusal or ""}


def apply_update(db: Session, user: User, meeting_id: int, piece_id, encoded, *, origin_sid: str) -> LivePiece:
    """Merge a writer's update into the piece, keep the item's text equal to it, audit it with its author, and
    queue it for the other viewers; the caller's unit of work commits before anything is sent.

    The writer's right to reach the piece (the meeting, the item's room, the engine's decision on its text) is
    made the full way on their first keystroke and then kept under the access epochs (:mod:`mda.live.facts`);
    what may change from one keystroke to the next without any access changing (final minutes, a decision under
    escalation, the piece's state) is read every time."""
    piece = db.get(LivePiece, piece_id) if piece_id else None
    if piece is None or piece.meeting_id != meeting_id:
        raise LiveError("Deze tekst bestaat niet (meer).", denied=True, status=404)
    at = facts.stamp(db, piece.case_id, meeting_id)
    writer = ("schrijft", facts.fingerprint(user), piece.id, piece.agenda_item_id, piece.item_id)
    if facts.known(db, at, writer):
        record = db.get(Item, piece.item_id)
    elif facts.known(db, at, ("ziet", facts.fingerprint(user), piece.agenda_item_id, piece.item_id)):
        # the writer's own view of the piece was decided (the room's rule and the engine) for a push to them under
        # these epochs: what remains of the checks is joining the meeting
        load_meeting(db, user, meeting_id)
        record = db.get(Item, piece.item_id)
        facts.remember(db, at, [writer])
    else:
        meeting = load_meeting(db, user, meeting_id)
        piece, item, record = _load_piece(db, user, meeting, piece_id)
        if sharing.item_decision(user, case_context(db, item), record).kind not in facts.CLOCKED_BASES:
            facts.remember(db, at, [writer])
    if refusal := write_refusal(db, user, live_by_id(db, meeting_id), piece, record):
        raise LiveError(refusal, denied=record.category != SHARED_CATEGORY)
    try:
        update_bytes = crdt.decode(encoded)
        text = _store(db, user, piece, record, lambda state: crdt.merge(state, update_bytes))
    except crdt.CrdtError:
        raise LiveError(BROKEN) from None
    audit.record(db, "update", user=user, object_type="item", object_id=record.id, case_id=piece.case_id,
                 summary=f"notulen overleg {meeting_id} samen bewerkt, versie {piece.version} ({len(text)} tekens)")
    push_update(db, piece.agenda_item_id, piece, record, update_bytes, origin_sid=origin_sid, at=at)
    return piece


def replace(db: Session, user: User, piece: LivePiece, record: Item, text: str) -> None:
    """A whole new text from a form (a save or a correction): applied as the smallest edit of the CRDT text, so
    that co-editors keep what they type elsewhere in it. The save's own push (:mod:`mda.live.push`, the piece's
    rows) tells their browsers, which then ask ``stuk_sync`` for the update."""
    state = state_of(piece, record)
    piece.crdt_state, _update = crdt.replace_text(state, text)
    db.add(piece)


def _store(db: Session, user: User, piece: LivePiece, record: Item, change) -> str:
    """Apply *change* (state -> (state, text)) to the stored state with a compare-and-set on the version."""
    for _attempt in range(_RETRIES):
        base = piece.version
        state, text = change(state_of(piece, record))
        if len(text) > MAX_TEXT:
            raise LiveError(f"De tekst is te lang: hoogstens {MAX_TEXT} tekens (nu {len(text)}). Maak hem korter; "
                            "deze wijziging is niet opgeslagen.")
        now = utcnow()
        result = db.execute(_STORE, {"piece_id": piece.id, "base": base, "version": base + 1, "state": state,
                                     "user_id": user.id, "at": now})
        if result.rowcount == 1:
            for name, value in (("crdt_state", state), ("version", base + 1), ("updated_by_id", user.id),
                                ("updated_at", now)):
                set_committed_value(piece, name, value)
            if record.content != text:
                record.content = text
                db.add(record)
                _note_revision(db, user, piece, text, now)
            db.flush()
            return text
        db.refresh(piece)  # another writer merged first: merge into theirs
    raise LiveError("Het is te druk in deze tekst; uw wijziging wordt zo opnieuw gestuurd.")


def _note_revision(db: Session, user: User, piece: LivePiece, text: str, now) -> None:
    """Keep the revisions (who wrote what when) without a row per keystroke: one author's run of typing is one
    revision, brought up to date while nobody else writes and for :data:`REVISION_RUN`; another author, or a pause
    longer than that, starts a new one. (Plain statements: asked on every keystroke.)"""
    last_revision, bring_up_to_date = _revision_statements()
    last = db.execute(last_revision, {"piece_id": piece.id}).first()
    if (last is not None and last.version > 1 and last.saved_by_id == user.id and not last.reason
            and as_utc(now) - as_utc(last.saved_at) < REVISION_RUN):  # the first text and corrections stay as they were
        db.execute(bring_up_to_date, {"revision_id": last.id, "version": piece.version, "content": text, "at": now})
    else:
        db.add(LiveRevision(piece_id=piece.id, version=piece.version, content=text, saved_by_id=user.id, saved_at=now))


@functools.cache
def _revision_statements() -> tuple:
    """The piece's last revision (without its text), and bringing one up to date (built once per process)."""
    last_revision = (select(LiveRevision.id, LiveRevision.version, LiveRevision.saved_by_id, LiveRevision.reason,
                            LiveRevision.saved_at)
                     .where(LiveRevision.piece_id == bindparam("piece_id"))
                     .order_by(LiveRevision.version.desc()).limit(1))
    bring_up_to_date = (update(LiveRevision).where(LiveRevision.id == bindparam("revision_id"))
                        .values(version=bindparam("version"), content=bindparam("content"), saved_at=bindparam("at"))
                        .execution_options(synchronize_session=False))
    return last_revision, bring_up_to_date


def push_update(db: Session, item_id: int, piece: LivePiece, record: Item, update_bytes: bytes, *,
                origin_sid: str, at: facts.Stamp) -> None:
    """Queue *update_bytes* for every other local socket whose user may see the piece, sent after the commit.
    With several processes the others get the room's notice (ids only) and ask ``stuk_sync`` through the guard.

    Every socket's account and login session are checked now (one statement for the room). Who may enter the
    room and see the piece is the engine's answer, made now, audited and kept (:mod:`mda.live.facts`) for a
    viewer due a view audit row (:data:`VIEW_AUDIT_WINDOW`) or without a kept answer under *at*'s epochs, and
    the kept answer for the others."""
    sids: list[str] = []
    mark = audit.pending_mark(db)
    try:
        sids = _viewers(db, item_id, record, origin_sid, at, mark)
    except Exception:  # the change must not fail for its push: the others fetch it with stuk_sync
        log.exception("building the co-editing push failed")
        audit.discard_since(db, mark)
        sids = []
    body = {"stuk": piece.id, "punt": item_id, "update": crdt.encode(update_bytes)}

    def send() -> None:
        if sids:
            socketio.server.emit("stuk_update", body, to=sids, namespace=NAMESPACE, ignore_queue=True)
        if push._message_queue():
            socketio.emit("melding", {"soort": "stuk", "stuk": piece.id, "punt": item_id}, to=f"item:{item_id}",
                          namespace=NAMESPACE, skip_sid=sids + ([origin_sid] if origin_sid else []) or None)

    unit.after_commit(send)


def _viewers(db: Session, item_id: int, record: Item, origin_sid: str, at: facts.Stamp, mark: int) -> list[str]:
    """The sockets that get the update: checked, and decided by the engine or by its kept answer."""
    sockets = push.room_sockets(item_id, skip=origin_sid)
    if not sockets:
        return []
    users = facts.accounts(db, at, {state.user_id for _sid, state in sockets})
    now, limits = utcnow(), session_limits()
    checked = [(sid, user) for sid, state in sockets
               if session_still_valid(state, user := users.get(state.user_id), now, limits)]
    recent = _recently_audited(db, record.id, now)
    sees = {u.id: ("ziet", facts.fingerprint(u), item_id, record.id) for _sid, u in checked}
    kept = {u.id for _sid, u in checked if u.id in recent and facts.known(db, at, sees[u.id])}
    asked = {u.id: u for _sid, u in checked if u.id not in kept}
    shown = set(kept)
    if asked:
        room = push.room_context(db, item_id)
        if room is not None:
            meeting, agenda_item, ctx = room
            allowed = access.enterers(db, list(asked.values()), meeting, agenda_item, ctx)
            targets = [(sid, u) for sid, u in checked if u.id in allowed]
            views = sharing.item_views_for_users(db, [asked[uid] for uid in allowed], {ctx.case.id: ctx},
                                                 {record.id}, channel="live overleg",
                                                 addresses={u.id: push.address(sid) for sid, u in targets})
            decided = {uid: v for uid in allowed if (v := views.get(uid, {}).get(record.id)) and v.decision.visible}
            shown |= set(decided)
            _batch_view_rows(db, mark, record.id)
            facts.remember(db, at, [sees[uid] for uid, v in decided.items()
                                    if v.decision.kind not in facts.CLOCKED_BASES])
    return [sid for sid, u in checked if u.id in shown]


def _audited(db: Session) -> dict:
    """Per database (rows of another database do not count): (viewer id, item id) -> when a view row was
    committed."""
    bind = db.get_bind()
    return _AUDITED.setdefault(getattr(bind, "engine", bind), {})


def _recently_audited(db: Session, item_id: int, now) -> set[int]:
    """The viewers whose view of the item was audited within :data:`VIEW_AUDIT_WINDOW`."""
    with _audited_lock:
        return {uid for (uid, iid), at in _audited(db).items()
                if iid == item_id and timedelta(0) <= now - at < VIEW_AUDIT_WINDOW}


def _batch_view_rows(db: Session, mark: int, item_id: int) -> None:
    """Leave out this push's view rows of the viewers whose view of the item was audited within
    :data:`VIEW_AUDIT_WINDOW`; remember the others once the rows are committed."""
    now = utcnow()
    audited = _audited(db)
    recent = _recently_audited(db, item_id, now)
    entries = audit.pending_since(db, mark)
    kept = [e for e in entries if not (e.action == "view" and e.fields.get("user_id") in recent)]
    if len(kept) == len(entries):
        fresh = {e.fields.get("user_id") for e in entries if e.action == "view"}
    else:
        audit.discard_since(db, mark)
        for entry in kept:
            audit.queue(db, entry)
        fresh = {e.fields.get("user_id") for e in kept if e.action == "view"}

    def remember() -> None:
        with _audited_lock:
            if len(audited) > 10_000:  # keep the memory bounded: what is older than the window is of no use
                for key in [k for k, at in audited.items() if now - at >= VIEW_AUDIT_WINDOW]:
                    del audited[key]
            for uid in fresh - {None}:
                audited[(uid, item_id)] = now

    unit.after_commit(remember)


def forget_states(db: Session, case_id: int, object_type: str | None, object_ids: list[int] | None) -> int:
    """Drop the co-editing state (with every update ever typed in it) of the case's pieces, or of the destroyed
    items' pieces; a piece used again starts from its item's (blanked) text. Connected to
    :data:`mda.core.signals.forget_providers`."""
    if object_type not in (None, "item"):
        return 0
    query = select(LivePiece.id).where(LivePiece.case_id == case_id, LivePiece.crdt_state.is_not(None))
    if object_type == "item":
        if not object_ids:
            return 0
        query = query.where(LivePiece.item_id.in_(object_ids))
    ids = list(db.exec(query))
    if ids:
        db.execute(update(LivePiece).where(LivePiece.id.in_(ids)).values(crdt_state=None)
                   .execution_options(synchronize_session=False))
        for piece in [p for p in db.identity_map.values() if isinstance(p, LivePiece) and p.id in ids]:
            set_committed_value(piece, "crdt_state", None)
    return len(ids)
