"""Throttled secrets in the API: a key locked by too many failures answers 429 with
`Retry-After` before its secret is even checked. Counters live in the database (shared by
every replica); the rules are `domain.throttle`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import Request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import delete
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.types import Scope

from api.errors import Problem
from db.engine import writing
from db.throttle_models import ThrottleCounter
from domain.throttle import ThrottlePolicy, ThrottleState, after_failure, retry_after


@dataclass(frozen=True)
class Throttled:
    key: str
    policy: ThrottlePolicy


def client_address(request: Request) -> str:
    """The caller's address (behind the reverse proxy, uvicorn's `--proxy-headers` sets it)."""
    return request.client.host if request.client else "unknown"


def client_address_of(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class Throttle:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def refuse_if_locked(self, keys: list[Throttled], what: str) -> None:
        """Raise 429 with `Retry-After` if any key is locked now."""
        now = datetime.now(UTC)
        waits = []
        async with self._sessions() as session:
            for item in keys:
                row = await session.get(ThrottleCounter, item.key)
                if row is not None:
                    wait = retry_after(_state(row), now)
                    if wait is not None:
                        waits.append(wait)
        if waits:
            seconds = max(waits)
            raise Problem(
                429,
                f"too many failed {what}; try again in {seconds} s",
                headers={"Retry-After": str(seconds)},
                retry_after=seconds,
            )

    async def failed(self, keys: list[Throttled]) -> None:
        """Count one failure on every key (locking those past their free failures)."""
        for attempt in range(2):
            try:
                await self._count_failure(keys)
                return
            except IntegrityError:  # another replica inserted the same key first: count again
                if attempt:
                    raise

    async def _count_failure(self, keys: list[Throttled]) -> None:
        now = datetime.now(UTC)
        async with writing(self._sessions) as session:
            for item in keys:
                row = await session.get(ThrottleCounter, item.key, with_for_update=True)
                if row is None:
                    row = ThrottleCounter(key=item.key)
                state = after_failure(_state(row), now, item.policy)
                row.failures = state.failures
                row.last_failure_at = state.last_failure_at
                row.locked_until = state.locked_until
                session.add(row)

    async def succeeded(self, keys: list[Throttled]) -> None:
        """Forget the failures of the keys a right secret clears (the account, not the address)."""
        async with self._sessions() as session:
            found = [await session.get(ThrottleCounter, k.key) for k in keys]
        if not any(found):
            return  # the common case: nothing to forget, nothing written
        async with writing(self._sessions) as session:
            await session.exec(
                delete(ThrottleCounter).where(
                    ThrottleCounter.key.in_([k.key for k in keys])  # type: ignore[attr-defined]
                )
            )


def _state(row: ThrottleCounter) -> ThrottleState:
    return ThrottleState(row.failures, row.last_failure_at, row.locked_until)


def get_throttle(request: Request) -> Throttle:
    return Throttle(request.app.state.sessions)


async def throttle_dep(request: Request) -> Throttle:
    """`get_throttle` as a dependency (`async def`: not in FastAPI's thread pool)."""
    return get_throttle(request)
