"""The notification outbox's sender. It runs beside the dossier worker, outside any workflow:
a warning or escalation costs its dossier one workflow task (the timer firing, the notice
written by a local activity) and the mail goes out from here, many messages per SMTP session.

Every sender process sweeps the outbox: it claims up to a batch of pending rows for a lease,
sends each channel's share together, then marks each row sent, or failed with a back-off.
Claims make several senders (one per dossier-worker process) send each message once; a sender
that dies mid-send leaves its claim to expire and another sends those rows again, so a
message may go out twice after a crash but never zero times (at least once)."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Row, and_, or_, select, update
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from activities.notify import Channel, ChannelDown, Message
from db.clock_models import Notification
from db.engine import writing
from db.rows import table_of

log = logging.getLogger("motcua.notifications")

#: The columns of a claimed row.
CLAIMED = ("id", "channel", "recipient", "address", "subject", "body", "attempts")
#: Most messages claimed by one sweep.
BATCH = 500
#: How long a claim holds: longer than a batch takes to send (SMTP timeouts included).
LEASE = timedelta(minutes=5)
#: A sweep at least this often, for rows written by other processes or left by a crash;
#: notices written in this process wake the sender at once.
POLL = timedelta(seconds=15)
#: On shutdown, how long the sweep under way may take to finish.
STOP_WAIT = timedelta(seconds=20)
#: Back-off after a failed send: doubling from the first, up to the last.
FIRST_RETRY, LAST_RETRY = timedelta(seconds=5), timedelta(minutes=10)


def backoff(attempts: int) -> timedelta:
    """Wait before try number `attempts + 1`, `attempts` (≥ 1) having failed."""
    seconds = FIRST_RETRY.total_seconds() * 2 ** min(attempts - 1, 20)
    return min(timedelta(seconds=seconds), LAST_RETRY)


@dataclass
class Sweep:
    sent: int = 0
    failures: list[str] | None = None
    claimed: int = 0


class Notifier:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        channels: Sequence[Channel],
        *,
        batch: int = BATCH,
        lease: timedelta = LEASE,
        poll: timedelta = POLL,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        self._sessions = sessions
        self.channels = {c.name: c for c in channels}
        self._batch, self._lease, self._poll, self._now = batch, lease, poll, now
        self.name = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    def poke(self) -> None:
        """Something was written to the outbox: sweep now rather than at the next poll."""
        self._wake.set()

    async def __aenter__(self) -> Notifier:
        self._task = asyncio.create_task(self._run(), name="notifier")
        return self

    async def __aexit__(self, *exc: object) -> None:
        """Stop after the sweep under way, so that what it sent is marked sent (a sweep cut
        short would leave its messages to be sent again when their claim expires)."""
        if self._task is None:
            return
        self._stopping = True
        self._wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), STOP_WAIT.total_seconds())
        except TimeoutError:
            self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            try:
                swept = await self.sweep()
            except Exception:  # the database away: the next poll tries again
                log.exception("notification sweep failed")
                swept = Sweep()
            if swept.claimed >= self._batch or self._stopping:
                continue  # more is waiting, or time to stop
            try:
                await asyncio.wait_for(self._wake.wait(), self._poll.total_seconds())
            except TimeoutError:
                pass

    async def sweep(self, ids: Sequence[int] | None = None, *, due_only: bool = True) -> Sweep:
        """Claim, send and mark one batch of pending messages (only `ids`, when given; with
        `due_only=False` a failed message is tried again before its back-off has run out)."""
        claimed = await self._claim(ids, due_only)
        if not claimed:
            return Sweep()
        by_channel: dict[str, list[Row[Any]]] = {}
        for row in claimed:
            by_channel.setdefault(row.channel, []).append(row)
        outcomes: dict[int, ChannelDown | None] = {}
        for name, rows in by_channel.items():  # only channels this process has are claimed
            messages = [Message(r.recipient, r.address, r.subject, r.body) for r in rows]
            try:
                results = await self.channels[name].send_all(messages)
            except Exception as exc:  # a channel's own bug: back off, do not hold the claim
                log.exception("channel %s failed", name)
                results = [ChannelDown(f"{name}: {exc!r}")] * len(rows)
            outcomes.update((r.id, result) for r, result in zip(rows, results, strict=True) if r.id)
        return await self._mark(claimed, outcomes)

    async def _claim(self, ids: Sequence[int] | None, due_only: bool) -> list[Row[Any]]:
        now = self._now()
        claimable: list[Any] = [
            col(Notification.state) == "pending",
            col(Notification.channel).in_(list(self.channels)),
            or_(col(Notification.claimed_until).is_(None), col(Notification.claimed_until) < now),
        ]
        if due_only:
            claimable.append(
                or_(
                    col(Notification.next_attempt_at).is_(None),
                    col(Notification.next_attempt_at) <= now,
                )
            )
        if ids is not None:
            claimable.append(col(Notification.id).in_(list(ids)))
        token = f"{self.name}:{uuid.uuid4().hex[:8]}"
        async with writing(self._sessions) as session:
            candidates = list(
                await session.scalars(
                    select(col(Notification.id))
                    .where(*claimable)
                    .order_by(col(Notification.id))
                    .limit(self._batch)
                )
            )
            if not candidates:
                return []
            # the conditions again: a row another sender claimed meanwhile is not taken
            await session.execute(
                update(Notification)
                .where(col(Notification.id).in_(candidates), and_(*claimable))
                .values(claimed_by=token, claimed_until=now + self._lease)
            )
        async with self._sessions() as session:
            # the columns a send needs, as plain rows (a storm claims thousands)
            return list(
                await session.execute(
                    select(*(table_of(Notification).c[name] for name in CLAIMED))
                    .where(
                        col(Notification.claimed_by) == token, col(Notification.state) == "pending"
                    )
                    .order_by(col(Notification.id))
                )
            )

    async def _mark(
        self, claimed: list[Row[Any]], outcomes: dict[int, ChannelDown | None]
    ) -> Sweep:
        now = self._now()
        sent_ids = [i for i, failure in outcomes.items() if failure is None]
        failed = {i: failure for i, failure in outcomes.items() if failure is not None}
        attempts = {r.id: r.attempts for r in claimed}
        async with writing(self._sessions) as session:
            if sent_ids:
                await session.execute(
                    update(Notification)
                    .where(col(Notification.id).in_(sent_ids))
                    .values(
                        state="sent",
                        attempts=col(Notification.attempts) + 1,
                        sent_at=now,
                        claimed_until=None,
                    )
                )
            for notification_id, failure in failed.items():
                tries = (attempts.get(notification_id) or 0) + 1
                await session.execute(
                    update(Notification)
                    .where(col(Notification.id) == notification_id)
                    .values(
                        attempts=tries,
                        last_error=str(failure)[:500],
                        next_attempt_at=now + backoff(tries),
                        claimed_until=None,
                    )
                )
        if failed:
            first = next(iter(failed.values()))
            log.warning("%d notification(s) not delivered, retried later: %s", len(failed), first)
        return Sweep(
            sent=len(sent_ids),
            failures=[str(f) for f in failed.values()] or None,
            claimed=len(claimed),
        )
