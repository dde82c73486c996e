"""single sign-on: an OpenID provider per organisation, accounts linked to (issuer, subject)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 04:40:00
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'oidc_provider',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('issuer', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column('client_id', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column('client_secret', sa.String(length=2000), nullable=False),
        sa.Column('email_claim', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('name_claim', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column('require_mfa', sa.Boolean(), nullable=False),
        sa.Column('strong_acr_values', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('organisation_id'),
    )
    op.create_table(
        'sso_identity',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('issuer', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column('linked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['app_user.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('issuer', 'subject', name='uq_sso_identity_issuer_subject'),
        sa.UniqueConstraint('user_id'),
    )


def downgrade() -> None:
    op.drop_table('sso_identity')
    op.drop_table('oidc_provider')
