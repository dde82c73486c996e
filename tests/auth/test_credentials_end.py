"""Everything derived from an account ends when its password changes or is reset, or when it is deactivated and
later reactivated: the calendar feed's secret address, API tokens, other sessions and live sockets."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from mda.meetings import feeds
from tests.auth.test_account_hardening import _admin_client
from tests.auth.test_api_tokens import bearer, create_token
from tests.conftest import TEST_PASSWORD, AuthActions, audit_rows, form_post
from tests.live.conftest import Live

NEW_PASSWORD = "een heel ander lang wachtzin 77"


def _own_password_change(app, db, make_user, client, user):
    resp = form_post(app, client, "/account", {"pw-current": TEST_PASSWORD, "pw-password": NEW_PASSWORD,
                                               "pw-confirm": NEW_PASSWORD, "pw-submit": "1"})
    assert resp.status_code == 302, resp.text[:300]


def _admin_reset(app, db, make_user, client, user):
    admin = _admin_client(app, db, make_user)
    assert form_post(app, admin, f"/beheer/gebruikers/{user.id}/resetten").status_code == 302


def _deactivated_and_reactivated(app, db, make_user, client, user):
    admin = _admin_client(app, db, make_user)
    assert form_post(app, admin, f"/beheer/gebruikers/{user.id}/deactiveren").status_code == 302
    assert form_post(app, admin, f"/beheer/gebruikers/{user.id}/activeren").status_code == 302


EVENTS = {"own password change": _own_password_change, "admin reset": _admin_reset,
          "deactivation then reactivation": _deactivated_and_reactivated}


@pytest.mark.parametrize("event", EVENTS.values(), ids=EVENTS.keys())
def test_every_credential_of_the_account_ends(app, client, db, login_as, make_user, event):
    """After this event, does the old calendar feed address answer 404, the API token 401, and do another
    logged-in browser and an open live socket of the account end (while everything worked just before)?"""
    user = login_as(("professional",))
    token = create_token(app, client)
    with Session(app.extensions["mda_engine"], expire_on_commit=False) as s:
        feed_token = feeds.renew_token(s, s.get(type(user), user.id))
        s.commit()
    other_browser = app.test_client()
    with Session(app.extensions["mda_engine"], expire_on_commit=False) as s:
        assert AuthActions(app, other_browser, s).login(user).status_code == 302
    socket = Live(app, user)
    feed_url = f"/overleggen/feed/{feed_token}.ics"
    assert app.test_client().get(feed_url).status_code == 200
    assert app.test_client().get("/api/v1/me", headers=bearer(token)).status_code == 200
    assert other_browser.get("/account").status_code == 200
    before = socket.send("overleg")
    assert "Log opnieuw in" not in before.get("fout", "") and socket.connected

    event(app, db, make_user, client, user)

    assert app.test_client().get(feed_url).status_code == 404
    assert app.test_client().get("/api/v1/me", headers=bearer(token)).status_code == 401
    assert other_browser.get("/account").status_code == 302  # back to the login page
    answer = socket.send("overleg")
    assert answer["ok"] is False and "Log opnieuw in" in answer["fout"]
    assert not socket.connected
    socket.disconnect()
    assert any("agenda-abonnement ingetrokken" in r.summary for r in audit_rows(db, object_type="calendar_feed"))


def test_a_name_change_keeps_the_feed_address(app, client, db, login_as, make_user):
    """Does correcting only the account's name leave its calendar feed address working?"""
    user = login_as(("professional",))
    with Session(app.extensions["mda_engine"], expire_on_commit=False) as s:
        feed_token = feeds.renew_token(s, s.get(type(user), user.id))
        s.commit()
    admin = _admin_client(app, db, make_user)
    form_post(app, admin, f"/beheer/gebruikers/{user.id}", {"email": user.email, "name": "Nieuwe Naam",
                                                           "organisation_id": user.organisation_id,
                                                           "roles": ["professional"]})
    assert app.test_client().get(f"/overleggen/feed/{feed_token}.ics").status_code == 200
