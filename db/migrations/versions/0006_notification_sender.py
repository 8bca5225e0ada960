"""notification outbox sent outside the dossier workflow: claims and back-off

Revision ID: 0006
Revises: 0004
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0006"
down_revision = "0004"
branch_labels = None
depends_on = None

Text = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    with op.batch_alter_table("notification") as table:
        table.add_column(sa.Column("claimed_by", Text(), nullable=False, server_default=""))
        table.add_column(sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))
        table.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("notification") as table:
        table.drop_column("next_attempt_at")
        table.drop_column("claimed_until")
        table.drop_column("claimed_by")
