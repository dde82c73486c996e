"""The minutes' lifecycle: sent for review (mailed to those present), then final."""

from __future__ import annotations

from sqlmodel import Session, select

from mda.auth.models import User
from mda.core import audit
from mda.core.timeutil import utcnow
from mda.live import access
from mda.live.loaders import live_of
from mda.live.models import (
    LiveMeeting,
)
from mda.live.services import notify_meeting
from mda.live.sockets import LiveError
from mda.meetings.models import Meeting


def send_for_review(db: Session, user: User, meeting: Meeting) -> LiveMeeting:
    """Concept -> ter review: the participants read the minutes (the meeting must be closed)."""
    live = live_of(db, meeting)
    if not access.keeps_minutes(user, meeting):
        raise LiveError("Alleen de voorzitter of notulist stuurt de notulen ter controle.", denied=True)
    if live.status != "gesloten":
        raise LiveError("Sluit eerst het overleg; daarna gaan de notulen ter controle.")
    if live.minutes_status != "concept":
        raise LiveError("De notulen zijn al ter controle gestuurd.")
    result = _minutes_status(db, user, meeting, live, "ter_review", "notulen ter review gestuurd")
    _mail_review(db, user, meeting)
    return result


def _mail_review(db: Session, user: User, meeting: Meeting) -> int:
    """Tell every participant (not the sender) that the minutes wait for their review: after the commit, once
    (only the concept -> ter review step sends it), with the meeting's label, date and a link; no content."""
    from mda.core import mail
    from mda.core.timeutil import format_local
    from mda.meetings.agendas import label
    from mda.meetings.models import Invitation
    from mda.notices import services as notices

    rows = db.exec(select(User).join(Invitation, Invitation.user_id == User.id).where(
        Invitation.meeting_id == meeting.id, Invitation.withdrawn_at.is_(None), User.active.is_(True),
        Invitation.response.not_in(("afgewezen", "gedelegeerd")), User.id != user.id)).all()
    name = label(meeting.type_code, meeting.title)
    link = mail.public_url("meetings.show", meeting_id=meeting.id)
    for person in {u.id: u for u in rows}.values():
        notices.send(db, person, "notulen", f"Notulen ter controle: {name}", "\n".join([
            f"Beste {person.name},", "",
            f"De notulen van {name} op {format_local(meeting.starts_at)} staan ter controle. Lees ze in MDA++ en "
            "meld aanvullingen of correcties bij de voorzitter of notulist voordat zij worden vastgesteld:",
            link, "", "Dit bericht bevat bewust geen inhoud van het overleg.", "", "MDA++ (automatisch bericht)"]))
    return len(rows)


def finalise(db: Session, user: User, meeting: Meeting) -> LiveMeeting:
    """Ter review -> definitief: the minutes are locked; later corrections are revisions with a reason."""
    live = live_of(db, meeting)
    if not access.keeps_minutes(user, meeting):
        raise LiveError("Alleen de voorzitter of notulist stelt de notulen vast.", denied=True)
    if live.minutes_status != "ter_review":
        raise LiveError("Stuur de notulen eerst ter controle aan de deelnemers.")
    return _minutes_status(db, user, meeting, live, "definitief", "notulen definitief vastgesteld")


def _minutes_status(db, user, meeting, live, status: str, summary: str) -> LiveMeeting:
    live.minutes_status, live.minutes_status_at = status, utcnow()
    db.add(live)
    db.flush()
    audit.record(db, "update", user=user, object_type="meeting", object_id=meeting.id, summary=summary)
    notify_meeting(meeting.id)
    return live
