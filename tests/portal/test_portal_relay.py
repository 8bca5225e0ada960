"""The relay beside the dossier worker: a dossier's new records reach the portal without a
workflow round while the portal answers, and go to the dossier's sync workflow, which waits the
outage out, when it does not. The relay and a workflow never send one dossier's records at once.

Against the real portal simulator, the real database and, for the hand-over, the dev server with
a real portal-sync worker."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from temporalio.client import Client
from temporalio.service import RPCError

from activities.portal_client import PortalClient
from activities.portal_relay import PortalRelay
from activities.portal_sync import PortalSyncActivities
from config import Settings
from db import portal_outbox as outbox
from db.engine import writing
from db.portal_models import PortalOutboxRecord, PortalSyncState
from domain.portal import PortalDossier, dossier_record
from tests.portal.lifecycle import Simulator
from tests.support.polling import eventually
from workflows.portal_sync import portal_sync_workflow_id
from workflows.portal_sync_client import wake_portal_sync

RECORDS = 4
RECEIVED = datetime(2026, 12, 7, 1, 30, tzinfo=UTC)


async def pending_dossier(sessions) -> str:  # type: ignore[no-untyped-def]
    """A dossier whose outbox holds RECORDS records the portal accepts, none sent."""
    code = f"000.00.31.H29-261207-{random.randrange(10**6):06d}"
    now = datetime.now(UTC)
    async with sessions() as session, session.begin():
        session.add(PortalSyncState(dossier_code=code, last_enqueued_seq=RECORDS, updated_at=now))
        for seq in range(1, RECORDS + 1):
            record = dossier_record(
                seq,
                PortalDossier(
                    code=code,
                    procedure_code="1.004227",
                    procedure_name="Cấp Giấy chứng nhận quyền sử dụng đất",
                    channel=2,
                    applicant_name="Nguyễn Thị Hồng Nhung",
                    applicant_id_number="079190001234",
                    received_at=RECEIVED,
                    due=RECEIVED + timedelta(days=30),
                    status_code=2 if seq < RECORDS else 4,
                    finished_at=None,
                    handling_unit_name="Văn phòng đăng ký đất đai",
                ),
            )
            session.add(
                PortalOutboxRecord(
                    dossier_code=code,
                    seq=seq,
                    event_seq=seq,
                    kind=record.kind,
                    payload=record.payload,
                    created_at=now,
                )
            )
    return code


async def sync_row(sessions, code: str) -> PortalSyncState:  # type: ignore[no-untyped-def]
    async with sessions() as session:
        state = await session.get(PortalSyncState, code)
        assert state is not None
        return state


async def has_sync_workflow(client: Client, code: str) -> bool:
    try:
        await client.get_workflow_handle(portal_sync_workflow_id(code)).describe()
    except RPCError:
        return False
    return True


class Wakes:
    """The relay's hand-over, recorded and passed on to `then` (if any)."""

    def __init__(self, then=None) -> None:  # type: ignore[no-untyped-def]
        self.codes: list[str] = []
        self._then = then

    async def __call__(self, code: str, reason: str) -> None:
        self.codes.append(code)
        if self._then is not None:
            await self._then(code, reason)


@asynccontextmanager
async def relay_to(settings: Settings, sessions, wakes: Wakes) -> AsyncIterator[PortalRelay]:  # type: ignore[no-untyped-def]
    """The relay as the dossier worker builds it, on the module's simulator (2 s timeout)."""
    async with PortalClient(settings.portal_base_url, settings.portal_api_key, 2.0) as portal:
        sync = PortalSyncActivities(sessions, portal, lambda _: None)  # type: ignore[arg-type, return-value]
        yield PortalRelay.through(sync, wakes)


async def test_with_the_portal_up_the_relay_delivers_in_order_without_a_workflow(  # type: ignore[no-untyped-def]
    sessions, sim: Simulator, portal_settings: Settings, dev_env
) -> None:
    code = await pending_dossier(sessions)
    wakes = Wakes()
    async with relay_to(portal_settings, sessions, wakes) as relay:
        await relay(code, "new records")
        await relay(code, "poked again")  # nothing left: the portal sees nothing twice
    assert wakes.codes == [] and relay.delivered == 2
    arrivals = await sim.arrivals(code)
    assert arrivals["arrivals"] == list(range(1, RECORDS + 1)) and arrivals["in_order"] is True
    state = await sync_row(sessions, code)
    assert state.in_sync and state.last_acked_seq == RECORDS
    assert state.delivery_holder == "" and state.delivery_lease_until is None  # let go
    assert not await has_sync_workflow(dev_env.client, code)


async def test_with_the_portal_down_the_workflow_takes_over_and_delivers_once_it_is_back(  # type: ignore[no-untyped-def]
    sessions, sim: Simulator, portal_settings: Settings, dev_env, portal_worker
) -> None:
    first, second = await pending_dossier(sessions), await pending_dossier(sessions)
    client = dev_env.client

    async def wake(code: str, reason: str) -> None:
        await wake_portal_sync(
            client, code, task_queue=portal_settings.portal_task_queue, reason=reason
        )

    wakes = Wakes(wake)
    await sim.fault("fail")
    try:
        async with relay_to(portal_settings, sessions, wakes) as relay:
            await relay(first, "new records")
            assert relay.standing_aside  # the portal failed it: the workflows deliver for now
            tried = (await sim.stats())["failed"]
            await relay(second, "new records")
            assert (await sim.stats())["failed"] == tried, "the relay tried a portal it knew down"
        assert wakes.codes == [first, second] and relay.delivered == 0
        failed = await sync_row(sessions, first)
        # the relay let go (its workflow's round may hold the dossier by now)
        assert failed.last_acked_seq == 0
        assert not failed.delivery_holder.startswith(outbox.RELAY_HOLDER)
        assert await has_sync_workflow(client, first) and await has_sync_workflow(client, second)
    finally:
        await sim.fault("none")

    async def both_synced() -> bool:
        return all([(await sync_row(sessions, c)).in_sync for c in (first, second)])

    await eventually(both_synced, lambda synced: synced, within=60, what="both dossiers synced")
    for code in (first, second):
        arrivals = await sim.arrivals(code)
        applied = [r["seq"] for r in await sim.records(code)]
        assert applied == list(range(1, RECORDS + 1)), "lost, doubled or reordered"
        assert arrivals["in_order"] is True


async def test_a_relay_round_and_a_workflow_round_never_hold_one_dossier_at_once(sessions) -> None:  # type: ignore[no-untyped-def]
    code = await pending_dossier(sessions)
    lease = timedelta(seconds=30)

    async def claim(holder: str, acked: tuple[int, ...] = ()) -> list[int] | outbox.Held:
        async with writing(sessions) as session:
            step = await outbox.next_deliveries(
                session, code, acked=list(acked), room=10, holder=holder, lease=lease
            )
        return step if isinstance(step, outbox.Held) else [r.seq for r in step]

    assert await claim("wf:a") == [1, 2, 3, 4]
    busy = await claim("relay:r")
    assert isinstance(busy, outbox.Held) and busy.busy and busy.pending == RECORDS
    # a workflow's rounds run one after the other: the lease a killed worker's round left
    # does not hold up the retry, which takes the dossier over
    assert await claim("wf:b") == [1, 2, 3, 4]
    assert await claim("wf:b", acked=(1, 2, 3, 4)) == outbox.Held(0)  # done: it lets go
    assert (await sync_row(sessions, code)).delivery_holder == ""

    async with writing(sessions) as session:  # two more records, and the relay takes them
        await outbox.requeue_after(session, code, 2)
    assert await claim("relay:r") == [3, 4]
    held = await claim("wf:c")
    assert isinstance(held, outbox.Held) and held.busy  # a workflow yields to the relay
    # a relay round that died with its process holds the dossier only until its lease ends
    async with writing(sessions) as session:
        state = await session.get(PortalSyncState, code)
        assert state is not None and state.delivery_holder == "relay:r"
        state.delivery_lease_until = datetime.now(UTC) - timedelta(seconds=1)
    assert await claim("wf:c") == [3, 4]


async def test_the_relay_hands_over_whatever_it_leaves_and_stands_aside_for_a_while() -> None:
    from activities.portal_client import PortalUnavailable
    from activities.portal_sync import DeliveryBusy
    from messages import DeliveryInput, DeliveryOutcome

    now = [0.0]
    answers: list[object] = [
        DeliveryOutcome(2, 0),  # all sent
        DeliveryOutcome(0, 0, parked=True),  # parked: its re-drive wakes the workflow
        DeliveryOutcome(50, 3),  # a backlog left
        DeliveryBusy("a workflow's round holds it"),
        RuntimeError("database away"),
        PortalUnavailable("portal timed out"),
        DeliveryOutcome(2, 0),  # after standing aside
    ]
    tried: list[str] = []

    async def deliver(delivery: DeliveryInput) -> DeliveryOutcome:
        tried.append(delivery.dossier_code)
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        assert isinstance(answer, DeliveryOutcome)
        return answer

    wakes = Wakes()
    relay = PortalRelay(deliver, wakes, stand_aside=timedelta(seconds=30), clock=lambda: now[0])
    for code in ("sent", "parked", "backlog", "busy", "broken", "down"):
        await relay(code, "new records")
    assert wakes.codes == ["backlog", "busy", "broken", "down"]
    await relay("while-down", "new records")  # not tried: straight to its workflow
    assert tried[-1] == "down" and wakes.codes[-1] == "while-down"
    now[0] = 31.0
    await relay("back", "new records")
    assert tried[-1] == "back" and wakes.codes[-1] == "while-down"
    assert (relay.delivered, relay.handed) == (3, 5)
