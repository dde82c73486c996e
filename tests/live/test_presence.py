"""Presence heals itself: a socket left behind by a crashed process drops out of the list and is cleared."""

from datetime import timedelta

from sqlalchemy import update
from sqlmodel import select

from mda.core.timeutil import utcnow
from mda.jobs import clock, run_due
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
