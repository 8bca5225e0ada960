"""a dossier's portal delivery is held by one round at a time

Revision ID: 0021_delivery_lease
Revises: 0020_procedure_name

The dossier worker's relay sends a dossier's new records to the portal itself when the portal
answers promptly, and the portal-sync workflow stays the path through outages. The two must
never send one dossier's records at once (the portal takes them in seq order), so a delivery
round claims the dossier's sync-state row for a while (`db.portal_outbox.next_deliveries`):
who holds it, and until when. No row holds a claim when the columns arrive.
"""

import sqlalchemy as sa
from alembic import op

from db.models import UTCDateTimeType

revision = "0021_delivery_lease"
down_revision = "0020_procedure_name"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("portal_sync_state") as table:
        table.add_column(
            sa.Column("delivery_holder", sa.String(length=40), nullable=False, server_default="")
        )
        table.add_column(sa.Column("delivery_lease_until", UTCDateTimeType(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("portal_sync_state") as table:
        table.drop_column("delivery_lease_until")
        table.drop_column("delivery_holder")
