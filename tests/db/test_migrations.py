"""The migrations and the SQLModel models describe the same schema, along one chain: a database
migrated to head is what the models expect, so autogenerate has nothing to add or drop."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine
from sqlmodel import SQLModel

import db.clock_models  # noqa: F401  (every model module, as db/migrations/env.py imports them)
import db.document_models  # noqa: F401
import db.models  # noqa: F401
import db.payment_models  # noqa: F401
import db.portal_models  # noqa: F401
from db.engine import alembic_config, migrate_sync


def test_the_migrations_form_one_chain() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1, script.get_heads()
    assert len(script.get_bases()) == 1


def test_a_migrated_database_is_what_the_models_describe(tmp_path: Path) -> None:
    path = tmp_path / "migrated.sqlite3"
    migrate_sync(f"sqlite+aiosqlite:///{path}")
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, SQLModel.metadata)
    finally:
        engine.dispose()
    assert differences == []
