"""feedback and petitions (phản ánh, kiến nghị) and their handling

Revision ID: 0015_applicant_messages
Revises: 0012_stages

The applicant's notices need no table of their own: they are notification outbox rows keyed
(dossier code, "applicant-<event seq>", channel, recipient) by its unique constraint.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0015_applicant_messages"
down_revision = "0012_stages"
branch_labels = None
depends_on = None

Text = sqlmodel.sql.sqltypes.AutoString
Moment = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "feedback",
        sa.Column("code", Text(length=40), primary_key=True),
        sa.Column("kind", Text(length=20), nullable=False),
        sa.Column("dossier_code", Text(length=60), nullable=True),
        sa.Column("procedure_code", Text(length=60), nullable=False),
        sa.Column("agency_code", Text(length=60), nullable=False),
        sa.Column("subject", Text(length=300), nullable=False),
        sa.Column("content", Text(), nullable=False),
        sa.Column("contact_email", Text(length=200), nullable=False),
        sa.Column("contact_phone", Text(length=20), nullable=False),
        sa.Column("status", Text(length=20), nullable=False),
        sa.Column("received_at", Moment, nullable=False),
        sa.Column("due_at", Moment, nullable=False),
        sa.Column("warn_at", Moment, nullable=False),
        sa.Column("warned_at", Moment, nullable=True),
        sa.Column("escalated_at", Moment, nullable=True),
        sa.Column("answer", Text(), nullable=False),
        sa.Column("answered_by", Text(length=100), nullable=False),
        sa.Column("answered_at", Moment, nullable=True),
        sa.Column("satisfied", sa.Boolean(), nullable=True),
    )
    op.create_index("ix_feedback_dossier_code", "feedback", ["dossier_code"])
    op.create_index("ix_feedback_agency_code", "feedback", ["agency_code"])
    op.create_index("ix_feedback_status", "feedback", ["status"])


def downgrade() -> None:
    op.drop_table("feedback")
