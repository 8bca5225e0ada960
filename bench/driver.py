"""Drives dossiers through the REST API the way the one-stop desk does: log the officers in
once, submit a land-certificate dossier online, and run it through its three-agency route."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import defaultdict
from typing import Any

import httpx

from db.seed import DEMO_PASSWORD

LAND = "1.004227"  # four route steps across three agencies
CLERK = "motcua.tnmt"
STEP_OFFICERS = ("cc.diachinh", "cv.vpdk", "cv.thue")  # forward steps 1-3
LAST_OFFICER = "cv.qldd"  # resolves at step 4
ADMIN = "admin"
USERS = (CLERK, *STEP_OFFICERS, LAST_OFFICER, ADMIN)


class ApiError(RuntimeError):
    pass


def server_timing(header: str) -> dict[str, float]:
    """`total;dur=53.1, update;dur=36.0` as seconds by name (entries without `dur` skipped)."""
    phases: dict[str, float] = {}
    for entry in header.split(","):
        name, _, params = entry.strip().partition(";")
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "dur" and name:
                phases[name] = float(value) / 1000
    return phases


#: RFC 7240: the action's answer is its outcome, not the dossier read back
MINIMAL = {"Prefer": "return=minimal"}


class Desk:
    """An HTTP client with every officer logged in, recording each call's latency by name."""

    def __init__(self, base_url: str, connections: int = 64):
        self.http = httpx.AsyncClient(
            base_url=base_url,
            timeout=120,
            limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
        )
        self.tokens: dict[str, dict[str, str]] = {}
        self.timings: dict[str, list[float]] = defaultdict(list)

    async def __aenter__(self) -> Desk:
        for username in USERS:
            response = await self.http.post(
                "/api/v1/auth/token", data={"username": username, "password": DEMO_PASSWORD}
            )
            if response.status_code != 200:
                raise ApiError(f"login {username}: {response.status_code} {response.text}")
            token = response.json()["access_token"]
            self.tokens[username] = {"Authorization": f"Bearer {token}"}
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.aclose()

    async def call(
        self,
        user: str,
        method: str,
        path: str,
        name: str,
        expect: int = 200,
        server: list[dict[str, float]] | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> Any:
        """One API call, timed; with `server`, the API's own `Server-Timing` of it is added
        there (seconds per phase), so a figure can say which side the time went to."""
        started = time.perf_counter()
        response = await self.http.request(
            method, path, headers={**self.tokens[user], **(headers or {})}, **kwargs
        )
        self.timings[name].append(time.perf_counter() - started)
        if response.status_code != expect:
            raise ApiError(f"{method} {path}: {response.status_code} {response.text[:500]}")
        if server is not None:
            server.append(server_timing(response.headers.get("server-timing", "")))
        return response.json()

    async def submit(self, procedure: str = LAND) -> str:
        body = {
            "procedure_code": procedure,
            "channel": 2,  # online: components arrive digitized, no scans at reception
            "applicant": {"name": "Nguyễn Thị Hồng Nhung", "id_number": "079190001234"},
            "components": ["DDK", "NGD"],
        }
        headers = {"Idempotency-Key": uuid.uuid4().hex}
        started = time.perf_counter()
        response = await self.http.post(
            "/api/v1/dossiers", json=body, headers={**self.tokens[CLERK], **headers}
        )
        self.timings["submit"].append(time.perf_counter() - started)
        if response.status_code != 201:
            raise ApiError(f"submit: {response.status_code} {response.text[:500]}")
        return str(response.json()["code"])

    async def detail(self, code: str, user: str = CLERK) -> Any:
        return await self.call(user, "GET", f"/api/v1/dossiers/{code}", "detail")

    async def pay_online(self, code: str, within: float = 120) -> bool:
        """As the applicant: open the gateway's page for what the dossier owes and pay; then
        wait until the gateway's callback has reached the dossier. False if nothing is owed."""
        deadline = time.monotonic() + within
        paid: set[str] = set()
        while True:
            dossier = await self.detail(code)
            owed = [p for p in dossier.get("payments", []) if p["online"] and p["state"] != "paid"]
            if not owed:
                return bool(paid)
            for payment in owed:
                txn = payment["gateway_txn"]
                if payment["payment_url"] and txn and txn not in paid:
                    started = time.perf_counter()
                    response = await self.http.post(
                        payment["payment_url"] + "/complete",
                        params={"outcome": "paid"},
                        headers={"Accept": "application/json"},
                    )
                    self.timings["gateway pay"].append(time.perf_counter() - started)
                    if response.status_code != 200:
                        raise ApiError(f"gateway pay: {response.status_code} {response.text}")
                    paid.add(txn)
            if time.monotonic() > deadline:
                raise ApiError(f"{code}: payment not confirmed after {within:.0f} s: {owed}")
            await asyncio.sleep(0.1)

    async def act(
        self,
        user: str,
        code: str,
        action: str,
        server: list[dict[str, float]] | None = None,
        **body: Any,
    ) -> Any:
        """One action, answered with its outcome only (`Prefer: return=minimal`), as the
        console's forms take it: a desk reads the dossier when it shows it (`detail`)."""
        return await self.call(
            user,
            "POST",
            f"/api/v1/dossiers/{code}/actions/{action}",
            action,
            server=server,
            headers=MINIMAL,
            json=body,
        )

    async def finish(self, code: str) -> None:
        """(pay the fees online →) accept → forward to step 1 → forward ×3 → resolve →
        deliver."""
        await self.pay_online(code)
        await self.act(CLERK, code, "accept")
        await self.act(CLERK, code, "forward")
        for officer in STEP_OFFICERS:
            await self.act(officer, code, "forward")
        await self.act(
            LAST_OFFICER,
            code,
            "resolve",
            result_kind="approval",
            result_summary="Cấp Giấy chứng nhận số CS 000123",
        )
        await self.act(CLERK, code, "deliver")

    async def submit_paid(self) -> str:
        """A submitted dossier whose fees are paid: ready for the clerk to accept."""
        code = await self.submit()
        await self.pay_online(code)
        return code

    async def lifecycle(self) -> str:
        code = await self.submit()
        await self.finish(code)
        return code

    async def sync_status(self) -> dict[str, Any]:
        return await self.call(ADMIN, "GET", "/api/v1/portal/sync-status", "sync-status")

    async def wait_synced(self, dossiers: int, within: float = 600) -> float:
        """Until the portal has acknowledged every record of at least `dossiers` dossiers;
        returns the monotonic moment it was seen."""
        deadline = time.monotonic() + within
        while True:
            status = await self.sync_status()
            if status["in_sync"] >= dossiers and status["pending"] == 0:
                return time.monotonic()
            if time.monotonic() > deadline:
                raise ApiError(f"portal sync not complete after {within:.0f} s: {status}")
            await asyncio.sleep(0.1)


async def pool(concurrency: int, total: int, job: Any) -> list[Any]:
    """Run `job()` `total` times with at most `concurrency` at once (closed loop)."""
    results: list[Any] = []
    remaining = iter(range(total))

    async def lane() -> None:
        for _ in remaining:
            results.append(await job())

    await asyncio.gather(*(lane() for _ in range(concurrency)))
    return results
