"""The personal feed's version: a digest of everything its file is built from, read without building it.

A calendar program polls its feed every hour with the ETag it holds. Building the file (every meeting,
agenda, invitee and case decision as model objects, then the iCalendar text) costs far more than reading
the rows it is built from. So the feed's ETag is a digest of those rows (plain columns), of the user's
case-access answers and of the code that writes the file, and a poll whose ETag still matches gets its 304
before anything is built. A full response carries the same ETag.

Whatever :func:`mda.meetings.calendars.feed_with_date` reads must be in here:
``tests/meetings/test_feed_etag.py`` changes each input and checks that the ETag changes with the file.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlmodel import Session

from mda.auth.models import User
from mda.core import mail
from mda.core.timeutil import as_utc, utcnow
from mda.meetings.access import CaseAccess, visible_meetings_query
from mda.meetings.models import AgendaItem, Invitation, InvitationItem, Meeting, MeetingSeries

if TYPE_CHECKING:
    from collections.abc import Iterable

_PACKAGE = Path(__file__).resolve().parent


@cache
def _code() -> str:
    """A digest of the code and agenda files that write the feed: a new release gives every feed a new ETag."""
    files = [_PACKAGE / name for name in ("calendars.py", "ics.py", "series.py", "access.py", "agendas.py")]
    agendas = _PACKAGE.parent.parent / "agendas"
    files += sorted(agendas.rglob("*")) if agendas.is_dir() else []
    digest = hashlib.sha256()
    for path in files:
        if path.is_file():
            digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


def _rows(db: Session, model, *where) -> list[tuple]:
    """Every column of the rows of *model* matching *where*, in a fixed order."""
    return sorted((tuple(row) for row in db.execute(select(model.__table__).where(*where))), key=repr)


def feed_version(db: Session, user: User, reminders: Iterable[int]) -> tuple[str, datetime | None]:
    """The ETag of *user*'s feed with *reminders*, and its last change (``Last-Modified``), without building it."""
    from mda.meetings.calendars import FEED_HISTORY

    now = utcnow()
    feed_ids = set(db.execute(visible_meetings_query(user).where(
        Meeting.ends_at >= now - FEED_HISTORY, Meeting.status == "gepland").with_only_columns(Meeting.id)).scalars())
    meetings = db.execute(select(Meeting.__table__).where(Meeting.id.in_(feed_ids))).all()
    changed = max((as_utc(m.updated_at) for m in meetings if m.updated_at is not None), default=None)
    series_ids = {m.series_id for m in meetings if m.series_id}
    if series_ids:  # the builder completes a series from the database
        meetings += db.execute(select(Meeting.__table__).where(Meeting.series_id.in_(series_ids),
                                                               Meeting.id.not_in(feed_ids))).all()
    meeting_ids = {m.id for m in meetings}
    invitations = db.execute(select(Invitation.__table__).where(Invitation.meeting_id.in_(meeting_ids),
                                                                Invitation.withdrawn_at.is_(None))).all()
    sources = {i.delegated_from_id for i in invitations if i.delegated_from_id}
    invitations += db.execute(select(Invitation.__table__).where(Invitation.id.in_(sources))).all() if sources else []
    series = db.execute(select(MeetingSeries.__table__).where(MeetingSeries.id.in_(series_ids))).all()
    items = _rows(db, AgendaItem, AgendaItem.meeting_id.in_(meeting_ids))
    user_ids = ({user.id} | {i.user_id for i in invitations} | {i.delegated_to_id for i in invitations}
                | {m.coordinator_id for m in meetings} | {s.coordinator_id for s in series}) - {None}
    cases = CaseAccess(db, user)
    case_ids = sorted({row.case_id for row in db.execute(select(AgendaItem.case_id).where(
        AgendaItem.meeting_id.in_(meeting_ids), AgendaItem.kind == "casus"))} - {None})
    cases.preload(case_ids)
    parts = (
        _code(), mail.public_url("meetings.show", meeting_id=0), user.id, list(reminders), sorted(feed_ids),
        sorted((tuple(m) for m in meetings), key=repr), sorted({tuple(i) for i in invitations}, key=repr),
        _rows(db, InvitationItem, InvitationItem.invitation_id.in_({i.id for i in invitations})),
        sorted((tuple(row) for row in series), key=repr), items,
        sorted(tuple(u) for u in db.execute(select(User.id, User.email, User.name).where(User.id.in_(user_ids)))),
        [(case_id, cases.reference(case_id)) for case_id in case_ids],
        # a series links to its next meeting, which moves on as meetings end
        sorted(m.id for m in meetings if m.series_id and as_utc(m.ends_at) < now),
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32], changed
