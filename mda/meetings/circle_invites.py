"""Inviting a case's whole circle for its agenda item in one step ("Hele kring uitnodigen").

Per-case need-to-know is kept: each named professional of the circle is invited for the
case item of *that* case only (not the whole meeting), exactly as a one-by-one invitation
through :func:`mda.meetings.invitations.invite` would do. The plan shown beforehand lists
who will be invited, who already is, and every circle organisation that has nobody who
can be invited, with the reason and what to do about it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlmodel import Session, select

from mda.auth.models import User
from mda.cases.models import Case
from mda.core import audit, sharing
from mda.meetings import notify
from mda.meetings.access import OpenInvitations, agenda_items
from mda.meetings.invitations import WORK_ROLES, _invite_one
from mda.meetings.models import AgendaItem, Invitation, InvitationItem, Meeting
from mda.meetings.services import MeetingError


@dataclass
class CirclePlan:
    """What "Hele kring uitnodigen" would do for one case item."""

    item: AgendaItem
    reference: str
    to_invite: list[User] = field(default_factory=list)
    already: list[User] = field(default_factory=list)
    #: circle organisations without anyone to invite: (organisation name, why)
    nobody: list[tuple[str, str]] = field(default_factory=list)
    #: organisation names of the case (circle and sources), so the page names them without a query each
    org_names: dict[int, str] = field(default_factory=dict)


def _invited(db: Session, meeting: Meeting, items: list[AgendaItem]) -> dict[int, set[int]]:
    """Per case item: users already invited for the whole meeting or for that item (not withdrawn); two queries."""
    whole = set(db.exec(select(Invitation.user_id).where(
        Invitation.meeting_id == meeting.id, Invitation.withdrawn_at.is_(None), Invitation.whole_meeting.is_(True))))
    done = {item.id: set(whole) for item in items}
    if items:
        for user_id, item_id in db.exec(select(Invitation.user_id, InvitationItem.agenda_item_id)
                                        .join(InvitationItem, InvitationItem.invitation_id == Invitation.id)
                                        .where(Invitation.meeting_id == meeting.id, Invitation.withdrawn_at.is_(None),
                                               InvitationItem.agenda_item_id.in_([i.id for i in items]))):
            done[item_id].add(user_id)
    return done


def _invited_from(invited: OpenInvitations, items: list[AgendaItem]) -> dict[int, set[int]]:
    """:func:`_invited` from the open invitations the page read already (no query)."""
    whole = {inv.user_id for inv in invited.invitations if inv.whole_meeting}
    done = {item.id: set(whole) for item in items}
    for inv in invited.invitations:
        if not inv.whole_meeting:
            for item_id in invited.items.get(inv.id, ()):
                if item_id in done:
                    done[item_id].add(inv.user_id)
    return done


def circle_plan(db: Session, meeting: Meeting, item: AgendaItem) -> CirclePlan:
    """Who of the case's circle would be invited for *item*, who already is, and which organisations have nobody."""
    return circle_plans(db, meeting, [item])[0]


def circle_plans(db: Session, meeting: Meeting, items: list[AgendaItem],
                 contexts: dict[int, sharing.CaseContext] | None = None, *, users: dict | None = None,
                 invited: OpenInvitations | None = None) -> list[CirclePlan]:
    """:func:`circle_plan` for several case items in a number of queries that does not grow with them;
    *contexts* (by case id): the case contexts the caller loaded already. The meeting page hands over what it
    read already: *users* (id -> user or plain row), at least every active member of these circles with a work
    role who may open the case (who else is left out of a plan anyway), and *invited*, the meeting's open
    invitations."""
    if not items:
        return []
    contexts = contexts or {}
    wanted = {i.case_id for i in items}
    missing = wanted - set(contexts)
    if missing:
        contexts = {**contexts, **sharing.load_contexts(db, list(db.exec(select(Case).where(Case.id.in_(missing)))))}
    cases = {case_id: contexts[case_id].case for case_id in wanted if case_id in contexts}
    done = _invited(db, meeting, items) if invited is None else _invited_from(invited, items)
    if users is None:
        member_ids = set().union(*(ctx.member_user_ids for ctx in contexts.values()))
        users = {u.id: u for u in db.exec(select(User).where(User.id.in_(member_ids | {meeting.coordinator_id})))}
    coordinator = users.get(meeting.coordinator_id) or db.get(User, meeting.coordinator_id)
    plans = []
    for item in items:
        case, ctx = cases[item.case_id], contexts[item.case_id]
        plan = CirclePlan(item=item, reference=case.reference, org_names=ctx.org_names)
        members = sorted((users[uid] for uid in ctx.member_user_ids if uid in users), key=lambda u: u.name)
        invitable_orgs = set()
        for user in members:
            if user.id == meeting.coordinator_id or not user.active or not (user.roles & set(WORK_ROLES)) \
                    or not sharing.can_open_case(user, case, ctx):
                continue
            invitable_orgs.add(user.organisation_id)
            (plan.already if user.id in done[item.id] else plan.to_invite).append(user)
        for org_id in sorted(ctx.circle_org_ids, key=lambda o: ctx.org_names.get(o, "")):
            if org_id in invitable_orgs or (coordinator is not None and org_id == coordinator.organisation_id):
                continue
            plan.nobody.append((ctx.org_names.get(org_id, "?"),
                                "er is in de kring nog geen professional van deze organisatie met naam genoemd. "
                                "Voeg bij 'Kring beheren' van de casus een professional met naam toe; "
                                "daarna kunt u hem of haar uitnodigen."))
        plans.append(plan)
    return plans


def case_items(db: Session, meeting: Meeting) -> list[AgendaItem]:
    """The case items of a meeting's agenda."""
    return [i for i in agenda_items(db, meeting) if i.kind == "casus"]


def invite_circle(db: Session, user: User, meeting: Meeting, item: AgendaItem) -> list[User]:
    """Invite every named professional of the case's circle for *item* (one e-mail each); returns who."""
    invited = _invite_circle(db, user, meeting, item)
    if invited:
        notify.send_requests(db, [meeting], "uitnodiging", user_ids={u.id for u in invited})
    return invited


def _invite_circle(db: Session, user: User, meeting: Meeting, item: AgendaItem) -> list[User]:
    """Invite the circle of *item*'s case for that item, audited; sends nothing (the caller does, once)."""
    if meeting.cancelled:
        raise MeetingError("Dit overleg is geannuleerd.")
    if item.meeting_id != meeting.id or item.kind != "casus":
        raise MeetingError("Kies een casus van de agenda van dit overleg.")
    plan = circle_plan(db, meeting, item)
    for invitee in plan.to_invite:
        _invite_one(db, user, meeting, invitee, [item], required=True)
    if plan.to_invite:
        audit.record(db, "create", user=user, object_type="invitation", object_id=meeting.id, case_id=item.case_id,
                     summary=f"kring van casus {plan.reference} uitgenodigd voor overleg {meeting.id}: "
                             f"{len(plan.to_invite)} professional(s)")
    return plan.to_invite


def invite_all_circles(db: Session, user: User, meeting: Meeting) -> int:
    """Invite the circle of every case on the agenda, each for its own case item; returns how many professionals.

    A professional in the circles of several cases is invited for each of those items and gets one e-mail.
    """
    invited: dict[int, User] = {}
    for item in case_items(db, meeting):
        invited.update({u.id: u for u in _invite_circle(db, user, meeting, item)})
    if invited:
        notify.send_requests(db, [meeting], "uitnodiging", user_ids=set(invited))
    return len(invited)
