"""An upgrade as the Helm pre-upgrade hook runs it: a database with data at the previous revision, migrated to head.

There is no earlier release to take a database from yet, so the previous release's database is made the way a
region's would have come about, with data: migrated to head, the demo data loaded, then taken back one revision
(Alembic downgrade) to the schema the release before this one left. ``flask --app mda migrate`` then brings it
to head, and the result must verify, be ready and serve the demo users.
"""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text

from mda import create_app
from mda.cli import run_migrations
from mda.core.health import known_revisions
from mda.demo import DEMO_PASSWORD
from tests.conftest import PG_URL, form_post


def alembic_config(app):
    """Alembic's settings as ``flask --app mda migrate`` builds them (mda/cli.py)."""
    from alembic.config import Config

    from mda import ROOT

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.attributes["engine"] = app.extensions["mda_engine"]
    return cfg


def back_to_previous_revision(app) -> str:
    """Downgrade one revision, to the schema the release before this one left; return that revision."""
    from alembic import command
    from alembic.script import ScriptDirectory

    cfg = alembic_config(app)
    (head,) = ScriptDirectory.from_config(cfg).get_heads()
    previous = ScriptDirectory.from_config(cfg).get_revision(head).down_revision
    command.downgrade(cfg, previous)
    return previous


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request, tmp_path):
    """An empty database of the test's own: a SQLite file, or (with MDA_TEST_DATABASE_URL) a PostgreSQL one."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'upgrade.sqlite'}"
        return
    if not PG_URL:
        pytest.skip("needs MDA_TEST_DATABASE_URL")
    name = f"mda_upgrade_{os.getpid()}"
    admin = create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield PG_URL.replace("postgresql://", "postgresql+psycopg://", 1).rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_a_database_with_data_at_the_previous_revision_migrates_to_head(fresh_url, tmp_path):
    """Does `flask --app mda migrate` bring a database with data at the previous revision to head, with the audit
    trail whole, the replica ready and the demo users able to log in?"""
    app = create_app({"TESTING": True, "DATABASE_URL": fresh_url, "OUTBOX_DIR": str(tmp_path / "outbox"),
                      "RATELIMIT_ENABLED": False, "INSECURE_DEMO_SKIP_2FA": True})
    runner = app.test_cli_runner()
    try:
        with app.app_context():
            run_migrations(app)
        assert runner.invoke(args=["demo-data"]).exit_code == 0
        with app.app_context():
            previous = back_to_previous_revision(app)  # the schema the previous release left, with its data
        with app.extensions["mda_engine"].connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == previous
        client = app.test_client()
        assert client.get("/healthz/ready").get_json()["schema"] == "niet bijgewerkt"

        result = runner.invoke(args=["migrate"])  # what the pre-upgrade hook Job runs
        assert result.exit_code == 0, result.output

        with app.extensions["mda_engine"].connect() as conn:
            current = {row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))}
        assert current == known_revisions()[0]
        verified = runner.invoke(args=["audit-verify"])
        assert verified.exit_code == 0, verified.output
        assert client.get("/healthz/ready").status_code == 200
        login = form_post(app, client, "/login", {"email": "regisseur.zvh@demo.invalid", "password": DEMO_PASSWORD})
        assert login.status_code == 302 and login.headers["Location"] == "/"
    finally:
        app.extensions["mda_engine"].dispose()
