"""the clerk's list at scale: a search key per dossier and the list's order as an index

Revision ID: 0018_list_at_scale
Revises: 0017_applicant_web

The clerk's search matched `lower()` of three columns: on SQLite a Python function called for
every row (SQLite's own folds ASCII only). The dossier row now carries its search key
(`domain.text.search_key`), written by the projection and filled in here for the rows there
are. The list's newest-first order gets an index, so its page is read in order.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

from domain.text import search_key

revision = "0018_list_at_scale"
down_revision = "0017_applicant_web"
branch_labels = None
depends_on = None

Text = sqlmodel.sql.sqltypes.AutoString
BATCH = 5000


def upgrade() -> None:
    op.add_column("dossier", sa.Column("search_text", Text(), nullable=False, server_default=""))
    connection = op.get_bind()
    rows = connection.execute(
        sa.text("SELECT code, applicant_name, applicant_id_number FROM dossier")
    ).all()
    update = sa.text("UPDATE dossier SET search_text = :key WHERE code = :code")
    for start in range(0, len(rows), BATCH):
        connection.execute(
            update,
            [
                {"code": code, "key": search_key(code, name or "", number or "")}
                for code, name, number in rows[start : start + BATCH]
            ],
        )
    op.create_index("ix_dossier_search_text", "dossier", ["search_text"])
    op.create_index("ix_dossier_submitted", "dossier", ["submitted_at", "code"])


def downgrade() -> None:
    op.drop_index("ix_dossier_submitted", table_name="dossier")
    op.drop_index("ix_dossier_search_text", table_name="dossier")
    with op.batch_alter_table("dossier") as table:
        table.drop_column("search_text")
