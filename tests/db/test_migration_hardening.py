"""Migration 0010 gives documents stored before it a random public id each, and goes back."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from alembic import command

from db.engine import alembic_config


async def test_existing_documents_get_distinct_public_ids(tmp_path: Path) -> None:
    path = tmp_path / "before.sqlite3"
    config = alembic_config(f"sqlite+aiosqlite:///{path}")
    await asyncio.to_thread(command.upgrade, config, "0008")
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA foreign_keys=OFF")
        for n in (1, 2, 3):
            db.execute(
                "INSERT INTO document (id, dossier_code, kind, sha256, size, media_type,"
                " display_name, uploaded_by, uploaded_at) VALUES (?, 'D-1', 'component', 'ab',"
                " 1, 'application/pdf', 'x.pdf', 'motcua.tnmt', '2026-01-01 00:00:00')",
                (n,),
            )
    await asyncio.to_thread(command.upgrade, config, "head")
    with sqlite3.connect(path) as db:
        ids = [row[0] for row in db.execute("SELECT public_id FROM document")]
    assert len(set(ids)) == 3 and all(i and len(i) >= 20 for i in ids)
    await asyncio.to_thread(command.downgrade, config, "0008")
    with sqlite3.connect(path) as db:
        columns = [row[1] for row in db.execute("PRAGMA table_info(document)")]
    assert "public_id" not in columns
