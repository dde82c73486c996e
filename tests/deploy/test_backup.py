"""Backups: the pg_dump and pg_restore commands of docs/deployment.md, run for real on PostgreSQL.

A dump restored into a fresh, empty database must pass ``audit-verify`` (the hash chain survived), be ready at the
schema's head, and let the demo users log in. Runs when MDA_TEST_DATABASE_URL is set and pg_dump is installed.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from sqlalchemy import create_engine, text

from mda import create_app
from mda.demo import DEMO_PASSWORD
from tests.conftest import PG_URL, form_post

pytestmark = pytest.mark.skipif(not PG_URL or not shutil.which("pg_dump"),
                                reason="needs MDA_TEST_DATABASE_URL and the PostgreSQL client tools")


def dump_command(database_url: str, file: str) -> list[str]:
    """docs/deployment.md, "Backups": the nightly dump (custom format: compressed, restorable table by table)."""
    return ["pg_dump", "--format=custom", "--no-owner", "--no-acl", f"--file={file}", database_url]


def restore_command(database_url: str, file: str) -> list[str]:
    """docs/deployment.md, "Restoring": into an empty database, all or nothing."""
    return ["pg_restore", "--no-owner", "--no-acl", "--exit-on-error", "--single-transaction",
            f"--dbname={database_url}", file]


@pytest.fixture
def databases():
    """Two empty databases of the test's own (the live one and the restore target), dropped afterwards."""
    base = PG_URL.rsplit("/", 1)[0]
    names = [f"mda_backup_{os.getpid()}_{n}" for n in ("live", "restored")]
    admin = create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield [f"{base}/{name}" for name in names]
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def app_on(url: str, tmp_path):
    return create_app({"TESTING": True, "DATABASE_URL": url.replace("postgresql://", "postgresql+psycopg://", 1),
                       "OUTBOX_DIR": str(tmp_path / "outbox"), "RATELIMIT_ENABLED": False,
                       "INSECURE_DEMO_SKIP_2FA": True})


def test_a_restored_dump_verifies_and_serves_the_demo_users(databases, tmp_path):
    """Does a pg_dump of a live database, restored into an empty one, pass audit-verify, answer ready at the
    schema head, and let a demo user log in?"""
    live_url, restored_url = databases
    live = app_on(live_url, tmp_path)
    runner = live.test_cli_runner()
    for command in (["migrate"], ["demo-data"]):
        result = runner.invoke(args=command)
        assert result.exit_code == 0, result.output
    live.extensions["mda_engine"].dispose()

    dump = str(tmp_path / "mda.dump")
    subprocess.run(dump_command(live_url, dump), check=True, timeout=120)  # noqa: S603
    subprocess.run(restore_command(restored_url, dump), check=True, timeout=120)  # noqa: S603

    restored = app_on(restored_url, tmp_path)
    try:
        verified = restored.test_cli_runner().invoke(args=["audit-verify"])
        assert verified.exit_code == 0, verified.output
        client = restored.test_client()
        assert client.get("/healthz/ready").status_code == 200
        login = form_post(restored, client, "/login",
                          {"email": "regisseur.zvh@demo.invalid", "password": DEMO_PASSWORD})
        assert login.status_code == 302 and login.headers["Location"] == "/"
    finally:
        restored.extensions["mda_engine"].dispose()
