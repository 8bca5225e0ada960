"""`db.rows`: the projection's child rows written in Core statements, on the test database
(PostgreSQL in CI, else SQLite)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from db.rows import insert_new, sync_rows


@pytest.fixture
async def table(engine: AsyncEngine) -> AsyncIterator[sa.Table]:
    metadata = sa.MetaData()
    table = sa.Table(
        f"rows_{uuid.uuid4().hex[:8]}",
        metadata,
        sa.Column("parent", sa.String(20), primary_key=True),
        sa.Column("idx", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("lines", sa.JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True)),
        sa.UniqueConstraint("parent", "name"),
    )
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield table
    async with engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)


def _row(idx: int, state: str, *, name: str | None = None, lines: list | None = None) -> dict:
    return {
        "parent": "A",
        "idx": idx,
        "name": name or f"row {idx}",
        "state": state,
        "lines": lines or [{"code": "L", "amount": 1}],
    }


async def _stored(engine: AsyncEngine, table: sa.Table) -> dict[int, dict]:
    async with engine.connect() as conn:
        rows = (await conn.execute(sa.select(table).order_by(table.c.idx))).mappings()
        return {r["idx"]: dict(r) for r in rows}


async def _sync(engine: AsyncEngine, table: sa.Table, rows: list[dict], **kw: object) -> None:
    async with engine.begin() as conn:
        await sync_rows(
            conn,
            table,
            parent="parent",
            key=("parent", "idx"),
            rows=rows,
            touched="updated_at",
            **kw,  # type: ignore[arg-type]
        )


async def test_sync_rows_inserts_the_missing_and_updates_only_what_changed(
    engine: AsyncEngine, table: sa.Table
) -> None:
    await _sync(engine, table, [_row(0, "open"), _row(1, "open")])
    first = await _stored(engine, table)
    assert [r["state"] for r in first.values()] == ["open", "open"]
    assert all(r["updated_at"] is not None for r in first.values())

    # row 1 changes (its JSON too), row 0 does not: only row 1 is written, `updated_at` with it
    lines = [{"code": "L", "amount": 2}]
    await _sync(engine, table, [_row(0, "open"), _row(1, "closed", lines=lines), _row(2, "new")])
    second = await _stored(engine, table)
    assert second[0] == first[0]
    assert second[1]["state"] == "closed" and second[1]["lines"] == lines
    assert second[1]["updated_at"] >= first[1]["updated_at"]
    assert second[2]["state"] == "new"

    # a row no longer wanted stays; nothing wanted writes nothing
    await _sync(engine, table, [_row(2, "new")])
    await _sync(engine, table, [])
    assert set(await _stored(engine, table)) == {0, 1, 2}


async def test_sync_rows_writes_fixed_columns_once_and_keeps_what_keep_says(
    engine: AsyncEngine, table: sa.Table
) -> None:
    await _sync(engine, table, [_row(0, "open", name="first name")], fixed=("name",))
    await _sync(engine, table, [_row(0, "closed", name="renamed")], fixed=("name",))
    stored = (await _stored(engine, table))[0]
    assert (stored["name"], stored["state"]) == ("first name", "closed")

    def closed(before: object, _wanted: object) -> bool:
        return before["state"] == "closed"  # type: ignore[index]

    await _sync(engine, table, [_row(0, "reopened")], keep=closed)
    assert (await _stored(engine, table))[0]["state"] == "closed"


async def test_insert_new_skips_rows_already_held_under_the_unique_columns(
    engine: AsyncEngine, table: sa.Table
) -> None:
    at = datetime.now(UTC) - timedelta(days=1)
    async with engine.begin() as conn:
        await insert_new(
            conn, table, [{**_row(0, "open"), "updated_at": at}], unique=("parent", "idx")
        )
    async with engine.begin() as conn:
        # a retried line (same key, other values) adds nothing and changes nothing
        await insert_new(
            conn,
            table,
            [{**_row(0, "retried"), "updated_at": None}, {**_row(1, "open"), "updated_at": None}],
            unique=("parent", "idx"),
        )
        await insert_new(conn, table, [], unique=("parent", "idx"))
    stored = await _stored(engine, table)
    assert stored[0]["state"] == "open" and stored[1]["state"] == "open"
