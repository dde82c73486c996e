"""Who is in a live session: a socket's presence row, the items it is in, what it is editing; attendance
recorded when someone joins a started meeting. Presence is not personal data."""

from __future__ import annotations

from sqlalchemy import bindparam
from sqlmodel import Session, select

from mda import db as unit
from mda.auth.models import User
from mda.core import audit
from mda.core.timeutil import utcnow
from mda.extensions import socketio
from mda.live.loaders import live_of
from mda.live.models import (
    LivePiece,
    LivePresence,
)
from mda.live.services import notify_presence
from mda.live.sockets import NAMESPACE, SOCKETS
from mda.meetings.access import my_invitation
from mda.meetings.models import AgendaItem, Meeting

#: asked on (nearly) every live event, built once per process
_PRESENCE_OF = select(LivePresence).where(LivePresence.sid == bindparam("sid"))


def join(db: Session, user: User, meeting: Meeting, sid: str) -> LivePresence:
    """Record this socket as present; the invitation's attendance becomes "aanwezig" once started."""
    now = utcnow()
    row = db.exec(select(LivePresence).where(LivePresence.sid == sid)).first()
    if row is None:
        row = LivePresence(sid=sid, meeting_id=meeting.id, user_id=user.id, connected_at=now, seen_at=now)
    row.meeting_id, row.seen_at = meeting.id, now
    db.add(row)
    live = live_of(db, meeting)
    if live.status == "bezig":
        mark_attended(db, user, meeting)
    db.flush()
    notify_presence(meeting.id)
    return row


def mark_attended(db: Session, user: User, meeting: Meeting) -> None:
    """Record *user* as present at *meeting* (audited), once the meeting has started."""
    invitation = my_invitation(db, user, meeting)
    if invitation is not None and invitation.attendance != "aanwezig":
        invitation.attendance, invitation.attendance_recorded_at = "aanwezig", utcnow()
        invitation.attendance_recorded_by_id = user.id
        db.add(invitation)
        audit.record(db, "update", user=user, object_type="meeting", object_id=meeting.id,
                     summary="aanwezigheid automatisch vastgelegd bij deelname aan de live sessie")


def presence_of(db: Session, sid: str) -> LivePresence | None:
    """The presence row of socket *sid*, if any."""
    return db.exec(_PRESENCE_OF, params={"sid": sid}).first()


def enter_item(db: Session, presence: LivePresence, item: AgendaItem) -> bool:
    """Note that the socket entered the item's room; True when it was not in it yet."""
    rooms = presence.room_ids
    if item.id in rooms:
        return False
    presence.item_rooms = ",".join(str(i) for i in sorted(rooms | {item.id}))
    db.add(presence)
    return True


def leave_item(db: Session, presence: LivePresence, item_id: int) -> None:
    """Note that the socket left the item's room (and stopped editing there)."""
    presence.item_rooms = ",".join(str(i) for i in sorted(presence.room_ids - {item_id}))
    if presence.editing_piece_id is not None:
        presence.editing_piece_id = None
    db.add(presence)


def leave_socket(sid: str) -> None:
    """Forget a closed socket (its own small unit of work; presence is not personal data)."""
    SOCKETS.pop(sid, None)
    with Session(unit.engine()) as s:
        row = s.exec(select(LivePresence).where(LivePresence.sid == sid)).first()
        if row is not None:
            meeting_id, rooms = row.meeting_id, row.room_ids
            s.delete(row)
            s.commit()
            socketio.emit("melding", {"soort": "aanwezig", "overleg": meeting_id}, to=f"meeting:{meeting_id}",
                          namespace=NAMESPACE)
            for item_id in rooms:
                socketio.emit("melding", {"soort": "punt", "punt": item_id}, to=f"item:{item_id}",
                              namespace=NAMESPACE)


def set_editing(db: Session, presence: LivePresence, piece_id: int | None) -> None:
    """The "who is editing" indicator: which piece this socket is typing in (None: none)."""
    if presence.editing_piece_id != piece_id:
        presence.editing_piece_id = piece_id
        db.add(presence)


def mark_overtaken(user: User, piece: LivePiece, base_version) -> bool:
    """Is a "being edited by" mark of *user* older than their own save of *piece*? The browser sends the mark and
    the save as separate events, which the server may handle in either order; a mark typed on a version before the
    one *user* saved last would otherwise stay after the save. A mark without a version counts (older clients)."""
    return (isinstance(base_version, int) and piece.version > base_version and piece.updated_by_id == user.id)


def clear_stale_presence(db: Session, now) -> int:
    """Remove presence rows whose socket has not been heard of for ten minutes: left behind by a server
    process that died (its disconnect handlers never ran). Presence lists ignore them after 90 s already."""
    from datetime import timedelta

    from sqlalchemy import delete

    return db.execute(delete(LivePresence).where(LivePresence.seen_at < now - timedelta(minutes=10))).rowcount or 0
