"""One e-mail per person per meeting or series, however many of its cases they are invited for."""

from datetime import timedelta

import pytest

from mda.cases.models import CaseMember, CaseOrganisation
from mda.core.timeutil import utcnow
from mda.meetings import circle_invites
from mda.meetings.models import Meeting
from tests.meetings.conftest import calendars_in, case_items, events, future_monday, mail_to


@pytest.fixture
def vt_in_both(db, world):
    """The VT professional, also named in case B's circle (so in the circles of both cases)."""
    vt = world["users"]["VT"]
    db.add(CaseOrganisation(case_id=world["case_b"].id, organisation_id=vt.organisation_id, added_at=utcnow()))
    db.add(CaseMember(case_id=world["case_b"].id, user_id=vt.id, added_at=utcnow()))
    db.commit()
    return vt


def _uids(message) -> set[str]:
    return {str(e["UID"]) for cal in calendars_in(message) for e in events(cal)}


def test_inviting_every_circle_mails_a_professional_in_two_circles_once(app, db, world, plan, service, vt_in_both):
    """When the coordinator invites the circles of both cases of a 2-case meeting, does the VT professional
    in both circles get exactly one e-mail, carrying both case items as their own appointments?"""
    meeting = plan()
    assert service(lambda s, m: circle_invites.invite_all_circles(s, s.get(type(world["coordinator"]),
                                                                           world["coordinator"].id), m),
                   meeting) == 4  # VT (in both circles), POL, GGZ, LT: each counted once
    (message,) = mail_to(app, vt_in_both)
    assert len(calendars_in(message)) == 2 and len(_uids(message)) == 2
    body = message.get_body(("plain",)).get_content()
    assert world["case_a"].reference in body and world["case_b"].reference in body
    assert len(mail_to(app, world["users"]["POL"])) == 1 and len(mail_to(app, world["users"]["GGZ"])) == 1


def test_a_series_planned_with_both_circles_is_one_e_mail(app, db, world, plan, service, vt_in_both):
    """Planning a weekly series of the 2-case meeting and inviting both circles, does the VT professional in both
    circles get one e-mail for the series (not one per case)?"""
    start = future_monday()
    meeting = plan(start=start, frequency="wekelijks", until=(start + timedelta(weeks=3)).date())
    assert db.get(Meeting, meeting.id).series_id is not None
    service(lambda s, m: circle_invites.invite_all_circles(s, s.get(type(world["coordinator"]),
                                                                    world["coordinator"].id), m), meeting)
    (message,) = mail_to(app, vt_in_both)
    assert calendars_in(message)


def test_inviting_one_person_for_two_cases_of_a_series_is_one_e_mail(app, db, world, plan, invite, vt_in_both):
    """Invited by hand for both cases of this and the following meetings, does the VT professional get one
    e-mail?"""
    start = future_monday()
    meeting = plan(start=start, frequency="wekelijks", until=(start + timedelta(weeks=3)).date())
    invite(meeting, world["coordinator"], vt_in_both, item_ids=list(case_items(db, meeting).values()),
           following=True)
    (message,) = mail_to(app, vt_in_both)
    assert calendars_in(message)
