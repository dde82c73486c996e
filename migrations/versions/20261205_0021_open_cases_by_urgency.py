"""a coordinator's open cases by urgency and age: the "add a case to the agenda" list read from an index alone
(sharing.visible_open_cases_statement)

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05 18:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.create_index('ix_case_open_by_urgency', ['coordinator_id', 'urgency', 'opened_at', 'id'],
                              unique=False, postgresql_where=sa.text('closed_at IS NULL'),
                              sqlite_where=sa.text('closed_at IS NULL'))


def downgrade() -> None:
    with op.batch_alter_table('case', schema=None) as batch_op:
        batch_op.drop_index('ix_case_open_by_urgency')
