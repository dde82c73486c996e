"""Fictional demo meetings: a weekly casuïstiekoverleg series with two cases whose circles differ,
an upcoming MDA++ conference, and a past evaluation with recorded attendance.

Runs after :mod:`mda.demo.cases`; the cases are looked up by reference and a meeting whose
cases are missing is skipped. Idempotent: each meeting is looked up by its (demo) title.
Dates are relative to the day the demo data is first loaded. No e-mail is sent.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlmodel import Session, select

from mda.cases.models import Case
from mda.core import audit
from mda.core.timeutil import local_to_utc, to_local, utcnow
from mda.demo.accounts import demo_user
from mda.meetings import invitations, notify, services, updates
from mda.meetings.access import agenda_items
from mda.meetings.models import Invitation, Meeting
from mda.meetings.services import MeetingData

COORDINATOR = "regisseur.zvh@demo.invalid"
SERIES_TITLE = "Casuïstiekoverleg Demodam (demo)"
CONFERENCE_TITLE = "MDA++-conferentie Demodam-Noord (demo)"
PAST_TITLE = "Evaluatie veiligheidsplan (demo)"
FAMILY_CASE, SHELTER_CASE = "MDA-2026-0001", "MDA-2026-0002"


def _case(db: Session, reference: str) -> Case | None:
    return db.exec(select(Case).where(Case.reference == reference)).first()


def _exists(db: Session, title: str) -> bool:
    return db.exec(select(Meeting).where(Meeting.title == title)).first() is not None


def _next_weekday(weekday: int, at: time, weeks_ahead: int = 0) -> datetime:
    """The next *weekday* (0 = Monday) after today at local time *at*, as UTC."""
    today = to_local(utcnow()).date()
    days = (weekday - today.weekday()) % 7 or 7
    return local_to_utc(today + timedelta(days=days + 7 * weeks_ahead), at)


def _invite(db: Session, coordinator, meeting: Meeting, email: str, references: list[str] = (), *,
            following: bool = False) -> None:
    items = [i.id for i in agenda_items(db, meeting) if i.kind == "casus"
             and db.get(Case, i.case_id).reference in references]
    invitations.invite(db, coordinator, meeting, demo_user(db, email).id, items, following=following)


def _answer(db: Session, meeting: Meeting, email: str, response: str, following: bool = False) -> None:
    invitations.answer(db, demo_user(db, email), meeting, response, following=following)


def _series(db: Session, coordinator, family: Case, shelter: Case) -> int:
    start = _next_weekday(1, time(13, 0))  # Tuesdays 13:00-15:00, eight weeks
    meeting = services.create_meeting(db, coordinator, MeetingData(
        type_code="casuistiekoverleg", title=SERIES_TITLE, starts_at=start, ends_at=start + timedelta(hours=2),
        location="Zorg- en Veiligheidshuis Demodam, zaal 2 (fictief)", chair_id=coordinator.id,
        case_ids=[family.id, shelter.id], frequency="wekelijks",
        until=to_local(start).date() + timedelta(weeks=7),
        update_deadline=start - timedelta(days=1)))
    _invite(db, coordinator, meeting, "medewerker.vt@demo.invalid", following=True)  # VT: in both circles
    for email in ("agent.pol@demo.invalid", "behandelaar.ggz@demo.invalid", "wijkteam.lt@demo.invalid"):
        _invite(db, coordinator, meeting, email, [FAMILY_CASE], following=True)
    for email in ("toezicht.recl@demo.invalid", "opvang.vo@demo.invalid", "jeugdbescherming.gi@demo.invalid"):
        _invite(db, coordinator, meeting, email, [SHELTER_CASE], following=True)
    _answer(db, meeting, "medewerker.vt@demo.invalid", "geaccepteerd", following=True)
    _answer(db, meeting, "agent.pol@demo.invalid", "geaccepteerd")
    _answer(db, meeting, "toezicht.recl@demo.invalid", "onder_voorbehoud")
    _answer(db, meeting, "opvang.vo@demo.invalid", "afgewezen")
    return len(services.series_meetings(db, meeting.series_id))


def _conference(db: Session, coordinator, family: Case) -> int:
    start = _next_weekday(3, time(10, 0), weeks_ahead=1)  # Thursday in a week, 10:00-11:30
    meeting = services.create_meeting(db, coordinator, MeetingData(
        type_code="mda-conferentie", title=CONFERENCE_TITLE, starts_at=start, ends_at=start + timedelta(minutes=90),
        location="Zorg- en Veiligheidshuis Demodam, zaal 1 (fictief)",
        online_link="https://vergaderen.demo.invalid/mda-conferentie", chair_id=coordinator.id,
        minute_taker_id=demo_user(db, "regisseur.vt@demo.invalid").id, case_ids=[family.id],
        update_deadline=start - timedelta(days=2)))
    for email in ("medewerker.vt@demo.invalid", "agent.pol@demo.invalid", "behandelaar.ggz@demo.invalid",
                  "wijkteam.lt@demo.invalid"):
        _invite(db, coordinator, meeting, email)
    _answer(db, meeting, "wijkteam.lt@demo.invalid", "geaccepteerd")
    _answer(db, meeting, "behandelaar.ggz@demo.invalid", "onder_voorbehoud")
    item = next(i for i in agenda_items(db, meeting) if i.kind == "casus")
    updates.submit(db, demo_user(db, "wijkteam.lt@demo.invalid"), meeting, item,
                   "Moeder houdt zich aan de afspraken met het wijkteam; de kinderen gaan weer elke dag naar "
                   "school. Actie budgetcoach: afgerond (fictief).")
    return 1


def _past(db: Session, coordinator, shelter: Case) -> int:
    start = _next_weekday(2, time(14, 0), weeks_ahead=-3)  # a Wednesday two to three weeks ago
    meeting = services.create_meeting(db, coordinator, MeetingData(
        type_code="evaluatie", title=PAST_TITLE, starts_at=start, ends_at=start + timedelta(hours=1),
        location="Zorg- en Veiligheidshuis Demodam, zaal 2 (fictief)", chair_id=coordinator.id,
        case_ids=[shelter.id]))
    emails = ("toezicht.recl@demo.invalid", "opvang.vo@demo.invalid", "jeugdbescherming.gi@demo.invalid",
              "medewerker.vt@demo.invalid")
    for email in emails:
        _invite(db, coordinator, meeting, email)
    for email, answer in zip(emails, ("geaccepteerd", "geaccepteerd", "afgewezen", "geaccepteerd"), strict=True):
        _answer(db, meeting, email, answer)
    attendance = dict(zip(emails, ("aanwezig", "aanwezig", "afgemeld", "afwezig"), strict=True))
    rows = db.exec(select(Invitation).where(Invitation.meeting_id == meeting.id)).all()
    by_user = {inv.user_id: inv.id for inv in rows}
    values = {by_user[demo_user(db, email).id]: value for email, value in attendance.items()}
    values[by_user[coordinator.id]] = "aanwezig"
    invitations.record_attendance(db, coordinator, meeting, values)
    return 1


def seed(db: Session) -> int:
    """Create the demo meetings that are missing (skipping those whose demo cases are absent)."""
    family, shelter = _case(db, FAMILY_CASE), _case(db, SHELTER_CASE)
    if family is None or shelter is None:
        return 0
    coordinator = demo_user(db, COORDINATOR)
    created = 0
    with notify.suppressed():
        if not _exists(db, SERIES_TITLE):
            created += _series(db, coordinator, family, shelter)
        if not _exists(db, CONFERENCE_TITLE):
            created += _conference(db, coordinator, family)
        if not _exists(db, PAST_TITLE):
            created += _past(db, coordinator, shelter)
    if created:
        audit.record(db, "create", user_name="demo-data", object_type="demo",
                     summary=f"fictieve demo-overleggen geladen: {created} bijeenkomsten")
    return created
