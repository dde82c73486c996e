"""audit trail: rows appended pending, sealed into the chain by one sealer; case list index

Revision ID: 0008
Revises: 0003
Create Date: 2026-11-23 20:40:00

``seq`` may be NULL (a pending row); a partial index lists the pending rows. The
append-only triggers now allow exactly one change to a row: from pending to sealed,
filling ``seq``, ``prev_hash`` and ``hash`` and nothing else. A sealed row can no
longer be changed at all, and no row can be deleted.
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = "0010"
branch_labels = None
depends_on = None

# Every column but the three the sealer fills; SQLite triggers must list them.
_CONTENT_COLUMNS = ("id", "occurred_at", "user_id", "user_name", "organisation_id", "organisation_name",
                    "on_behalf_of", "action", "object_type", "object_id", "case_id", "person_ids", "basis",
                    "client_address", "outcome", "summary")


def _drop_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_update ON audit_event")
        op.execute("DROP FUNCTION IF EXISTS audit_event_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")


def _seal_once_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE FUNCTION audit_event_append_only() RETURNS trigger AS $$
            BEGIN
              IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND NEW.seq IS NOT NULL
                 AND NEW.hash <> '' AND NEW.prev_hash <> ''
                 AND (to_jsonb(NEW) - 'seq' - 'prev_hash' - 'hash')
                     = (to_jsonb(OLD) - 'seq' - 'prev_hash' - 'hash') THEN
                RETURN NEW;  -- the one allowed change: a pending row is sealed into the chain
              END IF;
              RAISE EXCEPTION 'audit_event is append-only';
            END;
            $$ LANGUAGE plpgsql""")
        op.execute("""CREATE TRIGGER audit_event_no_update BEFORE UPDATE OR DELETE ON audit_event
                      FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()""")
    else:
        unchanged = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in _CONTENT_COLUMNS)
        op.execute(f"""CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
                       WHEN NOT (OLD.seq IS NULL AND NEW.seq IS NOT NULL AND NEW.hash <> ''
                                 AND NEW.prev_hash <> '' AND {unchanged})
                       BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END""")
        op.execute("""CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
                      BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END""")


def _legacy_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE FUNCTION audit_event_append_only() RETURNS trigger AS $$
            BEGIN RAISE EXCEPTION 'audit_event is append-only'; END;
            $$ LANGUAGE plpgsql""")
        op.execute("""CREATE TRIGGER audit_event_no_update BEFORE UPDATE OR DELETE ON audit_event
                      FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()""")
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"""CREATE TRIGGER audit_event_no_{verb.lower()} BEFORE {verb} ON audit_event
                           BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END""")


def upgrade() -> None:
    # a team lead's cases newest first without sorting all of them (sharing.visible_case_ids)
    with op.batch_alter_table('case_organisation', schema=None) as batch_op:
        batch_op.create_index('ix_case_organisation_active_by_org', ['organisation_id', 'case_id'], unique=False,
                              postgresql_where=sa.text('removed_at IS NULL'),
                              sqlite_where=sa.text('removed_at IS NULL'))
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.create_index('ix_case_coordinator_newest', ['coordinator_id', 'id'], unique=False)
    _drop_triggers()
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.alter_column('seq', existing_type=sa.Integer(), nullable=True)
        batch_op.create_index('ix_audit_event_pending', ['id'], unique=False,
                              postgresql_where=sa.text('seq IS NULL'), sqlite_where=sa.text('seq IS NULL'))
    _seal_once_triggers()


def downgrade() -> None:
    pending = op.get_bind().execute(sa.text("SELECT count(*) FROM audit_event WHERE seq IS NULL")).scalar()
    if pending:
        raise RuntimeError(f"{pending} audit rows are not sealed yet: run `flask audit-verify` first")
    _drop_triggers()
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_pending')
        batch_op.alter_column('seq', existing_type=sa.Integer(), nullable=False)
    _legacy_triggers()
    with op.batch_alter_table('case_organisation', schema=None) as batch_op:
        batch_op.drop_index('ix_case_organisation_active_by_org')
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_index('ix_case_coordinator_newest')
