"""Writing a dossier's child rows in a few Core statements: the projection runs inside every
clerk's action, and the ORM's unit of work (an instance built and validated per row, its
identity map and flush) cost it about two thirds of its time (`bench/projection.py`)."""

from __future__ import annotations

import functools
import hashlib
from collections import OrderedDict
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


def rows_of_dossier(model: type[SQLModel], *order: Any) -> Select[Any]:
    """A SELECT of `model`'s rows of one dossier (the `code` bind parameter) in `order`, to
    build once and run with `{"code": ...}`."""
    return select(model).where(model.dossier_code == bindparam("code")).order_by(*order)  # type: ignore[attr-defined]


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
    sections: Sections | None = None,
) -> None:
    """Make the rows of `table` that share `rows`' value of the column `parent` (the
    dossier's code) hold `rows` (each a dict of every column but an autoincrement id, all with
    the same keys): insert those missing by `key`, update those whose columns differ (all but
    `key` and `fixed`, which are written once, at insert), leave the others alone; rows that
    are not in `rows` stay. `keep(stored, wanted)` True leaves a stored row as it is;
    `touched` is a column set to now on each row written. With `sections`, rows the same as
    this process wrote at the dossier's previous event are neither read nor written."""
    if not rows or (sections is not None and sections.unchanged(table.name, rows)):
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


def _digest(rows: Sequence[Row]) -> bytes:
    return hashlib.blake2b(repr(rows).encode(), digest_size=16).digest()


class Sections:
    """One event's child rows of a dossier (its steps, attempts, components, payments), each
    table's by a digest, against those the same process wrote at the dossier's event just
    before (`LastWritten`). A table whose wanted rows are the same as then holds them already
    (`sync_rows` would read them and write nothing), so it is neither read nor written:
    most events change one or two of the four."""

    def __init__(self, before: Mapping[str, bytes]) -> None:
        self._before = before
        self.after: dict[str, bytes] = {}

    def unchanged(self, table: str, rows: Sequence[Row]) -> bool:
        digest = self.after[table] = _digest(rows)
        return self._before.get(table) == digest


class LastWritten:
    """What a projecting process last wrote of each dossier's child rows, by the event's seq,
    for the dossiers it projected last (at most `capacity`). Only the dossier's workflow
    writes those rows once it has started, one event after the other, so the rows the same
    process wrote at seq N-1 are still there at seq N; at any other seq (another worker
    projected the event in between, a retry, a restart) nothing is known and every table is
    read and compared."""

    #: the dossiers remembered when nobody says how many
    CAPACITY = 20_000

    def __init__(self, capacity: int = CAPACITY) -> None:
        self._capacity = capacity
        self._held: OrderedDict[str, tuple[int, dict[str, bytes]]] = OrderedDict()

    def sections(self, code: str, seq: int) -> Sections:
        held = self._held.get(code)
        return Sections(held[1] if held is not None and held[0] == seq - 1 else {})

    def remember(self, code: str, seq: int, sections: Sections) -> None:
        """After the event's transaction has committed."""
        self._held[code] = (seq, sections.after)
        self._held.move_to_end(code)
        while len(self._held) > self._capacity:
            self._held.popitem(last=False)
