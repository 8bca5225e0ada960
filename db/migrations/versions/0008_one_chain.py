"""one chain of migrations: the feature branches that grew from 0001 meet here

Revision ID: 0008
Revises: 0002, 0003, 0005, 0006, 0007

Every later migration follows this one in a single line, and the engine upgrades to `head`.
Databases already migrated to the five heads only record this revision.
"""

revision = "0008"
down_revision = ("0002", "0003", "0005", "0006", "0007")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
