"""documents: file metadata, the component's document and the dossier's electronic result

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-23 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dossier_code", sa.String(length=60), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("component_code", sa.String(length=60), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("uploaded_by", sa.String(length=60), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reused_from_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["dossier_code"], ["dossier.code"]),
        sa.ForeignKeyConstraint(["reused_from_id"], ["document.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_document_sha256", "document", ["sha256"])
    op.create_index("ix_document_dossier_kind", "document", ["dossier_code", "kind"])
    # Plain columns (ADD COLUMN works on SQLite and PostgreSQL alike); the projection writes
    # them from the workflow's state, which already holds the document ids.
    op.add_column("component", sa.Column("document_id", sa.Integer(), nullable=True))
    op.add_column("dossier", sa.Column("result_document_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("dossier") as batch_op:
        batch_op.drop_column("result_document_id")
    with op.batch_alter_table("component") as batch_op:
        batch_op.drop_column("document_id")
    op.drop_index("ix_document_dossier_kind", table_name="document")
    op.drop_index("ix_document_sha256", table_name="document")
    op.drop_table("document")
