"""the dossier row carries its procedure's name

Revision ID: 0020_procedure_name
Revises: 0019_queue_order

Every read of a dossier (the clerk's detail, the applicant's look-up) asked for the name of the
procedure version it is pinned to: a join that parsed two procedure definitions' JSON, the
costliest statement of the detail read. A published version never changes, so the row takes
the name when it is written (`db.projection.new_row`, from the pinned procedure the workflow
holds) and is filled in here for the rows there are: the version's own name, else the
catalogue entry's (an entry from before versions), else the code.
"""

import sqlalchemy as sa
from alembic import op

revision = "0020_procedure_name"
down_revision = "0019_queue_order"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "dossier",
        sa.Column("procedure_name", sa.String(), nullable=False, server_default=""),
    )
    bind = op.get_bind()
    dossier = sa.table(
        "dossier",
        sa.column("procedure_code", sa.String),
        sa.column("procedure_version", sa.Integer),
        sa.column("procedure_name", sa.String),
    )
    catalogue = sa.table(
        "procedure", sa.column("code", sa.String), sa.column("definition", sa.JSON)
    )
    versions = sa.table(
        "procedure_version",
        sa.column("procedure_code", sa.String),
        sa.column("version", sa.Integer),
        sa.column("definition", sa.JSON),
    )
    pinned = bind.execute(
        sa.select(dossier.c.procedure_code, dossier.c.procedure_version).distinct()
    ).all()
    if not pinned:
        return
    entries = {code: d for code, d in bind.execute(sa.select(catalogue)).all()}
    published = {(code, version): d for code, version, d in bind.execute(sa.select(versions)).all()}
    for code, version in pinned:
        definition = published.get((code, version)) or entries.get(code) or {}
        name = definition.get("name") or (entries.get(code) or {}).get("name") or code
        bind.execute(
            dossier.update()
            .where(dossier.c.procedure_code == code, dossier.c.procedure_version == version)
            .values(procedure_name=name)
        )


def downgrade() -> None:
    with op.batch_alter_table("dossier") as table:
        table.drop_column("procedure_name")
