"""Rendering iCalendar (RFC 5545/5546) files: events in Europe/Amsterdam local time.

Every file carries the VTIMEZONE of Europe/Amsterdam, written with yearly rules (the form
Outlook, Google Calendar, Apple Calendar and Thunderbird all read), and every date-time
is local with ``TZID=Europe/Amsterdam``, so a weekly series keeps its wall-clock time
across a daylight-saving change. What goes *into* an event is decided by
:mod:`mda.meetings.calendars`; this module only writes it.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from icalendar import Alarm, Calendar, Event, Timezone, vCalAddress, vText

from mda.core.timeutil import LOCAL_TZ, as_utc, utcnow

PRODID = "-//MDA++//Overleggen//NL"

# Europe/Amsterdam under the EU rules in force since 1996 (last Sunday of March and October).
# tests/meetings/test_ics.py checks these rules against the tz database for the years in use.
VTIMEZONE = """BEGIN:VTIMEZONE
TZID:Europe/Amsterdam
X-LIC-LOCATION:Europe/Amsterdam
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
"""


@dataclass
class Person:
    """An organiser or attendee: a professional (never a person in a case)."""

    email: str
    name: str
    partstat: str = "NEEDS-ACTION"
    role: str = "REQ-PARTICIPANT"  # CHAIR | REQ-PARTICIPANT | OPT-PARTICIPANT | NON-PARTICIPANT
    delegated_to: str | None = None
    delegated_from: str | None = None


@dataclass
class EventSpec:
    """One VEVENT: a meeting, a series (with RRULE), an override of one occurrence, or a case item."""

    uid: str
    start: datetime
    end: datetime
    summary: str
    description: str
    url: str
    sequence: int
    organizer: Person
    location: str = ""
    attendees: list[Person] = field(default_factory=list)
    status: str = "CONFIRMED"
    recurrence_id: datetime | None = None
    rrule: dict | None = None
    exdates: list[datetime] = field(default_factory=list)
    last_modified: datetime | None = None
    #: for the event of one case item: how that item is named (not written to the file)
    item_label: str | None = None


def _local(value: datetime) -> datetime:
    return as_utc(value).astimezone(LOCAL_TZ)


def _address(person: Person, **params) -> vCalAddress:
    address = vCalAddress(f"mailto:{person.email}")
    address.params["CN"] = vText(person.name)
    for key, value in params.items():
        if value:
            address.params[key] = vText(value)
    return address


def _event(spec: EventSpec, reminders: list[int], stamp: datetime) -> Event:
    event = Event()
    event.add("uid", spec.uid)
    event.add("dtstamp", stamp)
    if spec.recurrence_id is not None:
        event.add("recurrence-id", _local(spec.recurrence_id))
    event.add("dtstart", _local(spec.start))
    event.add("dtend", _local(spec.end))
    if spec.rrule:
        event.add("rrule", spec.rrule)
    if spec.exdates:
        event.add("exdate", [_local(d) for d in sorted(spec.exdates)])
    event.add("sequence", spec.sequence)
    event.add("summary", spec.summary)
    event.add("description", spec.description)
    if spec.location:
        event.add("location", spec.location)
    event.add("url", spec.url)
    event.add("status", spec.status)
    event.add("transp", "TRANSPARENT" if spec.status == "CANCELLED" else "OPAQUE")
    event.add("class", "CONFIDENTIAL")
    if spec.last_modified is not None:
        event.add("last-modified", as_utc(spec.last_modified))
    event.add("organizer", _address(spec.organizer))
    for person in spec.attendees:
        event.add("attendee", _address(
            person, ROLE=person.role, PARTSTAT=person.partstat, CUTYPE="INDIVIDUAL", RSVP="FALSE",
            **{"DELEGATED-TO": f"mailto:{person.delegated_to}" if person.delegated_to else None,
               "DELEGATED-FROM": f"mailto:{person.delegated_from}" if person.delegated_from else None}))
    if spec.status != "CANCELLED":
        for minutes in reminders:
            alarm = Alarm()
            alarm.add("action", "DISPLAY")
            alarm.add("description", f"Herinnering: {spec.summary}")
            alarm.add("trigger", timedelta(minutes=-minutes))
            event.add_component(alarm)
    return event


def render(events: list[EventSpec], *, method: str | None = None, reminders: list[int] = (),
           name: str | None = None, now: datetime | None = None) -> bytes:
    """A complete VCALENDAR with the time zone definition; *method* is REQUEST, CANCEL (e-mail) or PUBLISH
    (download, feed); *name* marks a subscription feed (calendar name, refresh interval)."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    if method:
        cal.add("method", method)
    if name:
        cal.add("x-wr-calname", name)
        cal.add("x-wr-timezone", "Europe/Amsterdam")
        cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
        cal.add("x-published-ttl", "PT1H")
    cal.add_component(Timezone.from_ical(VTIMEZONE))
    stamp = (now or utcnow()).astimezone(UTC)
    head = cal.to_ical()
    assert head.endswith(_END)
    reminders = tuple(reminders)
    # the VEVENTs follow the VTIMEZONE, as icalendar writes subcomponents in the order they were added
    return head[:-len(_END)] + b"".join(_event_bytes(spec, reminders, stamp) for spec in events) + _END


_END = b"END:VCALENDAR\r\n"
#: VEVENT text by a digest of everything that goes into it (a feed repeats the same events every poll;
#: icalendar's writer costs ~1 ms per event). Bounded, so at most this many events stay in memory.
_EVENT_CACHE: OrderedDict[bytes, bytes] = OrderedDict()
EVENT_CACHE_SIZE = 4000
_EVENT_LOCK = threading.Lock()


def _event_bytes(spec: EventSpec, reminders: tuple[int, ...], stamp: datetime) -> bytes:
    key = hashlib.sha256(repr((spec, reminders, stamp)).encode()).digest()
    with _EVENT_LOCK:
        cached = _EVENT_CACHE.get(key)
        if cached is not None:
            _EVENT_CACHE.move_to_end(key)
            return cached
    text = _event(spec, list(reminders), stamp).to_ical()
    with _EVENT_LOCK:
        _EVENT_CACHE[key] = text
        while len(_EVENT_CACHE) > EVENT_CACHE_SIZE:
            _EVENT_CACHE.popitem(last=False)
    return text
