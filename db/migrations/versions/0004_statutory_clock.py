"""statutory clock: calendar overrides, escalations, notification outbox

Revision ID: 0004
Revises: 0001
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0004"
down_revision = "0001"
branch_labels = ("clock",)
depends_on = None

Text = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "calendar_override",
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("kind", Text(), nullable=False),
        sa.Column("name", Text(), nullable=False),
        sa.Column("created_by", Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "escalation",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("dossier_code", Text(), sa.ForeignKey("dossier.code"), nullable=False),
        sa.Column("key", Text(length=120), nullable=False),
        sa.Column("kind", Text(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("step_index", sa.Integer(), nullable=True),
        sa.Column("unit_code", Text(), nullable=False),
        sa.Column("agency_code", Text(), nullable=False),
        sa.Column("recipient_username", Text(), nullable=False),
        sa.Column("recipient_name", Text(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fired_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", Text(), nullable=False),
        sa.UniqueConstraint("dossier_code", "key", name="uq_escalation_key"),
    )
    op.create_index("ix_escalation_dossier_code", "escalation", ["dossier_code"])
    op.create_index("ix_escalation_agency_code", "escalation", ["agency_code"])
    op.create_table(
        "notification",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("dossier_code", Text(), nullable=False),
        sa.Column("escalation_key", Text(length=120), nullable=False),
        sa.Column("channel", Text(), nullable=False),
        sa.Column("recipient", Text(), nullable=False),
        sa.Column("address", Text(), nullable=False),
        sa.Column("subject", Text(), nullable=False),
        sa.Column("body", Text(), nullable=False),
        sa.Column("state", Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint(
            "dossier_code", "escalation_key", "channel", "recipient", name="uq_notification"
        ),
    )
    op.create_index("ix_notification_dossier_code", "notification", ["dossier_code"])
    op.create_index("ix_notification_state", "notification", ["state"])


def downgrade() -> None:
    op.drop_table("notification")
    op.drop_table("escalation")
    op.drop_table("calendar_override")
