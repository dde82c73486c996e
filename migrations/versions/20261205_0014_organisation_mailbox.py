"""organisation: an optional shared mailbox for reminders of organisation-owned actions

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 05:00:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('mailbox', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True))


def downgrade() -> None:
    # SQLite's batch mode would copy the table, which other tables' foreign keys refuse; SQLite 3.35+ drops
    # a plain column in place, as PostgreSQL does
    op.drop_column('organisation', 'mailbox')
