"""The fictional demo meetings."""

from __future__ import annotations

from sqlmodel import func, select

from mda.demo import meetings as demo_meetings
from mda.meetings.models import Invitation, Meeting, MeetingSeries, MeetingUpdate
from tests.meetings.conftest import outbox


def test_demo_meetings_are_loaded_once_without_mail(app, runner, db):
    """Does demo-data create a weekly casuïstiekoverleg series with two cases, an upcoming conference with an
    update, and a past meeting with recorded attendance; send no mail; and create nothing on a second run?"""
    result = runner.invoke(args=["demo-data"])
    assert result.exit_code == 0, result.output
    series = db.exec(select(MeetingSeries)).one()
    assert series.title == demo_meetings.SERIES_TITLE and series.frequency == "wekelijks"
    assert db.exec(select(func.count()).select_from(Meeting).where(Meeting.series_id == series.id)).one() == 8
    past = db.exec(select(Meeting).where(Meeting.title == demo_meetings.PAST_TITLE)).one()
    attendance = {i.attendance for i in db.exec(select(Invitation).where(Invitation.meeting_id == past.id))}
    assert {"aanwezig", "afgemeld", "afwezig"} <= attendance
    assert db.exec(select(MeetingUpdate)).first() is not None
    assert outbox(app) == []
    before = db.exec(select(func.count()).select_from(Meeting)).one()
    runner.invoke(args=["demo-data"])
    assert db.exec(select(func.count()).select_from(Meeting)).one() == before


def test_demo_meetings_are_skipped_without_the_demo_cases(app, db):
    """Does the meetings seeder create nothing (and not fail) when the demo cases are absent?"""
    from mda import db as mdadb
    from mda.demo.accounts import seed_accounts

    with app.app_context(), mdadb.unit_of_work() as s:
        seed_accounts(s)
        assert demo_meetings.seed(s) == 0
