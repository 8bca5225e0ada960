"""Engine, sessions and migrations for the read model, on SQLite (default) or PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import weakref
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    async_sessionmaker,
    create_async_engine,
)
from sqlmodel.ext.asyncio.session import AsyncSession

from db import sqlite_driver

MIGRATIONS = Path(__file__).parent / "migrations"


#: How much of a SQLite file is read memory-mapped (the OS's page cache, shared by every
#: connection, not a copy each).
SQLITE_MMAP_BYTES = 256 * 1024 * 1024


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def make_engine(url: str, **kwargs: object) -> AsyncEngine:
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        parsed = make_url(url)
        if parsed.drivername == "sqlite+aiosqlite":
            # the same driver, one thread hand-off per statement (db.sqlite_driver)
            parsed = parsed.set(drivername=f"sqlite+{sqlite_driver.DRIVER}")
        # as many connections as PostgreSQL's pool below: each API request holds one while it
        # waits for its workflow's answer, and SQLAlchemy's default for SQLite (5 + 10) made
        # requests wait 30 s for a connection, then fail, from 12 lifecycles at once
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 20)
        engine = create_async_engine(parsed, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            # reads of a large read model through the OS's page cache, not a syscall per
            # page (`bench/listing.py`: a 100,000-dossier queue page 0.81 → 0.38 s)
            cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
            cursor.close()

        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


def make_session_maker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


class WriterTurns:
    """The writers of one SQLite database taking turns: within a process one coroutine at a
    time (an asyncio lock, first come first served), across processes an advisory `flock` on a
    file beside the database, waited for in a thread of its own so the kernel hands it over the
    moment it is released. The API, the dossier worker and the portal-sync worker all write the
    same file, and SQLite's own busy handler polls its lock with sleeps of up to 100 ms: under
    load a write waited 40-120 ms on average for a lock that was free most of that time (a
    throughput run's portal-sync UPDATEs: 37.5 ms each before the turns, 0.4 ms after). In
    turns, SQLite's lock is seldom contended."""

    def __init__(self, lock_file: Path | None) -> None:
        self._fd = os.open(lock_file, os.O_RDWR | os.O_CREAT, 0o644) if lock_file else None
        self._waiter: ThreadPoolExecutor | None = None
        if self._fd is not None:
            weakref.finalize(self, os.close, self._fd)
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )

    @asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = asyncio.Lock()
        async with lock:
            if self._fd is None:
                yield
                return
            await self._take(self._fd)
            try:
                yield
            finally:
                fcntl.flock(self._fd, fcntl.LOCK_UN)

    async def _take(self, fd: int) -> None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return  # free: the common case, no thread
        except BlockingIOError:
            pass
        if self._waiter is None:
            self._waiter = ThreadPoolExecutor(1, thread_name_prefix="sqlite-writers")
            weakref.finalize(self, self._waiter.shutdown, wait=False)
        taken = asyncio.get_running_loop().run_in_executor(
            self._waiter, fcntl.flock, fd, fcntl.LOCK_EX
        )
        try:
            await asyncio.shield(taken)
        except asyncio.CancelledError:
            # the thread takes the lock anyway, as soon as its holder lets go (a transaction's
            # length, or the holder's death): hand it straight back before giving up our turn,
            # however often we are cancelled meanwhile
            while not taken.done():
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.shield(taken)
            if taken.exception() is None:
                fcntl.flock(fd, fcntl.LOCK_UN)
            raise


_TURNS: weakref.WeakKeyDictionary[Engine, WriterTurns] = weakref.WeakKeyDictionary()


def writer_turns(engine: AsyncEngine) -> WriterTurns | None:
    """The turns of `engine`'s writers; None where the database needs none (PostgreSQL locks
    rows, and its writers wait on each other without polling)."""
    url = engine.url
    if url.get_backend_name() != "sqlite":
        return None
    turns = _TURNS.get(engine.sync_engine)
    if turns is None:
        database = url.database
        on_disk = bool(database) and database != ":memory:" and "mode=memory" not in str(url)
        lock_file = Path(f"{database}-writers") if on_disk else None
        turns = _TURNS[engine.sync_engine] = WriterTurns(lock_file)
    return turns


@asynccontextmanager
async def write_turn(bind: AsyncEngine | AsyncConnection | None) -> AsyncIterator[None]:
    """Wrap a write transaction, from its first write to its commit, in its writers' turn."""
    engine = bind.engine if isinstance(bind, AsyncConnection) else bind
    turns = writer_turns(engine) if engine is not None else None
    if turns is None:
        yield
        return
    async with turns.turn():
        yield


@asynccontextmanager
async def writing(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A session in a write transaction, taken in its writers' turn (see `WriterTurns`)."""
    async with write_turn(sessions.kw.get("bind")), sessions() as session, session.begin():
        yield session


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate_sync(url: str) -> None:
    """Bring the schema to the newest revision (creates the SQLite file if needed)."""
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), "head")


async def migrate(url: str) -> None:
    # Alembic's env runs its own event loop; keep it off ours.
    await asyncio.to_thread(migrate_sync, url)
