"""Wakes the portal-sync workflows of dossiers whose outbox has new records, from beside the
dossier worker rather than inside a clerk's action: the projection writes the records in its
transaction and pokes this waker, which signals (or starts) the dossiers' sync workflows in
batches. A poke lost to a crash is made good at start, from the records still pending; the
reconciliation Schedule is the last safety net."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from db.portal_outbox import codes_with_pending

log = logging.getLogger("motcua.portal_wake")

Wake = Callable[[str, str], Awaitable[None]]

#: Signals in flight at once.
CONCURRENCY = 16
#: After a failed wake (Temporal unreachable), the dossier is tried again this much later.
RETRY_AFTER = timedelta(seconds=2)
STOP_WAIT = timedelta(seconds=10)


class PortalWaker:
    def __init__(
        self,
        wake: Wake,
        sessions: async_sessionmaker[AsyncSession] | None = None,
        *,
        concurrency: int = CONCURRENCY,
        retry_after: timedelta = RETRY_AFTER,
    ):
        self._wake = wake
        self._sessions = sessions
        self._gate = asyncio.Semaphore(concurrency)
        self._retry_after = retry_after
        self._pending: dict[str, str] = {}  # code -> reason, in poke order
        self._poked = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    def poke(self, code: str, reason: str = "") -> None:
        """The dossier's outbox has new records (committed): wake its sync soon."""
        self._pending.setdefault(code, reason)
        self._poked.set()

    async def __aenter__(self) -> PortalWaker:
        self._task = asyncio.create_task(self._run(), name="portal-waker")
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Wake what was poked before stopping (what is left is found again at start)."""
        if self._task is None:
            return
        self._stopping = True
        self._poked.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), STOP_WAIT.total_seconds())
        except TimeoutError:
            self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)

    async def _recover(self) -> None:
        """Dossiers whose records were committed but whose poke died with a process."""
        if self._sessions is None:
            return
        try:
            async with self._sessions() as session:
                codes = await codes_with_pending(session)
        except Exception:  # the database away: the reconciliation catches up later
            log.exception("could not list the dossiers pending for the portal")
            return
        for code in codes:
            self.poke(code, "pending at start")
        if codes:
            log.info("waking the portal sync of %d dossier(s) pending at start", len(codes))

    async def _run(self) -> None:
        await self._recover()
        while True:
            await self._poked.wait()
            self._poked.clear()
            batch, self._pending = self._pending, {}
            failed = await self.wake_all(batch)
            for code, reason in failed.items():
                self._pending.setdefault(code, reason)
            if self._stopping:
                return
            if failed:
                await asyncio.sleep(self._retry_after.total_seconds())
                self._poked.set()

    async def wake_all(self, batch: dict[str, str]) -> dict[str, str]:
        """Wake each dossier's sync; answer those that could not be woken now."""
        failed: dict[str, str] = {}

        async def one(code: str, reason: str) -> None:
            async with self._gate:
                try:
                    await self._wake(code, reason)
                except Exception as exc:
                    log.warning("portal sync of %s not woken yet: %s", code, exc)
                    failed[code] = reason

        await asyncio.gather(*(one(code, reason) for code, reason in batch.items()))
        return failed
