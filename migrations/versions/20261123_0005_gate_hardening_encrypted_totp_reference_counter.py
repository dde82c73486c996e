"""Gate hardening: TOTP secrets encrypted at rest (and a pending secret for enrolment),
case and referral reference counters.

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

FERNET_PREFIX = "gAAAAA"  # every Fernet token starts with version byte 0x80 + timestamp


def upgrade() -> None:
    from mda.core import crypto  # keys configured by create_app (MDA_TOTP_KEYS or instance/totp_key)

    with op.batch_alter_table("app_user") as batch:
        batch.alter_column("totp_secret", type_=sa.String(length=255), existing_nullable=True)
        batch.add_column(sa.Column("totp_pending_secret", sa.String(length=255), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, totp_secret FROM app_user WHERE totp_secret IS NOT NULL")).all()
    for user_id, secret in rows:
        if not secret.startswith(FERNET_PREFIX):
            conn.execute(sa.text("UPDATE app_user SET totp_secret = :s WHERE id = :i"),
                         {"s": crypto.encrypt(secret), "i": user_id})
    op.create_table(
        "reference_counter",
        sa.Column("stem", sa.String(length=20), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("stem"),
    )


def downgrade() -> None:
    from mda.core import crypto

    op.drop_table("reference_counter")
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, totp_secret FROM app_user WHERE totp_secret IS NOT NULL")).all()
    for user_id, secret in rows:
        if secret.startswith(FERNET_PREFIX):
            conn.execute(sa.text("UPDATE app_user SET totp_secret = :s WHERE id = :i"),
                         {"s": crypto.decrypt(secret), "i": user_id})
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("totp_pending_secret")
        batch.alter_column("totp_secret", type_=sa.String(length=64), existing_nullable=True)
