"""Who may see a meeting, run it or plan it, and which of its case items they may see.

A meeting is visible to its coordinator and its invitees (chair and minute-taker are
invitees too); anyone else gets 404 and a ``denied`` audit row. The case reference of a
case item is shown only to those who can open that case (:func:`mda.core.sharing.can_open_case`);
everyone else sees "casus (niet zichtbaar)" with the item's times.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from flask import abort
from sqlalchemy import ColumnElement, and_, bindparam, or_, union
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from mda.auth.models import User
from mda.cases.models import Case
from mda.core import audit, sharing
from mda.core.permissions import has_permission
from mda.core.sharing.rows import ViewerRow
from mda.meetings.models import AgendaItem, Invitation, InvitationItem, Meeting
from mda.organisations.models import Organisation

if TYPE_CHECKING:
    from mda.auth.models import User

HIDDEN_CASE = "casus (niet zichtbaar)"


def my_invitation(db: Session, user: User, meeting: Meeting) -> Invitation | None:
    """The user's own (not withdrawn) invitation to *meeting*."""
    return db.exec(select(Invitation).where(Invitation.meeting_id == meeting.id, Invitation.user_id == user.id,
                                            Invitation.withdrawn_at.is_(None))).first()


def can_see_meeting(db: Session, user: User, meeting: Meeting) -> bool:
    """The coordinator and the invitees see a meeting; nobody else learns it exists."""
    if not _may_see_meetings(user):
        return False
    return user.id == meeting.coordinator_id or my_invitation(db, user, meeting) is not None


def _may_see_meetings(user: User | None) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and user.active


def sees_meeting(user: User, meeting: Meeting, invitation: Invitation | None) -> bool:
    """:func:`can_see_meeting` with the user's own invitation already read (a meeting view carries it)."""
    return _may_see_meetings(user) and (user.id == meeting.coordinator_id or invitation is not None)


def is_planner(user: User, meeting: Meeting) -> bool:
    """Only the meeting's own coordinator plans it (and must still hold ``meeting.plan``)."""
    return user.id == meeting.coordinator_id and has_permission(user, "meeting.plan")


def can_run(user: User, meeting: Meeting) -> bool:
    """Coordinator, chair and minute-taker record attendance."""
    return is_planner(user, meeting) or user.id in (meeting.chair_id, meeting.minute_taker_id)


def visible_meetings_query(user: User):
    """A select() of the meetings *user* may see (for lists, the week view, the feed)."""
    # A UNION of two indexed look-ups, not an OR, so that neither database scans every meeting.
    ids = union(select(Meeting.id).where(Meeting.coordinator_id == user.id),
                select(Invitation.meeting_id).where(Invitation.user_id == user.id, Invitation.withdrawn_at.is_(None)))
    return select(Meeting).where(Meeting.id.in_(select(ids.subquery().c[0])))


#: conditions, each true for a meeting that was held and closed; the room that closes meetings (the live session,
#: above this one) registers its own with :func:`register_closed`, so that this module need not import it
_CLOSED: list[Callable[[], ColumnElement[bool]]] = []


def register_closed(condition: Callable[[], ColumnElement[bool]]) -> None:
    """Add a condition "this meeting has been closed" (a function returning an SQL clause on ``Meeting``)."""
    if condition not in _CLOSED:
        _CLOSED.append(condition)


def coming(now: datetime | ColumnElement) -> ColumnElement[bool]:
    """Which meetings are "Komende overleggen" at *now*: not ended, and not closed already (a meeting the chair
    closed before its planned end has been held)."""
    return and_(Meeting.ends_at >= now, *(~condition() for condition in _CLOSED))


def held(now: datetime | ColumnElement) -> ColumnElement[bool]:
    """The others: ended at *now*, or closed (the "Eerdere overleggen")."""
    return or_(Meeting.ends_at < now, *(condition() for condition in _CLOSED))


def deny(db: Session, user: User, meeting_id: int, summary: str) -> None:
    audit.record(db, "denied", user=user, object_type="meeting", object_id=meeting_id, summary=summary)


def load_meeting_or_404(db: Session, user: User, meeting_id: int) -> Meeting:
    """The meeting, or 404 (with a ``denied`` audit row) for anyone who may not see it."""
    meeting = db.get(Meeting, meeting_id)
    if meeting is None or not can_see_meeting(db, user, meeting):
        deny(db, user, meeting_id, "overleg geopend zonder uitnodiging" if meeting else "onbekend overleg")
        abort(404)
    return meeting


def load_meeting_view_or_404(db: Session, user: User, meeting_id: int, cases: CaseAccess | None = None, *,
                             with_invitations: bool = False) -> MeetingView:
    """:func:`load_meeting_or_404` and :func:`meeting_view` in one: the user's invitation is read once for both.

    *with_invitations*: the page shows the meeting's open invitations to who runs it (coordinator, chair,
    minute-taker); for them these are read here, the user's own taken from them (one statement less), and kept
    on the view (:attr:`MeetingView.open_invitations`)."""
    meeting = db.get(Meeting, meeting_id)
    invitation, invited = None, None
    if meeting is not None and _may_see_meetings(user):
        if with_invitations and user.id in (meeting.coordinator_id, meeting.chair_id, meeting.minute_taker_id):
            invited = open_invitations(db, meeting)
            invitation = next((i for i in invited.invitations if i.user_id == user.id), None)
        else:
            invitation = my_invitation(db, user, meeting)
    if meeting is None or not sees_meeting(user, meeting, invitation):
        deny(db, user, meeting_id, "overleg geopend zonder uitnodiging" if meeting else "onbekend overleg")
        abort(404)
    view = meeting_view(db, user, meeting, cases, invitation=invitation)
    view.open_invitations = invited
    return view


def _load_meeting_for(db: Session, user: User, meeting_id: int, may, denied: str) -> Meeting:
    """The meeting when *may(user, meeting)*; 404 for outsiders, 403 (audited as *denied*) for other invitees."""
    meeting = load_meeting_or_404(db, user, meeting_id)
    if not may(user, meeting):
        deny(db, user, meeting_id, denied)
        abort(403)
    return meeting


def load_planned_meeting(db: Session, user: User, meeting_id: int) -> Meeting:
    """The meeting for its coordinator; 404 for outsiders, 403 for invitees who may not plan it."""
    return _load_meeting_for(db, user, meeting_id, is_planner, "overleg wijzigen zonder recht")


def load_run_meeting(db: Session, user: User, meeting_id: int) -> Meeting:
    """The meeting for coordinator, chair or minute-taker; 404 for outsiders, 403 for other invitees."""
    return _load_meeting_for(db, user, meeting_id, can_run, "aanwezigheid vastleggen zonder recht")


class CaseAccess:
    """Answers "may this user see case N" once per case; cases and their contexts are loaded together."""

    def __init__(self, db: Session, user: User):
        self.db, self.user = db, user
        self._answers: dict[int, bool] = {}
        self.cases: dict[int, Case] = {}
        self.contexts: dict[int, sharing.CaseContext] = {}

    def preload(self, case_ids) -> None:
        """Load every case of *case_ids* not seen yet, with its sharing context, in one batch."""
        missing = {c for c in case_ids if c is not None and c not in self._answers}
        if not missing:
            return
        found = sharing.load_cases(self.db, missing)  # with their access epochs (kept contexts need no more)
        self.contexts.update(sharing.load_contexts(self.db, list(found.values())))
        for case_id in missing:
            case = found.get(case_id)
            self.cases[case_id] = case
            self._answers[case_id] = case is not None and sharing.can_open_case(
                self.user, case, self.contexts[case_id])

    def can_open(self, case_id: int | None) -> bool:
        if case_id is None:
            return False
        if case_id not in self._answers:
            self.preload([case_id])
        return self._answers[case_id]

    def reference(self, case_id: int | None) -> str | None:
        """The case reference when the user may open the case, else None."""
        return self.cases[case_id].reference if self.can_open(case_id) else None


@dataclass
class ItemView:
    """An agenda item as one viewer may see it."""

    item: AgendaItem
    case_visible: bool
    reference: str | None  # only for viewers who can open the case
    invited: bool  # the viewer takes part in this item (whole meeting or invited for it)

    @property
    def label(self) -> str:
        if self.item.kind != "casus":
            return self.item.title
        return self.reference if self.case_visible else HIDDEN_CASE


@dataclass
class MeetingView:
    """A meeting as one viewer may see it."""

    meeting: Meeting
    items: list[ItemView]
    invitation: Invitation | None
    planner: bool
    runner: bool
    my_item_ids: set[int] = field(default_factory=set)
    #: the meeting's open invitations, when the loader read them (see :func:`load_meeting_view_or_404`)
    open_invitations: OpenInvitations | None = None


@dataclass
class OpenInvitations:
    """A meeting's open (not withdrawn) invitations, read once for the parts of the page that show them."""

    invitations: list[Invitation]  # by id
    items: dict[int, list[int]]  # invitation id -> the agenda items an item-only invitation covers
    #: user id -> (user as a plain row, organisation name), for the invitees and their delegates
    people: dict[int, tuple[ViewerRow, str]]


def open_invitations(db: Session, meeting: Meeting) -> OpenInvitations:
    """:class:`OpenInvitations` of *meeting* in one statement built once: each invitation with an item an
    item-only one covers, its invitee and its delegate (plain rows, with their organisation's name)."""
    invs: dict[int, Invitation] = {}
    items: dict[int, list[int]] = {}
    people: dict[int, tuple[ViewerRow, str]] = {}
    width = len(_PERSON_COLUMNS) + 1  # and the organisation's name
    for inv, item_id, *person_columns in db.exec(_open_invitations_statement(), params={"meeting_id": meeting.id}):
        if inv.id not in invs:
            invs[inv.id] = inv
            for person in (person_columns[:width], person_columns[width:]):
                if person[0] is not None and person[0] not in people:
                    people[person[0]] = (ViewerRow(*person[:-1], frozenset(person[4].split())), person[-1] or "")
        if item_id is not None and not inv.whole_meeting:
            items.setdefault(inv.id, []).append(item_id)
    return OpenInvitations(list(invs.values()), items, people)


#: what :class:`OpenInvitations` keeps of a person: :class:`ViewerRow`'s columns and the organisation's name
_PERSON_COLUMNS = ("id", "email", "name", "organisation_id", "roles_text", "active", "session_version")


@functools.cache
def _open_invitations_statement():
    """The statement of :func:`open_invitations`, built once per process (only the meeting id changes)."""
    invitee, delegate = aliased(User), aliased(User)
    invitee_org, delegate_org = aliased(Organisation), aliased(Organisation)
    return (
        select(Invitation, InvitationItem.agenda_item_id,
               *(getattr(invitee, c) for c in _PERSON_COLUMNS), invitee_org.name,
               *(getattr(delegate, c) for c in _PERSON_COLUMNS), delegate_org.name)
        .outerjoin(InvitationItem, InvitationItem.invitation_id == Invitation.id)
        .join(invitee, invitee.id == Invitation.user_id)
        .outerjoin(invitee_org, invitee_org.id == invitee.organisation_id)
        .outerjoin(delegate, delegate.id == Invitation.delegated_to_id)
        .outerjoin(delegate_org, delegate_org.id == delegate.organisation_id)
        .where(Invitation.meeting_id == bindparam("meeting_id"), Invitation.withdrawn_at.is_(None))
        .order_by(Invitation.id, InvitationItem.agenda_item_id))


def invited_item_ids(db: Session, invitation: Invitation | None) -> set[int]:
    """The agenda items an item-only invitation covers."""
    if invitation is None or invitation.whole_meeting:
        return set()
    return set(db.exec(select(InvitationItem.agenda_item_id).where(
        InvitationItem.invitation_id == invitation.id)))


def agenda_items(db: Session, meeting: Meeting) -> list[AgendaItem]:
    """The agenda in order."""
    return list(db.exec(select(AgendaItem).where(AgendaItem.meeting_id == meeting.id)
                        .order_by(AgendaItem.position, AgendaItem.id)))


#: "not read yet" for :func:`meeting_view`'s invitation (None means "read: not invited")
_UNREAD = object()


def meeting_view(db: Session, user: User, meeting: Meeting, cases: CaseAccess | None = None,
                 invitation: Invitation | None | object = _UNREAD) -> MeetingView:
    """The meeting with every case item filtered for *user* (call after a loader checked access);
    *invitation*: the user's own, when the caller has read it already."""
    cases = cases or CaseAccess(db, user)
    if invitation is _UNREAD:
        invitation = my_invitation(db, user, meeting)
    planner = is_planner(user, meeting)
    whole = planner or user.id == meeting.coordinator_id or (invitation is not None and invitation.whole_meeting)
    mine = invited_item_ids(db, invitation)
    views = []
    items = agenda_items(db, meeting)
    cases.preload(i.case_id for i in items if i.kind == "casus")
    for item in items:
        visible = item.kind == "casus" and cases.can_open(item.case_id)
        views.append(ItemView(item=item, case_visible=visible, reference=cases.reference(item.case_id) if visible
                              else None, invited=whole or item.id in mine))
    return MeetingView(meeting, views, invitation, planner, can_run(user, meeting), mine)
