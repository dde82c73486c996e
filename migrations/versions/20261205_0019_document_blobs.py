"""case documents in the database (the encrypted bytes of each document, the default storage); documents brought to a
meeting's case item with a pre-meeting update

Revision ID: 0019
Revises: 0017
Create Date: 2026-12-05 07:30:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0019'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'document_blob',
        sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('data', sa.LargeBinary(), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint('key'),
    )
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.add_column(sa.Column('agenda_item_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_document_agenda_item_id'), ['agenda_item_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_document_agenda_item_id_agenda_item'), 'agenda_item',
                                    ['agenda_item_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('document', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_document_agenda_item_id_agenda_item'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_document_agenda_item_id'))
        batch_op.drop_column('agenda_item_id')
    op.drop_table('document_blob')
