"""Who may join a meeting's live session, enter a case item, chair, and keep the minutes.

Joining needs an invitation (or being the meeting's coordinator). A case item is its own
room: only those whose invitation covers that item *and* who may open the case
(:func:`mda.core.sharing.can_open_case`) enter it. Every live event asks again.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, bindparam
from sqlmodel import Session, select

from mda.cases.models import Case
from mda.core import sharing
from mda.core.permissions import has_permission
from mda.live.models import LiveMeeting
from mda.meetings import access as meeting_access
from mda.meetings.models import AgendaItem, Invitation, InvitationItem, Meeting

if TYPE_CHECKING:
    from mda.auth.models import User


def may_join(db: Session, user: User, meeting: Meeting, view: meeting_access.MeetingView | None = None) -> bool:
    """Invited (or the coordinator), allowed to attend meetings, and the meeting not cancelled; *view*, the
    user's meeting view when the caller has it, already carries the user's invitation."""
    if not has_permission(user, "meeting.attend") or meeting.cancelled:
        return False
    if view is not None and view.meeting.id == meeting.id:
        return meeting_access.sees_meeting(user, meeting, view.invitation)
    return meeting_access.can_see_meeting(db, user, meeting)


def is_chair(user: User, meeting: Meeting) -> bool:
    """The chair leads the live session; the coordinator may stand in."""
    return user.id in (meeting.chair_id, meeting.coordinator_id) and has_permission(user, "meeting.attend")


def keeps_minutes(user: User, meeting: Meeting) -> bool:
    """Chair, coordinator and minute-taker move the minutes through review and correct final minutes."""
    return is_chair(user, meeting) or (user.id == meeting.minute_taker_id and has_permission(user, "meeting.attend"))


def closed_meetings() -> ColumnElement[bool]:
    """SQL: the meeting was closed in its live session (registered with
    :func:`mda.meetings.access.register_closed`: it leaves "Komende overleggen")."""
    return Meeting.id.in_(select(LiveMeeting.meeting_id).where(LiveMeeting.status == "gesloten"))


def enterable_item_ids(db: Session, user: User, meeting: Meeting, view: meeting_access.MeetingView) -> set[int]:
    """The case items of *view* that *user* may enter: :func:`may_enter` for each, without queries per item.

    The meeting view already answered "invited for this item" and "may open this case" (with the
    case's context); joining the meeting is asked once.
    """
    if view.meeting.id != meeting.id or not may_join(db, user, meeting, view):
        return set()
    return {iv.item.id for iv in view.items
            if iv.item.kind == "casus" and iv.item.case_id is not None and iv.case_visible and iv.invited}


def may_enter(db: Session, user: User, meeting: Meeting, item: AgendaItem,
              case_ctx: sharing.CaseContext | None = None) -> bool:
    """May *user* enter the room of this case item (invited for it and in the case's circle)?"""
    return user is not None and user.id in enterers(db, [user], meeting, item, case_ctx)


def enterers(db: Session, users: list[User], meeting: Meeting, item: AgendaItem | None,
             case_ctx: sharing.CaseContext | None = None) -> set[int]:
    """The ids of *users* who may enter this case item's room: :func:`may_enter` for several users in
    three queries (their invitations, the items those cover, the case), so that one change can be
    pushed to everyone in the room without asking per user."""
    if item is None or item.meeting_id != meeting.id or item.kind != "casus" or item.case_id is None:
        return set()
    if meeting.cancelled:
        return set()
    users = [u for u in users if u is not None and has_permission(u, "meeting.attend")
             and getattr(u, "is_authenticated", False) and u.active]
    if not users:
        return set()
    # (id, whole meeting) of each user's first open invitation: rows, not objects (a room of 200 reads 200)
    invitations: dict[int, tuple[int, bool]] = {}
    open_invitations, covering = _statements()
    for inv_id, user_id, whole_meeting in db.execute(open_invitations, {"meeting_id": meeting.id,
                                                                         "user_ids": [u.id for u in users]}):
        invitations.setdefault(user_id, (inv_id, whole_meeting))
    partial = [inv_id for inv_id, whole_meeting in invitations.values() if not whole_meeting]
    covers = (set(db.execute(covering, {"invitation_ids": partial, "item_id": item.id}).scalars()) if partial
              else set())
    case = case_ctx.case if case_ctx is not None and case_ctx.case.id == item.case_id else db.get(Case, item.case_id)
    if case is None:
        return set()
    result = set()
    for user in users:
        if user.id != meeting.coordinator_id:
            invitation = invitations.get(user.id)
            if invitation is None or not (invitation[1] or invitation[0] in covers):
                continue
        if sharing.can_open_case(user, case, case_ctx):
            result.add(user.id)
    return result


@functools.cache
def _statements() -> tuple:
    """The two statements of :func:`enterers` (built once per process; only the ids change): the users' open
    invitations to the meeting, and which of the partial ones cover the item."""
    open_invitations = select(Invitation.id, Invitation.user_id, Invitation.whole_meeting).where(
        Invitation.meeting_id == bindparam("meeting_id"), Invitation.user_id.in_(bindparam("user_ids", expanding=True)),
        Invitation.withdrawn_at.is_(None)).order_by(Invitation.id)
    covering = select(InvitationItem.invitation_id).where(
        InvitationItem.invitation_id.in_(bindparam("invitation_ids", expanding=True)),
        InvitationItem.agenda_item_id == bindparam("item_id"))
    return open_invitations, covering
