"""When the database is down or restarting, users get a clear Dutch 503, and the app recovers by itself."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import OperationalError

from mda.core.errors import DATABASE_DOWN


@pytest.fixture
def take_database_down(app, monkeypatch):
    """Call it to make every new database connection fail, as while PostgreSQL restarts; undo() brings it back."""
    engine = app.extensions["mda_engine"]

    def refuse(*_args, **_kwargs):
        raise OperationalError("connect", {}, ConnectionRefusedError("connection refused"))

    def down():
        engine.dispose()  # pooled connections are gone too
        monkeypatch.setattr(engine.pool, "connect", refuse)
        return monkeypatch

    return down


def test_page_gets_503_with_dutch_message_while_database_is_down(client, auth, make_user, take_database_down):
    """Does a logged-in page answer 503 with the Dutch message (no stack trace) when the database is unreachable?"""
    auth.login(make_user())
    take_database_down()
    resp = client.get("/casussen/")
    assert resp.status_code == 503 and resp.headers["Retry-After"] == "30"
    assert "De database is even niet bereikbaar" in resp.text and "Traceback" not in resp.text


def test_api_gets_503_json_while_database_is_down(client, auth, make_user, take_database_down):
    """Does the API answer a JSON 503 with the Dutch message?"""
    auth.login(make_user())
    take_database_down()
    resp = client.get("/api/v1/cases")
    assert resp.status_code == 503
    assert resp.get_json() == {"error": 503, "title": "Tijdelijk niet beschikbaar", "message": DATABASE_DOWN}


def test_app_recovers_when_database_is_back(client, auth, make_user, take_database_down):
    """Once the database answers again, do requests succeed without restarting the app?"""
    user = make_user()
    auth.login(user)
    patch = take_database_down()
    assert client.get("/casussen/").status_code == 503
    patch.undo()
    assert client.get("/casussen/").status_code == 200


@pytest.fixture
def fresh_outage(monkeypatch):
    """This process has seen no outage yet (the one-warning-per-outage state starts clean)."""
    from mda.core import errors

    monkeypatch.setattr(errors, "_database_down", False)


def test_the_503_page_has_the_normal_layout_without_the_database(client, auth, make_user, take_database_down,
                                                                 fresh_outage):
    """Is the 503 page the normal layout (header, main, footer, the style sheets), rendered although neither the
    user nor the menu can be read from the database?"""
    auth.login(make_user())
    take_database_down()
    resp = client.get("/casussen/")
    assert resp.status_code == 503 and resp.headers["Retry-After"] == "30"
    page = resp.text
    for part in ('class="utrecht-page-header mda-header"', 'id="main"', 'class="utrecht-page-footer mda-footer"',
                 "css/app.css", "Tijdelijk niet beschikbaar", "De database is even niet bereikbaar"):
        assert part in page, part
    assert "Uitloggen" not in page  # who is logged in cannot be known now: no user part, no menu


def test_a_database_outage_logs_one_warning_not_a_traceback_per_request(client, auth, make_user, take_database_down,
                                                                        fresh_outage, caplog):
    """Do several requests during one outage leave one warning in the log (no error, no traceback), and does the
    next outage, after the database was back, warn again?"""
    import logging

    auth.login(make_user())
    patch = take_database_down()
    with caplog.at_level(logging.INFO):
        statuses = [client.get(url).status_code for url in ("/casussen/", "/", "/casussen/", "/api/v1/cases")]
    assert statuses == [503] * 4
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING, [r.getMessage() for r in warnings]
    assert warnings[0].exc_info is None and "database" in warnings[0].getMessage()
    patch.undo()
    assert client.get("/casussen/").status_code == 200
    caplog.clear()
    take_database_down()
    assert client.get("/casussen/").status_code == 503
    assert len([r for r in caplog.records if r.levelno >= logging.WARNING]) == 1
