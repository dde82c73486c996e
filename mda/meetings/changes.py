"""Changing and cancelling meetings: one meeting, one occurrence, or "this and all following".

"Alleen deze" changes one occurrence: it becomes an override (``RECURRENCE-ID``) in
calendars. "Deze en alle volgende" ends the series the day before and starts a new
series (new UID) from this occurrence, as Outlook and Google Calendar do themselves;
when it is the first occurrence, the series is changed as a whole.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlmodel import Session, select

from mda.auth.models import User
from mda.core import audit
from mda.core.timeutil import as_utc, format_local, utcnow
from mda.meetings import notify
from mda.meetings.access import agenda_items
from mda.meetings.agendas import MeetingType, TemplateItem
from mda.meetings.models import AgendaItem, Invitation, InvitationItem, Meeting, MeetingSeries
from mda.meetings.series import SeriesError, occurrences
from mda.meetings.services import (
    MeetingData,
    MeetingError,
    agenda_from,
    agenda_minutes,
    check_agenda_pseudonymous,
    check_common,
    check_fits,
    check_title_pseudonymous,
    local_date,
    meeting_type_or_error,
    new_uid,
    retime,
    series_meetings,
    sync_role_invitations,
)

SCOPES = {"deze": "Alleen deze bijeenkomst", "volgende": "Deze en alle volgende bijeenkomsten"}


def _replace_general_items(db: Session, meeting: Meeting, agenda: list[TemplateItem]) -> None:
    """New general items from *agenda*; the case items keep their order at the marker."""
    items = agenda_items(db, meeting)
    cases = [i for i in items if i.kind == "casus"]
    marker = next((i for i in items if i.kind == "casussen"), None)
    for item in items:
        if item.kind == "algemeen":
            db.delete(item)
    db.flush()
    ordered: list[AgendaItem] = []
    for template in agenda:
        if template.cases:
            if marker is None:
                marker = AgendaItem(uid=new_uid("item"), meeting_id=meeting.id, position=0, kind="casussen",
                                    title=template.title, minutes=0, starts_at=meeting.starts_at,
                                    ends_at=meeting.starts_at)
            marker.title = template.title
            ordered += [marker, *cases]
        else:
            ordered.append(AgendaItem(uid=new_uid("item"), meeting_id=meeting.id, position=0, kind="algemeen",
                                      title=template.title, minutes=template.minutes, starts_at=meeting.starts_at,
                                      ends_at=meeting.starts_at))
    if marker is None or marker not in ordered:
        ordered += cases
    for n, item in enumerate(ordered, start=1):
        item.position = n
        db.add(item)
    db.flush()


def _apply(db: Session, meeting: Meeting, data: MeetingData, mtype: MeetingType) -> bool:
    """Write *data* into *meeting* and re-time its agenda; True when calendars must be updated."""
    before = (as_utc(meeting.starts_at), as_utc(meeting.ends_at), meeting.title, meeting.location,
              meeting.online_link)
    if data.agenda is not None:
        _replace_general_items(db, meeting, agenda_from(data, mtype))
    meeting.title, meeting.location, meeting.online_link = data.title, data.location, data.online_link
    meeting.starts_at, meeting.ends_at = as_utc(data.starts_at), as_utc(data.ends_at)
    meeting.chair_id, meeting.minute_taker_id = data.chair_id, data.minute_taker_id
    meeting.update_deadline = data.update_deadline
    check_fits(agenda_minutes(db, meeting), meeting.starts_at, meeting.ends_at)
    retime(db, meeting)
    material = before != (meeting.starts_at, meeting.ends_at, meeting.title, meeting.location, meeting.online_link)
    if material:
        meeting.sequence += 1
    meeting.updated_at = utcnow()
    db.add(meeting)
    db.flush()
    return material


def _send_role_changes(db: Session, meeting: Meeting, added: list[Invitation], removed: list[Invitation]) -> None:
    if removed:
        notify.send_cancellations(db, meeting, removed)
    if added:
        notify.send_requests(db, [meeting], "uitnodiging", user_ids={i.user_id for i in added})


def update_meeting(db: Session, user: User, meeting: Meeting, data: MeetingData, scope: str = "deze") -> Meeting:
    """Change a meeting (or "this and all following" of a series); invitees get an update."""
    if meeting.cancelled:
        raise MeetingError("Dit overleg is geannuleerd en kan niet meer worden gewijzigd.")
    if scope not in SCOPES:
        raise MeetingError("Kies of de wijziging voor deze bijeenkomst of ook voor de volgende geldt.", "scope")
    mtype = meeting_type_or_error(meeting.type_code)
    data.type_code = meeting.type_code
    check_common(db, data)
    concerned = [meeting]
    if scope == "volgende" and meeting.series_id is not None:  # the title goes to every following meeting
        concerned += list(db.exec(select(Meeting).where(Meeting.series_id == meeting.series_id,
                                                        Meeting.starts_at > meeting.starts_at)))
    case_ids = sorted({i.case_id for m in concerned for i in agenda_items(db, m) if i.case_id})
    check_title_pseudonymous(db, data.title, case_ids)
    if data.agenda is not None:
        check_agenda_pseudonymous(db, [i.title for i in data.agenda], case_ids)
    if scope == "volgende" and meeting.series_id is not None:
        return _update_following(db, user, meeting, data, mtype)
    material = _apply(db, meeting, data, mtype)
    if material and meeting.series_id is not None:
        meeting.detached = True
        db.add(meeting)
    added, removed = sync_role_invitations(db, user, meeting)
    audit.record(db, "update", user=user, object_type="meeting", object_id=meeting.id,
                 summary=f"overleg gewijzigd ({SCOPES['deze'].lower() if meeting.series_id else 'los overleg'}): "
                         f"{format_local(meeting.starts_at)}–{format_local(meeting.ends_at, '%H:%M')}")
    if material:
        notify.send_requests(db, [meeting], "wijziging",
                             user_ids=_active_user_ids(db, [meeting]) - {i.user_id for i in added})
    _send_role_changes(db, meeting, added, removed)
    return meeting


def _active_user_ids(db: Session, meetings: list[Meeting]) -> set[int]:
    return set(db.exec(select(Invitation.user_id).where(Invitation.meeting_id.in_([m.id for m in meetings]),
                                                         Invitation.withdrawn_at.is_(None))))


def _update_following(db: Session, user: User, meeting: Meeting, data: MeetingData, mtype: MeetingType) -> Meeting:
    series = db.get(MeetingSeries, meeting.series_id)
    members = series_meetings(db, series.id)
    pivot = as_utc(meeting.original_start)
    earlier = [m for m in members if as_utc(m.original_start) < pivot]
    following = [m for m in members if as_utc(m.original_start) >= pivot]
    frequency, until = data.frequency or series.frequency, data.until or series.until
    try:
        starts = occurrences(frequency, data.starts_at, until)
    except SeriesError as exc:
        raise MeetingError(str(exc), "until") from None
    duration = as_utc(data.ends_at) - as_utc(data.starts_at)
    lead = as_utc(data.starts_at) - as_utc(data.update_deadline) if data.update_deadline else None
    if earlier:
        series.until = local_date(meeting.original_start) - timedelta(days=1)
        series.sequence += 1
        db.add(series)
        target = MeetingSeries(uid=new_uid("reeks"), type_code=series.type_code, title=data.title,
                               frequency=frequency, first_start=starts[0], duration_minutes=0, until=until,
                               coordinator_id=series.coordinator_id, created_at=utcnow())
    else:
        target = series
        target.sequence += 1
    target.title, target.frequency, target.first_start, target.until = data.title, frequency, starts[0], until
    target.duration_minutes = int(duration.total_seconds() // 60)
    target.location, target.online_link = data.location, data.online_link
    db.add(target)
    db.flush()
    touched: list[Meeting] = []
    role_changes = []
    for k, start in enumerate(starts):
        values = replace(data, starts_at=start, ends_at=start + duration,
                         update_deadline=start - lead if lead is not None else None)
        if k < len(following):
            current = following[k]
            current.series_id, current.original_start, current.detached = target.id, start, False
            if not current.cancelled:
                _apply(db, current, values, mtype)
                role_changes.append((current, *sync_role_invitations(db, user, current)))
        else:
            current = clone_meeting(db, user, meeting, start, start + duration, values.update_deadline, target)
        touched.append(current)
    for extra in following[len(starts):]:
        _cancel_one(db, extra, detach=True)
    audit.record(db, "update", user=user, object_type="meeting", object_id=meeting.id,
                 summary=f"reeks gewijzigd vanaf {format_local(meeting.original_start)}: "
                         f"{len(starts)} bijeenkomsten tot en met {until:%d-%m-%Y}")
    if earlier:  # the old series, now ending the day before, for everyone in it (also a replaced chair)
        notify.send_requests(db, [m for m in earlier if not m.cancelled][-1:] or earlier[-1:], "wijziging")
    else:  # the same series continues: a replaced chair or minute-taker gets it cancelled
        gone: set[int] = set()
        for current, _added, removed in role_changes:
            for inv in removed:
                if inv.user_id not in gone:
                    gone.add(inv.user_id)
                    notify.send_cancellations(db, current, [inv], whole_series=True)
    notify.send_requests(db, [m for m in touched if not m.cancelled], "wijziging")
    return following[0] if following else touched[0]


def clone_meeting(db: Session, user: User, source: Meeting, starts_at, ends_at, update_deadline,
                  series: MeetingSeries | None) -> Meeting:
    """A new occurrence like *source*: same agenda, same invitees (answers start open)."""
    now = utcnow()
    meeting = Meeting(uid=new_uid("overleg"), type_code=source.type_code, title=source.title if series is None
                      else series.title, starts_at=starts_at, ends_at=ends_at, location=source.location,
                      online_link=source.online_link, coordinator_id=source.coordinator_id, chair_id=source.chair_id,
                      minute_taker_id=source.minute_taker_id, series_id=series.id if series else None,
                      original_start=starts_at if series else None, update_deadline=update_deadline,
                      created_at=now, updated_at=now)
    db.add(meeting)
    db.flush()
    item_map = {}
    for item in agenda_items(db, source):
        copy = AgendaItem(uid=new_uid("item"), meeting_id=meeting.id, position=item.position, kind=item.kind,
                          title=item.title, case_id=item.case_id, minutes=item.minutes, steps=item.steps,
                          starts_at=starts_at, ends_at=starts_at)
        db.add(copy)
        db.flush()
        item_map[item.id] = copy.id
    retime(db, meeting)
    for inv in db.exec(select(Invitation).where(Invitation.meeting_id == source.id, Invitation.withdrawn_at.is_(None),
                                                Invitation.response != "gedelegeerd")):
        new = Invitation(meeting_id=meeting.id, user_id=inv.user_id, role=inv.role, whole_meeting=inv.whole_meeting,
                         required=inv.required, invited_by_id=user.id, created_at=now)
        db.add(new)
        db.flush()
        if not inv.whole_meeting:
            for link in db.exec(select(InvitationItem).where(InvitationItem.invitation_id == inv.id)):
                db.add(InvitationItem(invitation_id=new.id, agenda_item_id=item_map[link.agenda_item_id]))
    db.flush()
    return meeting


def _cancel_one(db: Session, meeting: Meeting, detach: bool = False) -> list[Invitation]:
    meeting.status, meeting.cancelled_at = "geannuleerd", utcnow()
    meeting.sequence += 1
    if detach:
        meeting.series_id, meeting.original_start = None, None
    db.add(meeting)
    db.flush()
    return list(db.exec(select(Invitation).where(Invitation.meeting_id == meeting.id,
                                                 Invitation.withdrawn_at.is_(None))))


def cancel_meeting(db: Session, user: User, meeting: Meeting, scope: str = "deze") -> int:
    """Cancel a meeting, one occurrence ("deze") or the rest of its series ("reeks"); returns how many."""
    if meeting.cancelled:
        raise MeetingError("Dit overleg is al geannuleerd.")
    if scope == "reeks" and meeting.series_id is not None:
        series = db.get(MeetingSeries, meeting.series_id)
        now = utcnow()
        future = [m for m in series_meetings(db, series.id) if not m.cancelled and as_utc(m.ends_at) >= now]
        series.sequence += 1
        whole_sent: set[int] = set()
        for m in future:
            invitations = _cancel_one(db, m)
            whole = [i for i in invitations if i.whole_meeting and i.user_id not in whole_sent]
            whole_sent |= {i.user_id for i in whole}
            notify.send_cancellations(db, m, whole, whole_series=True)
            notify.send_cancellations(db, m, [i for i in invitations if not i.whole_meeting])
        series.cancelled_at = now
        db.add(series)
        db.flush()
        audit.record(db, "update", user=user, object_type="meeting_series", object_id=series.id,
                     summary=f"reeks geannuleerd: {len(future)} bijeenkomsten vanaf {format_local(meeting.starts_at)}")
        return len(future)
    invitations = _cancel_one(db, meeting)
    notify.send_cancellations(db, meeting, invitations)
    audit.record(db, "update", user=user, object_type="meeting", object_id=meeting.id,
                 summary=f"overleg van {format_local(meeting.starts_at)} geannuleerd")
    return 1
