"""Chairing a live session: start on the first agenda item, move on, close (open score rounds close with it)."""

from __future__ import annotations

from sqlmodel import Session, select

from mda.auth.models import User
from mda.core import audit
from mda.core.timeutil import utcnow
from mda.live.loaders import CLOSED, _require_open, live_of, require_chair
from mda.live.models import (
    LiveMeeting,
    LivePresence,
    LiveScoreRound,
)
from mda.live.presence import mark_attended
from mda.live.scores import end_round
from mda.live.services import notify_meeting
from mda.live.sockets import LiveError
from mda.meetings.access import agenda_items
from mda.meetings.models import AgendaItem, Meeting


def _case_items(db: Session, meeting: Meeting) -> list[AgendaItem]:
    return [i for i in agenda_items(db, meeting) if i.kind != "casussen"]


def start(db: Session, user: User, meeting: Meeting) -> LiveMeeting:
    """The chair starts the meeting on its first agenda item."""
    require_chair(user, meeting)
    live = live_of(db, meeting)
    if live.status == "bezig":
        return live
    _require_open(live)
    items = _case_items(db, meeting)
    now = utcnow()
    live.status, live.started_at, live.started_by_id = "bezig", now, user.id
    live.current_agenda_item_id = items[0].id if items else None
    live.item_started_at = now
    db.add(live)
    for presence in db.exec(select(LivePresence).where(LivePresence.meeting_id == meeting.id)):
        mark_attended(db, db.get(User, presence.user_id), meeting)
    db.flush()
    audit.record(db, "update", user=user, object_type="meeting", object_id=meeting.id, summary="live overleg gestart")
    notify_meeting(meeting.id)
    return live


def goto(db: Session, user: User, meeting: Meeting, agenda_item_id: int | None = None) -> LiveMeeting:
    """The chair moves everyone to the next agenda item (or to a chosen one)."""
    require_chair(user, meeting)
    live = live_of(db, meeting)
    if live.status != "bezig":
        raise LiveError("Start het overleg eerst." if live.status == "niet_gestart" else CLOSED)
    items = _case_items(db, meeting)
    ids = [i.id for i in items]
    if agenda_item_id is None:
        position = ids.index(live.current_agenda_item_id) if live.current_agenda_item_id in ids else -1
        if position + 1 >= len(ids):
            raise LiveError("Dit was het laatste agendapunt. Sluit het overleg als alles besproken is.")
        target = ids[position + 1]
    elif agenda_item_id in ids:
        target = agenda_item_id
    else:
        raise LiveError("Dit agendapunt hoort niet bij dit overleg.")
    live.current_agenda_item_id, live.item_started_at = target, utcnow()
    db.add(live)
    db.flush()
    notify_meeting(meeting.id)
    return live


def close(db: Session, user: User, meeting: Meeting) -> LiveMeeting:
    """The chair closes the meeting; open score rounds close with it."""
    require_chair(user, meeting)
    live = live_of(db, meeting)
    _require_open(live)
    for rnd in db.exec(select(LiveScoreRound).where(LiveScoreRound.meeting_id == meeting.id,
                                                    LiveScoreRound.closed_at.is_(None))):
        end_round(db, user, rnd)
    live.status, live.closed_at, live.current_agenda_item_id = "gesloten", utcnow(), None
    db.add(live)
    db.flush()
    audit.record(db, "update", user=user, object_type="meeting", object_id=meeting.id, summary="live overleg gesloten")
    notify_meeting(meeting.id)
    return live
