"""The Alembic migrations and the models describe the same schema."""

import os
import uuid

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

import mda.models  # noqa: F401
from mda import create_app
from mda.cli import run_migrations


def _fresh_database(app_config, tmp_path):
    """An empty database of the same kind as the test database; returns (url, cleanup)."""
    if not os.environ.get("MDA_TEST_DATABASE_URL"):
        return f"sqlite:///{tmp_path / 'fresh.sqlite'}", lambda: None
    base = make_url(app_config["DATABASE_URL"])
    name = f"mda_mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def cleanup():
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return base.set(database=name).render_as_string(hide_password=False), cleanup


def test_migrations_create_every_table_and_column(app_config, tmp_path):
    """Does upgrading an empty database to head give exactly the schema of the models?"""
    url, cleanup = _fresh_database(app_config, tmp_path)
    try:
        app = create_app({**app_config, "DATABASE_URL": url})
        with app.app_context():
            run_migrations(app)
        app.extensions["mda_engine"].dispose()
        engine = create_engine(url)
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
        engine.dispose()
    finally:
        cleanup()
    assert diff == [], f"models and migrations differ; write a migration: {diff}"
