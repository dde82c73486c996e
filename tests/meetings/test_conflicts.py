"""Conflicts (a required participant or the room already booked) and the first free slots."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import func, select

from mda.core.timeutil import to_local
from mda.meetings import slots
from mda.meetings.models import Meeting
from tests.conftest import form_post, text_of
from tests.meetings.conftest import future_monday, local


def test_free_slots_skip_holidays_weekends_and_busy_people(app, db, world, plan, invite):
    """Starting on Christmas Eve afternoon, with VT busy on the 28th from 09:00 to 11:00, are the first free
    hours 24-12 16:00, then 28-12 11:00 and 12:00 (not Christmas, Boxing Day or the weekend)?"""
    busy = plan(type_code="mda-conferentie", cases=[world["case_a"]], start=local(2026, 12, 28, 9), minutes=120)
    invite(busy, world["coordinator"], world["users"]["VT"])
    with app.app_context():
        from mda import db as mdadb

        found = slots.free_slots(mdadb.session(), user_ids={world["users"]["VT"].id}, location="", minutes=60,
                                 after=local(2026, 12, 24, 16))
    assert [(to_local(s).strftime("%d-%m %H:%M"), to_local(e).strftime("%H:%M")) for s, e in found] == [
        ("24-12 16:00", "17:00"), ("28-12 11:00", "12:00"), ("28-12 12:00", "13:00")]


def test_booked_chair_and_room_give_a_warning_and_free_slots(app, client, auth, db, world, plan):
    """Does planning with a chair who is already in another meeting, in the same room, warn (nothing saved yet),
    offer free slots, and save after the coordinator confirms?"""
    start = future_monday(hour=10)
    plan(type_code="mda-conferentie", cases=[world["case_a"]], start=start, minutes=120,
         chair_id=world["users"]["VT"].id, location="Zaal 2")
    auth.login(world["coordinator"])
    data = {"type_code": "evaluatie", "title": "Evaluatie", "day": start.date().isoformat(), "start_time": "11:00",
            "end_time": "12:00", "location": " zaal 2 ", "chair_id": str(world["users"]["VT"].id),
            "minute_taker_id": "0", "case_ids": [str(world["case_b"].id)], "case_minutes": "40",
            "agenda-0-title": "Evaluatie", "agenda-0-cases": "1"}
    resp = form_post(app, client, "/overleggen/nieuw?type=evaluatie", data)
    page = text_of(resp.text)
    assert resp.status_code == 200
    assert f"{world['users']['VT'].name} heeft dan al een ander overleg" in page
    assert "zaal 2" in page and "is dan al bezet (10:00–12:00)" in page
    assert "Eerste momenten waarop iedereen" in page and "12:00–13:00" in page
    assert db.exec(select(func.count()).select_from(Meeting)).one() == 1
    resp = form_post(app, client, "/overleggen/nieuw?type=evaluatie", {**data, "confirm_conflicts": "y"})
    assert resp.status_code == 302
    assert db.exec(select(func.count()).select_from(Meeting)).one() == 2


def test_invitee_who_is_busy_gives_a_warning(app, client, auth, db, world, plan, invite):
    """Does inviting someone who is already booked at that time save the invitation but warn the coordinator?"""
    start = future_monday(hour=10)
    other = plan(type_code="mda-conferentie", cases=[world["case_a"]], start=start, minutes=90, location="Elders")
    invite(other, world["coordinator"], world["users"]["POL"])
    meeting = plan(type_code="evaluatie", cases=[world["case_a"]], start=start + timedelta(minutes=30), minutes=90)
    auth.login(world["coordinator"])
    resp = form_post(app, client, f"/overleggen/{meeting.id}/uitnodigen",
                     {"user_id": world["users"]["POL"].id, "required": "y"}, follow_redirects=True)
    page = text_of(resp.text)
    assert "De uitnodiging is verstuurd" in page and "Let op" in page and "heeft dan al een ander overleg" in page
