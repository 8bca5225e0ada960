"""The portal down while clerks work: nothing waits for it, and nothing is lost, reordered or
doubled once it is back."""

from __future__ import annotations

import asyncio

import httpx

from tests.portal.lifecycle import (
    LIFECYCLE_RECORDS,
    LIFECYCLE_STATUSES,
    Simulator,
    Timed,
    call,
    full_lifecycle,
    wait_in_sync,
)

LIFECYCLES = 10
WAVE = 5  # lifecycles driven at the same time


async def lifecycles(api, login, count: int, timed: Timed) -> list[tuple[str, dict]]:  # type: ignore[no-untyped-def]
    done = []
    for _ in range(0, count, WAVE):
        done += await asyncio.gather(*(full_lifecycle(api, login, timed) for _ in range(WAVE)))
    return done


async def test_outage_neither_slows_clerks_nor_loses_records(  # type: ignore[no-untyped-def]
    api: httpx.AsyncClient, login, sim: Simulator, portal_worker
) -> None:
    before = await sim.stats()
    await sim.fault("fail")  # every portal request answers 503 until we say otherwise

    timed = Timed()
    finished = await lifecycles(api, login, LIFECYCLES, timed)
    codes = [code for code, _ in finished]
    # every lifecycle ran to the end while the portal was still down: no clerk action waits
    # for the portal (latency itself is measured by `make bench`, not asserted here)
    assert len(timed.seconds) == LIFECYCLES * len(LIFECYCLE_STATUSES)
    for code in codes:
        assert await sim.records(code) == []
    admin = await login("admin")
    during = await call(api, "GET", "/api/v1/portal/sync-status", admin)
    assert during["pending"] >= LIFECYCLES and during["rate"] < 1
    assert (await sim.stats())["failed"] > before["failed"], "the outage was never hit"

    await sim.fault("none")
    await wait_in_sync(api, login, codes, LIFECYCLE_RECORDS, within=60)

    for code, ours in finished:
        records = await sim.records(code)
        assert [r["seq"] for r in records] == list(range(1, LIFECYCLE_RECORDS + 1))
        arrivals = await sim.arrivals(code)
        assert arrivals["arrivals"] == list(range(1, LIFECYCLE_RECORDS + 1)), "doubled or late"
        assert arrivals["in_order"] is True
        held = await sim.lookup(code)
        assert held is not None
        assert held["status_history"] == LIFECYCLE_STATUSES
        assert held["data"]["TrangThaiHoSo"] == ours["portal_code"] == 10
        assert held["last_seq"] == LIFECYCLE_RECORDS
    after = await sim.stats()
    assert after["stale"] == before["stale"]
    assert after["duplicates"] == before["duplicates"]
    status = await call(api, "GET", "/api/v1/portal/sync-status", admin)
    assert status["in_sync"] >= LIFECYCLES
