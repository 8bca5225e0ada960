"""payments: the fees and financial obligations asked of applicants

Revision ID: 0005
Revises: 0001
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0005"
down_revision = "0001"
branch_labels = ("payments",)
depends_on = None

Text = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "payment",
        sa.Column("reference", Text(length=80), primary_key=True),
        sa.Column("dossier_code", Text(length=60), sa.ForeignKey("dossier.code"), nullable=False),
        sa.Column("procedure_code", Text(length=60), nullable=False),
        sa.Column("purpose", Text(length=20), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("state", Text(length=20), nullable=False),
        sa.Column("payment_url", Text(), nullable=False),
        sa.Column("gateway_txn", Text(length=80), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("requested_by", Text(length=60), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("settled_by", Text(length=60), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_payment_dossier_code", "payment", ["dossier_code"])
    op.create_index("ix_payment_state", "payment", ["state"])


def downgrade() -> None:
    op.drop_index("ix_payment_state", table_name="payment")
    op.drop_index("ix_payment_dossier_code", table_name="payment")
    op.drop_table("payment")
