"""National-portal sync end to end: the API drives dossiers on the dev server, the portal-sync
worker delivers their outbox to a real simulator process, and we compare what it received."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import httpx
from temporalio.client import Client

from domain.portal import format_portal_time
from tests.portal.lifecycle import (
    APPLICANT,
    CHANNEL,
    CLERK,
    COMPONENTS,
    LAND,
    LIFECYCLE_RECORDS,
    LIFECYCLE_STATUSES,
    RESULT,
    Simulator,
    act,
    call,
    finish_lifecycle,
    full_lifecycle,
    submit,
    sync_state,
    wait_in_sync,
)
from tests.support.polling import eventually
from workflows.portal_sync_client import ensure_reconcile_schedule, reconcile_schedule_id


def portal_time(value: str | None) -> str | None:
    return None if value is None else format_portal_time(datetime.fromisoformat(value))


async def test_full_lifecycle_reaches_the_portal_in_order(  # type: ignore[no-untyped-def]
    api: httpx.AsyncClient, login, sim: Simulator, portal_worker
) -> None:
    code, final = await full_lifecycle(api, login)
    await wait_in_sync(api, login, [code], LIFECYCLE_RECORDS)

    records = await sim.records(code)
    assert [r["seq"] for r in records] == list(range(1, LIFECYCLE_RECORDS + 1))
    assert [r["kind"] for r in records] == ["dossier", "progress"] * len(LIFECYCLE_STATUSES)
    dossiers = [r["data"] for r in records if r["kind"] == "dossier"]
    progress = [r["data"] for r in records if r["kind"] == "progress"]
    assert [d["TrangThaiHoSo"] for d in dossiers] == LIFECYCLE_STATUSES
    assert [p["TrangThai"] for p in progress] == LIFECYCLE_STATUSES
    arrivals = await sim.arrivals(code)
    assert arrivals["arrivals"] == list(range(1, LIFECYCLE_RECORDS + 1)), "sent twice or late"
    assert arrivals["in_order"] is True

    # the dossier as the portal holds it at the end
    last = dossiers[-1]
    assert last["MaHoSo"] == code and last["MaTTHC"] == LAND
    assert last["ChuHoSo"] == APPLICANT and last["KenhThucHien"] == CHANNEL
    assert [(d["MaThanhPhanHoSo"], d["DuocSoHoa"]) for d in last["TaiLieuNop"]] == [
        (c, 1) for c in COMPONENTS
    ]
    assert last["HoSoCoThanhPhanSoHoa"] == 1
    assert last["NgayTiepNhan"] == portal_time(final["received_at"])
    assert last["NgayHenTra"] == portal_time(final["due_at"])
    assert last["NgayKetThucXuLy"] == portal_time(final["finished_at"])
    # returned: the receiving agency (the department, which also owns step 2) holds it
    assert last["DonViXuLy"] == final["steps"][1]["agency_name"]
    assert [r["TenGiayTo"] for r in last["DanhSachGiayToKetQua"]] == [RESULT]
    assert dossiers[0]["NgayTiepNhan"] is None  # submitted, not yet received
    assert all(d["NgayTiepNhan"] for d in dossiers[1:])
    # processing: the handling agency is the current step's
    assert dossiers[2]["DonViXuLy"] == final["steps"][0]["agency_name"]

    # who did what, where, with which time limit
    steps = final["steps"]
    desk = progress[1]["PhongBanXuLy"]
    assert desk.startswith("Bộ phận Một cửa")
    assert [p["NguoiXuLy"] for p in progress] == [
        APPLICANT,
        "Trần Thị Mai",
        "Trần Thị Mai",
        "Quách Thị Diệu",
        "Hoàng Văn Nam",
        "Đinh Công Sơn",
        "Đặng Quốc Bảo",
        "Trần Thị Mai",
    ]
    assert [p["PhongBanXuLy"] for p in progress] == [
        desk,
        desk,
        desk,
        steps[0]["unit_name"],
        steps[1]["unit_name"],
        steps[2]["unit_name"],
        steps[3]["unit_name"],
        desk,
    ]
    assert progress[1]["ChucDanh"] == "Công chức Một cửa"
    assert progress[1]["NoiDungXuLy"] == "Tiếp nhận hồ sơ"
    assert progress[6]["NoiDungXuLy"].endswith(RESULT)
    for p, step in zip(progress[3:7], steps, strict=True):
        assert p["NgayBatDau"] == portal_time(step["started_at"])
        assert p["NgayKetThucTheoQuyDinh"] == portal_time(step["due_at"])
    assert [p["Id"] for p in progress] == list(range(2, LIFECYCLE_RECORDS + 1, 2))

    state = await sync_state(api, login, code)
    assert state["last_sent_seq"] == state["last_acked_seq"] == LIFECYCLE_RECORDS
    assert state["parked"] is False
    assert {r["state"] for r in state["records"]} == {"sent"}


async def test_invalid_payload_is_parked_listed_and_redriven(  # type: ignore[no-untyped-def]
    api: httpx.AsyncClient, login, sim: Simulator, portal_worker
) -> None:
    admin = await login("admin")
    # the rejection goes to the next request the portal sees: wait until no other dossier's
    # record (earlier tests' backlog) is on its way, so that it is this dossier's first
    await _wait_quiet(sim)
    await sim.fault("reject", count=1)
    code = await submit(api, login)
    await act(api, login, CLERK, code, "accept")
    parked = await _wait_parked(api, login, code)
    assert parked["parked_seq"] == 1
    assert parked["parked_reason"] == "data: simulated rejection"

    listed = await call(api, "GET", "/api/v1/portal/parked", admin)
    mine = [r for r in listed if r["dossier_code"] == code]
    assert [(r["seq"], r["kind"], r["reason"]) for r in mine] == [
        (1, "dossier", "data: simulated rejection")
    ]
    assert mine[0]["payload"]["MaHoSo"] == code
    status = await call(api, "GET", "/api/v1/portal/sync-status", admin)
    assert status["parked"] >= 1 and status["rate"] < 1
    assert status["dossiers"] == status["in_sync"] + status["pending"] + status["parked"]
    # nothing after the parked record went out: order is kept
    assert await sim.records(code) == []
    # clerks carry on while the record waits for an operator
    await act(api, login, CLERK, code, "forward")

    clerk = await login(CLERK)
    await call(api, "GET", "/api/v1/portal/parked", clerk, expect=403)
    await call(api, "POST", f"/api/v1/portal/parked/{code}/redrive", clerk, expect=403)

    redriven = await call(api, "POST", f"/api/v1/portal/parked/{code}/redrive", admin)
    assert redriven["parked"] is False
    await wait_in_sync(api, login, [code], 6)
    assert [r["seq"] for r in await sim.records(code)] == [1, 2, 3, 4, 5, 6]
    listed = await call(api, "GET", "/api/v1/portal/parked", admin)
    assert all(r["dossier_code"] != code for r in listed)
    again = await call(api, "POST", f"/api/v1/portal/parked/{code}/redrive", admin, expect=409)
    assert "not parked" in again["detail"]


async def _wait_quiet(sim: Simulator, quiet_for: float = 1.5, within: float = 60) -> None:
    """Until the portal has seen no request for `quiet_for` seconds (at most `within`): when
    this module's portal worker starts, earlier tests' dossiers deliver their backlog."""
    import asyncio
    import time

    started = last_change = time.monotonic()
    seen = await sim.stats()
    while time.monotonic() - last_change < quiet_for and time.monotonic() - started < within:
        await asyncio.sleep(0.3)
        now = await sim.stats()
        if now != seen:
            seen, last_change = now, time.monotonic()


async def _wait_parked(api, login, code: str) -> dict:  # type: ignore[no-untyped-def]
    return await eventually(
        lambda: sync_state(api, login, code),
        lambda state: state["parked"],
        within=30,
        what=f"{code} parked",
    )


async def reconcile(api: httpx.AsyncClient, admin: dict[str, str], temporal_client) -> Any:  # type: ignore[no-untyped-def]
    """Run a reconciliation and return its report. The API answers 202 when the run outlives
    its wait (a busy machine, a test database of hundreds of dossiers): wait for the run."""
    response = await api.post("/api/v1/portal/reconcile", headers=admin)
    if response.status_code == 202:
        await temporal_client.get_workflow_handle(response.json()["workflow_id"]).result()
        status = await call(api, "GET", "/api/v1/portal/sync-status", admin)
        return status["last_reconciliation"]
    assert response.status_code == 200, response.text
    return response.json()


async def test_reconciliation_resends_what_the_portal_lost(  # type: ignore[no-untyped-def]
    api: httpx.AsyncClient, login, sim: Simulator, portal_worker, temporal_client
) -> None:
    admin = await login("admin")
    code, _ = await full_lifecycle(api, login)
    await wait_in_sync(api, login, [code], LIFECYCLE_RECORDS)

    await sim.reset()  # the portal loses everything it held
    assert await sim.lookup(code) is None
    report = await reconcile(api, admin, temporal_client)
    assert report["resent"] >= 1 and report["rate"] < 1
    assert report["dossiers"] >= 1

    await wait_in_sync(api, login, [code], LIFECYCLE_RECORDS)
    held = await sim.lookup(code)
    assert held is not None
    assert held["last_seq"] == LIFECYCLE_RECORDS
    assert held["status_history"] == LIFECYCLE_STATUSES
    assert held["in_order"] is True
    assert (await sync_state(api, login, code))["reconciled_at"] is not None

    # once re-sent, a second run finds this dossier in sync and stores the rate
    report = await reconcile(api, admin, temporal_client)
    status = await call(api, "GET", "/api/v1/portal/sync-status", admin)
    assert status["last_reconciliation"]["id"] == report["id"]
    assert status["last_reconciliation"]["rate"] == report["rate"]
    assert report["in_sync"] >= 1
    clerk = await login(CLERK)
    await call(api, "POST", "/api/v1/portal/reconcile", clerk, expect=403)


async def test_dossier_sync_state_is_scoped_like_the_dossier(  # type: ignore[no-untyped-def]
    api: httpx.AsyncClient, login, portal_worker
) -> None:
    code = await submit(api, login)
    await finish_lifecycle(api, login, code)
    mine = await call(api, "GET", f"/api/v1/portal/dossiers/{code}", await login(CLERK))
    assert mine["dossier_code"] == code
    outsider = await login("motcua.sxd")
    await call(api, "GET", f"/api/v1/portal/dossiers/{code}", outsider, expect=403)
    await call(api, "GET", "/api/v1/portal/dossiers/NOPE-1", outsider, expect=404)


async def test_reconcile_schedule_is_created_once(temporal_client: Client) -> None:
    queue = f"portal-sync-{uuid.uuid4().hex[:6]}"
    assert await ensure_reconcile_schedule(temporal_client, task_queue=queue) is True
    assert await ensure_reconcile_schedule(temporal_client, task_queue=queue) is False
    handle = temporal_client.get_schedule_handle(reconcile_schedule_id(queue))
    described = await handle.describe()
    assert [i.every.total_seconds() for i in described.schedule.spec.intervals] == [600]
    await handle.delete()
