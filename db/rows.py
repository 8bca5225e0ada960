"""Writing a dossier's child rows in a few Core statements: the projection runs inside every
clerk's action, and the ORM's unit of work (an instance built and validated per row, its
identity map and flush) cost it about two thirds of its time (`bench/projection.py`)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Insert, Select, Table, Update, and_, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import SQLModel

Row = Mapping[Any, Any]


def table_of(model: type[SQLModel]) -> Table:
    """The Core table of a SQLModel table model."""
    return cast(Table, model.__table__)  # type: ignore[attr-defined]  # set by SQLModel, untyped


@functools.cache
def _statements(
    table: Table, parent: str, key: tuple[str, ...], mutable: tuple[str, ...]
) -> tuple[Select[Any], Insert, Update]:
    """The read, insert and update of `sync_rows`, built once per shape (a statement object
    memoizes its cache key: built anew per call, both cost more than the statement)."""
    read = select(*(table.c[n] for n in (*key, *mutable))).where(
        table.c[parent] == bindparam("parent")
    )
    match = and_(*(table.c[k] == bindparam(f"key_{k}") for k in key))
    return read, insert(table), update(table).where(match)


async def sync_rows(
    conn: AsyncConnection,
    table: Table,
    *,
    parent: str,
    key: Sequence[str],
    rows: Sequence[Row],
    fixed: Sequence[str] = (),
    keep: Callable[[Row, Row], bool] | None = None,
    touched: str | None = None,
) -> None:
    """Make the rows of `table` that share `rows`' value of the column `parent` (the
    dossier's code) hold `rows` (each a dict of every column but an autoincrement id, all with
    the same keys): insert those missing by `key`, update those whose columns differ (all but
    `key` and `fixed`, which are written once, at insert), leave the others alone; rows that
    are not in `rows` stay. `keep(stored, wanted)` True leaves a stored row as it is;
    `touched` is a column set to now on each row written."""
    if not rows:
        return
    key = tuple(key)
    mutable = tuple(name for name in rows[0] if name not in key and name not in fixed)
    read, insert_, update_ = _statements(table, parent, key, mutable)
    stored = {
        tuple(r[k] for k in key): r
        for r in (await conn.execute(read, {"parent": rows[0][parent]})).mappings()
    }
    now = datetime.now(UTC)
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for row in rows:
        before = stored.get(tuple(row[k] for k in key))
        if before is None:
            inserts.append({**row, touched: now} if touched else dict(row))
        elif any(before[n] != row[n] for n in mutable) and not (keep and keep(before, row)):
            changed = {n: row[n] for n in mutable} | ({touched: now} if touched else {})
            updates.append({**changed, **{f"key_{k}": row[k] for k in key}})
    if inserts:
        await conn.execute(insert_, inserts)
    if updates:
        await conn.execute(update_, updates)


@functools.cache
def _insert_new(table: Table, dialect: str, unique: tuple[str, ...]) -> Insert:
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=list(unique))
    return sqlite.insert(table).on_conflict_do_nothing(index_elements=list(unique))


async def insert_new(
    conn: AsyncConnection, table: Table, rows: Sequence[Row], *, unique: Sequence[str]
) -> None:
    """Insert `rows`, skipping each that a row already holds under the unique `unique`
    columns (a retried event's line): one statement, no read before it."""
    if rows:
        await conn.execute(_insert_new(table, conn.dialect.name, tuple(unique)), list(rows))
