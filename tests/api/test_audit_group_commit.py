"""The audit rows of requests that end together are written in one transaction, each request
still waiting for its own row; a failed batch fails every request in it, and the next batch
is written."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from api.audit import AuditWriters
from db.audit_models import AuditEvent
from db.engine import make_engine, make_session_maker


def _event(actor: str, n: int) -> AuditEvent:
    return AuditEvent(
        at=datetime.now(UTC),
        actor=actor,
        role="clerk",
        access="read",
        kind="dossier",
        item=str(n),
        method="GET",
        route="/api/v1/dossiers/{code}",
        status_code=200,
    )


async def _rows(sessions: async_sessionmaker[AsyncSession], actor: str) -> int:
    async with sessions() as session:
        query = select(func.count()).select_from(AuditEvent).where(col(AuditEvent.actor) == actor)
        return int(await session.scalar(query) or 0)


async def test_rows_that_arrive_together_share_one_transaction(database_url: str) -> None:
    # an engine of its own: the commits counted are this test's, whatever else is running
    engine = make_engine(database_url)
    sessions = make_session_maker(engine)
    actor = f"audit-{uuid.uuid4().hex[:8]}"
    writers = AuditWriters()
    commits: list[object] = []
    listen = lambda _conn: commits.append(_conn)  # noqa: E731
    event.listen(engine.sync_engine, "commit", listen)
    try:
        await asyncio.gather(*(writers.write(sessions, _event(actor, n)) for n in range(20)))
        event.remove(engine.sync_engine, "commit", listen)
        assert await _rows(sessions, actor) == 20  # every request's row, committed on return
    finally:
        if event.contains(engine.sync_engine, "commit", listen):
            event.remove(engine.sync_engine, "commit", listen)
        await engine.dispose()
    assert 1 <= len(commits) <= 2  # the first alone at most, then the rest together


async def test_a_failed_batch_fails_its_requests_and_the_next_batch_is_written(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    actor = f"audit-{uuid.uuid4().hex[:8]}"
    writers = AuditWriters()
    nobody = _event(actor, 0)
    nobody.actor = None  # type: ignore[assignment]  # NOT NULL: the database refuses the batch
    with pytest.raises(IntegrityError):
        await asyncio.gather(
            writers.write(sessions, nobody), writers.write(sessions, _event(actor, 1))
        )
    await writers.write(sessions, _event(actor, 2))
    assert await _rows(sessions, actor) == 1
