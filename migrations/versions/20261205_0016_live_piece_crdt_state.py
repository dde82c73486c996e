"""live pieces: the co-editing state (merged CRDT updates) of a minutes piece

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 05:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('live_piece', schema=None) as batch_op:
        batch_op.add_column(sa.Column('crdt_state', sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    # SQLite's batch mode would copy the table, which other tables' foreign keys refuse; SQLite 3.35+ drops
    # a plain column in place, as PostgreSQL does
    op.drop_column('live_piece', 'crdt_state')
