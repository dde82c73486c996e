"""Who may join a meeting's live session, enter a case item, chair, and keep the minutes.

Joining needs an invitation (or being the meeting's coordinator). A case item is its own
room: only those whose invitation covers that item *and* who may open the case
(:func:`mda.core.sharing.can_open_case`) enter it. Every live event asks again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmodel import Session

from mda.cases.models import Case
from mda.core import sharing
from mda.core.permissions import has_permission
from mda.meetings import access as meeting_access
from mda.meetings.models import AgendaItem, Meeting

if TYPE_CHECKING:
    from mda.auth.models import User


def may_join(db: Session, user: User, meeting: Meeting) -> bool:
    """Invited (or the coordinator), allowed to attend meetings, and the meeting not cancelled."""
    return (has_permission(user, "meeting.attend") and not meeting.cancelled
            and meeting_access.can_see_meeting(db, user, meeting))


def is_chair(user: User, meeting: Meeting) -> bool:
    """The chair leads the live session; the coordinator may stand in."""
    return user.id in (meeting.chair_id, meeting.coordinator_id) and has_permission(user, "meeting.attend")


def keeps_minutes(user: User, meeting: Meeting) -> bool:
    """Chair, coordinator and minute-taker move the minutes through review and correct final minutes."""
    return is_chair(user, meeting) or (user.id == meeting.minute_taker_id and has_permission(user, "meeting.attend"))


def enterable_item_ids(db: Session, user: User, meeting: Meeting, view: meeting_access.MeetingView) -> set[int]:
    """The case items of *view* that *user* may enter: :func:`may_enter` for each, without queries per item.

    The meeting view already answered "invited for this item" and "may open this case" (with the
    case's context); joining the meeting is asked once.
    """
    if view.meeting.id != meeting.id or not may_join(db, user, meeting):
        return set()
    return {iv.item.id for iv in view.items
            if iv.item.kind == "casus" and iv.item.case_id is not None and iv.case_visible and iv.invited}


def may_enter(db: Session, user: User, meeting: Meeting, item: AgendaItem,
              case_ctx: sharing.CaseContext | None = None) -> bool:
    """May *user* enter the room of this case item (invited for it and in the case's circle)?"""
    if item is None or item.meeting_id != meeting.id or item.kind != "casus" or item.case_id is None:
        return False
    if not may_join(db, user, meeting):
        return False
    if user.id != meeting.coordinator_id:
        invitation = meeting_access.my_invitation(db, user, meeting)
        if invitation is None:
            return False
        if not invitation.whole_meeting and item.id not in meeting_access.invited_item_ids(db, invitation):
            return False
    case = db.get(Case, item.case_id)
    return case is not None and sharing.can_open_case(user, case, case_ctx)
