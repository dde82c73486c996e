"""Fixtures for the meetings tests: two cases with different circles, a planner, and helpers to
plan meetings through the services and to read the mail and calendar files the app produced."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlmodel import SQLModel

from mda.core.timeutil import utcnow

AMS = ZoneInfo("Europe/Amsterdam")


@pytest.fixture
def world(db, make_region, make_org, make_user, make_case, make_person):
    """Case A (circle ZVH, VT, POL) with a victim and a child; case B (circle ZVH, GGZ, LT).

    The POL professional is in A's circle only, GGZ only in B's; VT2 is a VT colleague outside
    every circle; OUT is a professional of an organisation outside both circles.
    """
    region = make_region()
    orgs = {t: make_org(t, region=region) for t in ("ZVH", "VT", "POL", "GGZ", "LT", "OM")}
    users = {t: make_user(roles=("professional",), org=orgs[t]) for t in ("VT", "POL", "GGZ", "LT", "OM")}
    users["VT2"] = make_user(roles=("professional",), org=orgs["VT"])
    users["LEAD_POL"] = make_user(roles=("team_lead",), org=orgs["POL"])
    coordinator = make_user(roles=("coordinator",), org=orgs["ZVH"])
    other_coordinator = make_user(roles=("coordinator",), org=orgs["ZVH"])
    case_a = make_case(coordinator, members=[users["VT"], users["POL"]])
    case_b = make_case(coordinator, members=[users["GGZ"], users["LT"]])
    victim = make_person(case_a, name="Fenna Verzonnen-Achternaam", date_of_birth=date(1987, 3, 14),
                         address="Denkbeeldlaan 77, 9999 ZZ Nergenshuizen")
    child = make_person(case_a, role="kind", name="Kees Verzonnen-Kind", date_of_birth=date(2018, 6, 2),
                        address="Denkbeeldlaan 77, 9999 ZZ Nergenshuizen")
    other = make_person(case_b, name="Bert Bedacht-Persoon", date_of_birth=date(1979, 11, 30),
                        address="Fantasiestraat 3, 9999 YY Ergens")
    return dict(region=region, orgs=orgs, users=users, coordinator=coordinator, other_coordinator=other_coordinator,
                case_a=case_a, case_b=case_b, persons=[victim, child, other])


def personal_strings(persons) -> list[str]:
    """Every way a person's name, birth date or address could leak into a file."""
    found = []
    for p in persons:
        found += [p.name, *[part for part in p.name.replace("-", " ").split() if len(part) > 4], p.address,
                  p.address.split(",")[0]]
        if p.date_of_birth:
            d = p.date_of_birth
            found += [d.isoformat(), d.strftime("%d-%m-%Y"), d.strftime("%Y%m%d"), d.strftime("%d/%m/%Y")]
    return found


@pytest.fixture
def service(app):
    """Run a service function in a unit of work (committed, mail delivered) and return its result."""
    from mda import db as mdadb

    def run(fn, *args, **kwargs):
        with app.test_request_context():
            s = mdadb.session()
            # objects from the test's session are loaded again in the request's own session
            resolved = [s.get(type(a), a.id) if isinstance(a, SQLModel) else a for a in args]
            result = fn(s, *resolved, **kwargs)
            mdadb.commit()
            return result

    return run


def local(y, mo, d, h=10, mi=0) -> datetime:
    """An aware Europe/Amsterdam datetime."""
    return datetime(y, mo, d, h, mi, tzinfo=AMS)


def future_monday(weeks: int = 2, hour: int = 10) -> datetime:
    """A Monday (local) some weeks ahead, at *hour*, that is not a public holiday."""
    from mda.meetings.slots import is_working_day

    day = (utcnow().astimezone(AMS) + timedelta(weeks=weeks)).date()
    day -= timedelta(days=day.weekday())
    while not is_working_day(day):
        day += timedelta(days=7)
    return datetime(day.year, day.month, day.day, hour, 0, tzinfo=AMS)


@pytest.fixture
def plan(app, service, world):
    """Plan a meeting through the services as the world's coordinator; returns the meeting."""
    from mda.meetings.services import MeetingData, create_meeting

    def make(type_code="casuistiekoverleg", cases=None, start=None, minutes=120, coordinator=None, **fields):
        start = start or future_monday()
        cases = [world["case_a"], world["case_b"]] if cases is None else cases
        data = MeetingData(type_code=type_code, title=fields.pop("title", "Casuïstiekoverleg Testregio"),
                           starts_at=start, ends_at=start + timedelta(minutes=minutes),
                           location=fields.pop("location", "Zaal 2, Zorg- en Veiligheidshuis"),
                           case_ids=[c.id for c in cases], **fields)
        return service(create_meeting, coordinator or world["coordinator"], data)

    return make


@pytest.fixture
def invite(service):
    """Invite a user for a meeting (item_ids empty: the whole meeting)."""
    from mda.meetings import invitations

    def make(meeting, coordinator, user, item_ids=(), **kwargs):
        from mda.meetings.models import Meeting

        def run(s, coordinator, user):
            return invitations.invite(s, coordinator, s.get(Meeting, meeting.id), user.id, list(item_ids), **kwargs)

        return service(run, coordinator, user)

    return make


def case_items(db, meeting) -> dict[int, int]:
    """case id -> agenda item id of a meeting."""
    from sqlmodel import select

    from mda.meetings.models import AgendaItem

    db.expire_all()
    return {i.case_id: i.id for i in db.exec(select(AgendaItem).where(AgendaItem.meeting_id == meeting.id,
                                                                     AgendaItem.kind == "casus"))}


def outbox(app) -> list:
    """Every message in the development outbox, oldest first."""
    folder = Path(app.config["OUTBOX_DIR"])
    if not folder.exists():
        return []
    parser = BytesParser(policy=policy.default)
    return [parser.parsebytes(f.read_bytes()) for f in sorted(folder.glob("*.eml"))]


def calendars_in(message) -> list[Calendar]:
    """The calendar attachments of a message, parsed by icalendar."""
    return [Calendar.from_ical(part.get_content() if isinstance(part.get_content(), bytes)
                               else part.get_content().encode())
            for part in message.iter_attachments() if part.get_content_type() == "text/calendar"]


def mail_to(app, user) -> list:
    return [m for m in outbox(app) if user.email in m["To"]]


def events(cal: Calendar) -> list:
    return [c for c in cal.walk("VEVENT")]
