"""Connecting and joining: login, CSRF token, invitation, circle per case item."""

from datetime import timedelta

from sqlmodel import Session, select

from mda.extensions import socketio
from tests.conftest import AuthActions, audit_rows, csrf_token


def test_connection_without_login_is_refused(app, live, world):
    """Is a socket connection without a logged-in session refused?"""
    client = live(world["users"]["POL"], login=False)
    assert not client.connected


def test_connection_without_the_pages_csrf_token_is_refused(app, live, world):
    """Is a logged-in connection that lacks the page's CSRF token refused (cross-site socket hijacking)?"""
    client = live(world["users"]["POL"], csrf=False)
    assert not client.connected


def test_uninvited_user_cannot_join_and_the_attempt_is_audited(app, db, live, world, meeting):
    """Can a professional without an invitation join the meeting (and is the refusal audited)?"""
    outsider = world["users"]["OM"]
    client = live(outsider)
    assert client.connected
    answer = client.send("deelnemen", {"overleg": meeting.id})
    assert answer["ok"] is False and "uitgenodigd" in answer["fout"]
    assert "overleg" not in answer
    assert any(r.action == "denied" and r.object_type == "live" for r in audit_rows(db, user_id=outsider.id))
    assert client.connected  # the connection keeps working


def test_invited_partner_joins_and_sees_only_the_labels_it_may_see(app, live, world, meeting):
    """Does an invited partner see the agenda with the other case's reference hidden?"""
    client = live(world["users"]["POL"])
    answer = client.send("deelnemen", {"overleg": meeting.id})
    assert answer["ok"] is True
    agenda = {a["id"]: a for a in answer["overleg"]["agenda"]}
    assert agenda[meeting.item_a]["titel"] == world["case_a"].reference and agenda[meeting.item_a]["toegang"]
    assert agenda[meeting.item_b]["titel"] == "casus (niet zichtbaar)" and not agenda[meeting.item_b]["toegang"]
    assert world["case_b"].reference not in client.everything()


def test_partner_cannot_enter_the_room_of_a_case_outside_its_invitation(app, db, live, world, meeting):
    """Can a partner enter the room of a case item it is not invited for (and is that audited)?"""
    client = live(world["users"]["POL"])
    client.send("deelnemen", {"overleg": meeting.id})
    answer = client.send("punt", {"punt": meeting.item_b})
    assert answer["ok"] is False
    assert "punt" not in answer
    assert any(r.action == "denied" for r in audit_rows(db, user_id=world["users"]["POL"].id))


def test_expired_session_is_refused_on_its_next_event(app, live, world, meeting, monkeypatch):
    """Is a socket whose login session passed its absolute lifetime refused on its next event?"""
    client = live(world["users"]["POL"])
    assert client.send("deelnemen", {"overleg": meeting.id})["ok"]
    monkeypatch.setitem(app.config, "PERMANENT_SESSION_LIFETIME", timedelta(seconds=0))
    answer = client.send("overleg")
    assert answer["ok"] is False and "sessie" in answer["fout"]
    assert not client.connected


def test_revoked_session_is_refused_on_its_next_event(app, db, live, world, meeting):
    """Is a socket refused on its next event once its session version was revoked (logout everywhere)?"""
    from mda.auth.models import User

    client = live(world["users"]["POL"])
    assert client.send("deelnemen", {"overleg": meeting.id})["ok"]
    user = db.get(User, world["users"]["POL"].id)
    user.session_version += 1
    db.add(user)
    db.commit()
    answer = client.send("overleg")
    assert answer["ok"] is False and "sessie" in answer["fout"]
    assert not client.connected


def test_the_default_namespace_refuses_every_connection_and_only_live_answers(app, world):
    """Does the default Socket.IO namespace ``/`` refuse a connection, anonymous or logged in with the page's CSRF
    token, while the same logged-in browser does connect to ``/live``?"""
    anonymous = socketio.test_client(app, namespace="/", flask_test_client=app.test_client())
    assert not anonymous.is_connected("/")
    http = app.test_client()
    with Session(app.extensions["mda_engine"], expire_on_commit=False) as s:
        assert AuthActions(app, http, s).login(world["users"]["POL"]).status_code == 302
    auth = {"csrf": csrf_token(app, http)}
    logged_in = socketio.test_client(app, namespace="/", flask_test_client=http, auth=auth)
    assert not logged_in.is_connected("/")
    live = socketio.test_client(app, namespace="/live", flask_test_client=http, auth=auth)
    try:
        assert live.is_connected("/live")
    finally:
        live.disconnect(namespace="/live")


def test_two_people_opening_a_meeting_live_at_once_share_one_live_state(app, world, meeting, monkeypatch):
    """When someone else creates a meeting's live state between our lookup and our insert (two people opening the
    live view at the same moment), do we get that live state instead of a unique-constraint error?"""
    from mda.live import loaders
    from mda.live.models import LiveMeeting

    engine = app.extensions["mda_engine"]
    real_find, calls = loaders._find, []

    def find_after_the_other_one(db, meeting_id):
        calls.append(meeting_id)
        if len(calls) == 1:  # our lookup found nothing; the other request inserts and commits right after it
            with Session(engine) as other:
                other.add(LiveMeeting(meeting_id=meeting_id))
                other.commit()
            return None
        return real_find(db, meeting_id)

    monkeypatch.setattr(loaders, "_find", find_after_the_other_one)
    with Session(engine, expire_on_commit=False) as db:
        live = loaders.live_by_id(db, meeting.id)
        db.commit()
    with Session(engine) as db:
        rows = db.exec(select(LiveMeeting).where(LiveMeeting.meeting_id == meeting.id)).all()
    assert [row.id for row in rows] == [live.id]
    assert live.status == "niet_gestart"
