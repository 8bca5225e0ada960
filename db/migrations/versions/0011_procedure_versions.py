"""versioned procedures: each procedure's versions (draft, published with the moment it takes
effect, retired) and the version each dossier is pinned to

Revision ID: 0011
Revises: 0010

Every procedure already in the catalogue becomes its published version 1, in force since
always; every dossier already filed is pinned to it.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

Text = sqlmodel.sql.sqltypes.AutoString
Moment = sa.DateTime(timezone=True)


def upgrade() -> None:
    versions = op.create_table(
        "procedure_version",
        sa.Column(
            "procedure_code", Text(length=60), sa.ForeignKey("procedure.code"), primary_key=True
        ),
        sa.Column("version", sa.Integer(), primary_key=True),
        sa.Column("state", Text(length=20), nullable=False),
        sa.Column("effective_from", Moment, nullable=True),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("created_by", Text(), nullable=False),
        sa.Column("created_at", Moment, nullable=True),
        sa.Column("published_by", Text(), nullable=False),
        sa.Column("published_at", Moment, nullable=True),
        sa.Column("retired_at", Moment, nullable=True),
    )
    with op.batch_alter_table("dossier") as table:
        table.add_column(
            sa.Column("procedure_version", sa.Integer(), nullable=False, server_default="1")
        )
    catalogue = sa.table(
        "procedure", sa.column("code", sa.String), sa.column("definition", sa.JSON)
    )
    rows = op.get_bind().execute(sa.select(catalogue.c.code, catalogue.c.definition)).all()
    op.bulk_insert(
        versions,
        [
            {
                "procedure_code": code,
                "version": 1,
                "state": "published",
                "effective_from": None,
                "definition": definition,
                "created_by": "migration",
                "published_by": "migration",
            }
            for code, definition in rows
        ],
    )


def downgrade() -> None:
    with op.batch_alter_table("dossier") as table:
        table.drop_column("procedure_version")
    op.drop_table("procedure_version")
