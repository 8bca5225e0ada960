"""authority: per-agency settings (office hours, warning lead, apology limit), delegations
(acting heads), and the before/after of catalogue and org-chart changes in the audit trail

Revision ID: 0016_authority
Revises: 0015_applicant_messages
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0016_authority"
down_revision = "0015_applicant_messages"
branch_labels = None
depends_on = None

Text = sqlmodel.sql.sqltypes.AutoString
Moment = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("agency") as table:
        table.add_column(sa.Column("office_hours", sa.JSON(), nullable=True))
        table.add_column(
            sa.Column("warning_before_days", sa.Float(), nullable=False, server_default="1.0")
        )
        table.add_column(sa.Column("apology_before_days", sa.Float(), nullable=True))
    op.create_table(
        "delegation",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("unit_code", Text(length=60), sa.ForeignKey("unit.code"), nullable=False),
        sa.Column(
            "acting_username", Text(length=60), sa.ForeignKey("officer.username"), nullable=False
        ),
        sa.Column("starts_at", Moment, nullable=False),
        sa.Column("ends_at", Moment, nullable=False),
        sa.Column("set_by", Text(length=60), nullable=False),
        sa.Column("reason", Text(), nullable=False, server_default=""),
    )
    op.create_index("ix_delegation_unit_code", "delegation", ["unit_code"])
    with op.batch_alter_table("audit_event") as table:
        table.add_column(sa.Column("entity", Text(length=20), nullable=True))
        table.add_column(sa.Column("entity_key", Text(length=100), nullable=True))
        table.add_column(sa.Column("before", sa.JSON(), nullable=True))
        table.add_column(sa.Column("after", sa.JSON(), nullable=True))
    op.create_index("ix_audit_event_entity", "audit_event", ["entity"])
    op.create_index("ix_audit_event_entity_key", "audit_event", ["entity_key"])


def downgrade() -> None:
    op.drop_index("ix_audit_event_entity_key", "audit_event")
    op.drop_index("ix_audit_event_entity", "audit_event")
    with op.batch_alter_table("audit_event") as table:
        for name in ("after", "before", "entity_key", "entity"):
            table.drop_column(name)
    op.drop_index("ix_delegation_unit_code", "delegation")
    op.drop_table("delegation")
    with op.batch_alter_table("agency") as table:
        for name in ("apology_before_days", "warning_before_days", "office_hours"):
            table.drop_column(name)
