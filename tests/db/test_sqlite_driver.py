"""`db.sqlite_driver`: SQLAlchemy's aiosqlite dialect with one thread hand-off per statement
behaves as the stock one does (rows, rowcount, lastrowid, executemany, errors, transactions)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, OperationalError

from db.engine import make_engine
from db.sqlite_driver import OneHopSQLiteDialect

METADATA = sa.MetaData()
ITEMS = sa.Table(
    "item",
    METADATA,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(40), nullable=False, unique=True),
    sa.Column("n", sa.Integer, nullable=False),
)


async def test_a_sqlite_url_gets_the_one_hop_dialect(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    try:
        assert isinstance(engine.dialect, OneHopSQLiteDialect)
        assert engine.url.get_backend_name() == "sqlite"
        async with engine.connect() as conn:
            # the connect-time pragmas ran through the same cursor
            assert await conn.scalar(sa.text("PRAGMA journal_mode")) == "wal"
            assert await conn.scalar(sa.text("PRAGMA foreign_keys")) == 1
    finally:
        await engine.dispose()


async def test_statements_answer_as_with_the_stock_dialect(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    try:
        async with engine.begin() as conn:
            await conn.run_sync(METADATA.create_all)
            inserted = await conn.execute(sa.insert(ITEMS).values(name="one", n=1))
            assert inserted.inserted_primary_key == (1,)
            await conn.execute(sa.insert(ITEMS), [{"name": f"n{i}", "n": i} for i in range(2, 50)])
            changed = await conn.execute(sa.update(ITEMS).where(ITEMS.c.n >= 40).values(n=0))
            assert changed.rowcount == 10
            rows = (await conn.execute(sa.select(ITEMS.c.name).order_by(ITEMS.c.id))).all()
            assert len(rows) == 49 and rows[0].name == "one"
            returned = await conn.execute(
                sa.insert(ITEMS).values(name="ret", n=7).returning(ITEMS.c.id, ITEMS.c.n)
            )
            assert returned.one() == (50, 7)
            streamed = await conn.stream(sa.select(ITEMS.c.n).where(ITEMS.c.n == 0))
            assert len([r async for r in streamed]) == 10

        # a failed statement raises SQLAlchemy's error and the transaction rolls back
        with pytest.raises(IntegrityError):
            async with engine.begin() as conn:
                await conn.execute(sa.insert(ITEMS).values(name="two", n=2))
                await conn.execute(sa.insert(ITEMS).values(name="one", n=1))
        with pytest.raises(OperationalError):
            async with engine.connect() as conn:
                await conn.execute(sa.text("SELECT * FROM no_such_table"))
        async with engine.connect() as conn:
            assert await conn.scalar(sa.select(sa.func.count()).select_from(ITEMS)) == 50
            assert await conn.scalar(sa.select(ITEMS.c.id).where(ITEMS.c.name == "two")) is None
    finally:
        await engine.dispose()


async def test_ending_a_read_asks_nothing_of_the_thread_but_writes_commit_and_roll_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import aiosqlite

    asked: list[str] = []
    execute = aiosqlite.Connection._execute

    async def counted(self: aiosqlite.Connection, fn: Any, *args: Any, **kwargs: Any) -> Any:
        asked.append(getattr(fn, "__name__", repr(fn)))
        return await execute(self, fn, *args, **kwargs)  # type: ignore[no-untyped-call]

    engine = make_engine(f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    try:
        async with engine.begin() as conn:
            await conn.run_sync(METADATA.create_all)
            await conn.execute(sa.insert(ITEMS).values(name="one", n=1))
        monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)

        # a read, then the pool's rollback on return and a read-only transaction's commit
        async with engine.connect() as conn:
            assert await conn.scalar(sa.select(ITEMS.c.n)) == 1
        async with engine.begin() as conn:
            assert await conn.scalar(sa.select(sa.func.count()).select_from(ITEMS)) == 1
        assert asked == ["_run", "_run"]  # the two SELECTs, nothing else

        # a write is still committed, and still rolled back
        async with engine.begin() as conn:
            await conn.execute(sa.insert(ITEMS).values(name="two", n=2))
        assert "commit" in asked
        async with engine.connect() as conn:
            await conn.execute(sa.insert(ITEMS).values(name="three", n=3))
            await conn.rollback()
        assert "rollback" in asked
        async with engine.connect() as conn:
            names = (await conn.scalars(sa.select(ITEMS.c.name).order_by(ITEMS.c.id))).all()
        assert names == ["one", "two"]

        # a connection given back with a write in it is rolled back by the pool
        conn = await engine.connect()
        await conn.execute(sa.insert(ITEMS).values(name="four", n=4))
        await conn.close()
        async with engine.connect() as conn:
            assert await conn.scalar(sa.select(sa.func.count()).select_from(ITEMS)) == 2
    finally:
        await engine.dispose()
