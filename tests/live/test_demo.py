"""The live demo meeting: joinable right after `make run`, with circles that differ per case."""

from sqlmodel import func, select

from mda.demo import live as live_demo
from mda.demo.accounts import demo_user
from mda.live import access
from mda.meetings.access import agenda_items
from mda.meetings.models import Meeting


def test_demo_live_meeting_is_joinable_and_differs_per_partner(app, runner, db):
    """Does demo-data create today's live meeting once, which POL may join but only for the family case?"""
    result = runner.invoke(args=["demo-data"])
    assert result.exit_code == 0, result.output
    meeting = db.exec(select(Meeting).where(Meeting.title == live_demo.TITLE)).one()
    assert "(fictief)" in meeting.title
    police, chair = demo_user(db, "agent.pol@demo.invalid"), demo_user(db, "regisseur.zvh@demo.invalid")
    assert access.may_join(db, police, meeting) and access.is_chair(chair, meeting)
    entered = [access.may_enter(db, police, meeting, i) for i in agenda_items(db, meeting) if i.kind == "casus"]
    assert entered == [True, False]
    runner.invoke(args=["demo-data"])
    assert db.exec(select(func.count()).select_from(Meeting).where(Meeting.title == live_demo.TITLE)).one() == 1
