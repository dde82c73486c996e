"""access epochs: a number per case, per meeting and one for everything, raised with every write a sharing
decision or a live room's entry is made from (mda.core.epoch)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05 11:00:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'access_epoch',
        sa.Column('scope', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column('epoch', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('scope'),
    )


def downgrade() -> None:
    op.drop_table('access_epoch')
