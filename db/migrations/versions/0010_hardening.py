"""hardening: throttle counters for sign-in and the applicant's look-up; the audit trail;
payments to refund; documents' random public ids

Revision ID: 0010
Revises: 0009
"""

import secrets

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

Text = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "throttle_counter",
        sa.Column("key", Text(length=200), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
    )

    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", Text(length=60), nullable=False),
        sa.Column("role", Text(length=20), nullable=False),
        sa.Column("address", Text(length=64), nullable=False),
        sa.Column("access", Text(length=10), nullable=False),
        sa.Column("kind", Text(length=20), nullable=False),
        sa.Column("dossier_code", Text(length=60), nullable=True),
        sa.Column("item", Text(length=100), nullable=True),
        sa.Column("method", Text(length=10), nullable=False),
        sa.Column("route", Text(length=200), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
    )
    op.create_index("ix_audit_event_at", "audit_event", ["at"])
    op.create_index("ix_audit_event_actor", "audit_event", ["actor"])
    op.create_index("ix_audit_event_kind", "audit_event", ["kind"])
    op.create_index("ix_audit_event_dossier_code", "audit_event", ["dossier_code"])
    op.create_table(
        "payment_refund",
        sa.Column("gateway_txn", Text(length=80), primary_key=True),
        sa.Column("reference", Text(length=80), nullable=False),
        sa.Column("dossier_code", Text(length=60), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("reason", Text(length=20), nullable=False),
        sa.Column("state", Text(length=20), nullable=False),
        sa.Column("gateway_paid_at", Text(length=20), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_payment_refund_reference", "payment_refund", ["reference"])
    op.create_index("ix_payment_refund_dossier_code", "payment_refund", ["dossier_code"])
    op.create_index("ix_payment_refund_state", "payment_refund", ["state"])

    # documents are named in the API by a random id; existing ones get theirs here
    op.add_column("document", sa.Column("public_id", Text(length=32), nullable=True))
    connection = op.get_bind()
    ids = [row[0] for row in connection.execute(sa.text("SELECT id FROM document"))]
    for document_id in ids:
        connection.execute(
            sa.text("UPDATE document SET public_id = :public WHERE id = :id"),
            {"public": secrets.token_urlsafe(16), "id": document_id},
        )
    with op.batch_alter_table("document") as batch:
        batch.alter_column("public_id", existing_type=Text(length=32), nullable=False)
    op.create_index("ix_document_public_id", "document", ["public_id"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_document_public_id", table_name="document")
    with op.batch_alter_table("document") as batch:
        batch.drop_column("public_id")
    op.drop_table("payment_refund")
    op.drop_table("audit_event")
    op.drop_table("throttle_counter")
