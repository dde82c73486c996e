"""Presence heals itself: a socket left behind by a crashed process drops out of the list and is cleared."""

from datetime import timedelta

from sqlalchemy import update
from sqlmodel import select

from mda.core import clock
from mda.core.timeutil import utcnow
from mda.jobs import run_due
from mda.live import guard
from mda.live.models import LivePresence


def _names(client, meeting) -> set[str]:
    return {p["naam"] for p in client.send("overleg")["overleg"]["aanwezig"]}


def test_a_socket_not_heard_of_drops_out_and_a_heartbeat_keeps_one_in(app, db, live, world, meeting):
    """When a participant's process dies (its row is no longer refreshed), does the presence list drop them after
    90 s while a participant whose browser sends heartbeats stays; and does the job clear the dead row?"""
    chair = live(world["coordinator"])
    pol = live(world["users"]["POL"])
    for client in (chair, pol):
        assert client.send("deelnemen", {"overleg": meeting.id})["ok"]
    assert _names(chair, meeting) == {world["coordinator"].name, world["users"]["POL"].name}
    # POL's server process "crashes": its disconnect handler never runs, its row stops being refreshed
    old = utcnow() - timedelta(minutes=11)
    db.execute(update(LivePresence).values(seen_at=old))
    db.commit()
    for state in guard.SOCKETS.values():  # the chair's process knows eleven minutes passed too
        state.presence_refreshed -= 11 * 60
    assert chair.send("hier")["ok"]  # the chair's heartbeat refreshes only the chair's row
    assert _names(chair, meeting) == {world["coordinator"].name}
    with app.app_context(), clock.frozen(utcnow()):
        assert run_due(["live_aanwezigheid"])["live_aanwezigheid"] == 1
    db.expire_all()
    rows = db.exec(select(LivePresence)).all()
    assert [r.user_id for r in rows] == [world["coordinator"].id]


def _notices(client) -> list[str]:
    return [m["args"][0]["soort"] for m in client.received() if m["name"] == "melding"]


def test_a_join_or_leave_asks_the_others_for_the_presence_list_not_their_whole_meeting_view(live, world, meeting):
    """When a participant joins or leaves, do the others get an ``aanwezig`` notice (and no ``overleg`` notice, which
    makes every window fetch its whole meeting view), and does the ``aanwezig`` event then name who is there?"""
    chair = live(world["coordinator"])
    assert chair.send("deelnemen", {"overleg": meeting.id})["ok"]
    chair.received()
    pol = live(world["users"]["POL"])
    assert pol.send("deelnemen", {"overleg": meeting.id})["ok"]
    assert _notices(chair) == ["aanwezig"]
    answer = chair.send("aanwezig")
    assert answer["ok"] and {p["naam"] for p in answer["aanwezig"]} == {world["coordinator"].name,
                                                                        world["users"]["POL"].name}
    assert {p["organisatie"] for p in answer["aanwezig"]} == {world["coordinator"].organisation.name,
                                                              world["users"]["POL"].organisation.name}
    pol.disconnect()
    assert _notices(chair) == ["aanwezig"]
    assert {p["naam"] for p in chair.send("aanwezig")["aanwezig"]} == {world["coordinator"].name}


def test_the_presence_list_is_only_for_those_who_joined_the_meeting(live, world, meeting, make_user):
    """Is the ``aanwezig`` event refused, with a Dutch message and no names, to a socket that has not joined and to
    a user who is not invited (who cannot join)?"""
    chair = live(world["coordinator"])
    assert chair.send("deelnemen", {"overleg": meeting.id})["ok"]
    pol = live(world["users"]["POL"])
    answer = pol.send("aanwezig")
    assert answer["ok"] is False and "Neem eerst deel" in answer["fout"] and "aanwezig" not in answer
    outsider = live(make_user())
    assert outsider.send("deelnemen", {"overleg": meeting.id})["ok"] is False
    answer = outsider.send("aanwezig")
    assert answer["ok"] is False and world["coordinator"].name not in str(answer)


def test_the_presence_list_takes_one_statement_however_many_are_there(app, count_queries, live, world, meeting):
    """Does the presence list read the database as often with five participants connected as with one?"""
    from mda import db as mdadb
    from mda.live import state
    from mda.meetings.models import Meeting

    def statements() -> tuple[int, int]:
        with app.test_request_context():
            s = mdadb.session()
            m = s.get(Meeting, meeting.id)
            with count_queries() as counted:
                names = state.presence(s, m)
            mdadb.rollback()
        return len(counted), len(names)

    chair = live(world["coordinator"])
    assert chair.send("deelnemen", {"overleg": meeting.id})["ok"]
    one = statements()
    for key in ("POL", "GGZ", "LT", "VT"):
        assert live(world["users"][key]).send("deelnemen", {"overleg": meeting.id})["ok"]
    five = statements()
    assert (one[1], five[1]) == (1, 5)
    assert five[0] == one[0] == 1, (one, five)
