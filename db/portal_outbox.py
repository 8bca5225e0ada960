"""Reads and writes of the national-portal outbox (PortalSyncOutbox), shared by the projection
activity (enqueue), the portal-sync activities (deliver, park, reconcile) and the API.

Sequence numbers are allocated per dossier, one after the other, under the dossier's sync-state
row: a dossier record then a progress record for each dossier event. Idempotency on retries
comes from the unique ``(dossier_code, event_seq, kind)``: an event already enqueued is
skipped, so its records keep the numbers they were first given."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, case, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from db.models import Officer
from db.portal_models import (
    PortalOutboxRecord,
    PortalReconciliation,
    PortalSyncState,
    RecordState,
)
from db.rows import table_of
from domain.dossier import DossierEvent, DossierState
from domain.portal import SyncRecord, dossier_record, progress_record
from domain.portal_sync import portal_dossier, portal_progress


def _now() -> datetime:
    return datetime.now(UTC)


async def sync_state_for_update(session: AsyncSession, code: str) -> PortalSyncState:
    """The dossier's sync-state row, locked (PostgreSQL) and created if missing."""
    state = await session.get(PortalSyncState, code, with_for_update=True)
    if state is None:
        state = PortalSyncState(dossier_code=code, updated_at=_now())
        session.add(state)
        await session.flush()
    return state


_SYNC = table_of(PortalSyncState)
_OUTBOX = table_of(PortalOutboxRecord)
_OFFICER = table_of(Officer)
#: the statements of `enqueue_event`, built once (each memoizes its cache key)
_LOCK_SYNC = select(_SYNC).where(_SYNC.c.dossier_code == bindparam("code")).with_for_update()
_EVENT_KNOWN = (
    select(func.count())
    .select_from(_OUTBOX)
    .where(_OUTBOX.c.dossier_code == bindparam("code"), _OUTBOX.c.event_seq == bindparam("seq"))
)
_TITLE = select(_OFFICER.c.title).where(_OFFICER.c.username == bindparam("username"))
#: the sync-state row locked, with whether the event is enqueued already and the actor's title
#: (the portal's ChucDanh), in one statement
_ENQUEUE_SYNC = (
    select(
        _SYNC.c.last_enqueued_seq,
        _EVENT_KNOWN.scalar_subquery().label("known"),
        _TITLE.scalar_subquery().label("title"),
    )
    .where(_SYNC.c.dossier_code == bindparam("code"))
    .with_for_update()
)
_SET_SYNC = update(_SYNC).where(_SYNC.c.dossier_code == bindparam("code"))
#: the statements of `next_deliveries`
_MARK_SENT = (
    update(_OUTBOX)
    .where(
        _OUTBOX.c.dossier_code == bindparam("code"),
        _OUTBOX.c.seq.in_(bindparam("seqs", expanding=True)),
        _OUTBOX.c.state == RecordState.PENDING.value,
    )
    .values(
        state=RecordState.SENT.value,
        sent_at=bindparam("now"),
        last_error="",
        attempts=_OUTBOX.c.attempts + 1,
    )
)
_PENDING = _OUTBOX.c.dossier_code == bindparam("code"), _OUTBOX.c.state == RecordState.PENDING.value
_COUNT_PENDING = select(func.count()).select_from(_OUTBOX).where(*_PENDING)
_NEXT_PENDING = (
    select(_OUTBOX.c.seq, _OUTBOX.c.kind, _OUTBOX.c.payload)
    .where(*_PENDING)
    .order_by(_OUTBOX.c.seq)
    .limit(bindparam("room"))
)


async def _locked_sync(conn: AsyncConnection, code: str, now: datetime) -> Any:
    """The dossier's sync-state row (Core), locked (PostgreSQL) and created if missing."""
    sync = (await conn.execute(_LOCK_SYNC, {"code": code})).one_or_none()
    if sync is None:
        fresh = PortalSyncState(dossier_code=code, updated_at=now).model_dump()
        await conn.execute(insert(_SYNC), fresh)
        sync = (await conn.execute(_LOCK_SYNC, {"code": code})).one()
    return sync


async def enqueue_event(session: AsyncSession, state: DossierState, event: DossierEvent) -> bool:
    """Add the dossier record and the progress record of ``event`` (once). True if added.
    Core statements on the session's connection: this runs in every clerk's action."""
    conn = await session.connection()
    now = _now()
    code = state.code
    params = {"code": code, "seq": event.seq, "username": event.actor}
    sync = (await conn.execute(_ENQUEUE_SYNC, params)).one_or_none()
    if sync is None:
        await _locked_sync(conn, code, now)  # the dossier's first record: its row is made
        sync = (await conn.execute(_ENQUEUE_SYNC, params)).one()
    if sync.known:
        return False
    seq, title = sync.last_enqueued_seq, sync.title
    records = [
        dossier_record(seq + 1, portal_dossier(state)),
        progress_record(code, seq + 2, portal_progress(state, event, title or "")),
    ]
    await conn.execute(insert(_OUTBOX), [_row(r, event_seq=event.seq, now=now) for r in records])
    await conn.execute(
        _SET_SYNC,
        {
            "code": code,
            "last_enqueued_seq": seq + 2,
            "status_code": state.status.portal_code,
            "updated_at": now,
        },
    )
    return True


@dataclass(frozen=True)
class Held:
    """No record to send now: how many wait, whether the dossier's delivery is parked, and
    whether another round holds it (`busy`)."""

    pending: int
    parked: bool = False
    reason: str = ""
    busy: bool = False


#: A claim takes at most this many records; the next claim of the round renews the lease.
CLAIM_BATCH = 10
#: The prefix of a relay round's holder (`activities.portal_relay`); a workflow's is "wf:".
RELAY_HOLDER = "relay:"


def claim_lease(portal_timeout_seconds: float) -> timedelta:
    """How long a claim holds the dossier: longer than its records take to send through a
    portal that answers each at its timeout, so the claim never lapses while its round
    lives. A claim lapses only when its round died with its process."""
    return timedelta(seconds=CLAIM_BATCH * portal_timeout_seconds + 10)


def held_by_another(sync: Any, holder: str, now: datetime) -> bool:
    """Whether a round other than `holder` holds the dossier's delivery now. A workflow's
    round yields only to a relay's: the rounds of one dossier's workflow never overlap
    (Temporal runs them one after the other), so a workflow's lease left by a killed worker
    does not hold up its retry."""
    other, until = sync.delivery_holder, sync.delivery_lease_until
    if not other or other == holder or until is None or until <= now:
        return False
    return holder.startswith(RELAY_HOLDER) or other.startswith(RELAY_HOLDER)


async def next_deliveries(
    session: AsyncSession,
    code: str,
    *,
    acked: Sequence[int],
    room: int,
    holder: str = "",
    lease: timedelta = timedelta(minutes=1),
) -> list[SyncRecord] | Held:
    """In the caller's transaction: record the portal's acknowledgement of the records
    `acked` (each one tried once more, and sent), then claim the next pending records, lowest
    seq first and at most `room` (and CLAIM_BATCH) of them, unless the delivery is parked,
    `room` is spent or another round holds it (`held_by_another`). A claim with records
    holds the dossier for `holder` for `lease` (`claim_lease`); one without lets it go. One
    transaction for a whole round's claim and one for its acknowledgements (before, one per
    record): Core statements, since every delivery round runs this."""
    conn = await session.connection()
    now = _now()
    sync = await _locked_sync(conn, code, now)
    values: dict[str, Any] = {}
    if acked:
        await conn.execute(_MARK_SENT, {"code": code, "seqs": list(acked), "now": now})
        top = max(acked)
        values |= {
            "last_acked_seq": max(sync.last_acked_seq, top),
            "last_sent_seq": max(sync.last_sent_seq, top),
            "updated_at": now,
        }
    step: list[SyncRecord] | Held
    if held_by_another(sync, holder, now):
        pending = int(await conn.scalar(_COUNT_PENDING, {"code": code}) or 0)
        step = Held(pending, busy=True)
    elif sync.parked or room <= 0:
        pending = int(await conn.scalar(_COUNT_PENDING, {"code": code}) or 0)
        step = Held(pending, parked=sync.parked, reason=sync.parked_reason if sync.parked else "")
    else:
        claim = {"code": code, "room": min(room, CLAIM_BATCH)}
        rows = (await conn.execute(_NEXT_PENDING, claim)).all()
        step = [SyncRecord(code, r.seq, r.kind, dict(r.payload)) for r in rows] or Held(0)
    if isinstance(step, list):
        values |= {"delivery_holder": holder, "delivery_lease_until": now + lease}
    elif not step.busy and sync.delivery_holder:
        values |= {"delivery_holder": "", "delivery_lease_until": None}
    if values:
        await conn.execute(_SET_SYNC, {"code": code, **values})
    return step


def _row(record: SyncRecord, *, event_seq: int | None, now: datetime) -> dict[str, Any]:
    """A pending outbox record's columns, every one (a Core insert fills no defaults)."""
    return {
        "dossier_code": record.dossier_code,
        "seq": record.seq,
        "event_seq": event_seq,
        "kind": record.kind,
        "payload": record.payload,
        "state": RecordState.PENDING.value,
        "attempts": 0,
        "last_error": "",
        "created_at": now,
        "sent_at": None,
    }


def _add(session: AsyncSession, record: SyncRecord, *, event_seq: int | None) -> None:
    session.add(PortalOutboxRecord(**_row(record, event_seq=event_seq, now=_now())))


async def enqueue_resend(session: AsyncSession, code: str) -> int | None:
    """Enqueue the latest dossier record again under a fresh seq (the portal holds a seq we
    sent but not the state we hold). Returns the new seq, or None if nothing was ever sent."""
    sync = await sync_state_for_update(session, code)
    latest = await session.scalar(
        select(PortalOutboxRecord)
        .where(
            col(PortalOutboxRecord.dossier_code) == code, col(PortalOutboxRecord.kind) == "dossier"
        )
        .order_by(col(PortalOutboxRecord.seq).desc())
        .limit(1)
    )
    if latest is None:
        return None
    seq = sync.last_enqueued_seq + 1
    _add(session, SyncRecord(code, seq, "dossier", dict(latest.payload)), event_seq=None)
    sync.last_enqueued_seq = seq
    sync.updated_at = _now()
    return seq


async def requeue_after(session: AsyncSession, code: str, after_seq: int) -> int:
    """Mark every sent record of ``code`` above ``after_seq`` pending again (the portal lost
    them); returns how many."""
    sync = await sync_state_for_update(session, code)
    result = await session.execute(
        update(PortalOutboxRecord)
        .where(
            col(PortalOutboxRecord.dossier_code) == code,
            col(PortalOutboxRecord.seq) > after_seq,
            col(PortalOutboxRecord.state) == RecordState.SENT.value,
        )
        .values(state=RecordState.PENDING.value, sent_at=None)
    )
    sync.last_acked_seq = min(sync.last_acked_seq, after_seq)
    sync.last_sent_seq = min(sync.last_sent_seq, after_seq)
    sync.updated_at = _now()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def record_at(session: AsyncSession, code: str, seq: int) -> PortalOutboxRecord | None:
    return await session.scalar(
        select(PortalOutboxRecord).where(
            col(PortalOutboxRecord.dossier_code) == code, col(PortalOutboxRecord.seq) == seq
        )
    )


async def next_pending(session: AsyncSession, code: str) -> PortalOutboxRecord | None:
    return await session.scalar(
        select(PortalOutboxRecord)
        .where(
            col(PortalOutboxRecord.dossier_code) == code,
            col(PortalOutboxRecord.state) == RecordState.PENDING.value,
        )
        .order_by(col(PortalOutboxRecord.seq))
        .limit(1)
    )


async def count_pending(session: AsyncSession, code: str) -> int:
    return int(
        await session.scalar(
            select(func.count())
            .select_from(PortalOutboxRecord)
            .where(
                col(PortalOutboxRecord.dossier_code) == code,
                col(PortalOutboxRecord.state) == RecordState.PENDING.value,
            )
        )
        or 0
    )


async def park(session: AsyncSession, record: PortalOutboxRecord, reason: str) -> None:
    """Stop the dossier's delivery on ``record``: the portal refused it as invalid."""
    sync = await sync_state_for_update(session, record.dossier_code)
    record.state = RecordState.PARKED.value
    record.last_error = reason
    sync.parked = True
    sync.parked_seq = record.seq
    sync.parked_reason = reason
    sync.parked_at = _now()
    sync.updated_at = _now()


async def redrive(session: AsyncSession, code: str) -> bool:
    """Un-park the dossier: its parked records become pending again. False if not parked."""
    sync = await session.get(PortalSyncState, code, with_for_update=True)
    if sync is None or not sync.parked:
        return False
    await session.execute(
        update(PortalOutboxRecord)
        .where(
            col(PortalOutboxRecord.dossier_code) == code,
            col(PortalOutboxRecord.state) == RecordState.PARKED.value,
        )
        .values(state=RecordState.PENDING.value)
    )
    sync.parked = False
    sync.parked_seq = None
    sync.parked_reason = ""
    sync.parked_at = None
    sync.updated_at = _now()
    return True


async def parked_records(session: AsyncSession) -> list[PortalOutboxRecord]:
    rows = await session.scalars(
        select(PortalOutboxRecord)
        .where(col(PortalOutboxRecord.state) == RecordState.PARKED.value)
        .order_by(col(PortalOutboxRecord.dossier_code), col(PortalOutboxRecord.seq))
    )
    return list(rows)


async def dossier_records(session: AsyncSession, code: str) -> list[PortalOutboxRecord]:
    rows = await session.scalars(
        select(PortalOutboxRecord)
        .where(col(PortalOutboxRecord.dossier_code) == code)
        .order_by(col(PortalOutboxRecord.seq))
    )
    return list(rows)


async def sync_states_after(
    session: AsyncSession, after_code: str, limit: int
) -> list[PortalSyncState]:
    rows = await session.scalars(
        select(PortalSyncState)
        .where(col(PortalSyncState.dossier_code) > after_code)
        .order_by(col(PortalSyncState.dossier_code))
        .limit(limit)
    )
    return list(rows)


@dataclass(frozen=True)
class SyncSummary:
    dossiers: int
    in_sync: int
    pending: int
    parked: int

    @property
    def rate(self) -> float:
        """Share of dossiers whose every record the portal has acknowledged (1.0 if none)."""
        return 1.0 if self.dossiers == 0 else round(self.in_sync / self.dossiers, 4)


async def sync_summary(session: AsyncSession) -> SyncSummary:
    synced = (col(PortalSyncState.parked).is_(False)) & (
        col(PortalSyncState.last_acked_seq) >= col(PortalSyncState.last_enqueued_seq)
    )
    row = (
        await session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(case((synced, 1), else_=0)), 0),
                func.coalesce(func.sum(case((col(PortalSyncState.parked), 1), else_=0)), 0),
            ).select_from(PortalSyncState)
        )
    ).one()
    total, in_sync, parked = int(row[0]), int(row[1]), int(row[2])
    return SyncSummary(
        dossiers=total, in_sync=in_sync, pending=total - in_sync - parked, parked=parked
    )


async def latest_reconciliation(session: AsyncSession) -> PortalReconciliation | None:
    return await session.scalar(
        select(PortalReconciliation)
        .where(col(PortalReconciliation.finished_at).is_not(None))
        .order_by(col(PortalReconciliation.id).desc())
        .limit(1)
    )


async def codes_with_pending(session: AsyncSession, *, limit: int = 10_000) -> list[str]:
    """The dossiers with records still to deliver (a worker wakes their sync at start)."""
    rows = await session.scalars(
        select(col(PortalOutboxRecord.dossier_code))
        .where(col(PortalOutboxRecord.state) == RecordState.PENDING.value)
        .distinct()
        .limit(limit)
    )
    return list(rows)
