"""the actions open on a dossier, projected with its state

Revision ID: 0007
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0001"
branch_labels = ("allowed_actions",)
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dossier") as table:
        table.add_column(sa.Column("allowed_actions", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("dossier") as table:
        table.drop_column("allowed_actions")
