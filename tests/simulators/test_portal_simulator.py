"""The DVCQG portal simulator over HTTP (in-process ASGI): semantics, validation, faults."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from domain.portal import (
    PortalDocument,
    PortalDossier,
    PortalProgress,
    dossier_payload,
    progress_payload,
)
from simulators.portal import DEFAULT_API_KEY, create_app

CODE = "000.00.31.H29-261123-0007"
RECEIVED = datetime(2026, 11, 23, 1, 30, tzinfo=UTC)


def dossier(status: int = 2, **changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = dict(
        code=CODE,
        procedure_code="1.001234",
        procedure_name="Cấp giấy phép xây dựng",
        channel=2,
        applicant_name="Nguyễn Văn An",
        applicant_id_number="001090012345",
        received_at=RECEIVED,
        due=RECEIVED + timedelta(days=21),
        status_code=status,
        finished_at=RECEIVED + timedelta(days=20) if status in (9, 10) else None,
        handling_unit_name="Phòng Quản lý đô thị",
        documents=(PortalDocument("TP1", "Đơn.pdf", digitized=True, reused=False),),
    )
    fields.update(changes)
    return dossier_payload(PortalDossier(**fields))


def progress(seq: int, content: str, status: int = 4) -> dict[str, Any]:
    step = PortalProgress(
        "Trần Thị Bình",
        "Chuyên viên",
        RECEIVED + timedelta(hours=seq),
        "Phòng Quản lý đô thị",
        content,
        status,
    )
    return progress_payload(CODE, seq, step)


def client_for(app: Any, **headers: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://portal",
        headers=headers or {"Authorization": f"Bearer {DEFAULT_API_KEY}"},
    )


@pytest.fixture
async def portal() -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(create_app(hang_seconds=0.2)) as client:
        yield client


async def create(client: httpx.AsyncClient, seq: int, data: dict[str, Any]) -> httpx.Response:
    return await client.post("/dvcqg/hoso", json={"seq": seq, "data": data})


async def push(client: httpx.AsyncClient, seq: int, data: dict[str, Any]) -> httpx.Response:
    return await client.post("/dvcqg/tiendo", json={"seq": seq, "MaHoSo": CODE, "data": data})


async def test_first_create_then_create_again_answers_already_exists(
    portal: httpx.AsyncClient,
) -> None:
    first = await create(portal, 1, dossier(2))
    assert first.status_code == 200
    assert first.json()["error_code"] == 0
    assert first.json()["message"] == "created"
    assert (first.json()["created"], first.json()["already_exists"]) == (True, False)

    second = await create(portal, 2, dossier(4))
    assert second.status_code == 200
    assert second.json()["message"] == "already exists; updated"
    assert (second.json()["created"], second.json()["already_exists"]) == (False, True)
    assert second.json()["duplicate"] is False

    held = (await portal.get(f"/dvcqg/hoso/{CODE}")).json()
    assert held["data"]["TrangThaiHoSo"] == 4
    assert held["last_seq"] == 2
    assert held["status_history"] == [2, 4]


async def test_same_code_and_seq_again_has_no_second_effect(portal: httpx.AsyncClient) -> None:
    await create(portal, 1, dossier(2))
    await create(portal, 2, dossier(4))

    again = await create(portal, 2, dossier(4))
    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    assert again.json()["message"] == "duplicate"
    assert again.json()["payload_differs"] is False

    held = (await portal.get(f"/dvcqg/hoso/{CODE}")).json()
    assert held["status_history"] == [2, 4]
    received = (await portal.get("/_sim/received")).json()["records"]
    assert [r["seq"] for r in received] == [1, 2]
    stats = (await portal.get("/_sim/stats")).json()
    assert (stats["applied"], stats["duplicates"]) == (2, 1)


async def test_stale_seq_is_ignored_and_breaks_the_order_flag(portal: httpx.AsyncClient) -> None:
    await create(portal, 1, dossier(2))
    await create(portal, 3, dossier(4))

    stale = await create(portal, 2, dossier(5))
    assert stale.status_code == 200
    assert stale.json()["duplicate"] is True
    assert stale.json()["stale"] is True

    held = (await portal.get(f"/dvcqg/hoso/{CODE}")).json()
    assert held["data"]["TrangThaiHoSo"] == 4
    assert held["status_history"] == [2, 4]
    assert held["in_order"] is False
    order = (await portal.get("/_sim/received")).json()["order"][CODE]
    assert order == {"arrivals": [1, 3, 2], "stale_seqs": [2], "in_order": False}


async def test_progress_entries_are_kept_in_order_with_one_seq_space(
    portal: httpx.AsyncClient,
) -> None:
    await create(portal, 1, dossier(2))
    assert (await push(portal, 2, progress(2, "Tiếp nhận", 2))).json()["message"] == (
        "progress recorded"
    )
    await push(portal, 3, progress(3, "Thẩm định"))
    await create(portal, 4, dossier(4))
    assert (await push(portal, 3, progress(3, "Thẩm định"))).json()["duplicate"] is True
    assert (await create(portal, 3, dossier(4))).json()["duplicate"] is True

    held = (await portal.get(f"/dvcqg/hoso/{CODE}")).json()
    assert [(p["seq"], p["data"]["NoiDungXuLy"]) for p in held["progress"]] == [
        (2, "Tiếp nhận"),
        (3, "Thẩm định"),
    ]
    assert held["last_seq"] == 4
    assert held["in_order"] is True


async def test_progress_for_an_unknown_dossier_is_refused(portal: httpx.AsyncClient) -> None:
    answer = await push(portal, 1, progress(1, "Tiếp nhận", 2))
    assert answer.status_code == 400
    assert answer.json()["error_code"] == 2
    assert answer.json()["message"].startswith("MaHoSo:")


async def test_lookup_of_an_unknown_dossier_is_404(portal: httpx.AsyncClient) -> None:
    answer = await portal.get("/dvcqg/hoso/NOPE")
    assert answer.status_code == 404
    assert answer.json()["error_code"] != 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"MaHoSo": None}, "MaHoSo"),
        ({"TenTTHC": ""}, "TenTTHC"),
        ({"TrangThaiHoSo": 11}, "TrangThaiHoSo"),
        ({"TrangThaiHoSo": "abc"}, "TrangThaiHoSo"),
        ({"KenhThucHien": 4}, "KenhThucHien"),
        ({"KenhThucHien": True}, "KenhThucHien"),
        ({"NgayTiepNhan": "2026-11-23"}, "NgayTiepNhan"),
        ({"NgayHenTra": "20261332080000"}, "NgayHenTra"),
        ({"NgayTiepNhan": None}, "NgayTiepNhan"),
        ({"NgayHenTra": "20261101080000"}, "NgayHenTra"),
        ({"DuocThanhToanTrucTuyen": 3}, "DuocThanhToanTrucTuyen"),
        ({"TaiLieuNop": [{"TenTepDinhKem": "a.pdf", "DuocSoHoa": 2}]}, "TaiLieuNop[0].DuocSoHoa"),
        ({"TaiLieuNop": "x"}, "TaiLieuNop"),
        (
            {"DanhSachHoSoBoSung": [{"NgayBoSung": "20261125090000", "NgayHenTraMoi": "x"}]},
            "DanhSachHoSoBoSung[0].NgayHenTraMoi",
        ),
    ],
)
async def test_invalid_dossier_fields_are_named(
    portal: httpx.AsyncClient, change: dict[str, Any], field: str
) -> None:
    answer = await create(portal, 1, {**dossier(2), **change})

    assert answer.status_code == 400
    assert answer.json()["error_code"] != 0
    assert answer.json()["message"].startswith(f"{field}: ")
    assert (await portal.get("/_sim/received")).json()["records"] == []
    assert (await portal.get("/_sim/stats")).json()["rejected"] == 1


async def test_a_resolved_dossier_needs_its_end_date(portal: httpx.AsyncClient) -> None:
    answer = await create(portal, 1, {**dossier(9), "NgayKetThucXuLy": None})
    assert answer.status_code == 400
    assert answer.json()["message"].startswith("NgayKetThucXuLy: ")


async def test_a_new_registration_needs_no_receipt_date(portal: httpx.AsyncClient) -> None:
    answer = await create(portal, 1, dossier(1, received_at=None, due=None))
    assert answer.status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"seq": 0, "data": {}}, "seq"),
        ({"seq": "1", "data": {}}, "seq"),
        ({"seq": 1, "data": []}, "data"),
    ],
)
async def test_envelope_errors_are_named(
    portal: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    answer = await portal.post("/dvcqg/hoso", json=body)
    assert answer.status_code == 400
    assert answer.json()["message"].startswith(f"{field}: ")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"NguoiXuLy": "X" * 51}, "NguoiXuLy"),
        ({"ThoiDiemXuLy": None}, "ThoiDiemXuLy"),
        ({"TrangThai": 0}, "TrangThai"),
        ({"NoiDungXuLy": ""}, "NoiDungXuLy"),
        ({"MaHoSo": "OTHER"}, "data.MaHoSo"),
    ],
)
async def test_invalid_progress_fields_are_named(
    portal: httpx.AsyncClient, change: dict[str, Any], field: str
) -> None:
    await create(portal, 1, dossier(2))
    answer = await push(portal, 2, {**progress(2, "Thẩm định"), **change})
    assert answer.status_code == 400
    assert answer.json()["message"].startswith(f"{field}: ")


async def test_wrong_or_missing_key_is_401_and_either_header_works() -> None:
    app = create_app(api_key="s3cret")
    async with client_for(app, Authorization="Bearer wrong") as wrong:
        answer = await create(wrong, 1, dossier(2))
        assert answer.status_code == 401
        assert answer.json()["error_code"] != 0
        assert (await wrong.get(f"/dvcqg/hoso/{CODE}")).status_code == 401
    async with client_for(app, **{"X-API-Key": "s3cret"}) as by_header:
        assert (await create(by_header, 1, dossier(2))).status_code == 200
    async with client_for(app, Authorization="Bearer s3cret") as by_bearer:
        assert (await by_bearer.get(f"/dvcqg/hoso/{CODE}")).status_code == 200
        assert (await by_bearer.get("/_sim/stats")).json()["unauthorized"] == 2


async def test_fail_mode_for_n_requests(portal: httpx.AsyncClient) -> None:
    await portal.post("/_sim/faults", json={"mode": "fail", "count": 2})

    assert (await create(portal, 1, dossier(2))).status_code == 503
    assert (await create(portal, 1, dossier(2))).status_code == 503
    assert (await create(portal, 1, dossier(2))).json()["message"] == "created"
    stats = (await portal.get("/_sim/stats")).json()
    assert (stats["failed"], stats["applied"]) == (2, 1)


async def test_reject_mode_for_n_requests(portal: httpx.AsyncClient) -> None:
    await portal.post("/_sim/faults", json={"mode": "reject", "count": 1})

    rejected = await create(portal, 1, dossier(2))
    assert rejected.status_code == 400
    assert rejected.json()["error_code"] != 0
    assert "simulated rejection" in rejected.json()["message"]
    assert (await create(portal, 1, dossier(2))).status_code == 200


async def test_fail_mode_for_a_period(portal: httpx.AsyncClient) -> None:
    await portal.post("/_sim/faults", json={"mode": "fail", "seconds": 0.3})

    assert (await create(portal, 1, dossier(2))).status_code == 503
    assert (await create(portal, 1, dossier(2))).status_code == 503
    await asyncio.sleep(0.35)
    assert (await create(portal, 1, dossier(2))).status_code == 200
    assert (await portal.get("/_sim/faults")).json()["mode"] == "none"


async def test_hang_mode_answers_504_after_the_hang(portal: httpx.AsyncClient) -> None:
    await portal.post("/_sim/faults", json={"mode": "hang", "count": 1, "hang_seconds": 0.1})
    answer = await create(portal, 1, dossier(2))
    assert answer.status_code == 504
    assert (await create(portal, 1, dossier(2))).status_code == 200


async def test_faults_can_be_cleared_and_leave_health_and_control_alone(
    portal: httpx.AsyncClient,
) -> None:
    await portal.post("/_sim/faults", json={"mode": "fail"})
    assert (await portal.get("/healthz")).status_code == 200
    assert (await create(portal, 1, dossier(2))).status_code == 503
    await portal.post("/_sim/faults", json={"mode": "none"})
    assert (await create(portal, 1, dossier(2))).status_code == 200


async def test_bad_fault_settings_are_refused(portal: httpx.AsyncClient) -> None:
    answer = await portal.post("/_sim/faults", json={"mode": "explode"})
    assert answer.status_code == 400
    assert answer.json()["message"].startswith("mode: ")
    assert (await portal.get("/_sim/stats")).json()["rejected"] == 0


async def test_reset_forgets_everything(portal: httpx.AsyncClient) -> None:
    await create(portal, 1, dossier(2))
    await portal.post("/_sim/faults", json={"mode": "fail"})

    await portal.post("/_sim/reset")

    assert (await portal.get("/_sim/received")).json()["records"] == []
    assert set((await portal.get("/_sim/stats")).json().values()) == {0}
    assert (await create(portal, 1, dossier(2))).json()["message"] == "created"


async def test_state_file_survives_a_new_app_instance(tmp_path: Path) -> None:
    state = str(tmp_path / "nested" / "portal.sqlite3")
    async with client_for(create_app(state)) as first:
        await create(first, 1, dossier(2))
        await push(first, 2, progress(2, "Tiếp nhận", 2))

    async with client_for(create_app(state)) as second:
        held = (await second.get(f"/dvcqg/hoso/{CODE}")).json()
        assert held["last_seq"] == 2
        assert [p["seq"] for p in held["progress"]] == [2]
        assert (await create(second, 1, dossier(2))).json()["duplicate"] is True
        assert (await create(second, 3, dossier(4))).json()["message"] == (
            "already exists; updated"
        )
