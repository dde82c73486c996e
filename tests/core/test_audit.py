"""The audit trail: rows in the same transaction as the work, an unbroken hash chain, append-only."""

from __future__ import annotations

import multiprocessing
import re
import threading

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select

from mda import ROOT
from mda import db as mda_db
from mda.core import audit, clock
from mda.core.audit import AuditEvent, verify_chain
from mda.organisations.models import Organisation
from mda.organisations.services import save_organisation
from tests.conftest import PG_URL, audit_rows, form_post


def _write(session: Session, n: int, prefix: str = "regel") -> None:
    """*n* audited rows in one commit, then sealed as the sealer does shortly after it (PostgreSQL; SQLite seals
    in the commit)."""
    for i in range(n):
        audit.record(session, "view", user_name="tester", object_type="test", object_id=i,
                     summary=f"{prefix} {i}")
    session.commit()
    audit.seal_pending(session.get_bind(), wait=True)


def _disable_append_only(session: Session) -> None:
    """Remove the database's protection, as an attacker with database access could."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_update"))
    else:
        session.execute(text("DROP TRIGGER audit_event_no_update"))
        session.execute(text("DROP TRIGGER audit_event_no_delete"))
    session.commit()


@pytest.fixture
def unprotected(db):
    """The db session with the append-only trigger switched off (switched on again afterwards)."""
    _disable_append_only(db)
    yield db
    db.rollback()
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_update"))
        db.commit()


# ------------------------------------------------------------------ the chain
def test_chain_of_fresh_rows_is_intact(db):
    """Do rows written in several units of work form one chain that the verifier accepts?"""
    _write(db, 3)
    _write(db, 2)
    rows = audit_rows(db)
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0].prev_hash == "0" * 64
    assert all(b.prev_hash == a.hash for a, b in zip(rows, rows[1:], strict=False))
    report = verify_chain(db)
    assert report.intact and report.checked == 5


def test_verifier_detects_a_row_altered_in_the_database(unprotected):
    """If someone edits an audit row directly in the database, does the verifier point at it?"""
    _write(unprotected, 5)
    unprotected.execute(text("UPDATE audit_event SET summary = 'niets gebeurd' WHERE seq = 3"))
    unprotected.commit()
    report = verify_chain(unprotected)
    assert not report.intact
    assert report.first_broken_seq == 3 and report.checked == 2
    assert "gewijzigd" in report.problem


def test_verifier_detects_an_altered_row_whose_hash_was_recomputed(unprotected):
    """If the attacker also recomputes the altered row's hash, is the next row's link broken?"""
    _write(unprotected, 4)
    row = unprotected.exec(select(AuditEvent).where(AuditEvent.seq == 2)).one()
    row.summary = "weggepoetst"
    new_hash = row.compute_hash()
    unprotected.expunge_all()
    unprotected.execute(text("UPDATE audit_event SET summary = 'weggepoetst', hash = :h WHERE seq = 2"),
                        {"h": new_hash})
    unprotected.commit()
    report = verify_chain(unprotected)
    assert report.first_broken_seq == 3
    assert "vorige regel" in report.problem


@pytest.mark.parametrize("seq, expected_broken", [(3, 3), (5, 5), (1, 1)],
                         ids=["midden", "laatste", "eerste"])
def test_verifier_detects_a_deleted_row(unprotected, seq, expected_broken):
    """Is a row deleted from the database (first, middle or last) detected?"""
    _write(unprotected, 5)
    unprotected.execute(text("DELETE FROM audit_event WHERE seq = :s"), {"s": seq})
    unprotected.commit()
    report = verify_chain(unprotected)
    assert not report.intact
    assert report.first_broken_seq == expected_broken


@pytest.mark.parametrize("statement", [
    "UPDATE audit_event SET summary = 'x' WHERE seq = 1",
    "DELETE FROM audit_event WHERE seq = 1",
])
def test_database_refuses_update_and_delete(db, statement):
    """Does the database itself refuse to change or remove an audit row?"""
    _write(db, 2)
    with pytest.raises(DBAPIError, match="append-only"):
        db.execute(text(statement))
        db.commit()
    db.rollback()
    assert verify_chain(db).intact and len(audit_rows(db)) == 2


def test_orm_cannot_change_an_audit_row(db):
    """Does changing a loaded AuditEvent through the ORM fail at commit?"""
    _write(db, 1)
    row = db.exec(select(AuditEvent)).one()
    row.summary = "anders"
    db.add(row)
    with pytest.raises(DBAPIError):
        db.commit()
    db.rollback()
    assert audit_rows(db)[0].summary == "regel 0"


def test_application_code_has_no_update_or_delete_path_for_audit_rows():
    """Does no module of the application update or delete audit rows, but for sealing a pending row?"""
    pattern = re.compile(r"(update|delete)\s*\(\s*AuditEvent|(UPDATE|DELETE\s+FROM)\s+audit_event", re.I)
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "mda").rglob("*.py")
                 if pattern.search(p.read_text(encoding="utf-8").replace(audit._SEAL_STATEMENT, ""))]
    assert offenders == []
    # the one exception only fills the chain fields of a row that has none yet
    assert audit._SEAL_STATEMENT.startswith("UPDATE audit_event SET seq = :seq, prev_hash = :prev_hash, "
                                            "hash = :hash WHERE id = :row_id AND seq IS NULL")
    for module in (ROOT / "mda" / "core" / "audit").glob("*.py"):
        assert "db.delete(" not in module.read_text(encoding="utf-8")


def test_unknown_action_is_refused(db):
    """Is an audit action outside the fixed list refused instead of stored?"""
    with pytest.raises(ValueError):
        audit.record(db, "peek")


# ------------------------------------------------------------------ same transaction
def test_failing_request_leaves_neither_change_nor_audit_row(app, client, login_as, db, make_region,
                                                             monkeypatch):
    """When a request fails after the service did its work, are the change and its audit row both gone?"""
    login_as(("admin",))
    region = make_region()

    def broken_flash(*_args, **_kwargs):
        raise RuntimeError("storing failed halfway")

    monkeypatch.setattr("mda.organisations.routes.flash", broken_flash)
    resp = form_post(app, client, "/beheer/organisaties/nieuw",
                     {"name": "Half opgeslagen", "type_code": "VT", "region_id": region.id, "active": "y"})
    assert resp.status_code == 500
    db.expire_all()
    assert db.exec(select(Organisation).where(Organisation.name == "Half opgeslagen")).first() is None
    assert audit_rows(db, object_type="organisation") == []
    assert verify_chain(db).intact


def test_successful_request_commits_change_and_audit_row_together(app, client, login_as, db, make_region):
    """Does a successful admin change store the change and its audit row in one go?"""
    admin = login_as(("admin",))
    region = make_region()
    resp = form_post(app, client, "/beheer/organisaties/nieuw",
                     {"name": "Heel opgeslagen", "type_code": "VT", "region_id": region.id, "active": "y"})
    assert resp.status_code == 302
    org = db.exec(select(Organisation).where(Organisation.name == "Heel opgeslagen")).one()
    [row] = audit_rows(db, object_type="organisation")
    assert (row.action, row.object_id, row.user_id) == ("create", str(org.id), admin.id)


def test_denied_row_survives_the_rollback(app, client, login_as, db):
    """Is a refused attempt on record although the request itself is rolled back?"""
    user = login_as(("professional",))
    assert client.get("/beheer/gebruikers").status_code == 403
    [row] = audit_rows(db, action="denied")
    assert row.user_id == user.id and row.outcome == "denied"
    assert verify_chain(db).intact


def test_denied_row_survives_but_work_of_the_same_unit_does_not(app, db, make_region):
    """In one unit of work that fails, is the 'denied' row kept while the change and its row go?"""
    region = make_region()
    with app.test_request_context(), pytest.raises(RuntimeError), mda_db.unit_of_work() as session:
        save_organisation(session, None, None, name="Weg ermee", type_code="VT", region_id=region.id)
        audit.record(session, "denied", user_name="tester", object_type="permission",
                     object_id="admin.manage")
        raise RuntimeError("the request failed")
    assert [r.action for r in audit_rows(db)] == ["denied"]
    assert db.exec(select(Organisation).where(Organisation.name == "Weg ermee")).first() is None


def test_audit_row_records_who_what_when_where(app, client, auth, make_user, db):
    """Does a login row carry the NEN 7513 fields: user, organisation, action, time and address?"""
    user = make_user()
    auth.login(user)
    [row] = audit_rows(db, action="login")
    assert row.user_id == user.id and row.user_name == user.email
    assert row.organisation_id == user.organisation_id and row.organisation_name
    assert row.client_address == "127.0.0.1"
    assert row.occurred_at is not None and row.outcome == "success"


def test_a_row_copied_for_another_viewer_names_that_viewer_and_keeps_what_was_seen(app, make_user, make_org, db):
    """Does the row a live push copies for another viewer (``Entry.by``) name that viewer, their organisation
    and their own address, and keep the action, case, persons, basis, summary and subject links of the original?"""
    first, other = make_user(), make_user(org=make_org("POL"))
    with app.test_request_context(environ_base={"REMOTE_ADDR": "10.0.0.1"}), mda_db.unit_of_work() as s:
        audit.record(s, "view", user=first, object_type="case", object_id=7, person_ids=[3, 5],
                     basis="toestemming nr. 1", summary="casus bekeken via live overleg")
        [entry] = audit.pending_since(s, 0)
        audit.queue(s, entry.by(s, other, "10.0.0.2"))
    original, copy = audit_rows(db, action="view")
    assert (original.user_id, original.client_address) == (first.id, "10.0.0.1")
    assert (copy.user_id, copy.user_name, copy.organisation_id, copy.client_address) == (
        other.id, other.email, other.organisation_id, "10.0.0.2")
    assert copy.organisation_name == db.get(Organisation, other.organisation_id).name != original.organisation_name
    same = ("action", "object_type", "object_id", "case_id", "person_ids", "basis", "outcome", "summary")
    assert [getattr(copy, f) for f in same] == [getattr(original, f) for f in same]
    from mda.core.audit_subjects import AuditSubject

    links = {original.id: [], copy.id: []}
    for link in db.exec(select(AuditSubject).where(AuditSubject.event_id.in_(links)).order_by(AuditSubject.person_id)):
        links[link.event_id].append((link.person_id, link.basis))
    assert links[copy.id] == links[original.id] == [(3, "toestemming nr. 1"), (5, "toestemming nr. 1")]
    assert verify_chain(db).intact


def test_a_unit_s_rows_are_stored_in_order_each_with_its_own_links(app, make_user, db):
    """Are the audit rows of one unit of work (a page's views, one per basis: one statement on PostgreSQL) stored
    in the order they were recorded, each with every field and exactly its own links (a person, an item, a null
    on either side, none at all), and chained?"""
    from mda.core.audit_subjects import AuditSubject, Subject

    viewer = make_user()
    recorded = [
        ("toestemming nr. 1", (Subject(person_id=3, basis="toestemming nr. 1", kind="persoon"),)),
        ("geen", ()),
        ("eigen organisatie", (Subject(item_id=9, basis="eigen organisatie", kind="gegeven"),
                               Subject(person_id=4, item_id=10, basis="eigen organisatie", kind="gegeven"))),
    ]
    with app.test_request_context(environ_base={"REMOTE_ADDR": "10.0.0.3"}), mda_db.unit_of_work() as s:
        for basis, subjects in recorded:
            audit.record(s, "view", user=viewer, object_type="case", object_id=7, case_id=7, basis=basis,
                         summary=f"casus bekeken ({basis})", subjects=subjects)
    rows = audit_rows(db, action="view")
    assert [r.basis for r in rows] == [basis for basis, _s in recorded]
    assert [r.id for r in rows] == sorted(r.id for r in rows)
    assert {(r.user_id, r.case_id, r.object_id, r.client_address) for r in rows} == {(viewer.id, 7, "7", "10.0.0.3")}
    for row, (basis, subjects) in zip(rows, recorded, strict=True):
        links = db.exec(select(AuditSubject).where(AuditSubject.event_id == row.id).order_by(AuditSubject.id)).all()
        assert [(x.person_id, x.item_id, x.kind, x.basis) for x in links] == [
            (x.person_id, x.item_id, x.kind, x.basis) for x in subjects], basis
    assert verify_chain(db).intact


# ------------------------------------------------------------------ concurrency
def _threaded_writers(app, workers: int, units: int, region_id: int) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(workers)

    def work(worker: int) -> None:
        try:
            with app.app_context():
                barrier.wait()
                for i in range(units):
                    with mda_db.unit_of_work() as session:
                        save_organisation(session, None, None, name=f"T{worker}-{i}", type_code="VT",
                                          region_id=region_id)
        except BaseException as exc:  # reported to the test below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_chain_stays_intact_with_concurrent_threads(app, db, make_region):
    """With several threads writing audited work at once, is the chain unbroken and gap-free?"""
    region = make_region()
    errors = _threaded_writers(app, workers=4, units=10, region_id=region.id)
    assert errors == []
    rows = audit_rows(db, object_type="organisation")
    assert len(rows) == 40
    assert [r.seq for r in audit_rows(db)] == list(range(1, 41))
    assert verify_chain(db).intact


def _process_writer(url: str, worker: int, units: int, region_id: int, barrier) -> None:
    """One server process: its own app and engine, writing audited units of work."""
    from mda import create_app

    application = create_app({"DATABASE_URL": url, "TESTING": True})
    with application.app_context():
        barrier.wait()
        for i in range(units):
            with mda_db.unit_of_work() as session:
                save_organisation(session, None, None, name=f"P{worker}-{i}", type_code="VT",
                                  region_id=region_id)
    application.extensions["mda_engine"].dispose()


@pytest.mark.skipif(not PG_URL, reason="needs MDA_TEST_DATABASE_URL (PostgreSQL)")
def test_chain_stays_intact_with_concurrent_processes(app, app_config, db, make_region):
    """With four server processes writing audited work at once, is the chain unbroken and gap-free?"""
    region = make_region()
    workers, units = 4, 25
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(workers)
    processes = [ctx.Process(target=_process_writer,
                             args=(app_config["DATABASE_URL"], w, units, region.id, barrier))
                 for w in range(workers)]
    for p in processes:
        p.start()
    for p in processes:
        p.join(timeout=300)  # a guard against a hang, not a speed check
    assert [p.exitcode for p in processes] == [0] * workers
    rows = audit_rows(db)
    assert len(rows) == workers * units
    assert [r.seq for r in rows] == list(range(1, workers * units + 1))
    assert verify_chain(db).intact
    assert len(db.exec(select(Organisation).where(Organisation.name.like("P%-%"))).all()) == workers * units



# ------------------------------------------------------------------ pending and sealed rows
def _insert_pending(session: Session, n: int) -> None:
    """Commit rows without sealing them, as a process killed right after its commit leaves them."""
    session.add_all(AuditEvent(occurred_at=clock.now(), action="view", user_name="tester",
                               object_type="test", object_id=str(i), summary=f"onverzegeld {i}")
                    for i in range(n))
    session.commit()


def test_pending_rows_are_reported_and_sealed_by_the_verifier(db):
    """Are rows left pending counted without sealing, and chained in order by audit-verify's seal?"""
    _write(db, 2)
    _insert_pending(db, 3)
    report = verify_chain(db, seal=False)
    assert report.intact and (report.checked, report.pending) == (2, 3)
    report = verify_chain(db)
    assert report.intact and (report.checked, report.pending) == (5, 0)
    assert [r.summary for r in audit_rows(db)][2:] == ["onverzegeld 0", "onverzegeld 1", "onverzegeld 2"]


def test_next_seal_chains_rows_left_pending(db):
    """Does the next seal (SQLite: the next audited commit; PostgreSQL: the sealer's next run) also chain rows an
    earlier process left pending, before the newer ones?"""
    _insert_pending(db, 2)
    _write(db, 1)
    assert [r.seq for r in audit_rows(db)] == [1, 2, 3]
    assert [r.summary for r in audit_rows(db)] == ["onverzegeld 0", "onverzegeld 1", "regel 0"]
    assert verify_chain(db, seal=False).pending == 0


@pytest.mark.parametrize("statement", [
    "UPDATE audit_event SET summary = 'x', seq = 9, prev_hash = 'a', hash = 'b' WHERE seq IS NULL",
    "UPDATE audit_event SET seq = 9, prev_hash = '', hash = '' WHERE seq IS NULL",
    "DELETE FROM audit_event WHERE seq IS NULL",
], ids=["inhoud-bij-verzegelen", "zonder-hash", "verwijderen"])
def test_database_refuses_changing_a_pending_row_beyond_sealing_it(db, statement):
    """Does the database refuse every change to a pending row other than filling its chain fields?"""
    _insert_pending(db, 1)
    with pytest.raises(DBAPIError, match="append-only"):
        db.execute(text(statement))
        db.commit()
    db.rollback()


def test_sealed_row_cannot_be_sealed_again(db):
    """Can a sealed row's place in the chain be rewritten by the sealing statement? (No.)"""
    _write(db, 1)
    with pytest.raises(DBAPIError, match="append-only"):
        db.execute(text("UPDATE audit_event SET seq = 7, prev_hash = 'a', hash = 'b' WHERE seq = 1"))
        db.commit()
    db.rollback()


def test_a_busy_sealer_does_not_make_a_request_wait(app, db):
    """While another sealer holds the chain's head, does an audited commit still finish (rows pending)?"""
    if db.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite serialises all writers; the head lock is a PostgreSQL matter")
    holder = db.get_bind().connect()
    tx = holder.begin()
    holder.execute(text("SELECT 1 FROM audit_head WHERE id = 1 FOR UPDATE"))
    try:
        for i in range(2):
            audit.record(db, "view", user_name="tester", object_type="test", object_id=i)
        db.commit()  # would hang here if commits waited for the head
        assert verify_chain(db, seal=False).pending == 2
        assert not audit.seal_pending(db.get_bind()).rows  # a sealer finding the head taken does not wait
    finally:
        tx.rollback()
        holder.close()
    assert verify_chain(db).intact and verify_chain(db, seal=False).checked == 2


def test_commit_returns_with_rows_stored_and_leaves_the_seal_to_the_sealer(app, db):
    """Does the unit of work's commit store the audit row and return without sealing it on PostgreSQL (the
    sealer chains it after the fact; this contract replaced "sealed when commit returns"), while SQLite seals it
    in the same commit?"""
    seen = []
    with app.app_context():
        session = mda_db.session()
        audit.record(session, "view", user_name="tester", object_type="test", object_id=1, summary="regel")
        mda_db.after_commit(lambda: seen.append(verify_chain(db, seal=False).pending))
        mda_db.commit()
        db.expire_all()
        after = verify_chain(db, seal=False)
    on_pg = db.get_bind().dialect.name == "postgresql"
    assert seen == ([1] if on_pg else [0])
    assert (after.pending, after.checked) == ((1, 0) if on_pg else (0, 1)) and after.intact
    assert len(audit_rows(db)) == 1 and verify_chain(db, seal=False).pending == 0


def test_the_first_audited_commit_creates_a_missing_chain_head(db):
    """Without the chain's head row (a database not built by the migrations), does the first audited commit make it
    and start the chain at 1?"""
    db.execute(text("DELETE FROM audit_head"))
    db.commit()
    _write(db, 2)
    assert [r.seq for r in audit_rows(db)] == [1, 2]
    assert verify_chain(db).intact
