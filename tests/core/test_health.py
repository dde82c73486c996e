"""The cluster's probes: liveness asks nothing of the database, readiness asks the database, schema and Redis."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from mda.core.health import known_revisions
from mda.db import make_engine

DOWN = "postgresql+psycopg://nobody@127.0.0.1:1/geen?connect_timeout=5"


@pytest.fixture
def revision(app):
    """Set the database's recorded revision for one test; put the real one back after (PostgreSQL's database
    outlives the test, and the wipe between tests leaves alembic_version alone)."""
    engine = app.extensions["mda_engine"]
    with engine.connect() as conn:
        saved = [row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))]

    def set_to(value: str | None) -> None:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM alembic_version"))
            if value is not None:
                conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:r)"), {"r": value})

    yield set_to
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM alembic_version"))
        for value in saved:
            conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:r)"), {"r": value})


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


def test_readiness_waits_for_the_migration(client, revision):
    """Does a new release stay unready (503) while the database is still at an older revision it knows?"""
    heads, known = known_revisions()
    revision(sorted(known - heads)[0])
    resp = client.get("/healthz/ready")
    assert resp.status_code == 503
    assert resp.get_json()["schema"] == "niet bijgewerkt"


def test_readiness_of_an_old_pod_survives_the_upgrade_migration(client, revision):
    """During a rolling upgrade the hook Job migrates first: does an old pod, meeting a revision it does not know
    (newer), stay ready so that the region keeps being served until the new pods are up?"""
    revision("a_revision_of_the_next_release")
    resp = client.get("/healthz/ready")
    assert resp.status_code == 200
    assert resp.get_json()["schema"] == "nieuwer"


def test_readiness_is_503_on_a_database_never_migrated(client, revision):
    """Is a pod unready on an empty database (the migration Job has not run)?"""
    revision(None)
    resp = client.get("/healthz/ready")
    assert resp.status_code == 503 and resp.get_json()["schema"] == "niet bijgewerkt"


def test_readiness_asks_redis_when_configured(app, client, monkeypatch):
    """With MDA_REDIS_URL set and Redis unreachable, is the replica unready (live events would not cross)?"""
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    resp = client.get("/healthz/ready")
    assert resp.status_code == 503
    assert resp.get_json()["redis"] == "onbereikbaar"
