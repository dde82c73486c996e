"""Fictional demo data for the live session: a casuïstiekoverleg of today that can be joined
right after ``make run`` (two cases whose circles differ, so that two demo accounts in two
browser windows see different case items). Idempotent: looked up by its (demo) title.
"""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from mda.cases.models import Case, Person
from mda.core import audit
from mda.core.timeutil import utcnow
from mda.demo.accounts import demo_user
from mda.live import services as live_services
from mda.meetings import invitations, notify, services
from mda.meetings.access import agenda_items
from mda.meetings.models import AgendaItem, Meeting
from mda.meetings.services import MeetingData

TITLE = "Live overleg Demodam vandaag (demo) (fictief)"
FAMILY_CASE, SHELTER_CASE = "MDA-2026-0001", "MDA-2026-0002"


def seed(db: Session) -> int:
    """Create today's live demo meeting when missing (skipped when the demo cases are absent)."""
    if db.exec(select(Meeting).where(Meeting.title == TITLE)).first() is not None:
        return 0
    cases = {c.reference: c for c in db.exec(select(Case).where(Case.reference.in_([FAMILY_CASE, SHELTER_CASE])))}
    if len(cases) < 2:
        return 0
    coordinator = demo_user(db, "regisseur.zvh@demo.invalid")
    start = utcnow().replace(second=0, microsecond=0) + timedelta(minutes=5)
    with notify.suppressed():
        meeting = services.create_meeting(db, coordinator, MeetingData(
            type_code="casuistiekoverleg", title=TITLE, starts_at=start, ends_at=start + timedelta(hours=2),
            location="Online en zaal 3, Zorg- en Veiligheidshuis Demodam (fictief)", chair_id=coordinator.id,
            minute_taker_id=demo_user(db, "regisseur.vt@demo.invalid").id,
            case_ids=[cases[FAMILY_CASE].id, cases[SHELTER_CASE].id]))
        items = {db.get(Case, i.case_id).reference: i.id for i in agenda_items(db, meeting) if i.kind == "casus"}
        for email, refs in (("regisseur.vt@demo.invalid", []),  # minute-taker: the whole meeting
                            ("medewerker.vt@demo.invalid", [FAMILY_CASE, SHELTER_CASE]),
                            ("agent.pol@demo.invalid", [FAMILY_CASE]),
                            ("wijkteam.lt@demo.invalid", [FAMILY_CASE]),
                            ("toezicht.recl@demo.invalid", [SHELTER_CASE])):
            try:
                invitations.invite(db, coordinator, meeting, demo_user(db, email).id, [items[r] for r in refs])
            except services.MeetingError:  # not in a circle in this demo set: leave them out
                continue
        # brought in before the meeting by GGZ, about the mother, shared with LT and VT by her consent
        family_item = db.get(AgendaItem, items[FAMILY_CASE])
        mother = db.exec(select(Person).where(Person.case_id == cases[FAMILY_CASE].id,
                                              Person.role == "slachtoffer")).first()
        if mother is not None:
            live_services.create_piece(
                db, demo_user(db, "behandelaar.ggz@demo.invalid"), meeting, family_item, kind="notulen",
                category="gezondheid", person_ids=[mother.id],
                content="GGZ (vooraf ingebracht): moeder komt trouw naar de behandeling; de PTSS-klachten "
                        "nemen af (fictief).")
    audit.record(db, "create", user_name="demo-data", object_type="demo",
                 summary="fictief live demo-overleg geladen")
    return 1
