"""The national portal forwards a dossier submitted on it: the real simulator process pushes
it to motcua's API (served over HTTP here), which files it once under the portal's MaHoSo as
an online dossier, refuses another payload under the same code, and sends its statuses back
to the portal, to the end (a withdrawal included)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import uvicorn

from config import Settings
from tests.portal.lifecycle import Simulator
from tests.support.polling import eventually
from tests.support.processes import HttpService, free_port


@pytest.fixture
async def motcua_url(portal_settings: Settings, dev_env, engine) -> AsyncIterator[str]:  # type: ignore[no-untyped-def]
    """The API over real HTTP, for the simulator to call."""
    from api.app import create_app

    port = free_port()
    app = create_app(portal_settings, temporal=dev_env.client, engine=engine)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    await eventually(lambda: server.started, within=20, every=0.05, what="the API listening")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await serving


def portal_dossier(code: str, **changes: Any) -> dict[str, Any]:
    return {
        "MaHoSo": code,
        "MaTTHC": "1.004227",
        "TenTTHC": "Đăng ký đất đai",
        "KenhThucHien": 2,
        "ChuHoSo": "Đoàn Thị Lan",
        "SoGiayToChuHoSo": "079190005555",
        "TaiLieuNop": [
            {"MaThanhPhanHoSo": "DDK", "TenTepDinhKem": "don.pdf", "DuocSoHoa": 1},
            {"MaThanhPhanHoSo": "NGD", "TenTepDinhKem": "so-do.pdf", "DuocSoHoa": 1},
        ],
        **changes,
    }


async def forward(portal: HttpService, target: str, data: dict[str, Any]) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=portal.base_url, timeout=40) as http:
        answer = await http.post("/_sim/forward", json={"target": target, "data": data})
    assert answer.status_code == 200, answer.text
    return answer.json()


async def test_a_forwarded_dossier_delivered_twice_is_filed_once_and_synced_back(  # type: ignore[no-untyped-def]
    portal_service: HttpService, sim: Simulator, portal_worker, motcua_url: str, api, login
) -> None:
    code = f"G22.{uuid.uuid4().hex[:6].upper()}-261202-0001"
    first = await forward(portal_service, motcua_url, portal_dossier(code))
    assert first["status_code"] == 201, first
    assert (first["body"]["MaHoSo"], first["body"]["created"]) == (code, True)
    again = await forward(portal_service, motcua_url, portal_dossier(code))
    assert again["status_code"] == 200 and again["body"]["created"] is False
    other = await forward(portal_service, motcua_url, portal_dossier(code, ChuHoSo="Người khác"))
    assert other["status_code"] == 409, other

    async with httpx.AsyncClient(base_url=motcua_url) as motcua:
        unsigned = await motcua.post("/api/v1/portal/inbound/dossiers", json=portal_dossier(code))
        assert unsigned.status_code == 401
        keyed = {"X-API-Key": "demo-portal-key"}
        bad = await motcua.post(
            "/api/v1/portal/inbound/dossiers",
            json=portal_dossier("G22.X-2", KenhThucHien=1),
            headers=keyed,
        )
        assert bad.status_code == 422 and "KenhThucHien" in bad.text

    clerk = await login("motcua.tnmt")
    listed = (await api.get("/api/v1/dossiers", params={"q": code}, headers=clerk)).json()
    items = listed["items"] if isinstance(listed, dict) else listed
    assert [d["code"] for d in items if d["code"] == code] == [code]
    detail = (await api.get(f"/api/v1/dossiers/{code}", headers=clerk)).json()
    assert detail["channel"] == 2 and detail["applicant"]["name"] == "Đoàn Thị Lan"

    async def portal_status() -> int | None:
        held = await sim.lookup(code)
        return None if held is None else held["data"]["TrangThaiHoSo"]

    assert await eventually(portal_status, lambda s: s == 1, within=40, what="status 1") == 1
    accepted = await api.post(f"/api/v1/dossiers/{code}/actions/accept", json={}, headers=clerk)
    assert accepted.status_code == 200, accepted.text
    await eventually(portal_status, lambda s: s == 2, within=40, what="the portal at 2")
    withdrawn = await api.post(
        f"/api/v1/dossiers/{code}/actions/withdraw",
        json={"reason": "Công dân rút hồ sơ"},
        headers=clerk,
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    await eventually(portal_status, lambda s: s == 7, within=40, what="the portal at 7")
    held = await sim.lookup(code)
    assert held is not None and held["status_history"][-1] == 7
