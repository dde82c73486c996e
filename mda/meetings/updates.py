"""Pre-meeting updates: per case item, each partner writes what happened since last time and
how its actions stand, before the coordinator's deadline.

An update is personal data. It is stored as a minimal-data-set :class:`~mda.cases.models.Item`
of the case (category ``hulpverlening``, source: the writer's organisation), linked to the
agenda item by :class:`~mda.meetings.models.MeetingUpdate`, and shown only through the
sharing engine (:func:`mda.core.sharing.item_view`), which decides and audits every view.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlmodel import Session, select

from mda.auth.models import User
from mda.cases.models import Case, Item
from mda.core import audit, sharing
from mda.core.timeutil import LOCAL_TZ, as_utc, format_local, utcnow
from mda.meetings import notify
from mda.meetings.access import OpenInvitations, coming
from mda.meetings.models import AgendaItem, Invitation, InvitationItem, Meeting, MeetingUpdate
from mda.meetings.services import MeetingError
from mda.organisations.models import Organisation

UPDATE_CATEGORY = "hulpverlening"
MAX_LENGTH = 8000


def deadline_of(meeting: Meeting):
    """Updates are due before the deadline the coordinator set, or else before the start."""
    return as_utc(meeting.update_deadline or meeting.starts_at)


def participants(db: Session, meeting: Meeting, item: AgendaItem) -> dict[int, list[Invitation]]:
    """Organisation id -> the invitations of its professionals taking part in this case item."""
    case = db.get(Case, item.case_id)
    ctx = sharing.load_context(db, case)
    linked = set(db.exec(select(InvitationItem.invitation_id).where(InvitationItem.agenda_item_id == item.id)))
    result: dict[int, list[Invitation]] = defaultdict(list)
    for inv in db.exec(select(Invitation).where(Invitation.meeting_id == meeting.id, Invitation.withdrawn_at.is_(None),
                                                Invitation.role == "deelnemer",
                                                Invitation.response.not_in(("afgewezen", "gedelegeerd")))):
        user = db.get(User, inv.user_id)
        if (inv.whole_meeting or inv.id in linked) and user.active and sharing.can_open_case(user, case, ctx):
            result[user.organisation_id].append(inv)
    return result


def may_write(db: Session, user: User, meeting: Meeting, item: AgendaItem) -> bool:
    """Whether *user* takes part in this case item (and so writes its organisation's update)."""
    if item.kind != "casus" or item.meeting_id != meeting.id:
        return False
    return any(inv.user_id == user.id for invs in participants(db, meeting, item).values() for inv in invs)


def submit(db: Session, user: User, meeting: Meeting, item: AgendaItem, content: str) -> MeetingUpdate:
    """Write (or rewrite, before the deadline) the organisation's update for a case item."""
    content = (content or "").strip()
    if meeting.cancelled:
        raise MeetingError("Dit overleg is geannuleerd.")
    if not may_write(db, user, meeting, item):
        raise MeetingError("U neemt niet deel aan de bespreking van deze casus.")
    if utcnow() >= deadline_of(meeting):
        raise MeetingError(f"De termijn voor updates is verstreken ({format_local(deadline_of(meeting))}). "
                           "Breng uw update in tijdens het overleg.", "content")
    if not content:
        raise MeetingError("Schrijf wat er sinds de vorige keer is gebeurd en hoe uw acties ervoor staan.", "content")
    if len(content) > MAX_LENGTH:
        raise MeetingError(f"Een update is hoogstens {MAX_LENGTH} tekens lang.", "content")
    now = utcnow()
    update = db.exec(select(MeetingUpdate).where(MeetingUpdate.agenda_item_id == item.id,
                                                 MeetingUpdate.organisation_id == user.organisation_id)).first()
    if update is not None:
        record = db.get(Item, update.item_id)
        record.content, record.author_id = content, user.id
        update.author_id, update.submitted_at = user.id, now
        action = "update"
    else:
        record = Item(case_id=item.case_id, category=UPDATE_CATEGORY, content=content,
                      source_organisation_id=user.organisation_id, author_id=user.id,
                      recorded_on=now.astimezone(LOCAL_TZ).date(), created_at=now)
        db.add(record)
        db.flush()
        update = MeetingUpdate(agenda_item_id=item.id, organisation_id=user.organisation_id, item_id=record.id,
                               author_id=user.id, submitted_at=now)
        action = "create"
    db.add(record)
    db.add(update)
    db.flush()
    audit.record(db, action, user=user, object_type="item", object_id=record.id, case_id=item.case_id,
                 summary=f"update voor overleg {meeting.id} {'gewijzigd' if action == 'update' else 'ingediend'}")
    return update


@dataclass
class OrganisationStatus:
    organisation: str
    submitted_at: object | None
    invitee_ids: list[int]


def status(db: Session, meeting: Meeting, item: AgendaItem) -> list[OrganisationStatus]:
    """Per taking-part organisation: submitted (when) or not yet (no content: names only)."""
    done = {u.organisation_id: u for u in db.exec(select(MeetingUpdate).where(
        MeetingUpdate.agenda_item_id == item.id))}
    rows = []
    for org_id, invitations in participants(db, meeting, item).items():
        org = db.get(Organisation, org_id)
        rows.append(OrganisationStatus(org.name, done[org_id].submitted_at if org_id in done else None,
                                       [i.user_id for i in invitations]))
    return sorted(rows, key=lambda r: (r.submitted_at is not None, r.organisation))


#: answers of an invitee who does not write an update (declined, or delegated to a colleague)
WRITERS_NOT = ("afgewezen", "gedelegeerd")


@dataclass
class ItemUpdates:
    """What the meeting page shows about one case item's updates."""

    views: list[tuple[MeetingUpdate, str, sharing.ItemView]]
    may_write: bool
    status: list[OrganisationStatus]


def page_updates(db: Session, user: User, meeting: Meeting, items: list[AgendaItem],
                 contexts: dict[int, sharing.CaseContext], *, with_status: bool,
                 invited: OpenInvitations | None = None) -> dict[int, ItemUpdates]:
    """Updates, writing right and (for the planner) status of every case item, in a fixed number of queries.

    The same answers as :func:`views_for`, :func:`may_write` and :func:`status` per item, without
    queries per item: *contexts* (by case id) come from the meeting view's case access; *invited*: the
    meeting's open invitations when the page read them already.
    """
    items = [i for i in items if i.kind == "casus" and i.meeting_id == meeting.id and i.case_id in contexts]
    if not items:
        return {}
    item_ids = [i.id for i in items]
    linked: dict[int, set[int]] = defaultdict(set)
    if invited is not None:
        invitations = [i for i in invited.invitations if i.role == "deelnemer" and i.response not in WRITERS_NOT]
        for inv in invitations:
            for item_id in invited.items.get(inv.id, []):
                linked[item_id].add(inv.id)
        people = {i.user_id: invited.people[i.user_id][0] for i in invitations if i.user_id in invited.people}
    else:
        invitations = list(db.exec(select(Invitation).where(
            Invitation.meeting_id == meeting.id, Invitation.withdrawn_at.is_(None), Invitation.role == "deelnemer",
            Invitation.response.not_in(WRITERS_NOT))))
        if invitations:
            for inv_id, item_id in db.exec(select(InvitationItem.invitation_id, InvitationItem.agenda_item_id)
                                           .where(InvitationItem.invitation_id.in_([i.id for i in invitations]))):
                linked[item_id].add(inv_id)
        people = {u.id: u for u in db.exec(select(User).where(User.id.in_({i.user_id for i in invitations})))} \
            if invitations else {}
    updates = defaultdict(list)
    for update in db.exec(select(MeetingUpdate).where(MeetingUpdate.agenda_item_id.in_(item_ids))
                          .order_by(MeetingUpdate.submitted_at)):
        updates[update.agenda_item_id].append(update)
    views = sharing.item_views(db, user, contexts, [u.item_id for us in updates.values() for u in us],
                               channel="overleg")
    result = {}
    for item in items:
        ctx = contexts[item.case_id]
        taking_part: dict[int, list[Invitation]] = defaultdict(list)
        for inv in invitations:
            person = people.get(inv.user_id)
            if ((inv.whole_meeting or inv.id in linked[item.id]) and person is not None and person.active
                    and sharing.can_open_case(person, ctx.case, ctx)):
                taking_part[person.organisation_id].append(inv)
        done = {u.organisation_id: u for u in updates[item.id]}
        status_rows = sorted((OrganisationStatus(ctx.org_names.get(org_id, ""),
                                                 done[org_id].submitted_at if org_id in done else None,
                                                 [i.user_id for i in invs])
                              for org_id, invs in taking_part.items()),
                             key=lambda r: (r.submitted_at is not None, r.organisation)) if with_status else []
        result[item.id] = ItemUpdates(
            views=[(u, ctx.org_names.get(u.organisation_id, ""), views[u.item_id])
                   for u in updates[item.id] if u.item_id in views],
            may_write=any(inv.user_id == user.id for invs in taking_part.values() for inv in invs),
            status=status_rows)
    return result


def views_for(db: Session, user: User, item: AgendaItem) -> list[tuple[MeetingUpdate, str, sharing.ItemView]]:
    """The updates of a case item as *user* may see them: each through the sharing engine (audited)."""
    case = db.get(Case, item.case_id)
    ctx = sharing.load_context(db, case)
    if not sharing.can_open_case(user, case, ctx):
        return []
    result = []
    for update in db.exec(select(MeetingUpdate).where(MeetingUpdate.agenda_item_id == item.id)
                          .order_by(MeetingUpdate.submitted_at)):
        view = sharing.item_view(db, user, ctx, update.item_id, channel="overleg")
        result.append((update, ctx.org_names.get(update.organisation_id, ""), view))
    return result


def remind(db: Session, user: User, meeting: Meeting, items: list[AgendaItem]) -> int:
    """E-mail the professionals of organisations that have not yet written their update."""
    if meeting.cancelled:
        raise MeetingError("Dit overleg is geannuleerd.")
    if utcnow() >= deadline_of(meeting):
        raise MeetingError("De termijn voor updates is al verstreken.")
    missing: dict[int, list[str]] = defaultdict(list)
    for item in items:
        case = db.get(Case, item.case_id)
        for row in status(db, meeting, item):
            if row.submitted_at is None:
                for user_id in row.invitee_ids:
                    missing[user_id].append(case.reference)
    for user_id, references in missing.items():
        notify.send_update_reminder(db.get(User, user_id), meeting, references,
                                    format_local(deadline_of(meeting)))
    if missing:
        audit.record(db, "update", user=user, object_type="meeting", object_id=meeting.id,
                     summary=f"herinnering voor updates gestuurd aan {len(missing)} deelnemer(s)")
    return len(missing)


def due_for(db: Session, user: User, limit: int = 5) -> tuple[int, list[tuple[Meeting, AgendaItem]]]:
    """Case items of coming meetings where *user* takes part and their organisation has not given its
    pre-meeting update while the deadline is still ahead: (how many, the first *limit* by deadline).
    Only cases *user* may open (rule 1, :func:`sharing.opens_case`): a whole-meeting invitee outside a case's
    circle is not asked for an update on it. Two queries whatever the number of meetings (for the start page's
    task panel)."""
    from sqlalchemy import and_, exists, func, or_

    now = utcnow()
    deadline = func.coalesce(Meeting.update_deadline, Meeting.starts_at)
    covered = or_(Invitation.whole_meeting.is_(True), exists().where(
        InvitationItem.invitation_id == Invitation.id, InvitationItem.agenda_item_id == AgendaItem.id))
    given = exists().where(MeetingUpdate.agenda_item_id == AgendaItem.id,
                           MeetingUpdate.organisation_id == user.organisation_id)
    stmt = (select(Meeting, AgendaItem).join(Invitation, Invitation.meeting_id == Meeting.id)
            .join(AgendaItem, and_(AgendaItem.meeting_id == Meeting.id, AgendaItem.kind == "casus"))
            .where(Invitation.user_id == user.id, Invitation.withdrawn_at.is_(None), Invitation.role == "deelnemer",
                   Invitation.response.not_in(("afgewezen", "gedelegeerd")), Meeting.status == "gepland",
                   deadline > now, coming(now), covered, ~given, sharing.opens_case(user, AgendaItem.case_id)))
    total = db.exec(select(func.count()).select_from(stmt.subquery())).one()
    return total, list(db.exec(stmt.order_by(deadline, AgendaItem.id).limit(limit))) if total else []

