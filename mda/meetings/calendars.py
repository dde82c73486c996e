"""Which calendar events a user gets, and what is in them.

One function decides it for every channel (per-meeting download, personal feed, e-mailed
invitation): :class:`CalendarBuilder`. Events carry only the meeting's title, times,
place, the professionals taking part, a link, and a case's pseudonymous reference for
those who can open that case (others read "casus (niet zichtbaar)"). Never a name, birth
date or address of a person in a case.

- The coordinator and whole-meeting invitees get the meeting; a series is one event with
  an ``RRULE``, ``EXDATE`` for skipped occurrences (and ones the user is not invited to) and
  ``RECURRENCE-ID`` overrides for occurrences changed on their own.
- An invitee for some case items only gets one event per item, with the item's own times.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import TYPE_CHECKING

from sqlmodel import Session, select

from mda.auth.models import User
from mda.core import mail
from mda.core.templating import UrlPattern
from mda.core.timeutil import as_utc, format_local, to_local, utcnow
from mda.meetings import ics
from mda.meetings.access import HIDDEN_CASE, CaseAccess, agenda_items
from mda.meetings.agendas import label, type_name
from mda.meetings.models import (
    PARTSTAT,
    AgendaItem,
    Invitation,
    InvitationItem,
    Meeting,
    MeetingSeries,
)
from mda.meetings.series import Rule

if TYPE_CHECKING:
    from collections.abc import Iterable

#: how far back the personal feed reaches
FEED_HISTORY = timedelta(days=90)
_ABSENT = ("afgewezen", "gedelegeerd")
_ROLE = {"voorzitter": "CHAIR", "notulist": "NON-PARTICIPANT"}


def meeting_url(meeting: Meeting) -> str:
    """The stable link to a meeting's page."""
    return mail.public_url("meetings.show", meeting_id=meeting.id)


class CalendarBuilder:
    """Builds the events one user may have in a calendar."""

    def __init__(self, db: Session, user: User, *, include_declined: bool = False):
        self.db, self.user = db, user
        self.include_declined = include_declined
        self.cases = CaseAccess(db, user)
        self._users: dict[int, User] = {}
        self._meeting_url = UrlPattern("meetings.show", "meeting_id", build=mail.public_url)
        self._type_names: dict[str, str] = {}
        self._agendas: dict[int, list[AgendaItem]] = {}
        self._invitations_by_id: dict[int, Invitation] = {}

    # a feed names hundreds of meetings: one url_for and one agenda-file look-up per feed, not per event
    def _url(self, meeting: Meeting) -> str:
        """:func:`meeting_url`, with the address built once per builder."""
        return self._meeting_url(meeting.id)

    def _type_name(self, code: str) -> str:
        if code not in self._type_names:
            self._type_names[code] = type_name(code)
        return self._type_names[code]

    def _label(self, code: str, title: str) -> str:
        """:func:`~mda.meetings.agendas.label`, with the type's name looked up once per builder."""
        return label(code, title, name=self._type_name(code))

    def _prefetch(self, meetings: list[Meeting], invitations: dict[int, list[Invitation]],
                  series: list[MeetingSeries]) -> None:
        """Load agendas, people, delegations and cases of *meetings* in a few queries (not per meeting)."""
        ids = [m.id for m in meetings]
        if ids:
            for item in self.db.exec(select(AgendaItem).where(AgendaItem.meeting_id.in_(ids))
                                     .order_by(AgendaItem.position, AgendaItem.id)):
                self._agendas.setdefault(item.meeting_id, []).append(item)
            for meeting_id in ids:
                self._agendas.setdefault(meeting_id, [])
        all_invitations = [i for invs in invitations.values() for i in invs]
        self._invitations_by_id.update({i.id: i for i in all_invitations})
        sources = {i.delegated_from_id for i in all_invitations if i.delegated_from_id} - set(self._invitations_by_id)
        if sources:
            self._invitations_by_id.update({i.id: i for i in self.db.exec(
                select(Invitation).where(Invitation.id.in_(sources)))})
        user_ids = ({i.user_id for i in self._invitations_by_id.values()}
                    | {i.delegated_to_id for i in all_invitations if i.delegated_to_id}
                    | {m.coordinator_id for m in meetings} | {s.coordinator_id for s in series}) - set(self._users)
        if user_ids:
            self._users.update({u.id: u for u in self.db.exec(select(User).where(User.id.in_(user_ids)))})
        self.cases.preload(i.case_id for items in self._agendas.values() for i in items if i.kind == "casus")

    def _agenda(self, meeting: Meeting) -> list[AgendaItem]:
        if meeting.id not in self._agendas:
            self._agendas[meeting.id] = agenda_items(self.db, meeting)
        return self._agendas[meeting.id]

    # ------------------------------------------------------------------ data
    def _user(self, user_id: int) -> User:
        if user_id not in self._users:
            self._users[user_id] = self.db.get(User, user_id)
        return self._users[user_id]

    def _invitations(self, meeting_ids: Iterable[int]) -> dict[int, list[Invitation]]:
        ids = list(meeting_ids)
        result: dict[int, list[Invitation]] = defaultdict(list)
        if ids:
            for inv in self.db.exec(select(Invitation).where(Invitation.meeting_id.in_(ids),
                                                             Invitation.withdrawn_at.is_(None))
                                    .order_by(Invitation.id)):
                result[inv.meeting_id].append(inv)
        return result

    def _item_links(self, invitation_ids: Iterable[int]) -> dict[int, set[int]]:
        ids = list(invitation_ids)
        result: dict[int, set[int]] = defaultdict(set)
        if ids:
            for link in self.db.exec(select(InvitationItem).where(InvitationItem.invitation_id.in_(ids))):
                result[link.invitation_id].add(link.agenda_item_id)
        return result

    def _takes_part(self, inv: Invitation | None) -> bool:
        return inv is not None and (self.include_declined or inv.response not in _ABSENT)

    # ------------------------------------------------------------------ people
    def _person(self, inv: Invitation) -> ics.Person:
        user = self._user(inv.user_id)
        delegate = self._user(inv.delegated_to_id) if inv.delegated_to_id else None
        source = None
        if inv.delegated_from_id:
            original = self._invitations_by_id.get(inv.delegated_from_id) or self.db.get(
                Invitation, inv.delegated_from_id)
            source = self._user(original.user_id) if original else None
        role = _ROLE.get(inv.role, "REQ-PARTICIPANT" if inv.required else "OPT-PARTICIPANT")
        return ics.Person(user.email, user.name, PARTSTAT.get(inv.response, "NEEDS-ACTION"), role,
                          delegated_to=delegate.email if delegate else None,
                          delegated_from=source.email if source else None)

    def _organizer(self, meeting: Meeting | MeetingSeries) -> ics.Person:
        user = self._user(meeting.coordinator_id)
        return ics.Person(user.email, user.name)

    # ------------------------------------------------------------------ text
    def _where(self, meeting: Meeting) -> str:
        return meeting.location or ("Online" if meeting.online_link else "")

    def _agenda_lines(self, meeting: Meeting, items: list[AgendaItem]) -> list[str]:
        lines = []
        for item in items:
            if item.kind == "casussen":
                continue
            text = item.title
            if item.kind == "casus":
                text = self.cases.reference(item.case_id) or HIDDEN_CASE
            lines.append(f"{format_local(item.starts_at, '%H:%M')}–{format_local(item.ends_at, '%H:%M')}  {text}")
        return lines

    def _description(self, meeting: Meeting, lines: list[str]) -> str:
        parts = [self._label(meeting.type_code, meeting.title)]
        if meeting.online_link:
            parts.append(f"Online deelnemen: {meeting.online_link}")
        if lines:
            parts += ["", "Agenda:", *lines]
        parts += ["", f"Bekijk het overleg en beantwoord de uitnodiging in MDA++: {self._url(meeting)}"]
        return "\n".join(parts)

    # ------------------------------------------------------------------ events
    def _meeting_event(self, meeting: Meeting, invitations: list[Invitation]) -> ics.EventSpec:
        whole = [i for i in invitations if i.whole_meeting]
        return ics.EventSpec(
            uid=meeting.uid, start=meeting.starts_at, end=meeting.ends_at,
            summary=self._label(meeting.type_code, meeting.title),
            description=self._description(meeting, self._agenda_lines(meeting, self._agenda(meeting))),
            url=self._url(meeting), sequence=meeting.sequence, organizer=self._organizer(meeting),
            location=self._where(meeting), attendees=[self._person(i) for i in whole],
            last_modified=meeting.updated_at)

    def item_event(self, meeting: Meeting, item: AgendaItem, invitations: list[Invitation],
                   links: dict[int, set[int]]) -> ics.EventSpec:
        """The event of one case item, for those invited only for that item."""
        case_label = self.cases.reference(item.case_id) or HIDDEN_CASE
        invited = [i for i in invitations if not i.whole_meeting and item.id in links.get(i.id, set())]
        text = self._description(meeting, [f"{format_local(item.starts_at, '%H:%M')}–"
                                           f"{format_local(item.ends_at, '%H:%M')}  {case_label}"])
        return ics.EventSpec(
            uid=item.uid, start=item.starts_at, end=item.ends_at,
            summary=f"{self._type_name(meeting.type_code)}: {case_label}", description=text, url=self._url(meeting),
            sequence=item.sequence + meeting.sequence, organizer=self._organizer(meeting),
            location=self._where(meeting), attendees=[self._person(i) for i in invited],
            last_modified=meeting.updated_at, item_label=case_label)

    def _series_events(self, series: MeetingSeries, meetings: list[Meeting],
                       invitations: dict[int, list[Invitation]]) -> list[ics.EventSpec]:
        """The series master (RRULE, EXDATE) and the user's overrides, or nothing."""
        mine = {m.id: self._mine(m, invitations[m.id]) for m in meetings}
        joined = [m for m in meetings if not m.cancelled and self._joins_whole(m, mine[m.id])]
        if not joined:
            return []
        ordered = sorted(meetings, key=lambda m: m.original_start)
        now = utcnow()
        reference = next((m for m in joined if as_utc(m.ends_at) >= now), joined[-1])
        joined_ids = {m.id for m in joined}
        last_start = ordered[-1].original_start
        master = ics.EventSpec(
            uid=series.uid, start=series.first_start,
            end=series.first_start + timedelta(minutes=series.duration_minutes),
            summary=self._label(series.type_code, series.title),
            description=(f"{self._label(series.type_code, series.title)}\n"
                         f"{Rule.starting(series.frequency, to_local(series.first_start)).describe().capitalize()}.\n\n"
                         f"De agenda en de casussen staan per bijeenkomst in MDA++: {self._url(reference)}"),
            url=self._url(reference), sequence=series.sequence, organizer=self._organizer(series),
            location=series.location or ("Online" if series.online_link else ""),
            attendees=[self._person(i) for i in invitations[reference.id] if i.whole_meeting],
            rrule=Rule.starting(series.frequency, to_local(series.first_start)).ical(as_utc(last_start)),
            exdates=[m.original_start for m in ordered if m.id not in joined_ids])
        events = [master]
        for m in joined:
            if m.detached:
                event = self._meeting_event(m, invitations[m.id])
                event.uid, event.recurrence_id = series.uid, m.original_start
                event.sequence = max(m.sequence, series.sequence)
                events.append(event)
        return events

    def series_item_uid(self, series: MeetingSeries) -> str:
        """The UID of this user's own recurring event for the case items of a series."""
        return f"{series.uid}-deelname-{self.user.id}"

    def _series_item_events(self, series: MeetingSeries, meetings: list[Meeting],
                            invitations: dict[int, list[Invitation]],
                            links: dict[int, set[int]]) -> list[ics.EventSpec]:
        """One recurring event for someone invited only for some case items of a series (one e-mail, one
        answer): the series rule with an override per occurrence at the times of their own items, and
        EXDATE for the occurrences they are not invited to."""
        ordered = sorted(meetings, key=lambda m: m.original_start)
        overrides, skipped = [], []
        for m in ordered:
            mine = self._mine(m, invitations[m.id])
            items = [] if m.cancelled or not self._takes_part(mine) or mine.whole_meeting else [
                i for i in agenda_items(self.db, m) if i.id in links.get(mine.id, set())]
            if not items:
                skipped.append(m.original_start)
                continue
            labels = [self.cases.reference(i.case_id) or HIDDEN_CASE for i in items]
            lines = [f"{format_local(i.starts_at, '%H:%M')}–{format_local(i.ends_at, '%H:%M')}  {lbl}"
                     for i, lbl in zip(items, labels, strict=True)]
            invited = [i for i in invitations[m.id] if not i.whole_meeting
                       and links.get(i.id, set()) & {it.id for it in items}]
            overrides.append(ics.EventSpec(
                uid=self.series_item_uid(series), recurrence_id=m.original_start,
                start=min(i.starts_at for i in items), end=max(i.ends_at for i in items),
                summary=f"{self._type_name(m.type_code)}: {', '.join(labels)}", description=self._description(m, lines),
                url=self._url(m), sequence=max([m.sequence, series.sequence] + [i.sequence for i in items]),
                organizer=self._organizer(m), location=self._where(m),
                attendees=[self._person(i) for i in invited], last_modified=m.updated_at,
                item_label=", ".join(labels)))
        if not overrides:
            return []
        last_start = ordered[-1].original_start
        master = ics.EventSpec(
            uid=self.series_item_uid(series), start=series.first_start,
            end=series.first_start + timedelta(minutes=series.duration_minutes),
            summary=overrides[0].summary, description=overrides[0].description, url=overrides[0].url,
            sequence=max(o.sequence for o in overrides), organizer=self._organizer(series),
            location=series.location or ("Online" if series.online_link else ""),
            attendees=overrides[0].attendees,
            rrule=Rule.starting(series.frequency, to_local(series.first_start)).ical(as_utc(last_start)),
            exdates=skipped, item_label=overrides[0].item_label)
        return [master, *overrides]

    def _mine(self, meeting: Meeting, invitations: list[Invitation]) -> Invitation | None:
        return next((i for i in invitations if i.user_id == self.user.id), None)

    def _joins_whole(self, meeting: Meeting, inv: Invitation | None) -> bool:
        if self.user.id == meeting.coordinator_id:
            return True
        return self._takes_part(inv) and inv.whole_meeting

    def events(self, meetings: Iterable[Meeting], *, only_meeting: Meeting | None = None) -> list[ics.EventSpec]:
        """Every event of *meetings* this user gets (series are completed from the database).

        With *only_meeting*, item events are limited to that meeting (an e-mail about it).
        """
        meetings = list(meetings)
        asked = {m.id for m in meetings}
        series_ids = {m.series_id for m in meetings if m.series_id}
        all_meetings = {m.id: m for m in meetings}
        if series_ids:
            for m in self.db.exec(select(Meeting).where(Meeting.series_id.in_(series_ids))):
                all_meetings.setdefault(m.id, m)
        invitations = self._invitations(all_meetings)
        links = self._item_links(i.id for invs in invitations.values() for i in invs if not i.whole_meeting)
        series_rows = {r.id: r for r in self.db.exec(select(MeetingSeries).where(
            MeetingSeries.id.in_(series_ids)))} if series_ids else {}
        self._prefetch(list(all_meetings.values()), invitations, list(series_rows.values()))
        events: list[ics.EventSpec] = []
        for series_id in sorted(series_ids):
            series = series_rows.get(series_id)
            members = [m for m in all_meetings.values() if m.series_id == series_id]
            if series is not None and series.cancelled_at is None:
                events += self._series_events(series, members, invitations)
                events += self._series_item_events(series, members, invitations, links)
        for meeting in sorted(all_meetings.values(), key=lambda m: (m.starts_at, m.id)):
            if meeting.cancelled:
                continue
            mine = self._mine(meeting, invitations[meeting.id])
            if meeting.series_id is None and self._joins_whole(meeting, mine):
                events.append(self._meeting_event(meeting, invitations[meeting.id]))
            if not self._takes_part(mine) or mine.whole_meeting or meeting.series_id is not None:
                continue  # case items of a series: one recurring event above
            if only_meeting is not None and meeting.id != only_meeting.id:
                continue
            if only_meeting is None and meeting.id not in asked:
                continue
            for item in self._agenda(meeting):
                if item.id in links.get(mine.id, set()):
                    events.append(self.item_event(meeting, item, invitations[meeting.id], links))
        return events

    def cancellation(self, meeting: Meeting, mine: Invitation | None, *, whole_series: bool = False,
                     items: list[AgendaItem] | None = None) -> list[ics.EventSpec]:
        """CANCEL events for this user (invitation *mine*, possibly just withdrawn): the meeting, one
        occurrence or the whole series, and the case items they were invited for (or only *items*)."""
        invitations = self._invitations([meeting.id])
        events = []
        if items is None and self._joins_whole(meeting, mine):
            if meeting.series_id is not None:
                series = self.db.get(MeetingSeries, meeting.series_id)
                event = self._meeting_event(meeting, invitations[meeting.id])
                event.uid = series.uid
                if whole_series:
                    event.start, event.sequence = series.first_start, series.sequence
                    event.end = series.first_start + timedelta(minutes=series.duration_minutes)
                else:
                    event.recurrence_id = meeting.original_start
                    event.sequence = max(meeting.sequence, series.sequence)
            else:
                event = self._meeting_event(meeting, invitations[meeting.id])
            events.append(event)
        if items is None:
            items = list(agenda_items(self.db, meeting))
        links = self._item_links([i.id for i in invitations[meeting.id] if not i.whole_meeting]
                                 + ([mine.id] if mine is not None else []))
        mine_items = links.get(mine.id, set()) if mine is not None and not mine.whole_meeting else set()
        if meeting.series_id is not None and mine_items & {i.id for i in items}:
            series = self.db.get(MeetingSeries, meeting.series_id)
            event = self._meeting_event(meeting, invitations[meeting.id])
            event.uid, event.attendees = self.series_item_uid(series), []
            if whole_series:
                event.start, event.sequence = series.first_start, series.sequence + 1
                event.end = series.first_start + timedelta(minutes=series.duration_minutes)
            else:
                event.recurrence_id, event.sequence = meeting.original_start, max(meeting.sequence, series.sequence) + 1
            events.append(event)
            mine_items = set()
        for item in items:
            if item.id in mine_items:
                events.append(self.item_event(meeting, item, invitations[meeting.id], links))
        for event in events:
            event.status = "CANCELLED"
        return events


def feed_meetings(db: Session, user: User) -> list[Meeting]:
    """The meetings in a user's personal feed: visible to them, not cancelled, from 90 days back."""
    from mda.meetings.access import visible_meetings_query

    since = utcnow() - FEED_HISTORY
    return list(db.exec(visible_meetings_query(user).where(Meeting.ends_at >= since,
                                                           Meeting.status == "gepland")
                        .order_by(Meeting.starts_at)))


def feed_calendar(db: Session, user: User, reminders: list[int]) -> bytes:
    """The personal subscription feed of *user*."""
    return feed_with_date(db, user, reminders)[0]


def feed_with_date(db: Session, user: User, reminders: list[int]):
    """The feed and the last change of its meetings (for ``Last-Modified``; None without meetings)."""
    meetings = feed_meetings(db, user)
    events = CalendarBuilder(db, user).events(meetings)
    changed = max((as_utc(m.updated_at) for m in meetings if m.updated_at is not None), default=None)
    # DTSTAMP is the feed's last change, not "now": an unchanged feed is the same file byte for byte, so
    # its ETag holds and a polling calendar program gets a 304 (and the events come from the cache)
    return ics.render(events, method="PUBLISH", reminders=reminders, name="MDA++ overleggen", now=changed), changed


def meeting_calendar(db: Session, user: User, meeting: Meeting, reminders: list[int]) -> bytes:
    """The download of one meeting (a series occurrence brings its whole series) for *user*."""
    events = CalendarBuilder(db, user, include_declined=True).events([meeting], only_meeting=meeting)
    return ics.render(events, method="PUBLISH", reminders=reminders)
