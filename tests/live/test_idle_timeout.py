"""The idle timeout holds in an open live tab: only the user's own actions extend the login session."""

from datetime import timedelta

from mda.core import clock
from tests.conftest import audit_rows
from tests.live.test_working import _started


def _idle(app) -> timedelta:
    return app.config["IDLE_TIMEOUT"]


def _told_session_ended(client) -> bool:
    """Did the socket get the "sessie_verlopen" event (read also after the server disconnected it)?"""
    got = [m for m in client.sio.queue if m["namespace"] == "/live"]  # get_received() refuses once disconnected
    return any(m["name"] == "sessie_verlopen" and "sessie" in m["args"][0]["fout"] for m in got)


def test_heartbeats_do_not_keep_an_idle_tab_logged_in(app, db, live, world, meeting, clock_start):
    """Is a socket that only sent heartbeats refused, told and disconnected once the idle limit has passed since
    the user's last own action?"""
    idle = _idle(app)
    client = live(world["users"]["POL"])
    assert client.send("deelnemen", {"overleg": meeting.id})["ok"]
    with clock.frozen(clock_start + idle * 0.6):
        assert client.send("hier")["ok"]  # still within the limit: the heartbeat is answered
        assert client.send("overleg")["ok"]  # a fetch a notice causes is not the user either
    with clock.frozen(clock_start + idle + timedelta(minutes=1)):
        answer = client.send("hier")
    assert answer["ok"] is False and "sessie" in answer["fout"]
    assert _told_session_ended(client)
    assert not client.connected
    assert any(r.action == "denied" and "verlopen" in r.summary for r in audit_rows(db, object_type="live"))


def test_a_live_edit_extends_the_session_as_a_request_does(app, live, world, meeting, clock_start):
    """Does a change sent before the idle limit keep the socket working until the limit has passed since that
    change (and no longer)?"""
    idle = _idle(app)
    chair, _clients = _started(live, world, meeting)
    edit_at = clock_start + idle * 0.8
    with clock.frozen(edit_at):
        assert chair.send("stuk_nieuw", {"id": "idle-edit-01", "punt": meeting.item_a,
                                         "tekst": "Afspraak (fictief)"})["ok"]
    with clock.frozen(edit_at + idle * 0.8):  # past the limit since connecting, within it since the edit
        assert chair.send("hier")["ok"]
        assert chair.connected and not _told_session_ended(chair)
    with clock.frozen(edit_at + idle + timedelta(minutes=1)):
        assert chair.send("hier")["ok"] is False
    assert _told_session_ended(chair)
    assert not chair.connected


def test_typing_counts_as_the_users_own_action(app, live, world, meeting, clock_start):
    """Does the typing mark ("bewerken"), which the browser sends at the user's first key, extend the session?"""
    idle = _idle(app)
    client = live(world["users"]["POL"])
    assert client.send("deelnemen", {"overleg": meeting.id})["ok"]
    with clock.frozen(clock_start + idle * 0.8):
        assert client.send("bewerken", {"stuk": None})["ok"]
    with clock.frozen(clock_start + idle * 1.5):
        assert client.send("hier")["ok"]
    assert client.connected


def test_the_live_page_carries_the_login_link_for_an_ended_session(app, live, world, meeting):
    """Does the live page give its script the login address (back to this page) to show when the session ends?"""
    client = live(world["users"]["POL"])
    page = client.http.get(f"/overleggen/{meeting.id}/live")
    assert page.status_code == 200
    assert f'data-inloggen="/login?next=/overleggen/{meeting.id}/live"' in page.text.replace("%2F", "/")


def test_the_pages_ping_after_a_live_change_keeps_the_pages_logged_in(app, live, world, meeting, clock_start):
    """Does the live page's "still active" request (sent after the user's own change) extend the login session
    that the pages read, so that a page opened after the idle limit since login, but within it since the ping,
    still opens?"""
    from tests.conftest import csrf_token

    idle = _idle(app)
    client = live(world["users"]["POL"])
    page = f"/overleggen/{meeting.id}/live"
    token = csrf_token(app, client.http)
    with clock.frozen(clock_start + idle * 0.8):
        assert client.http.post(f"{page}/actief", headers={"X-CSRFToken": token}).status_code == 204
    with clock.frozen(clock_start + idle * 1.5):
        assert client.http.get(page).status_code == 200


def test_without_the_ping_the_pages_session_ends_at_the_idle_limit(app, live, world, meeting, clock_start):
    """Is the same page sent to the login page when nothing the user did reached the pages (the check above can
    fail)?"""
    client = live(world["users"]["POL"])
    with clock.frozen(clock_start + _idle(app) * 1.5):
        resp = client.http.get(f"/overleggen/{meeting.id}/live")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_the_ping_needs_the_csrf_token_and_an_invitation(app, live, world, meeting):
    """Is the "still active" request refused without the page's CSRF token, and for a user not invited?"""
    from tests.conftest import csrf_token

    url = f"/overleggen/{meeting.id}/live/actief"
    invited = live(world["users"]["POL"])
    assert invited.http.post(url).status_code == 400
    outsider = live(world["users"]["OM"])
    assert outsider.http.post(url, headers={"X-CSRFToken": csrf_token(app, outsider.http)}).status_code == 404


def test_the_login_link_of_a_still_valid_session_leads_back_to_the_live_page(app, live, world, meeting):
    """When the pages' session is still valid (the user was active in another tab), does the live page's login
    link lead straight back to the live page?"""
    client = live(world["users"]["POL"])
    resp = client.http.get(f"/login?next=/overleggen/{meeting.id}/live")
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/overleggen/{meeting.id}/live")
