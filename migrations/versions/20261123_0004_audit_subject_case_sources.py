"""audit_subject link table (what each audit row is about); sources of a case's reason and goal

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 20:45:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_subject',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('basis', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['audit_event.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('audit_subject', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_subject_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_subject_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_subject_person_id'), ['person_id'], unique=False)
    _append_only_triggers()
    _backfill_subjects()
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reason_category', sqlmodel.sql.sqltypes.AutoString(length=40),
                                      nullable=False, server_default='risicosignalen'))
        batch_op.add_column(sa.Column('goal_category', sqlmodel.sql.sqltypes.AutoString(length=40),
                                      nullable=False, server_default='hulpverlening'))
        batch_op.add_column(sa.Column('source_organisation_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_case_source_organisation', 'organisation', ['source_organisation_id'], ['id'])
    # existing cases: the reason came from the referral's organisation
    op.execute("""UPDATE "case" SET source_organisation_id = (SELECT requester_organisation_id FROM referral
                  WHERE referral.case_id = "case".id) WHERE source_organisation_id IS NULL""")
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.alter_column('reason_category', server_default=None)
        batch_op.alter_column('goal_category', server_default=None)


def _backfill_subjects() -> None:
    """Rows written before this revision named persons only in ``person_ids``: index those too."""
    conn = op.get_bind()
    subject = sa.table("audit_subject", sa.column("event_id"), sa.column("person_id"), sa.column("item_id"),
                       sa.column("kind"), sa.column("basis"))
    rows = conn.execute(sa.text("SELECT id, person_ids, basis FROM audit_event WHERE person_ids <> ''"))
    batch = []
    for event_id, person_ids, basis in rows:
        for pid in {int(p) for p in person_ids.split(",") if p.strip().isdigit()}:
            batch.append({"event_id": event_id, "person_id": pid, "item_id": None, "kind": "persoon",
                          "basis": (basis or "")[:1000]})
        if len(batch) >= 5000:
            conn.execute(subject.insert(), batch)
            batch = []
    if batch:
        conn.execute(subject.insert(), batch)


def _append_only_triggers() -> None:
    """The link rows are part of the trail: append-only in the database too."""
    if op.get_bind().dialect.name == "postgresql":
        # a function of its own: the audit_event one may change (sealing) without touching this table
        op.execute("""CREATE FUNCTION audit_subject_append_only() RETURNS trigger AS $$
                      BEGIN RAISE EXCEPTION 'audit_subject is append-only'; END;
                      $$ LANGUAGE plpgsql""")
        op.execute("""CREATE TRIGGER audit_subject_no_update BEFORE UPDATE OR DELETE ON audit_subject
                      FOR EACH ROW EXECUTE FUNCTION audit_subject_append_only()""")
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(f"""CREATE TRIGGER audit_subject_no_{verb.lower()} BEFORE {verb} ON audit_subject
                           BEGIN SELECT RAISE(ABORT, 'audit_subject is append-only'); END""")


def downgrade() -> None:
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_constraint('fk_case_source_organisation', type_='foreignkey')
        batch_op.drop_column('source_organisation_id')
        batch_op.drop_column('goal_category')
        batch_op.drop_column('reason_category')
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_subject_no_update ON audit_subject")
        op.execute("DROP FUNCTION IF EXISTS audit_subject_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_subject_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_subject_no_delete")
    with op.batch_alter_table('audit_subject', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_subject_person_id'))
        batch_op.drop_index(batch_op.f('ix_audit_subject_item_id'))
        batch_op.drop_index(batch_op.f('ix_audit_subject_event_id'))
    op.drop_table('audit_subject')
