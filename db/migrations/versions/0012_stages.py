"""stages: a route step's stage (steps of one stage run in parallel), a parallel branch
closed unanswered once its quorum answered, the steps open now; the branch a timeline line
names

Revision ID: 0012_stages
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_stages"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # every route so far is sequential: one step a stage, numbered by its position
    with op.batch_alter_table("dossier_step") as batch_op:
        batch_op.add_column(sa.Column("stage", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(
            sa.Column("closed", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("open", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.execute("UPDATE dossier_step SET stage = idx + 1")
    with op.batch_alter_table("timeline_entry") as batch_op:
        batch_op.add_column(sa.Column("branch_index", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("timeline_entry") as batch_op:
        batch_op.drop_column("branch_index")
    with op.batch_alter_table("dossier_step") as batch_op:
        batch_op.drop_column("open")
        batch_op.drop_column("closed")
        batch_op.drop_column("stage")
