"""The portal adapter against the simulator running as a real process on a real port."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import pytest

from activities.portal_client import (
    PortalAck,
    PortalClient,
    PortalRejected,
    PortalUnavailable,
)
from domain.portal import (
    PortalDossier,
    PortalProgress,
    SyncRecord,
    dossier_record,
    progress_record,
)
from tests.support.pages import PAGE, page_server
from tests.support.processes import HttpService, free_port, start_portal_simulator

API_KEY = "test-portal-key"
CODE = "000.00.31.H29-261123-0001"
RECEIVED = datetime(2026, 11, 23, 1, 30, tzinfo=UTC)


def dossier(seq: int, status: int) -> SyncRecord:
    return dossier_record(
        seq,
        PortalDossier(
            code=CODE,
            procedure_code="1.001234",
            procedure_name="Cấp giấy phép xây dựng",
            channel=1,
            applicant_name="Lê Văn Cường",
            applicant_id_number="001090054321",
            received_at=RECEIVED,
            due=RECEIVED + timedelta(days=14),
            status_code=status,
            finished_at=None,
            handling_unit_name="Phòng Quản lý đô thị",
        ),
    )


def step(seq: int, content: str) -> SyncRecord:
    return progress_record(
        CODE,
        seq,
        PortalProgress(
            "Phạm Thị Dung",
            "Chuyên viên",
            RECEIVED + timedelta(hours=seq),
            "Phòng Quản lý đô thị",
            content,
            4,
        ),
    )


@pytest.fixture(scope="module")
def simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpService]:
    state = tmp_path_factory.mktemp("portal") / "portal.sqlite3"
    with start_portal_simulator(state, api_key=API_KEY) as service:
        yield service


async def control(simulator: HttpService, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    """Call the simulator's unauthenticated ``/_sim`` control API."""
    async with httpx.AsyncClient(base_url=simulator.base_url) as http:
        response = await http.request(method, path, **kwargs)
        response.raise_for_status()
        return dict(response.json())


async def set_fault(simulator: HttpService, **fault: object) -> None:
    await control(simulator, "POST", "/_sim/faults", json=fault)


@pytest.fixture
async def portal(simulator: HttpService) -> AsyncIterator[PortalClient]:
    await control(simulator, "POST", "/_sim/reset")
    client = PortalClient(simulator.base_url, API_KEY, timeout_seconds=5.0)
    try:
        yield client
    finally:
        await client.aclose()
        await set_fault(simulator, mode="none")


async def test_sends_dossier_and_progress_records_and_reads_them_back(
    portal: PortalClient,
) -> None:
    created = await portal.send(dossier(1, 2))
    assert created == PortalAck(duplicate=False, message="created", already_exists=False)
    assert (await portal.send(step(2, "Tiếp nhận hồ sơ"))).duplicate is False
    updated = await portal.send(dossier(3, 4))
    assert updated.already_exists is True
    assert updated.duplicate is False

    held = await portal.lookup(CODE)
    assert held is not None
    assert held["data"]["TrangThaiHoSo"] == 4
    assert held["status_history"] == [2, 4]
    assert [p["data"]["NoiDungXuLy"] for p in held["progress"]] == ["Tiếp nhận hồ sơ"]
    assert held["last_seq"] == 3


async def test_sending_the_same_record_twice_is_acknowledged_as_duplicate(
    portal: PortalClient, simulator: HttpService
) -> None:
    await portal.send(dossier(1, 2))
    again = await portal.send(dossier(1, 2))
    assert again.duplicate is True

    stats = await control(simulator, "GET", "/_sim/stats")
    assert (stats["applied"], stats["duplicates"]) == (1, 1)


async def test_lookup_of_an_unknown_dossier_is_none(portal: PortalClient) -> None:
    assert await portal.lookup("NO-SUCH-CODE") is None


async def test_outage_is_unavailable_then_the_retry_goes_through(
    portal: PortalClient, simulator: HttpService
) -> None:
    await set_fault(simulator, mode="fail", count=1)
    with pytest.raises(PortalUnavailable):
        await portal.send(dossier(1, 2))
    assert (await portal.send(dossier(1, 2))).message == "created"


async def test_a_hanging_portal_is_unavailable_after_the_client_timeout(
    simulator: HttpService,
) -> None:
    await control(simulator, "POST", "/_sim/reset")
    await set_fault(simulator, mode="hang", count=1)
    async with PortalClient(simulator.base_url, API_KEY, timeout_seconds=1.0) as impatient:
        with pytest.raises(PortalUnavailable, match="timed out"):
            await impatient.send(dossier(1, 2))
        assert (await impatient.send(dossier(1, 2))).message == "created"
    await set_fault(simulator, mode="none")  # lets the stuck request on the server finish


async def test_rejection_is_permanent_and_carries_the_portal_message(
    portal: PortalClient, simulator: HttpService
) -> None:
    await set_fault(simulator, mode="reject", count=1)
    with pytest.raises(PortalRejected) as rejected:
        await portal.send(dossier(1, 2))
    assert rejected.value.message == "data: simulated rejection"


async def test_an_invalid_payload_is_rejected_with_the_field_named(portal: PortalClient) -> None:
    record = dossier(1, 2)
    broken = SyncRecord(CODE, 1, "dossier", {**record.payload, "NgayHenTra": "2026-12-07"})
    with pytest.raises(PortalRejected, match=r"^NgayHenTra: "):
        await portal.send(broken)


async def test_a_wrong_key_is_not_mistaken_for_a_bad_payload(simulator: HttpService) -> None:
    async with PortalClient(simulator.base_url, "wrong-key", timeout_seconds=2.0) as client:
        with pytest.raises(PortalUnavailable, match="401"):
            await client.send(dossier(1, 2))


async def test_nobody_listening_is_unavailable() -> None:
    async with PortalClient(f"http://127.0.0.1:{free_port()}", API_KEY, 1.0) as client:
        with pytest.raises(PortalUnavailable):
            await client.lookup(CODE)


async def test_an_injected_http_client_is_used_and_left_open(simulator: HttpService) -> None:
    async with aiohttp.ClientSession() as http:
        client = PortalClient(simulator.base_url, API_KEY, 2.0, http_client=http)
        assert await client.lookup("NO-SUCH-CODE") is None
        await client.aclose()
        assert not http.closed


def test_state_survives_a_restart_of_the_process(tmp_path: Path) -> None:
    state = tmp_path / "portal.sqlite3"
    body = {"seq": 1, "data": dossier(1, 2).payload}
    headers = {"X-API-Key": API_KEY}
    for attempt in range(2):
        with start_portal_simulator(state, api_key=API_KEY) as service:
            answer = httpx.post(service.base_url + "/dvcqg/hoso", json=body, headers=headers)
            assert answer.json()["duplicate"] is (attempt == 1)


@pytest.fixture
async def gateway() -> AsyncIterator[str]:
    async with page_server() as url:
        yield url


async def test_a_page_that_is_not_the_portals_json_is_unavailable(gateway: str) -> None:
    async with PortalClient(gateway, API_KEY, 2.0) as client:
        with pytest.raises(PortalUnavailable, match="answered 200 without JSON"):
            await client.send(dossier(1, 2))


async def test_an_error_page_is_unavailable_and_quotes_the_page(gateway: str) -> None:
    async with PortalClient(gateway + "/502", API_KEY, 2.0) as client:
        with pytest.raises(PortalUnavailable, match=f"HTTP 502: {PAGE}"):
            await client.lookup(CODE)
