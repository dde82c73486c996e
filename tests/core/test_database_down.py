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
