"""Conflicts and free slots: is a required participant or the room already booked, and when
are all of them free (working hours, Dutch public holidays excluded)?

A participant is busy during the meetings they take part in (an item-only invitee only
during their items); declined, delegated and withdrawn invitations do not count. A room is
busy when another planned meeting has the same location (compared without case or spaces).
The warnings name no other meeting: its title may not be for the planner's eyes.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta

from sqlmodel import Session, func, select

from mda.auth.models import User
from mda.core.timeutil import LOCAL_TZ, as_utc, format_local, local_to_utc, to_local
from mda.core.workdays import holiday_name, is_working_day
from mda.meetings.models import AgendaItem, Invitation, InvitationItem, Meeting

WORK_START, WORK_END = time(9, 0), time(17, 0)
STEP = timedelta(minutes=15)
HORIZON = timedelta(days=42)
Interval = tuple[datetime, datetime]


def _overlaps(a: Interval, b: Interval) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def busy_by_user(db: Session, user_ids: set[int], start: datetime, end: datetime,
                 exclude: set[int] = frozenset()) -> dict[int, list[Interval]]:
    """When each user is taken between *start* and *end*."""
    busy: dict[int, list[Interval]] = defaultdict(list)
    if not user_ids:
        return busy
    rows = db.exec(select(Invitation, Meeting).join(Meeting, Meeting.id == Invitation.meeting_id).where(
        Invitation.user_id.in_(user_ids), Invitation.withdrawn_at.is_(None),
        Invitation.response.not_in(("afgewezen", "gedelegeerd")), Meeting.status == "gepland",
        Meeting.starts_at < end, Meeting.ends_at > start))
    partial = []
    for inv, meeting in rows:
        if meeting.id in exclude:
            continue
        if inv.whole_meeting:
            busy[inv.user_id].append((as_utc(meeting.starts_at), as_utc(meeting.ends_at)))
        else:
            partial.append(inv)
    if partial:
        for link, item in db.exec(select(InvitationItem, AgendaItem).join(
                AgendaItem, AgendaItem.id == InvitationItem.agenda_item_id).where(
                InvitationItem.invitation_id.in_([i.id for i in partial]))):
            owner = next(i.user_id for i in partial if i.id == link.invitation_id)
            busy[owner].append((as_utc(item.starts_at), as_utc(item.ends_at)))
    return busy


def busy_room(db: Session, location: str, start: datetime, end: datetime,
              exclude: set[int] = frozenset()) -> list[Interval]:
    """When a room (a location text) is taken between *start* and *end*."""
    key = " ".join((location or "").lower().split())
    if not key:
        return []
    rows = db.exec(select(Meeting).where(func.lower(func.trim(Meeting.location)) == key,
                                         Meeting.status == "gepland", Meeting.starts_at < end, Meeting.ends_at > start))
    return [(as_utc(m.starts_at), as_utc(m.ends_at)) for m in rows if m.id not in exclude]


def conflicts(db: Session, *, user_ids: set[int], location: str, start: datetime, end: datetime,
              exclude: set[int] = frozenset()) -> list[str]:
    """Dutch warnings for every required participant, and the room, already booked at that time."""
    window = (as_utc(start), as_utc(end))
    warnings = []
    for user_id, intervals in sorted(busy_by_user(db, user_ids, *window, exclude).items()):
        hits = [i for i in intervals if _overlaps(i, window)]
        if hits:
            user = db.get(User, user_id)
            times = ", ".join(f"{format_local(s, '%H:%M')}–{format_local(e, '%H:%M')}" for s, e in sorted(hits))
            warnings.append(f"{user.name} heeft dan al een ander overleg ({format_local(window[0], '%d-%m-%Y')}, "
                            f"{times}).")
    room = [i for i in busy_room(db, location, *window, exclude) if _overlaps(i, window)]
    if room:
        times = ", ".join(f"{format_local(s, '%H:%M')}–{format_local(e, '%H:%M')}" for s, e in sorted(room))
        warnings.append(f"De locatie '{location.strip()}' is dan al bezet ({times}).")
    if not is_working_day(to_local(window[0]).date()):
        name = holiday_name(to_local(window[0]).date())
        what = f"een feestdag ({name})" if name else "geen werkdag"
        warnings.append(f"{format_local(window[0], '%d-%m-%Y')} is {what}.")
    return warnings


def free_slots(db: Session, *, user_ids: set[int], location: str, minutes: int, after: datetime,
               count: int = 3, exclude: set[int] = frozenset()) -> list[Interval]:
    """The first *count* slots in working hours, on working days, when everyone and the room are free."""
    length = timedelta(minutes=minutes)
    begin = as_utc(after)
    until = begin + HORIZON
    taken = [i for intervals in busy_by_user(db, user_ids, begin, until, exclude).values() for i in intervals]
    taken += busy_room(db, location, begin, until, exclude)
    found: list[Interval] = []
    day = to_local(begin).date()
    while len(found) < count and day <= to_local(until).date():
        if is_working_day(day):
            slot = local_to_utc(day, WORK_START)
            day_end = local_to_utc(day, WORK_END)
            while slot + length <= day_end and len(found) < count:
                candidate = (slot, slot + length)
                if slot >= begin and not any(_overlaps(candidate, t) for t in taken):
                    found.append(candidate)
                    slot += length
                else:
                    slot += STEP
        day += timedelta(days=1)
    return found


def round_up(moment: datetime) -> datetime:
    """*moment* rounded up to the next quarter of an hour (local clock)."""
    local = to_local(moment).replace(second=0, microsecond=0)
    extra = (-local.minute) % 15
    return (local + timedelta(minutes=extra)).astimezone(LOCAL_TZ)
