import pytest
from sqlalchemy import text

from mda import db as mda_db


def test_sqlite_commits_are_synced_write_ahead(app):
    """Does the embedded SQLite database use a write-ahead log synced on every commit (durable before any
    emit, one disk flush per commit), not the slower rollback journal nor the unsynced NORMAL level?"""
    if not app.config["DATABASE_URL"].startswith("sqlite"):
        pytest.skip("SQLite only")
    with app.app_context(), mda_db.engine().connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
