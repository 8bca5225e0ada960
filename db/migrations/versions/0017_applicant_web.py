"""applicant web: the one-time-code challenges of online filing by the applicant

Revision ID: 0017_applicant_web
Revises: 0016_authority
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0017_applicant_web"
down_revision = "0016_authority"
branch_labels = None
depends_on = None

Text = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "otp_challenge",
        sa.Column("id", Text(length=40), primary_key=True),
        sa.Column("channel", Text(length=10), nullable=False),
        sa.Column("contact", Text(length=200), nullable=False),
        sa.Column("code_hash", Text(length=64), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sends", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dossier_code", Text(length=40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_otp_challenge_contact", "otp_challenge", ["contact"])


def downgrade() -> None:
    op.drop_index("ix_otp_challenge_contact", table_name="otp_challenge")
    op.drop_table("otp_challenge")
