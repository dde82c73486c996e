"""The ``flask --app mda`` commands: create-admin, demo-data, audit-verify."""

from __future__ import annotations

from sqlalchemy import func, text
from sqlmodel import select

from mda.auth import passwords
from mda.auth.models import User
from mda.core.audit import AuditEvent
from tests.conftest import audit_rows

GOOD_PASSWORD = "paars olifant fietst langzaam"


def _count(db, model) -> int:
    db.expire_all()
    return db.exec(select(func.count()).select_from(model)).one()


def test_create_admin_creates_an_audited_administrator(runner, db, make_org):
    """Does create-admin make an admin account with a hashed password, on record in the audit trail?"""
    org = make_org("ZVH")
    result = runner.invoke(args=["create-admin", "--email", "Nieuwe.Beheerder@Example.test", "--name",
                                 "Nieuwe Beheerder", "--organisation-id", str(org.id), "--password",
                                 GOOD_PASSWORD])
    assert result.exit_code == 0, result.output
    assert "Beheerder" in result.output
    user = db.exec(select(User).where(User.email == "nieuwe.beheerder@example.test")).one()
    assert user.roles == {"admin"} and user.organisation_id == org.id
    assert user.password_hash != GOOD_PASSWORD and passwords.verify_password(user.password_hash, GOOD_PASSWORD)
    [row] = audit_rows(db, object_type="user", object_id=str(user.id))
    assert row.action == "create" and row.user_name == "cli" and row.client_address == "cli"


def test_create_admin_refuses_a_weak_password(runner, db, make_org):
    """Is a common password refused with a Dutch reason, and no account made?"""
    org = make_org("ZVH")
    result = runner.invoke(args=["create-admin", "--email", "zwak@example.test", "--name", "Zwak",
                                 "--organisation-id", str(org.id), "--password", "wachtwoord123"])
    assert result.exit_code != 0
    assert "te makkelijk te raden" in result.output or "minstens" in result.output
    assert db.exec(select(User).where(User.email == "zwak@example.test")).first() is None


def test_create_admin_refuses_unknown_organisation_and_duplicate_address(runner, db, make_user):
    """Are an unknown organisation and an address already in use refused, without a half account?"""
    existing = make_user()
    unknown = runner.invoke(args=["create-admin", "--email", "x@example.test", "--name", "X",
                                  "--organisation-id", "99999", "--password", GOOD_PASSWORD])
    assert unknown.exit_code != 0 and "Organisatie 99999 bestaat niet" in unknown.output
    duplicate = runner.invoke(args=["create-admin", "--email", existing.email.upper(), "--name", "X",
                                    "--organisation-id", str(existing.organisation_id),
                                    "--password", GOOD_PASSWORD])
    assert duplicate.exit_code != 0 and "bestaat al een account" in duplicate.output
    assert _count(db, User) == 1
    assert audit_rows(db) == []


def test_demo_data_is_idempotent(runner, db):
    """Does demo-data load once, and does a second run create nothing at all?"""
    first = runner.invoke(args=["demo-data"])
    assert first.exit_code == 0, first.output
    assert "nieuwe records" in first.output
    users, events = _count(db, User), _count(db, AuditEvent)
    assert users >= 15
    second = runner.invoke(args=["demo-data"])
    assert second.exit_code == 0, second.output
    assert "niets gewijzigd" in second.output
    assert (_count(db, User), _count(db, AuditEvent)) == (users, events)


def test_demo_accounts_are_fictional_and_marked(runner, db):
    """Are all demo accounts marked as demo, with .invalid addresses and '(fictief)' names?"""
    runner.invoke(args=["demo-data"])
    users = db.exec(select(User)).all()
    assert users and all(u.is_demo and u.email.endswith(".invalid") and "(fictief)" in u.name for u in users)


def test_audit_verify_reports_an_intact_chain(runner, db):
    """Does audit-verify exit 0 with a Dutch summary when the chain is intact?"""
    runner.invoke(args=["demo-data"])
    result = runner.invoke(args=["audit-verify"])
    assert result.exit_code == 0
    assert "Audittrail intact" in result.output


def test_audit_verify_exits_1_on_a_tampered_chain(runner, db):
    """Does audit-verify exit 1 and name the row when a row was changed in the database?"""
    from tests.core.test_audit import _disable_append_only, _write

    _write(db, 3)
    _disable_append_only(db)
    db.execute(text("UPDATE audit_event SET user_name = 'iemand anders' WHERE seq = 2"))
    db.commit()
    try:
        result = runner.invoke(args=["audit-verify"])
    finally:
        if db.get_bind().dialect.name == "postgresql":
            db.execute(text("ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_update"))
            db.commit()
    assert result.exit_code == 1
    assert "GEBROKEN bij regel 2" in result.output
