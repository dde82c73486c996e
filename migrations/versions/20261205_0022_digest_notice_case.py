"""the case a held notice is about, so the daily digest asks the sharing engine again before it sends it

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05 20:30:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('digest_notice', schema=None) as batch_op:
        batch_op.add_column(sa.Column('case_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_digest_notice_case_id_case', 'case', ['case_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('digest_notice', schema=None) as batch_op:
        batch_op.drop_constraint('fk_digest_notice_case_id_case', type_='foreignkey')
        batch_op.drop_column('case_id')
