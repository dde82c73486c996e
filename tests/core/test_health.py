"""The cluster's probes: liveness asks nothing of the database, readiness asks the database, schema and Redis."""

from __future__ import annotations

from sqlalchemy import text

from mda.db import make_engine

DOWN = "postgresql+psycopg://nobody@127.0.0.1:1/geen?connect_timeout=5"


def test_liveness_answers_while_the_database_is_down(app, client, monkeypatch):
    """Does /healthz/live stay 200 when the database is unreachable, so the cluster does not restart every pod?"""
    unreachable = make_engine(DOWN)
    monkeypatch.setitem(app.extensions, "mda_engine", unreachable)
    resp = client.get("/healthz/live")
    unreachable.dispose()
    assert resp.status_code == 200 and resp.get_json() == {"status": "ok"}


def test_readiness_is_ok_on_a_migrated_database(client):
    """Does /healthz/ready answer 200, without a login, when the database is at the head revision?"""
    resp = client.get("/healthz/ready")
    assert resp.status_code == 200, resp.text
    assert resp.get_json() == {"status": "ok", "database": "ok", "schema": "ok"}


def test_readiness_is_503_while_the_database_is_down(app, client, monkeypatch):
    """Is a replica whose database is unreachable taken out of the Service (503), without connection details?"""
    unreachable = make_engine(DOWN)
    monkeypatch.setitem(app.extensions, "mda_engine", unreachable)
    resp = client.get("/healthz/ready")
    unreachable.dispose()
    assert resp.status_code == 503
    assert resp.get_json() == {"status": "fout", "database": "onbereikbaar"}
    assert "127.0.0.1" not in resp.text


def test_readiness_waits_for_the_migration(app, client):
    """Does a new release stay unready (503) while the database is still at an older revision?"""
    with app.extensions["mda_engine"].begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'an_older_revision'"))
    resp = client.get("/healthz/ready")
    assert resp.status_code == 503
    assert resp.get_json()["schema"] == "niet bijgewerkt"


def test_readiness_asks_redis_when_configured(app, client, monkeypatch):
    """With MDA_REDIS_URL set and Redis unreachable, is the replica unready (live events would not cross)?"""
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    resp = client.get("/healthz/ready")
    assert resp.status_code == 503
    assert resp.get_json()["redis"] == "onbereikbaar"
