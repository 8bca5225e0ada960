"""national-portal outbox, per-dossier sync state, reconciliation runs

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 09:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "portal_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_code", sa.String(length=60), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("event_seq", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_error", sa.String(), nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dossier_code", "seq", name="uq_portal_outbox_seq"),
        sa.UniqueConstraint("dossier_code", "event_seq", "kind", name="uq_portal_outbox_event"),
    )
    op.create_index("ix_portal_outbox_dossier_code", "portal_outbox", ["dossier_code"])
    op.create_index("ix_portal_outbox_state", "portal_outbox", ["state", "dossier_code", "seq"])

    op.create_table(
        "portal_sync_state",
        sa.Column("dossier_code", sa.String(length=60), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_enqueued_seq", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_sent_seq", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_acked_seq", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("parked", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("parked_seq", sa.Integer(), nullable=True),
        sa.Column("parked_reason", sa.String(), nullable=False, server_default=""),
        sa.Column("parked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reconciled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("dossier_code"),
    )
    op.create_index("ix_portal_sync_state_parked", "portal_sync_state", ["parked"])

    op.create_table(
        "portal_reconciliation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dossiers", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("in_sync", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("pending", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("parked", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("resent", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("unreachable", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("rate", sa.Float(), nullable=False, server_default="1"),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("portal_reconciliation")
    op.drop_index("ix_portal_sync_state_parked", table_name="portal_sync_state")
    op.drop_table("portal_sync_state")
    op.drop_index("ix_portal_outbox_state", table_name="portal_outbox")
    op.drop_index("ix_portal_outbox_dossier_code", table_name="portal_outbox")
    op.drop_table("portal_outbox")
