"""Jobs once per region: two runners at once (two replicas, or a CronJob overlapping itself) walk the jobs once."""

from __future__ import annotations

import threading

import pytest

from mda import db as database
from mda.jobs import REGISTRY, job, run_exclusive
from mda.jobs.lock import runner_lock


@pytest.fixture
def slow_job():
    """A job without marks that waits until released and counts its runs: it would run twice without the lock."""
    entered, release, runs = threading.Event(), threading.Event(), []

    @job("test-slow")
    def slow(session, now):
        """Wait for the test, count the run."""
        runs.append(now)
        entered.set()
        assert release.wait(20)
        return 1

    yield entered, release, runs
    REGISTRY.pop("test-slow")


def test_a_second_runner_skips_while_the_first_holds_the_lock(app, slow_job):
    """With one runner inside a job, does a second runner (another replica) run nothing and say so (None)?"""
    entered, release, runs = slow_job
    first: dict = {}

    def runner():
        with app.app_context():
            first["result"] = run_exclusive(["test-slow"])

    thread = threading.Thread(target=runner)
    thread.start()
    try:
        assert entered.wait(20), "the first runner never started the job"
        with app.app_context():
            second = run_exclusive(["test-slow"])
    finally:
        release.set()
        thread.join(30)
    assert second is None
    assert first["result"] == {"test-slow": 1}
    assert len(runs) == 1


def test_the_lock_is_free_again_after_a_run(app, slow_job):
    """After one runner finished, does the next scheduled run take the lock and run the jobs?"""
    _entered, release, runs = slow_job
    release.set()
    with app.app_context():
        assert run_exclusive(["test-slow"]) == {"test-slow": 1}
        assert run_exclusive(["test-slow"]) == {"test-slow": 1}
    assert len(runs) == 2


def test_the_lock_excludes_a_second_holder_on_this_database(app):
    """Does the lock itself (advisory lock on PostgreSQL, flock on SQLite) refuse a second holder and then free up?"""
    with app.app_context():
        engine = database.engine()
        with runner_lock(engine) as first, runner_lock(engine) as second:
            assert (first, second) == (True, False)
        with runner_lock(engine) as again:
            assert again is True


def test_the_cli_reports_a_busy_runner_and_exits_cleanly(app, runner, slow_job):
    """Does ``flask --app mda jobs`` on a second replica say another runner is busy, with exit code 0 (no alarm)?"""
    _entered, release, _runs = slow_job
    with app.app_context(), runner_lock(database.engine()):
        result = runner.invoke(args=["jobs", "--job", "test-slow"])
    release.set()
    assert result.exit_code == 0, result.output
    assert "andere server" in result.output
