"""Helpers for the portal-sync tests: drive a dossier through the API, talk to the simulator's
control API, and wait for a dossier to be in sync."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import httpx

from tests.support.polling import eventually

LAND = "1.004227"  # four route steps across three agencies
APPLICANT = "Nguyễn Thị Hồng Nhung"
CLERK = "motcua.tnmt"
STEP_OFFICERS = ("cc.diachinh", "cv.vpdk", "cv.thue")  # forward steps 1-3
LAST_OFFICER = "cv.qldd"  # resolves at step 4
RESULT = "Cấp Giấy chứng nhận số CS 000123"
CHANNEL = 2  # online: the components arrive digitized, so reception can accept at once
COMPONENTS = ("DDK", "NGD")

#: TrangThaiHoSo after each event of the full lifecycle:
#: submit, accept, forward ×4, resolve, deliver
LIFECYCLE_STATUSES = [1, 2, 4, 4, 4, 4, 9, 10]
LIFECYCLE_RECORDS = 2 * len(LIFECYCLE_STATUSES)


@dataclass
class Timed:
    """Latency of each API call a test made, to show clerks were never held up."""

    seconds: list[float] = field(default_factory=list)

    @property
    def worst(self) -> float:
        return max(self.seconds, default=0.0)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds) if self.seconds else 0.0


async def call(
    api: httpx.AsyncClient,
    method: str,
    path: str,
    headers: dict[str, str],
    expect: int = 200,
    timed: Timed | None = None,
    **kwargs: Any,
) -> Any:
    started = time.monotonic()
    response = await api.request(method, path, headers=headers, **kwargs)
    if timed is not None:
        timed.seconds.append(time.monotonic() - started)
    assert response.status_code == expect, response.text
    return response.json()


async def submit(api: httpx.AsyncClient, login, timed: Timed | None = None) -> str:  # type: ignore[no-untyped-def]
    body = {
        "procedure_code": LAND,
        "channel": CHANNEL,
        "pay_online": False,  # fees at the desk; online payment: tests/payments
        "applicant": {"name": APPLICANT, "id_number": "079190001234"},
        "components": list(COMPONENTS),
    }
    dossier = await call(api, "POST", "/api/v1/dossiers", await login(CLERK), 201, timed, json=body)
    return str(dossier["code"])


async def act(api, login, username: str, code: str, action: str, timed=None, **body) -> Any:  # type: ignore[no-untyped-def]
    path = f"/api/v1/dossiers/{code}/actions/{action}"
    return await call(api, "POST", path, await login(username), 200, timed, json=body)


async def finish_lifecycle(api, login, code: str, timed: Timed | None = None) -> Any:  # type: ignore[no-untyped-def]
    """accept → forward ×4 → resolve → deliver on a submitted land dossier."""
    await act(api, login, CLERK, code, "accept", timed)
    await act(api, login, CLERK, code, "forward", timed)
    for officer in STEP_OFFICERS:
        await act(api, login, officer, code, "forward", timed)
    await act(
        api,
        login,
        LAST_OFFICER,
        code,
        "resolve",
        timed,
        result_kind="approval",
        result_summary=RESULT,
    )
    return await act(api, login, CLERK, code, "deliver", timed)


async def full_lifecycle(api, login, timed: Timed | None = None) -> tuple[str, Any]:  # type: ignore[no-untyped-def]
    code = await submit(api, login, timed)
    return code, await finish_lifecycle(api, login, code, timed)


async def sync_state(api: httpx.AsyncClient, login, code: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return await call(api, "GET", f"/api/v1/portal/dossiers/{code}", await login("admin"))


async def wait_in_sync(  # type: ignore[no-untyped-def]
    api: httpx.AsyncClient, login, codes: list[str], records: int, within: float = 40.0
) -> None:
    """Until every dossier has ``records`` records, all acknowledged by the portal."""
    deadline = time.monotonic() + within
    for code in codes:
        await eventually(
            partial(sync_state, api, login, code),
            lambda state: state["in_sync"] and state["last_acked_seq"] == records,
            within=max(0.0, deadline - time.monotonic()),
            every=0.2,
            what=f"{code} in sync",
        )


class Simulator:
    """The portal simulator's control and look-up API."""

    def __init__(self, http: httpx.AsyncClient, api_key: str = "demo-portal-key") -> None:
        self._http = http
        self._auth = {"Authorization": f"Bearer {api_key}"}

    async def fault(self, mode: str, **options: Any) -> None:
        response = await self._http.post("/_sim/faults", json={"mode": mode, **options})
        assert response.status_code == 200, response.text

    async def faults(self) -> dict[str, Any]:
        return (await self._http.get("/_sim/faults")).json()

    async def received(self) -> dict[str, Any]:
        return (await self._http.get("/_sim/received")).json()

    async def records(self, code: str) -> list[dict[str, Any]]:
        """What the portal applied for ``code``, in arrival order."""
        return [r for r in (await self.received())["records"] if r["MaHoSo"] == code]

    async def arrivals(self, code: str) -> dict[str, Any]:
        """Every request that reached the portal for ``code`` (applied or not)."""
        order = (await self.received())["order"]
        return order.get(code, {"arrivals": [], "stale_seqs": [], "in_order": True})

    async def stats(self) -> dict[str, int]:
        return (await self._http.get("/_sim/stats")).json()

    async def lookup(self, code: str) -> dict[str, Any] | None:
        response = await self._http.get(f"/dvcqg/hoso/{code}", headers=self._auth)
        return None if response.status_code == 404 else response.json()

    async def reset(self) -> None:
        assert (await self._http.post("/_sim/reset")).status_code == 200
