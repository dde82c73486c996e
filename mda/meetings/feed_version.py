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

from sqlalchemy import func, select, type_coerce, union
from sqlalchemy.types import NullType
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


def feed_version(db: Session, user: User, reminders: Iterable[int]) -> tuple[str, datetime | None]:
    """The ETag of *user*'s feed with *reminders*, and its last change (``Last-Modified``), without building it."""
    from mda.meetings.calendars import FEED_HISTORY

    now = utcnow()
    conn = db.connection()  # plain rows: no model objects, no identity map
    feed = visible_meetings_query(user).where(Meeting.ends_at >= now - FEED_HISTORY, Meeting.status == "gepland")
    # read once, as ids: as subqueries, SQLite would evaluate them again in every statement below, and an OR of two
    # IN conditions made PostgreSQL scan whole tables (the feed grew with the number of cases in the region)
    feed_ids = sorted(conn.execute(feed.with_only_columns(Meeting.id)).scalars())
    # the builder completes each series of the feed from the database
    series_ids = sorted(set(conn.execute(select(Meeting.series_id).where(
        Meeting.id.in_(feed_ids), Meeting.series_id.is_not(None))).scalars()))
    meeting_ids = sorted(set(feed_ids) | set(conn.execute(select(Meeting.id).where(
        Meeting.series_id.in_(series_ids))).scalars()))
    invitation_ids = list(conn.execute(select(Invitation.id).where(
        Invitation.meeting_id.in_(meeting_ids), Invitation.withdrawn_at.is_(None))).scalars())
    # the delegations' originals, read as ids too: an OR of two IN conditions scanned the whole invitation table
    # on PostgreSQL (the team lead's feed took 1.3x as long with 100,000 cases as with 1,000)
    source_ids = conn.execute(select(Invitation.delegated_from_id).where(
        Invitation.id.in_(invitation_ids), Invitation.delegated_from_id.is_not(None))).scalars()
    shown_invitations = Invitation.id.in_(sorted(set(invitation_ids) | set(source_ids)))
    people = union(select(Meeting.coordinator_id).where(Meeting.id.in_(meeting_ids)),
                   select(MeetingSeries.coordinator_id).where(MeetingSeries.id.in_(series_ids)),
                   select(Invitation.user_id).where(shown_invitations),
                   select(Invitation.delegated_to_id).where(shown_invitations)).subquery()

    def raw(model, *where) -> list[tuple]:
        """Every column of *model*'s rows matching *where*, as the database gives it (nothing parsed)."""
        table = model.__table__
        columns = [type_coerce(column, NullType()) for column in table.columns]
        return [tuple(row) for row in conn.execute(select(*columns).where(*where)
                                                   .order_by(*table.primary_key.columns))]

    changed = conn.execute(select(func.max(Meeting.updated_at)).where(Meeting.id.in_(feed_ids))).scalar()
    case_ids = sorted(conn.execute(select(AgendaItem.case_id).distinct().where(
        AgendaItem.meeting_id.in_(meeting_ids), AgendaItem.kind == "casus", AgendaItem.case_id.is_not(None))).scalars())
    cases = CaseAccess(db, user)
    cases.preload(case_ids)
    parts = (
        _code(), mail.public_url("meetings.show", meeting_id=0), user.id, list(reminders),
        feed_ids,
        raw(Meeting, Meeting.id.in_(meeting_ids)), raw(MeetingSeries, MeetingSeries.id.in_(series_ids)),
        raw(Invitation, shown_invitations), raw(InvitationItem, InvitationItem.invitation_id.in_(invitation_ids)),
        raw(AgendaItem, AgendaItem.meeting_id.in_(meeting_ids)),
        [tuple(row) for row in conn.execute(select(User.id, User.email, User.name)
                                            .where(User.id.in_(select(people.c[0]))).order_by(User.id))],
        [(case_id, cases.reference(case_id)) for case_id in case_ids],
        # a series links to its next meeting, which moves on as meetings end
        list(conn.execute(select(Meeting.id).where(Meeting.id.in_(meeting_ids), Meeting.series_id.is_not(None),
                                                   Meeting.ends_at < now).order_by(Meeting.id)).scalars()),
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()[:32], as_utc(changed) if changed else None
