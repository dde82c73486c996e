"""The fault runs of ``make soak``, short: nothing acknowledged is lost or duplicated (PostgreSQL pass only)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REDIS_URL

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(
    not (os.environ.get("MDA_TEST_DATABASE_URL") and REDIS_URL and shutil.which("redis-server")),
    reason="needs MDA_TEST_DATABASE_URL, MDA_TEST_REDIS_URL and redis-server (the PostgreSQL + Redis pass)")


def test_short_fault_runs_lose_and_duplicate_nothing():
    """Killed process, database down, Redis down, 20 users, a few seconds each: nothing lost, no 500, chain intact?"""
    admin = os.environ["MDA_TEST_DATABASE_URL"].rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MDA_")}
    env |= {"MDA_FAULTS_ADMIN_URL": admin + "/postgres", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "bench.faults", "--seconds", "4", "--no-write"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    report = done.stdout[done.stdout.find("## Faults"):]
    assert done.returncode == 0, report or done.stderr[-3000:]
    assert report.count("| ok |") == 4, report
