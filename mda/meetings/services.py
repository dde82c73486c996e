"""Planning meetings: create, change (this one / all following), cancel, and their agenda.

Only this package's service modules change meeting data. They flush, write audit rows
and queue e-mail; the request commits once and the mail goes out after the commit.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from urllib.parse import urlparse

from flask import current_app
from sqlmodel import Session, select

from mda.auth.models import User
from mda.cases.models import Case, Person
from mda.core import audit, sharing
from mda.core.errors import ServiceError
from mda.core.timeutil import as_utc, format_local, to_local, utcnow
from mda.meetings import agendas, notify
from mda.meetings.access import agenda_items
from mda.meetings.agendas import MeetingType, TemplateItem
from mda.meetings.models import AgendaItem, Invitation, InvitationItem, Meeting, MeetingSeries, MeetingUpdate
from mda.meetings.series import SeriesError, occurrences

MAX_MEETING = timedelta(hours=12)
#: meetings are planned (or recorded afterwards) within this window around today
PLAN_PAST = timedelta(days=366)
PLAN_AHEAD = timedelta(days=2 * 366)


class MeetingError(ServiceError):
    """The core :class:`ServiceError` with the valid alternatives of an impossible local time."""

    def __init__(self, message: str, field: str | None = None, suggestions: dict | None = None):
        super().__init__(message, field)
        self.suggestions = suggestions or {}

    def details(self) -> dict | None:
        """The field and, for an impossible local time, its valid choices (UTC, ISO 8601)."""
        details = super().details() or {}
        if self.suggestions:
            from mda.core.timeutil import as_utc

            details["suggestions"] = {k: as_utc(v).isoformat().replace("+00:00", "Z") for k, v in
                                      self.suggestions.items()}
        return details or None


@dataclass
class MeetingData:
    """What a coordinator enters for a meeting (times already converted to UTC)."""

    type_code: str
    title: str
    starts_at: datetime
    ends_at: datetime
    location: str = ""
    online_link: str = ""
    chair_id: int | None = None
    minute_taker_id: int | None = None
    update_deadline: datetime | None = None
    case_ids: list[int] = field(default_factory=list)
    case_minutes: int | None = None
    agenda: list[TemplateItem] | None = None  # None: the type's standard agenda
    frequency: str | None = None
    until: date | None = None


def new_uid(kind: str) -> str:
    """A stable, globally unique UID for a calendar object."""
    host = urlparse(current_app.config["BASE_URL"]).hostname or "mda"
    return f"{kind}-{secrets.token_hex(12)}@{host}"


def meeting_type_or_error(code: str) -> MeetingType:
    try:
        return agendas.meeting_type(code)
    except KeyError:
        raise MeetingError(f"Onbekend soort overleg {code!r}.", "type_code") from None


# ----------------------------------------------------------------------------- validation
def _active_user(db: Session, user_id: int | None, what: str, name: str) -> None:
    if user_id is None:
        return
    user = db.get(User, user_id)
    if user is None or not user.active:
        raise MeetingError(f"Kies een actieve gebruiker als {what}.", name)


def check_common(db: Session, data: MeetingData) -> None:
    # one line each: these go into e-mail headers and calendar properties
    data.title = " ".join((data.title or "").split())
    data.location, data.online_link = " ".join((data.location or "").split()), (data.online_link or "").strip()
    if any(c.isspace() for c in data.online_link):
        raise MeetingError("De link voor online deelname mag geen spaties bevatten.", "online_link")
    if not data.title:
        raise MeetingError("Geef het overleg een titel (zonder namen van betrokkenen).", "title")
    if len(data.title) > 200:
        raise MeetingError("De titel mag hoogstens 200 tekens lang zijn.", "title")
    start, end = as_utc(data.starts_at), as_utc(data.ends_at)
    if end <= start:
        raise MeetingError(f"Het einde ({format_local(end)}) ligt niet na het begin ({format_local(start)}). "
                           "Kies een eindtijd na de begintijd.", "ends_at")
    if end - start > MAX_MEETING:
        raise MeetingError("Een overleg duurt hoogstens 12 uur.", "ends_at")
    now = utcnow()
    if not now - PLAN_PAST <= start <= now + PLAN_AHEAD:
        raise MeetingError(f"Een overleg kan hoogstens een jaar terug en twee jaar vooruit worden gepland "
                           f"(tussen {format_local(now - PLAN_PAST, '%d-%m-%Y')} en "
                           f"{format_local(now + PLAN_AHEAD, '%d-%m-%Y')}). Controleer de datum.", "day")
    if not data.location and not data.online_link:
        raise MeetingError("Vul een locatie of een link voor online deelname in.", "location")
    if data.online_link and urlparse(data.online_link).scheme != "https":
        raise MeetingError("De link voor online deelname moet beginnen met https://.", "online_link")
    if len(data.location) > 200 or len(data.online_link) > 500:
        raise MeetingError("De locatie of de link is te lang.", "location")
    _active_user(db, data.chair_id, "voorzitter", "chair_id")
    _active_user(db, data.minute_taker_id, "notulist", "minute_taker_id")
    if data.update_deadline is not None and as_utc(data.update_deadline) >= start:
        raise MeetingError("De termijn voor updates moet vóór het begin van het overleg liggen.", "update_deadline")


def check_cases(db: Session, user: User, mtype: MeetingType, case_ids: list[int]) -> list[Case]:
    cases = []
    for case_id in dict.fromkeys(case_ids):
        case = db.get(Case, case_id)
        outside = case is not None and not sharing.can_open_case(user, case)
        if case is None or case.closed_at is not None or outside:
            if outside:  # on record: a denied row outlives the refusal
                audit.record(db, "denied", user=user, object_type="case", object_id=case.id, case_id=case.id,
                             summary="casus op een agenda gezet buiten de kring")
            raise MeetingError("Deze casus bestaat niet, is gesloten, of u hoort niet bij de kring ervan.",
                               "case_ids")
        cases.append(case)
    if mtype.cases == "een" and len(cases) != 1:
        raise MeetingError(f"Een {mtype.name} gaat over precies één casus; kies er één.", "case_ids")
    if mtype.cases == "geen" and cases:
        raise MeetingError(f"Een {mtype.name} heeft geen casussen op de agenda.", "case_ids")
    if len(cases) > mtype.max_cases:
        raise MeetingError(f"Een {mtype.name} heeft hoogstens {mtype.max_cases} casussen.", "case_ids")
    return cases


def _fold(text: str) -> str:
    """Lower case without accents, so 'Chloë' and 'chloe' compare equal."""
    return "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))


#: words in names that name nobody: particles, and the demo data's own marker
_NOT_A_NAME = frozenset({"van", "de", "der", "den", "het", "ten", "ter", "te", "op", "in", "von", "la", "le", "du",
                         "fictief"})


def name_words(name: str) -> set[str]:
    """The words of a person's name a title could identify them by: each part of three letters or more,
    and a hyphenated surname whole and in its parts."""
    words = set()
    for token in re.findall(r"[\w'-]+", _fold(name)):
        parts = [token, *token.split("-")]
        words |= {w.strip("'-") for w in parts if len(w.strip("'-")) >= 3 and w.strip("'-") not in _NOT_A_NAME}
    return words


#: the refusal of a title that names a person, by the field that holds it
_NAMED = {
    "title": "De titel bevat de naam van een betrokkene. Gebruik alleen het kenmerk van de casus of een algemene "
             "titel.",
    "agenda": "Een agendapunt bevat de naam van een betrokkene. Geef agendapunten alleen algemene titels; de "
              "casussen staan met hun kenmerk op de agenda.",
    "case_id": "Een agendapunt van dit overleg bevat de naam van een betrokkene van deze casus. Pas eerst de "
               "agenda aan.",
}


def check_title_pseudonymous(db: Session, title: str, case_ids: list[int], field: str = "title") -> None:
    """The title goes into calendars, feeds and e-mails: it must not name a person of a case on the agenda.

    Checked on every path that sets a title, an agenda item's title (:func:`check_agenda_pseudonymous`) or adds a
    case: a first name or surname of any person of those cases, as a whole word, refuses the title (*field*
    names where the refusal is shown).
    """
    if not case_ids or not title:
        return
    title_words = set(re.findall(r"[\w'-]+", _fold(title)))
    title_words |= {part for word in title_words for part in word.split("-")}
    for name in db.exec(select(Person.name).where(Person.case_id.in_(case_ids))):
        if name and name_words(name) & title_words:
            raise MeetingError(_NAMED[field], field)


def check_agenda_pseudonymous(db: Session, titles, case_ids: list[int], field: str = "agenda") -> None:
    """The titles of the general agenda items (and of the case block) go into the calendar's description, the
    feeds and the invitations, to every invitee: like the meeting's title they must not name a person of a case
    on the agenda."""
    check_title_pseudonymous(db, " / ".join(t for t in titles if t), case_ids, field)


def agenda_from(data: MeetingData, mtype: MeetingType) -> list[TemplateItem]:
    agenda = [i for i in (data.agenda if data.agenda is not None else mtype.items) if i.cases or i.title.strip()]
    markers = [i for i in agenda if i.cases]
    if mtype.cases != "geen" and len(markers) != 1:
        agenda = [i for i in agenda if not i.cases] + [TemplateItem("Casusbespreking", 0, True)]
    for item in agenda:
        if not item.cases and not 0 < item.minutes <= agendas.MAX_MINUTES:
            raise MeetingError(f"Agendapunt '{item.title}' heeft een duur van 1 tot {agendas.MAX_MINUTES} minuten "
                               "nodig.", "agenda")
    return agenda


def check_fits(minutes: int, start: datetime, end: datetime) -> None:
    available = int((as_utc(end) - as_utc(start)).total_seconds() // 60)
    if minutes > available:
        raise MeetingError(f"De agenda duurt {minutes} minuten, maar het overleg maar {available} minuten. "
                           "Maak het overleg langer of de agenda korter.", "ends_at")


# ----------------------------------------------------------------------------- agenda
def _children_first(db: Session, cases: list[Case]) -> list[Case]:
    with_children = set(db.exec(select(Person.case_id).where(
        Person.case_id.in_([c.id for c in cases]), Person.role == "kind", Person.destroyed_at.is_(None))))
    return sorted(cases, key=lambda c: (c.id not in with_children, cases.index(c)))


def retime(db: Session, meeting: Meeting) -> list[AgendaItem]:
    """Give every agenda item its slot, one after the other from the start; returns the items that moved."""
    cursor, moved = as_utc(meeting.starts_at), []
    for item in agenda_items(db, meeting):
        start, end = cursor, cursor + timedelta(minutes=item.minutes)
        if item.starts_at is None or as_utc(item.starts_at) != start or as_utc(item.ends_at) != end:
            item.starts_at, item.ends_at = start, end
            moved.append(item)
            db.add(item)
        cursor = end
    db.flush()
    return moved


def agenda_minutes(db: Session, meeting: Meeting) -> int:
    return sum(i.minutes for i in agenda_items(db, meeting))


def build_agenda(db: Session, meeting: Meeting, agenda: list[TemplateItem], cases: list[Case], case_minutes: int,
                 mtype: MeetingType) -> None:
    """Create the agenda items of a new meeting from the template (cases at the marker)."""
    ordered = _children_first(db, cases) if mtype.children_first else cases
    position = 0
    for template in agenda:
        position += 1
        db.add(AgendaItem(uid=new_uid("item"), meeting_id=meeting.id, position=position,
                          kind="casussen" if template.cases else "algemeen", title=template.title.strip(),
                          minutes=0 if template.cases else template.minutes,
                          starts_at=meeting.starts_at, ends_at=meeting.starts_at))
        if template.cases:
            for case in ordered:
                position += 1
                db.add(_case_item(meeting, case, position, case_minutes, mtype))
    db.flush()
    retime(db, meeting)


def _case_item(meeting: Meeting, case: Case, position: int, minutes: int, mtype: MeetingType) -> AgendaItem:
    # the title never holds the reference: who may read it is decided when it is shown
    return AgendaItem(uid=new_uid("item"), meeting_id=meeting.id, position=position, kind="casus",
                      title="Casusbespreking", case_id=case.id, minutes=minutes, steps="\n".join(mtype.case_steps),
                      starts_at=meeting.starts_at, ends_at=meeting.starts_at)


def _renumber(db: Session, items: list[AgendaItem]) -> None:
    for n, item in enumerate(items, start=1):
        if item.position != n:
            item.position = n
            db.add(item)
    db.flush()


def add_case_item(db: Session, user: User, meeting: Meeting, case_id: int, minutes: int | None = None) -> AgendaItem:
    """Put a case on the agenda, in the case block (cases with children first, if the type says so)."""
    mtype = meeting_type_or_error(meeting.type_code)
    if meeting.cancelled:
        raise MeetingError("Dit overleg is geannuleerd.")
    items = agenda_items(db, meeting)
    current = [i.case_id for i in items if i.kind == "casus"]
    if case_id in current:
        raise MeetingError("Deze casus staat al op de agenda.", "case_id")
    if mtype.cases == "geen":
        raise MeetingError(f"Een {mtype.name} heeft geen casussen op de agenda.", "case_id")
    if len(current) >= mtype.max_cases:
        raise MeetingError(f"Een {mtype.name} heeft hoogstens {mtype.max_cases} "
                           f"{'casus' if mtype.max_cases == 1 else 'casussen'}.", "case_id")
    (case,) = check_cases(db, user, replace(mtype, cases="meerdere"), [case_id])
    # the title is already in invitations and calendars: it must not name a person of the new case
    check_title_pseudonymous(db, meeting.title, [case_id])
    check_agenda_pseudonymous(db, [i.title for i in items if i.kind != "casus"], [case_id], "case_id")
    minutes = minutes or mtype.case_minutes
    if not 0 < minutes <= agendas.MAX_MINUTES:
        raise MeetingError("Kies een tijdslot van 1 tot 480 minuten.", "minutes")
    check_fits(agenda_minutes(db, meeting) + minutes, meeting.starts_at, meeting.ends_at)
    new = _case_item(meeting, case, 0, minutes, mtype)
    block = [i for i in items if i.kind == "casus"]
    marker = next((n for n, i in enumerate(items) if i.kind == "casussen"), len(items) - 1)
    at = marker + 1 + len(block)
    if mtype.children_first and block:
        ordered = _children_first(db, [db.get(Case, i.case_id) for i in block] + [case])
        at = marker + 1 + [c.id for c in ordered].index(case.id)
    items.insert(at, new)
    db.add(new)
    db.flush()
    _renumber(db, items)
    moved = [i for i in retime(db, meeting) if i.id != new.id]
    _bump_and_notify_items(db, meeting, moved)
    audit.record(db, "create", user=user, object_type="agenda_item", object_id=new.id, case_id=case.id,
                 summary=f"casus {case.reference} op de agenda van overleg {meeting.id}")
    return new


def remove_case_item(db: Session, user: User, meeting: Meeting, item: AgendaItem) -> None:
    """Take a case off the agenda; its invitees get a cancellation for that item."""
    if item.meeting_id != meeting.id or item.kind != "casus":
        raise MeetingError("Dit agendapunt hoort niet bij dit overleg.")
    if db.exec(select(MeetingUpdate).where(MeetingUpdate.agenda_item_id == item.id)).first() is not None:
        raise MeetingError("Voor deze casus zijn al updates ingediend; hij blijft op de agenda.")
    links = list(db.exec(select(InvitationItem).where(InvitationItem.agenda_item_id == item.id)))
    invitations = [db.get(Invitation, link.invitation_id) for link in links]
    item.sequence += 1
    notify.send_cancellations(db, meeting, [i for i in invitations if i and not i.whole_meeting], items=[item])
    for link in links:
        db.delete(link)
    for inv in invitations:
        if inv is not None and not inv.whole_meeting:
            remaining = db.exec(select(InvitationItem).where(InvitationItem.invitation_id == inv.id,
                                                             InvitationItem.agenda_item_id != item.id)).first()
            if remaining is None:
                inv.withdrawn_at = utcnow()
                db.add(inv)
    case_id = item.case_id
    db.delete(item)
    db.flush()
    _renumber(db, agenda_items(db, meeting))
    _bump_and_notify_items(db, meeting, retime(db, meeting))
    audit.record(db, "delete", user=user, object_type="agenda_item", object_id=item.id, case_id=case_id,
                 summary=f"casus van de agenda van overleg {meeting.id} gehaald")


def _bump_and_notify_items(db: Session, meeting: Meeting, moved: list[AgendaItem]) -> None:
    """Items whose slot changed get a higher SEQUENCE and their invitees an update."""
    moved = [i for i in moved if i.kind == "casus"]
    if not moved:
        return
    for item in moved:
        item.sequence += 1
        db.add(item)
    db.flush()
    ids = {i.id for i in moved}
    users = {inv.user_id for inv, link in db.exec(
        select(Invitation, InvitationItem).join(InvitationItem, InvitationItem.invitation_id == Invitation.id)
        .where(InvitationItem.agenda_item_id.in_(ids), Invitation.withdrawn_at.is_(None)))}
    if users:
        notify.send_requests(db, [meeting], "wijziging", user_ids=users)


# ----------------------------------------------------------------------------- roles
def sync_role_invitations(db: Session, user: User, meeting: Meeting) -> tuple[list[Invitation], list[Invitation]]:
    """Chair and minute-taker are whole-meeting invitees; returns (added, removed)."""
    added, removed = [], []
    wanted = {}
    for role, user_id in (("notulist", meeting.minute_taker_id), ("voorzitter", meeting.chair_id)):
        if user_id:
            wanted[user_id] = role
    current = list(db.exec(select(Invitation).where(Invitation.meeting_id == meeting.id)))
    by_user = {inv.user_id: inv for inv in current}
    for inv in current:
        if inv.role != "deelnemer" and inv.withdrawn_at is None and inv.user_id not in wanted:
            inv.withdrawn_at = utcnow()
            removed.append(inv)
            db.add(inv)
    for user_id, role in wanted.items():
        inv = by_user.get(user_id)
        if inv is None:
            inv = Invitation(meeting_id=meeting.id, user_id=user_id, role=role, whole_meeting=True,
                             invited_by_id=user.id, created_at=utcnow())
            added.append(inv)
        elif inv.withdrawn_at is not None or not inv.whole_meeting or inv.role != role:
            if inv.withdrawn_at is not None:
                added.append(inv)
            inv.withdrawn_at, inv.role, inv.whole_meeting = None, role, True
        db.add(inv)
    db.flush()
    return added, removed


# ----------------------------------------------------------------------------- create
def create_meeting(db: Session, user: User, data: MeetingData) -> Meeting:
    """Plan a meeting or a series; returns the (first) meeting. Nothing is saved when anything is wrong."""
    mtype = meeting_type_or_error(data.type_code)
    check_common(db, data)
    cases = check_cases(db, user, mtype, data.case_ids)
    check_title_pseudonymous(db, data.title, [c.id for c in cases])
    agenda = agenda_from(data, mtype)
    check_agenda_pseudonymous(db, [i.title for i in agenda], [c.id for c in cases])
    case_minutes = data.case_minutes or mtype.case_minutes
    check_fits(sum(i.minutes for i in agenda) + case_minutes * len(cases), data.starts_at, data.ends_at)
    duration = as_utc(data.ends_at) - as_utc(data.starts_at)
    lead = as_utc(data.starts_at) - as_utc(data.update_deadline) if data.update_deadline else None
    series = None
    starts = [as_utc(data.starts_at)]
    if data.frequency:
        try:
            starts = occurrences(data.frequency, data.starts_at, data.until)
        except SeriesError as exc:
            raise MeetingError(str(exc), "until") from None
        series = MeetingSeries(uid=new_uid("reeks"), type_code=mtype.code, title=data.title,
                               frequency=data.frequency, first_start=starts[0],
                               duration_minutes=int(duration.total_seconds() // 60), until=data.until,
                               location=data.location, online_link=data.online_link, coordinator_id=user.id,
                               created_at=utcnow())
        db.add(series)
        db.flush()
    meetings = [_new_meeting(db, user, data, mtype, start, duration, lead, series, agenda, cases, case_minutes)
                for start in starts]
    first = meetings[0]
    what = f"reeks van {len(meetings)} bijeenkomsten ({series.frequency_name.lower()})" if series else "overleg"
    audit.record(db, "create", user=user, object_type="meeting", object_id=first.id,
                 summary=f"{mtype.name} nr. {first.id} gepland: {what} vanaf {format_local(first.starts_at)}")
    notify.send_requests(db, [first], "uitnodiging")
    return first


def _new_meeting(db, user, data, mtype, start, duration, lead, series, agenda, cases, case_minutes) -> Meeting:
    now = utcnow()
    meeting = Meeting(uid=new_uid("overleg"), type_code=mtype.code, title=data.title, starts_at=start,
                      ends_at=start + duration, location=data.location, online_link=data.online_link,
                      coordinator_id=user.id, chair_id=data.chair_id, minute_taker_id=data.minute_taker_id,
                      series_id=series.id if series else None, original_start=start if series else None,
                      update_deadline=start - lead if lead is not None else None, created_at=now, updated_at=now)
    db.add(meeting)
    db.flush()
    build_agenda(db, meeting, agenda, cases, case_minutes, mtype)
    for case in cases:
        audit.record(db, "create", user=user, object_type="agenda_item", object_id=meeting.id, case_id=case.id,
                     summary=f"casus {case.reference} op de agenda van overleg {meeting.id}")
    sync_role_invitations(db, user, meeting)
    return meeting


def series_meetings(db: Session, series_id: int) -> list[Meeting]:
    """Every occurrence of a series, in rule order."""
    return list(db.exec(select(Meeting).where(Meeting.series_id == series_id).order_by(Meeting.original_start)))


def local_date(value: datetime) -> date:
    return to_local(value).date()
