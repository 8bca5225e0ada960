"""Portal-sync activities (đồng bộ DVCQG): deliver a dossier's outbox records to the portal in
seq order, park what the portal refuses as invalid, and reconcile our state with the portal's.

They run on the portal-sync worker. Beside the dossier worker, the relay (`PortalRelay`) runs
a round itself (`deliver_now`) when a dossier's outbox grows, and hands the dossier to its sync
workflow when the portal is slow, down or refusing."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio import activity

from activities.portal_client import PortalClient, PortalRejected, PortalUnavailable
from db import portal_outbox as outbox
from db.engine import writing
from db.portal_models import PortalReconciliation, PortalSyncState
from domain.portal import SyncRecord
from domain.portal_sync import Divergence, compare_with_portal
from messages import (
    DeliveryInput,
    DeliveryOutcome,
    ReconcileBatch,
    ReconcileBatchInput,
    ReconcileReport,
    ReconcileTally,
)

log = logging.getLogger(__name__)

#: How often a delivery heartbeats while it waits for the portal's answer.
HEARTBEAT_EVERY_SECONDS = 2.0

Wake = Callable[[str], Awaitable[None]]
T = TypeVar("T")


class _Pulse:
    """Heartbeats at most every HEARTBEAT_EVERY_SECONDS. The SDK sends an activity's first
    heartbeat at once, so beating at the top of every round cost one server round trip per
    round, usually a round of one record that is over in milliseconds; a round now beats
    only once it has lasted that long, well inside the 10 s heartbeat timeout."""

    def __init__(self) -> None:
        self._last = time.monotonic()

    def __call__(self, *details: Any) -> None:
        now = time.monotonic()
        if now - self._last >= HEARTBEAT_EVERY_SECONDS:
            _beat(*details)
            self._last = now


def _beat(*details: Any) -> None:
    """A heartbeat, for a regular activity: a round run as a local activity (the workflow's
    first try) is kept alive by its workflow task instead, and the relay's round
    (`PortalSyncActivities.deliver_now`) by no one."""
    if activity.in_activity() and not activity.info().is_local:
        activity.heartbeat(*details)


class DeliveryBusy(Exception):
    """Another round is sending the dossier's records now; retried (it will be done soon)."""


async def _heartbeating(awaitable: Awaitable[T]) -> T:
    """Await ``awaitable`` while heartbeating, so a slow portal answer is not mistaken for a
    dead worker (the portal timeout, not the heartbeat timeout, bounds a hung request)."""
    task = asyncio.ensure_future(awaitable)
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=HEARTBEAT_EVERY_SECONDS)
            if done:
                return task.result()
            _beat()
    finally:
        task.cancel()


def _now() -> datetime:
    return datetime.now(UTC)


class PortalSyncActivities:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        portal: PortalClient,
        wake: Wake,
    ) -> None:
        self._sessions = sessions
        self._portal = portal
        self._wake = wake
        self._lease = outbox.claim_lease(getattr(portal, "timeout_seconds", 10.0))

    # ------------------------------------------------------------------ delivery

    @activity.defn(name="portal_deliver")
    async def deliver(self, input: DeliveryInput) -> DeliveryOutcome:
        """Send the dossier's pending records, lowest seq first, until none is left, one is
        parked, or ``max_records`` went out. The records are claimed together and their
        acknowledgements written together, with the next claim: two short writes a round
        instead of one per record. A portal outage raises (Temporal retries) once what went
        through is recorded; so does a dossier another round is sending (`DeliveryBusy`)."""
        return await self.deliver_now(input)

    async def deliver_now(self, input: DeliveryInput, *, relay: bool = False) -> DeliveryOutcome:
        """`deliver`, callable outside an activity: with `relay`, the relay's round
        (`PortalRelay`), which yields to any other round."""
        code = input.dossier_code
        # this round's claim on the dossier
        holder = (outbox.RELAY_HOLDER if relay else "wf:") + uuid.uuid4().hex[:16]
        delivered = 0
        acked: list[int] = []
        pulse = _Pulse()
        while True:
            pulse(delivered)
            batch = await self._next(code, acked, input.max_records - delivered, holder)
            if isinstance(batch, DeliveryOutcome):
                batch.delivered = delivered
                return batch
            acked = []
            for step in batch:
                try:
                    await _heartbeating(self._portal.send(step))
                except PortalUnavailable as exc:
                    await self._note_failure(code, step.seq, str(exc), acked, holder)
                    raise
                except PortalRejected as exc:
                    if step.kind == "progress" and await self._portal_lost(code):
                        acked = []  # everything is pending again, from seq 1
                        break
                    await self._park(code, step.seq, exc.message, acked, holder)
                    acked = []
                    log.warning("portal refused %s seq %s: %s", code, step.seq, exc.message)
                    break  # the next claim sees the dossier parked and reports it
                acked.append(step.seq)
                delivered += 1
                pulse(delivered)

    async def _next(
        self, code: str, acked: list[int], room: int, holder: str
    ) -> list[SyncRecord] | DeliveryOutcome:
        """In one transaction (short writes keep a SQLite database free for the clerks):
        record the acknowledgements, then claim the next pending records."""
        async with writing(self._sessions) as session:
            step = await outbox.next_deliveries(
                session, code, acked=acked, room=room, holder=holder, lease=self._lease
            )
        if isinstance(step, outbox.Held):
            if step.busy:
                raise DeliveryBusy(f"another round is sending the records of {code}")
            return DeliveryOutcome(0, step.pending, parked=step.parked, reason=step.reason)
        return step

    async def _note_failure(
        self, code: str, seq: int, error: str, acked: list[int], holder: str
    ) -> None:
        """The portal could not be reached for record `seq`: what it acknowledged before is
        recorded, and the failed try with its error (the portal may have it: handed over);
        the round lets the dossier go, for the retry or the other path to take it up."""
        async with writing(self._sessions) as session:
            await outbox.next_deliveries(session, code, acked=acked, room=0, holder=holder)
            row = await outbox.record_at(session, code, seq)
            if row is not None:
                row.last_error = error[:500]
                row.attempts += 1
            sync = await outbox.sync_state_for_update(session, code)
            sync.last_sent_seq = max(sync.last_sent_seq, seq)

    async def _park(self, code: str, seq: int, reason: str, acked: list[int], holder: str) -> None:
        async with writing(self._sessions) as session:
            await outbox.next_deliveries(session, code, acked=acked, room=0, holder=holder)
            row = await outbox.record_at(session, code, seq)
            if row is not None:
                row.attempts += 1
                await outbox.park(session, row, reason)

    async def _portal_lost(self, code: str) -> bool:
        """A progress entry was refused: if the portal no longer knows the dossier at all (its
        data was lost), queue everything again from seq 1 instead of parking."""
        if await _heartbeating(self._portal.lookup(code)) is not None:
            return False
        async with self._sessions() as session, session.begin():
            await outbox.requeue_after(session, code, 0)
        log.warning("portal has lost dossier %s; re-sending it from the start", code)
        return True

    # ------------------------------------------------------------------ reconciliation

    @activity.defn(name="portal_reconcile_batch")
    async def reconcile_batch(self, input: ReconcileBatchInput) -> ReconcileBatch:
        """Compare up to ``limit`` dossiers (by code, after ``after_code``) with the portal and
        queue again whatever it lacks."""
        async with self._sessions() as session:
            states = await outbox.sync_states_after(session, input.after_code, input.limit)
        tally = ReconcileTally()
        for state in states:
            activity.heartbeat(state.dossier_code)
            tally.dossiers += 1
            if state.parked:
                tally.parked += 1
                continue
            if not state.in_sync:
                tally.pending += 1
                await self._wake(state.dossier_code)  # heals a wake-up that never arrived
                continue
            try:
                held = await _heartbeating(self._portal.lookup(state.dossier_code))
            except PortalUnavailable:
                tally.unreachable += 1
                continue
            if await self._resend(state, held):
                tally.resent += 1
                await self._wake(state.dossier_code)
            else:
                tally.in_sync += 1
        next_after = states[-1].dossier_code if len(states) == input.limit else None
        return ReconcileBatch(tally=tally, next_after=next_after)

    async def _resend(self, state: PortalSyncState, held: dict[str, Any] | None) -> bool:
        data = (held or {}).get("data") or {}
        verdict = compare_with_portal(
            acked_seq=state.last_acked_seq,
            status_code=state.status_code,
            portal_last_seq=None if held is None else int(held.get("last_seq", 0)),
            portal_status=data.get("TrangThaiHoSo"),
        )
        code = state.dossier_code
        async with self._sessions() as session, session.begin():
            sync = await outbox.sync_state_for_update(session, code)
            sync.reconciled_at = _now()
            if verdict == Divergence.IN_SYNC:
                return False
            log.info("portal copy of %s is %s; re-sending", code, verdict.value)
            if verdict == Divergence.UNKNOWN:
                await outbox.requeue_after(session, code, 0)
            elif verdict == Divergence.BEHIND:
                assert held is not None
                await outbox.requeue_after(session, code, int(held["last_seq"]))
            else:
                await outbox.enqueue_resend(session, code)
            return True

    @activity.defn(name="portal_save_reconciliation")
    async def save_reconciliation(self, report: ReconcileReport) -> ReconcileReport:
        tally = report.tally
        async with self._sessions() as session, session.begin():
            row = PortalReconciliation(
                started_at=report.started_at,
                finished_at=_now(),
                dossiers=tally.dossiers,
                in_sync=tally.in_sync,
                pending=tally.pending,
                parked=tally.parked,
                resent=tally.resent,
                unreachable=tally.unreachable,
                rate=tally.rate,
            )
            session.add(row)
            await session.flush()
            report.id = row.id
        return report
