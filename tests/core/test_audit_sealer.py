"""Sealing the audit trail after the fact: one commit per request, a sealer that chains rows in batches with a
bounded lag, nothing lost when a process dies between its commit and the seal."""

from __future__ import annotations

import multiprocessing
import threading

import pytest
from sqlalchemy import event, text

from mda.core import audit, metrics
from mda.core.audit import Sealer, verify_chain
from mda.core.audit import sealer as sealer_module
from tests.conftest import PG_URL

needs_pg = pytest.mark.skipif(not PG_URL, reason="needs MDA_TEST_DATABASE_URL (PostgreSQL): SQLite seals inline")


def _commits(engine):
    """A list that gets one entry per COMMIT on *engine* while the returned remover is not called."""
    seen: list[int] = []

    def on_commit(_conn):
        seen.append(1)

    event.listen(engine, "commit", on_commit)
    return seen, lambda: event.remove(engine, "commit", on_commit)


def _settled(predicate, rounds: int = 600) -> bool:
    """Wait (up to a guard of about 30 s, not a speed check) until *predicate* holds."""
    pause = threading.Event()
    for _ in range(rounds):
        if predicate():
            return True
        pause.wait(0.05)
    return predicate()


@pytest.fixture
def background_sealer(app):
    """The production setting for one test: a sealer thread per engine, a short delay; stopped afterwards."""
    saved = dict(sealer_module.SETTINGS)
    sealer_module.SETTINGS.update(mode="background", delay=0.05, sweep=60.0)
    yield lambda: sealer_module.sealer_for(app.extensions["mda_engine"])
    sealer_module.SETTINGS.update(saved)
    found = sealer_module._SEALERS.pop(app.extensions["mda_engine"], None)
    if found is not None:
        found.stop()


def _case_page(login_as, make_case, make_person):
    user = login_as(("coordinator",))
    case = make_case(user)
    make_person(case)
    return f"/casussen/{case.id}"


def test_a_case_page_view_makes_exactly_one_commit(app, client, db, login_as, make_case, make_person,
                                                   background_sealer):
    """Does showing a case page (which audits the view) commit exactly once, the audit rows in that commit, with
    the seal left to the sealer (PostgreSQL) or done inside it (SQLite)?"""
    url = _case_page(login_as, make_case, make_person)
    engine = app.extensions["mda_engine"]
    client.get(url)  # the first view warms the per-process caches
    sealer = background_sealer() if engine.dialect.name == "postgresql" else None
    if sealer is not None:
        assert _settled(lambda: verify_chain(db, seal=False).pending == 0)
    before = db.execute(text("SELECT count(*) FROM audit_event")).scalar_one()
    db.rollback()
    seen, stop = _commits(engine)
    try:
        resp = client.get(url)
    finally:
        stop()
    assert resp.status_code == 200
    assert len(seen) == 1
    after = db.execute(text("SELECT count(*) FROM audit_event")).scalar_one()
    db.rollback()
    assert after > before  # the view is on record once the page is shown


@needs_pg
def test_the_sealer_seals_a_request_s_rows_in_the_background(app, client, db, login_as, make_case, make_person,
                                                             background_sealer):
    """Are the rows of a page view sealed by the process's sealer thread (no one else sealing), the chain intact,
    and the batch's lag observed in the Prometheus histogram?"""
    url = _case_page(login_as, make_case, make_person)
    lag_before = _histogram_count()
    assert client.get(url).status_code == 200
    sealer = background_sealer()
    assert _settled(lambda: sealer.batches >= 1 and verify_chain(db, seal=False).pending == 0)
    report = verify_chain(db, seal=False)
    assert report.intact and report.checked >= 1 and report.pending == 0
    assert _histogram_count() > lag_before


def _histogram_count() -> float:
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value("mda_audit_seal_lag_seconds_count") or 0.0


class _FakeMonotonic:
    def __init__(self):
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@needs_pg
def test_rows_are_due_for_sealing_within_the_delay_and_batched(app, db):
    """Is a seal due exactly the sealer's delay after the first commit that told it (not later, and later
    commits join the same batch instead of pushing it back), and does one seal chain all of them?"""
    engine = app.extensions["mda_engine"]
    tick = _FakeMonotonic()
    sealer = Sealer(engine, delay=0.5, sweep=5.0, monotonic=tick)
    sealer.start = lambda: None  # driven by hand here; the thread is tested above
    assert sealer.due() == float("inf")
    for n in range(3):
        audit.record(db, "view", user_name="tester", object_type="test", object_id=n)
        db.commit()
        sealer.notify()
        tick.now += 0.125 if n < 2 else 0.0
    assert sealer.due() == 0.25
    tick.now += 0.25
    assert sealer.due() == 0
    assert verify_chain(db, seal=False).pending == 3
    sealed = sealer.seal_now()
    assert sealed.rows == 3 and sealer.batches == 1
    assert sealer.due() == float("inf")
    report = verify_chain(db, seal=False)
    assert report.intact and (report.checked, report.pending) == (3, 0)


def _commit_and_die(url: str, n: int) -> None:
    """A server process that commits audited work and is killed before its sealer runs (no exit handlers)."""
    import os

    from mda import create_app
    from mda import db as mda_db

    application = create_app({"DATABASE_URL": url, "TESTING": True, "AUDIT_SEALER": "background",
                              "AUDIT_SEAL_DELAY": 3600, "AUDIT_SEAL_SWEEP": 3600})
    with application.app_context(), mda_db.unit_of_work() as session:
        for i in range(n):
            audit.record(session, "view", user_name="tester", object_type="test", object_id=i, summary=f"voor {i}")
    os._exit(0)


@needs_pg
def test_a_process_killed_between_commit_and_seal_loses_nothing(app, app_config, db, background_sealer):
    """When a process dies right after its commit, before its sealer ran, are its rows kept pending (reported as
    pending, the chain intact) and sealed, in order, by the next sealer that starts?"""
    ctx = multiprocessing.get_context("spawn")
    process = ctx.Process(target=_commit_and_die, args=(app_config["DATABASE_URL"], 3))
    process.start()
    process.join(timeout=120)  # a guard against a hang
    assert process.exitcode == 0
    report = verify_chain(db, seal=False)
    assert report.intact and (report.checked, report.pending) == (0, 3)
    sealer = background_sealer()
    sealer.start()  # a new process's sealer sweeps at start
    assert _settled(lambda: verify_chain(db, seal=False).pending == 0)
    rows = db.execute(text("SELECT seq, summary FROM audit_event ORDER BY seq")).all()
    assert [tuple(r) for r in rows] == [(1, "voor 0"), (2, "voor 1"), (3, "voor 2")]
    assert verify_chain(db, seal=False).intact


@needs_pg
def test_tampering_with_a_row_the_sealer_sealed_is_detected(app, client, db, runner, login_as, make_case,
                                                            make_person, background_sealer):
    """After the background sealer chained a page view's rows, does audit-verify still name a row changed in the
    database?"""
    url = _case_page(login_as, make_case, make_person)
    assert client.get(url).status_code == 200
    background_sealer()
    assert _settled(lambda: verify_chain(db, seal=False).pending == 0)
    db.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_update"))
    db.execute(text("UPDATE audit_event SET summary = 'niets gezien' WHERE seq = 1"))
    db.commit()
    try:
        result = runner.invoke(args=["audit-verify", "--no-seal"])
    finally:
        db.execute(text("ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_update"))
        db.commit()
    assert result.exit_code == 1 and "GEBROKEN bij regel 1" in result.output


def test_audit_verify_reports_pending_rows_as_pending_not_broken(runner, db):
    """With rows committed but not yet sealed, does ``audit-verify --no-seal`` pass and say how many wait?"""
    from tests.core.test_audit import _insert_pending, _write

    _write(db, 2)
    _insert_pending(db, 3)
    result = runner.invoke(args=["audit-verify", "--no-seal"])
    assert result.exit_code == 0, result.output
    assert "2 regels gecontroleerd (3 nieuwe regels wachten nog op verzegeling)" in result.output
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 0 and "5 regels gecontroleerd." in result.output


def test_the_sealer_metrics_are_declared():
    """Are the sealer's lag histogram and sealed-rows counter registered under their documented names?"""
    assert metrics.AUDIT_SEAL_LAG._name == "mda_audit_seal_lag_seconds"
    assert metrics.AUDIT_ROWS_SEALED._name == "mda_audit_rows_sealed"
