"""the scorecard: each dossier's on-time verdict and who made it late, every attempt of a
step with the officer who held it, agency levels and the province's indicator targets

Revision ID: 0009
Revises: 0008

Verdicts of dossiers projected before this revision are filled in by `python -m cli
backfill-verdicts` (it needs the working calendar, which a migration does not load).
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

from db.targets import default_rows

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


Text = sqlmodel.sql.sqltypes.AutoString
Moment = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("agency") as table:
        table.add_column(
            sa.Column("level", Text(length=20), nullable=False, server_default="department")
        )
    with op.batch_alter_table("dossier") as table:
        table.add_column(sa.Column("verdict", Text(length=20), nullable=True))
        table.add_column(sa.Column("verdict_reasons", sa.JSON(), nullable=True))
        table.add_column(sa.Column("late_hours", sa.Float(), nullable=False, server_default="0"))
        table.add_column(sa.Column("verdict_due_at", Moment, nullable=True))
        table.add_column(sa.Column("judged_at", Moment, nullable=True))
        table.add_column(sa.Column("late_attribution", sa.JSON(), nullable=True))
        table.create_index("ix_dossier_verdict", ["verdict"])
    with op.batch_alter_table("dossier_step") as table:
        table.add_column(sa.Column("assignee", Text(), nullable=False, server_default=""))
        table.add_column(sa.Column("assignee_name", Text(), nullable=False, server_default=""))
    op.create_table(
        "step_attempt",
        sa.Column("dossier_code", Text(), sa.ForeignKey("dossier.code"), primary_key=True),
        sa.Column("step_index", sa.Integer(), primary_key=True),
        sa.Column("attempt", sa.Integer(), primary_key=True),
        sa.Column("branch", Text(length=60), primary_key=True),
        sa.Column("unit_code", Text(), nullable=False),
        sa.Column("unit_name", Text(), nullable=False),
        sa.Column("agency_code", Text(), nullable=False),
        sa.Column("agency_name", Text(), nullable=False),
        sa.Column("started_at", Moment, nullable=False),
        sa.Column("due_at", Moment, nullable=True),
        sa.Column("finished_at", Moment, nullable=True),
        sa.Column("outcome", Text(), nullable=False),
        sa.Column("finished_by", Text(), nullable=False),
        sa.Column("holdings", sa.JSON(), nullable=False),
    )
    op.create_index("ix_step_attempt_unit_code", "step_attempt", ["unit_code"])
    op.create_index("ix_step_attempt_agency_code", "step_attempt", ["agency_code"])
    targets = op.create_table(
        "indicator_target",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("indicator", Text(length=10), nullable=False),
        sa.Column("level", Text(length=20), nullable=True),
        sa.Column("sector", Text(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("minimum", sa.Float(), nullable=False),
        sa.Column("source", Text(), nullable=False),
    )
    op.create_index("ix_indicator_target_indicator", "indicator_target", ["indicator"])
    op.bulk_insert(targets, [_seed_row(r) for r in default_rows()])


def _seed_row(row):  # type: ignore[no-untyped-def]
    """The province's targets as first seeded (admins edit them afterwards)."""
    return {
        "indicator": row.indicator,
        "level": row.level,
        "sector": row.sector,
        "valid_from": row.valid_from,
        "valid_to": row.valid_to,
        "minimum": row.minimum,
        "source": row.source,
    }


def downgrade() -> None:
    op.drop_table("indicator_target")
    op.drop_table("step_attempt")
    with op.batch_alter_table("dossier_step") as table:
        table.drop_column("assignee_name")
        table.drop_column("assignee")
    with op.batch_alter_table("dossier") as table:
        table.drop_index("ix_dossier_verdict")
        for column in (
            "late_attribution",
            "judged_at",
            "verdict_due_at",
            "late_hours",
            "verdict_reasons",
            "verdict",
        ):
            table.drop_column(column)
    with op.batch_alter_table("agency") as table:
        table.drop_column("level")
