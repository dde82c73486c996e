"""reasons for destructive actions, earlier versions of corrected data, break-glass judgements

Revision ID: 0009
Revises: 0003
Create Date: 2026-11-23 20:40:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0009'
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('action_reason',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('action', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('object_type', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], ),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('action_reason', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_action_reason_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_action_reason_user_id'), ['user_id'], unique=False)

    op.create_table('edit_history',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('object_type', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('object_id', sa.Integer(), nullable=False),
    sa.Column('old_values', sqlmodel.sql.sqltypes.AutoString(length=20000), nullable=False),
    sa.Column('edited_by_id', sa.Integer(), nullable=False),
    sa.Column('edited_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case.id'], ),
    sa.ForeignKeyConstraint(['edited_by_id'], ['app_user.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('edit_history', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_edit_history_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_edit_history_object_id'), ['object_id'], unique=False)


    with op.batch_alter_table('break_glass', schema=None) as batch_op:
        batch_op.add_column(sa.Column('judgement', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
        batch_op.add_column(sa.Column('review_comment', sqlmodel.sql.sqltypes.AutoString(length=2000),
                                      nullable=False, server_default=''))
        batch_op.add_column(sa.Column('follow_up', sqlmodel.sql.sqltypes.AutoString(length=2000),
                                      nullable=False, server_default=''))
        batch_op.add_column(sa.Column('followed_up_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('break_glass', schema=None) as batch_op:
        batch_op.drop_column('followed_up_at')
        batch_op.drop_column('follow_up')
        batch_op.drop_column('review_comment')
        batch_op.drop_column('judgement')
    with op.batch_alter_table('edit_history', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_edit_history_object_id'))
        batch_op.drop_index(batch_op.f('ix_edit_history_case_id'))
    op.drop_table('edit_history')
    with op.batch_alter_table('action_reason', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_action_reason_user_id'))
        batch_op.drop_index(batch_op.f('ix_action_reason_case_id'))
    op.drop_table('action_reason')
