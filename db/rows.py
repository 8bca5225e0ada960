"""Writing a dossier's child rows in a few Core statements: the projection runs inside every
clerk's action, and the ORM's unit of work (an instance built and validated per row, its
identity map and flush) cost it about two thirds of its time (`bench/projection.py`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import SQLModel

Row = Mapping[Any, Any]


def table_of(model: type[SQLModel]) -> Table:
    """The Core table of a SQLModel table model."""
    return cast(Table, model.__table__)  # type: ignore[attr-defined]  # set by SQLModel, untyped


async def sync_rows(
    conn: AsyncConnection,
    table: Table,
    *,
    where: ColumnElement[bool],
    key: Sequence[str],
    rows: Sequence[Row],
    fixed: Sequence[str] = (),
    keep: Callable[[Row, Row], bool] | None = None,
    touched: str | None = None,
) -> None:
    """Make the rows of `table` selected by `where` hold `rows` (each a dict of every column
    but an autoincrement id, all with the same keys): insert those missing by `key`, update
    those whose columns differ (all but `key` and `fixed`, which are written once, at insert),
    leave the others alone; rows that are not in `rows` stay. `keep(stored, wanted)` True
    leaves a stored row as it is; `touched` is a column set to now on each row written."""
    if not rows:
        return
    mutable = [name for name in rows[0] if name not in key and name not in fixed]
    stored = {
        tuple(r[k] for k in key): r
        for r in (
            await conn.execute(select(*(table.c[n] for n in (*key, *mutable))).where(where))
        ).mappings()
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
        await conn.execute(insert(table), inserts)
    if updates:
        match = and_(*(table.c[k] == bindparam(f"key_{k}") for k in key))
        await conn.execute(update(table).where(match), updates)


async def insert_new(
    conn: AsyncConnection, table: Table, rows: Sequence[Row], *, unique: Sequence[str]
) -> None:
    """Insert `rows`, skipping each that a row already holds under the unique `unique`
    columns (a retried event's line): one statement, no read before it."""
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).on_conflict_do_nothing(index_elements=list(unique))
    await conn.execute(statement, list(rows))
