"""Invitations, answers (accept, decline, tentative, delegate) and attendance.

Only professionals of a case's circle are invited for that case (anyone who can open it:
:func:`mda.core.sharing.can_open_case`); a whole-meeting invitee must be in the circle of
every case on the agenda. Chair and minute-taker are invited by their role.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, func, select

from mda.auth.models import User
from mda.cases.models import Case
from mda.core import audit, sharing
from mda.core.timeutil import as_utc, format_local, utcnow
from mda.meetings import notify, slots
from mda.meetings.access import agenda_items
from mda.meetings.models import ATTENDANCE, RESPONSES, AgendaItem, Invitation, InvitationItem, Meeting
from mda.meetings.services import MeetingError, series_meetings

WORK_ROLES = ("coordinator", "professional", "team_lead")
#: who may be invited one by one: also managers and bestuurders, who decide escalations at levels 2 and 3
#: (still only for cases they can open); "Hele kring uitnodigen" offers WORK_ROLES only
INVITABLE_ROLES = (*WORK_ROLES, "manager", "bestuurder")
#: attendance is recorded at the meeting: from this long before its start
ATTENDANCE_LEAD = timedelta(hours=1)


def _case_items(db: Session, meeting: Meeting) -> list[AgendaItem]:
    return [i for i in agenda_items(db, meeting) if i.kind == "casus"]


def _outside_circle(db: Session, invitee: User, case_ids: list[int]) -> Case | None:
    """The first case *invitee* cannot open (not in its circle), or None."""
    for case_id in dict.fromkeys(case_ids):
        case = db.get(Case, case_id)
        if case is None or not sharing.can_open_case(invitee, case):
            return case
    return None


def invitable_users(db: Session, meeting: Meeting, item: AgendaItem | None = None) -> list[User]:
    """Who can be invited: for a case item its circle; for the whole meeting the circle of every case."""
    items = [item] if item is not None else _case_items(db, meeting)
    return invitable_by_item(db, meeting, items)[item.id if item is not None else None]


def invitable_by_item(db: Session, meeting: Meeting, items: list[AgendaItem],
                      contexts: dict[int, sharing.CaseContext] | None = None) -> dict[int | None, list]:
    """Invitable users per case item, and for the whole meeting (key None), in a few queries: users (without
    case items) or plain rows with their attributes (:class:`mda.core.sharing.rows.ViewerRow`).

    Only users of a circle organisation (or a case's coordinator) can open a case, so only those
    are loaded, not every user of the installation.
    """
    case_ids = list(dict.fromkeys(i.case_id for i in items))
    if not case_ids:
        users = [u for u in db.exec(select(User).where(User.active.is_(True)).order_by(User.name))
                 if u.roles & set(WORK_ROLES)]
        return {None: users}
    contexts = dict(contexts or {})
    missing = [c for c in case_ids if c not in contexts]
    if missing:
        contexts.update(sharing.load_contexts(db, list(db.exec(select(Case).where(Case.id.in_(missing))))))
    ctxs = [contexts[c] for c in case_ids if c in contexts]
    # only the users rule 1 can let in are loaded, not every colleague of a large circle organisation; as plain
    # rows (the attributes the engine reads), not an entity each
    users = [u for u in sharing.possible_opener_rows(db, ctxs) if u.roles & set(WORK_ROLES)]
    result: dict[int | None, list[User]] = {
        None: [u for u in users if all(sharing.can_open_case(u, ctx.case, ctx) for ctx in ctxs)]}
    for item in items:
        ctx = contexts.get(item.case_id)
        result[item.id] = [u for u in users if ctx is not None and sharing.can_open_case(u, ctx.case, ctx)]
    return result


def invite(db: Session, user: User, meeting: Meeting, invitee_id: int, item_ids: list[int], *,
           required: bool = True, following: bool = False) -> list[str]:
    """Invite a professional for the whole meeting (no items) or for some case items.

    With *following*, the same invitation is made for the later occurrences of the series
    (for the same cases). Returns conflict warnings (the invitee is already booked).
    """
    invitee = db.get(User, invitee_id)
    if invitee is None or not invitee.active or not (invitee.roles & set(INVITABLE_ROLES)):
        raise MeetingError("Kies een actieve professional om uit te nodigen.", "user_id")
    targets = [meeting]
    if following and meeting.series_id is not None:
        targets += [m for m in series_meetings(db, meeting.series_id)
                    if as_utc(m.original_start) > as_utc(meeting.original_start) and not m.cancelled]
    chosen = [i for i in _case_items(db, meeting) if i.id in set(item_ids)]
    if len(chosen) != len(set(item_ids)):
        raise MeetingError("Kies casussen van de agenda van dit overleg.", "item_ids")
    case_ids = [i.case_id for i in chosen]
    invited_to = []
    for target in targets:
        if target.cancelled:
            raise MeetingError("Dit overleg is geannuleerd.")
        items = ([i for i in _case_items(db, target) if i.case_id in case_ids] if item_ids else [])
        if target is not meeting and item_ids and not items:
            continue
        _invite_one(db, user, target, invitee, items, required=required)
        invited_to.append(target)
    notify.send_requests(db, invited_to, "uitnodiging", user_ids={invitee.id})
    what = "het hele overleg" if not item_ids else f"{len(chosen)} casus(sen)"
    audit.record(db, "create", user=user, object_type="invitation", object_id=meeting.id,
                 summary=f"gebruiker {invitee.id} uitgenodigd voor {what} van overleg {meeting.id}"
                         f"{f' en {len(invited_to) - 1} volgende' if len(invited_to) > 1 else ''}")
    windows = [(i.starts_at, i.ends_at) for i in chosen] or [(meeting.starts_at, meeting.ends_at)]
    warnings = []
    for start, end in windows:
        warnings += slots.conflicts(db, user_ids={invitee.id}, location="", start=start, end=end,
                                    exclude={meeting.id})
    return list(dict.fromkeys(w for w in warnings if "heeft dan al" in w))


def _invite_one(db: Session, user: User, meeting: Meeting, invitee: User, items: list[AgendaItem], *,
                required: bool) -> Invitation:
    case_ids = [i.case_id for i in items] if items else [i.case_id for i in _case_items(db, meeting)]
    outside = _outside_circle(db, invitee, case_ids)
    if outside is not None:
        reference = outside.reference if outside and sharing.can_open_case(user, outside) else "deze casus"
        raise MeetingError(f"{invitee.name} hoort niet bij de kring van {reference}. Alleen professionals uit de "
                           "kring van een casus kunnen ervoor worden uitgenodigd.", "user_id")
    inv = db.exec(select(Invitation).where(Invitation.meeting_id == meeting.id,
                                           Invitation.user_id == invitee.id)).first()
    if inv is not None and inv.withdrawn_at is None and inv.whole_meeting:
        raise MeetingError(f"{invitee.name} is al uitgenodigd voor het hele overleg.", "user_id")
    if inv is None or inv.withdrawn_at is not None:
        if inv is not None:  # invited again after being withdrawn: start afresh
            for link in db.exec(select(InvitationItem).where(InvitationItem.invitation_id == inv.id)):
                db.delete(link)
        inv = inv or Invitation(meeting_id=meeting.id, user_id=invitee.id, created_at=utcnow())
        inv.withdrawn_at, inv.response, inv.responded_at, inv.delegated_to_id = None, "open", None, None
        inv.role = "deelnemer"
    inv.whole_meeting, inv.required, inv.invited_by_id = not items, required, user.id
    db.add(inv)
    db.flush()
    if items:
        have = set(db.exec(select(InvitationItem.agenda_item_id).where(InvitationItem.invitation_id == inv.id)))
        for item in items:
            if item.id not in have:
                db.add(InvitationItem(invitation_id=inv.id, agenda_item_id=item.id))
    else:
        for link in db.exec(select(InvitationItem).where(InvitationItem.invitation_id == inv.id)):
            db.delete(link)
    db.flush()
    return inv


def answer(db: Session, user: User, meeting: Meeting, response: str, *, delegate_to_id: int | None = None,
           following: bool = False) -> Invitation:
    """Answer one's own invitation (and, with *following*, those for later occurrences of the series)."""
    if response not in RESPONSES or response == "open":
        raise MeetingError("Kies komt, komt niet, onder voorbehoud of delegeren.", "response")
    targets = [meeting]
    if following and meeting.series_id is not None:
        targets += [m for m in series_meetings(db, meeting.series_id)
                    if as_utc(m.original_start) > as_utc(meeting.original_start) and not m.cancelled]
    first = None
    for target in targets:
        inv = db.exec(select(Invitation).where(Invitation.meeting_id == target.id, Invitation.user_id == user.id,
                                               Invitation.withdrawn_at.is_(None))).first()
        if inv is None:
            if target is meeting:
                raise MeetingError("U bent niet uitgenodigd voor dit overleg.")
            continue
        if target.cancelled:
            raise MeetingError("Dit overleg is geannuleerd.")
        if inv.response == "gedelegeerd":
            raise MeetingError("U heeft deze uitnodiging al gedelegeerd aan een collega.")
        if response == "gedelegeerd":
            _delegate(db, user, target, inv, delegate_to_id)
        inv.response, inv.responded_at = response, utcnow()
        db.add(inv)
        first = first or inv
    db.flush()
    audit.record(db, "update", user=user, object_type="invitation", object_id=first.id,
                 summary=f"uitnodiging voor overleg {meeting.id} beantwoord: {RESPONSES[response].lower()}"
                         f"{f' (ook {len(targets) - 1} volgende)' if len(targets) > 1 else ''}")
    return first


def _delegate(db: Session, user: User, meeting: Meeting, inv: Invitation, delegate_to_id: int | None) -> None:
    if inv.role != "deelnemer":
        raise MeetingError("Voorzitter en notulist delegeren niet; vraag de procesregisseur iemand anders aan "
                           "te wijzen.", "delegate_to_id")
    colleague = db.get(User, delegate_to_id) if delegate_to_id else None
    if colleague is None or colleague.id == user.id or colleague.organisation_id != user.organisation_id \
            or not colleague.active:
        raise MeetingError("Delegeer aan een actieve collega van uw eigen organisatie.", "delegate_to_id")
    items = [] if inv.whole_meeting else list(db.exec(
        select(AgendaItem).join(InvitationItem, InvitationItem.agenda_item_id == AgendaItem.id)
        .where(InvitationItem.invitation_id == inv.id)))
    existing = db.exec(select(Invitation).where(Invitation.meeting_id == meeting.id,
                                                Invitation.user_id == colleague.id,
                                                Invitation.withdrawn_at.is_(None))).first()
    if existing is not None:
        raise MeetingError(f"{colleague.name} is al uitgenodigd voor dit overleg.", "delegate_to_id")
    new = _invite_one(db, user, meeting, colleague, items, required=inv.required)
    new.delegated_from_id = inv.id
    db.add(new)
    inv.delegated_to_id = colleague.id
    notify.send_requests(db, [meeting], "uitnodiging", user_ids={colleague.id})


#: up to this many colleagues the answer form lists them; a larger organisation types the address
COLLEAGUE_LIST_LIMIT = 50


def colleagues(db: Session, user: User, limit: int | None = None) -> list[User]:
    """Active colleagues of the user's organisation (delegation candidates), by name; at most *limit* + 1
    (one more than asked, so that the caller can tell the list was cut)."""
    stmt = select(User).where(User.organisation_id == user.organisation_id, User.id != user.id,
                              User.active.is_(True)).order_by(User.name)
    return list(db.exec(stmt.limit(limit + 1) if limit is not None else stmt))


def colleague_by_email(db: Session, user: User, email: str) -> int | None:
    """The id of the active colleague of *user*'s organisation with this address (None for anyone else,
    whether unknown or of another organisation: the answer does not tell which)."""
    email = (email or "").strip().lower()
    if not email:
        return None
    return db.exec(select(User.id).where(func.lower(User.email) == email, User.organisation_id == user.organisation_id,
                                         User.id != user.id, User.active.is_(True))).first()


def record_attendance(db: Session, user: User, meeting: Meeting, values: dict[int, str]) -> int:
    """Record present / absent / excused per invitation; returns the number changed."""
    if meeting.cancelled:
        raise MeetingError("Dit overleg is geannuleerd.")
    if as_utc(meeting.starts_at) - utcnow() > ATTENDANCE_LEAD:
        raise MeetingError(f"Aanwezigheid legt u vast bij het overleg (vanaf {format_local(meeting.starts_at)}).")
    invitations = {i.id: i for i in db.exec(select(Invitation).where(Invitation.meeting_id == meeting.id,
                                                                    Invitation.withdrawn_at.is_(None)))}
    changed = 0
    for inv_id, value in values.items():
        inv = invitations.get(inv_id)
        if inv is None:
            raise MeetingError("Deze uitnodiging hoort niet bij dit overleg.")
        value = value or None
        if value is not None and value not in ATTENDANCE:
            raise MeetingError("Kies aanwezig, afwezig of afgemeld.")
        if inv.attendance != value:
            inv.attendance, inv.attendance_recorded_at, inv.attendance_recorded_by_id = value, utcnow(), user.id
            db.add(inv)
            changed += 1
    db.flush()
    if changed:
        audit.record(db, "update", user=user, object_type="meeting", object_id=meeting.id,
                     summary=f"aanwezigheid vastgelegd voor {changed} deelnemer(s)")
    return changed


def answers_overview(db: Session, meeting: Meeting) -> dict[str, int]:
    """How many invitees gave each answer (for the coordinator's overview)."""
    return answers_overviews(db, [meeting.id])[meeting.id]


def answers_of(invitations: list[Invitation]) -> dict[str, int]:
    """:func:`answers_overview` from the meeting's open (not withdrawn) invitations, already read."""
    result = dict.fromkeys(RESPONSES, 0)
    for inv in invitations:
        result[inv.response] = result.get(inv.response, 0) + 1
    return result


def answers_overviews(db: Session, meeting_ids: list[int]) -> dict[int, dict[str, int]]:
    """The answer counts of several meetings in one query (the meetings list)."""
    from sqlalchemy import func

    result = {mid: dict.fromkeys(RESPONSES, 0) for mid in meeting_ids}
    if meeting_ids:
        for mid, response, n in db.exec(select(Invitation.meeting_id, Invitation.response, func.count())
                                        .where(Invitation.meeting_id.in_(meeting_ids),
                                               Invitation.withdrawn_at.is_(None))
                                        .group_by(Invitation.meeting_id, Invitation.response)):
            result[mid][response] = result[mid].get(response, 0) + n
    return result


def withdraw(db: Session, user: User, meeting: Meeting, inv: Invitation) -> None:
    """Withdraw one invitation; a METHOD:CANCEL goes to that person only (after the commit)."""
    if meeting.cancelled:
        raise MeetingError("Dit overleg is geannuleerd.")
    if inv.role != "deelnemer":
        raise MeetingError("Voorzitter en notulist wijzigt u bij 'Wijzigen' van het overleg.")
    inv.withdrawn_at = utcnow()
    db.add(inv)
    db.flush()
    notify.send_cancellations(db, meeting, [inv])
    audit.record(db, "delete", user=user, object_type="invitation", object_id=inv.id,
                 summary=f"uitnodiging nr. {inv.id} (gebruiker nr. {inv.user_id}) "
                         f"voor overleg {meeting.id} ingetrokken")


def leave_closed_case(db: Session, user: User, ctx: sharing.CaseContext) -> int:
    """The circle of ``ctx.case`` shrank (:data:`mda.core.signals.circle_left`): invitations to coming meetings
    for that case of people the case is now closed to end. A per-case invitation loses that case (a cancellation
    of its slot goes to the person); one left without cases is withdrawn, as is a whole-meeting invitation to a
    meeting about this case alone (a whole-meeting invitation with other cases stays: the agenda shows this case
    to them as "casus (niet zichtbaar)"). Audited per invitation, ids only; returns how many changed."""
    from mda.meetings.access import coming

    now = utcnow()
    rows = list(db.exec(select(AgendaItem, Meeting).join(Meeting, Meeting.id == AgendaItem.meeting_id).where(
        AgendaItem.case_id == ctx.case.id, AgendaItem.kind == "casus", Meeting.status == "gepland", coming(now))))
    changed = 0
    for item, meeting in rows:
        invitations = list(db.exec(select(Invitation).where(
            Invitation.meeting_id == meeting.id, Invitation.withdrawn_at.is_(None), Invitation.role == "deelnemer")))
        people = {u.id: u for u in db.exec(select(User).where(User.id.in_({i.user_id for i in invitations})))} \
            if invitations else {}
        closed = [i for i in invitations if not sharing.can_open_case(people.get(i.user_id), ctx.case, ctx)]
        if not closed:
            continue
        links = {link.invitation_id: link for link in db.exec(select(InvitationItem).where(
            InvitationItem.agenda_item_id == item.id, InvitationItem.invitation_id.in_([i.id for i in closed])))}
        only_case = [i.case_id for i in _case_items(db, meeting)] == [ctx.case.id]
        for inv in closed:
            if inv.whole_meeting and not only_case:
                continue
            link = links.get(inv.id)
            if link is None and not inv.whole_meeting:
                continue  # invited for other cases of this meeting only
            others = db.exec(select(InvitationItem.agenda_item_id).where(InvitationItem.invitation_id == inv.id,
                                                             InvitationItem.agenda_item_id != item.id)).first()
            if inv.whole_meeting or others is None:  # nothing left to come for: the invitation ends
                notify.send_cancellations(db, meeting, [inv])
                inv.withdrawn_at = now
                db.add(inv)
            else:  # this case's slot only
                notify.send_cancellations(db, meeting, [inv], items=[item])
            if link is not None:
                db.delete(link)
            db.flush()
            audit.record(db, "delete" if inv.withdrawn_at else "update", user=user, object_type="invitation",
                         object_id=inv.id, case_id=ctx.case.id,
                         summary=f"uitnodiging nr. {inv.id} (gebruiker nr. {inv.user_id}) voor overleg {meeting.id}: "
                                 f"casus niet meer open voor deze persoon (kring), "
                                 f"{'ingetrokken' if inv.withdrawn_at else 'casus eruit gehaald'}")
            changed += 1
    db.flush()
    return changed
