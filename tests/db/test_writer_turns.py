"""SQLite's writers take turns: never two inside at once, in one process or across several; a
waiter that gives up holds nothing; PostgreSQL needs no turns."""

from __future__ import annotations

import asyncio
import fcntl
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import text

from db.engine import WriterTurns, make_engine, make_session_maker, writer_turns, writing

ROOT = Path(__file__).resolve().parents[2]


async def test_coroutines_of_one_process_write_one_at_a_time(tmp_path: Path) -> None:
    turns = WriterTurns(tmp_path / "db-writers")
    inside, most = 0, 0

    async def write() -> None:
        nonlocal inside, most
        async with turns.turn():
            inside += 1
            most = max(most, inside)
            await asyncio.sleep(0.005)
            inside -= 1

    await asyncio.gather(*(write() for _ in range(20)))
    assert most == 1


#: A process that adds 1 to a counter file 30 times, each a read, a pause and a write inside
#: its turn: without the turns, two of them lose each other's additions.
COUNTER = textwrap.dedent(
    """
    import asyncio, sys
    from pathlib import Path
    from db.engine import WriterTurns

    async def main(lock, counter):
        turns = WriterTurns(Path(lock))
        for _ in range(30):
            async with turns.turn():
                value = int(Path(counter).read_text())
                await asyncio.sleep(0.001)
                Path(counter).write_text(str(value + 1))

    asyncio.run(main(sys.argv[1], sys.argv[2]))
    """
)


def test_processes_write_one_at_a_time(tmp_path: Path) -> None:
    counter = tmp_path / "counter"
    counter.write_text("0")
    lock = tmp_path / "db-writers"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", COUNTER, str(lock), str(counter)],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        for _ in range(3)
    ]
    assert [p.wait(timeout=60) for p in processes] == [0, 0, 0]
    assert counter.read_text() == "90"


async def test_a_cancelled_waiter_gives_the_turn_back_when_it_comes(tmp_path: Path) -> None:
    lock = tmp_path / "db-writers"
    other = os.open(lock, os.O_RDWR | os.O_CREAT)  # another process's hold on the file
    fcntl.flock(other, fcntl.LOCK_EX)
    turns = WriterTurns(lock)
    waiter = asyncio.create_task(turns.turn().__aenter__())
    await asyncio.sleep(0.05)
    waiter.cancel()
    await asyncio.sleep(0.05)
    assert not waiter.done()  # it waits for the lock it asked for, to hand it back
    waiter.cancel()  # cancelled again meanwhile: still hands it back
    fcntl.flock(other, fcntl.LOCK_UN)
    with pytest.raises(asyncio.CancelledError):
        await waiter
    fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)  # free again: nobody kept it
    fcntl.flock(other, fcntl.LOCK_UN)
    os.close(other)
    async with asyncio.timeout(5):
        async with turns.turn():  # nor the process's turn
            pass


async def test_sqlite_sessions_write_in_turns_and_postgres_needs_none(tmp_path: Path) -> None:
    database = tmp_path / "read-model.sqlite3"
    engine = make_engine(f"sqlite+aiosqlite:///{database}")
    try:
        sessions = make_session_maker(engine)
        async with writing(sessions) as session:
            await session.execute(text("CREATE TABLE t (n INTEGER)"))
            await session.execute(text("INSERT INTO t VALUES (1)"))
        async with sessions() as session:
            assert (await session.execute(text("SELECT n FROM t"))).scalar_one() == 1
        assert writer_turns(engine) is writer_turns(engine)
        assert os.path.exists(f"{database}-writers")  # noqa: ASYNC240 (a test's look)
    finally:
        await engine.dispose()
    postgres = make_engine("postgresql+asyncpg://postgres@127.0.0.1:5432/test")
    assert writer_turns(postgres) is None
    await postgres.dispose()
