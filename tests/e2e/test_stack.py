"""End to end, the way `make run` deploys it: a Temporal dev server, the worker and the API
as separate processes, the portal simulator, a real database. One land-use dossier goes from
submission to `returned` across three agencies with a supplement round, while the dossier
worker is killed and restarted in the middle — nothing is lost and the portal ends in step."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from db.seed import DEMO_PASSWORD
from tests.support.polling import eventually
from tests.support.processes import free_port, start_http_service, start_portal_simulator

REPO = Path(__file__).resolve().parents[2]


@contextmanager
def worker_process(env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    log = tempfile.NamedTemporaryFile(prefix="worker-", suffix=".log", delete=False)
    process = subprocess.Popen(
        [sys.executable, "-m", "worker", "--queue", "all"],
        cwd=REPO,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        log.close()
        os.unlink(log.name)


@pytest.fixture
def stack_env(database_url: str, engine, dev_env: WorkflowEnvironment, tmp_path: Path):  # type: ignore[no-untyped-def]
    with start_portal_simulator(tmp_path / "portal.sqlite3") as portal:
        suffix = uuid.uuid4().hex[:6]
        yield {
            "DATABASE_URL": database_url,
            "MOTCUA_TEMPORAL_ADDRESS": dev_env.client.service_client.config.target_host,
            "MOTCUA_TASK_QUEUE": f"e2e-dossiers-{suffix}",
            "MOTCUA_PORTAL_TASK_QUEUE": f"e2e-portal-{suffix}",
            "MOTCUA_PORTAL_BASE_URL": portal.base_url,
            "MOTCUA_JWT_SECRET": f"e2e-{suffix}",
            "MOTCUA_STORAGE_ROOT": str(tmp_path / "documents"),
            "MOTCUA_SMTP_PORT": str(free_port()),
            "E2E_PORTAL": portal.base_url,
        }


class Desk:
    def __init__(self, client: httpx.AsyncClient):
        self.client = client
        self.tokens: dict[str, str] = {}

    async def headers(self, username: str) -> dict[str, str]:
        if username not in self.tokens:
            response = await self.client.post(
                "/api/v1/auth/token", data={"username": username, "password": DEMO_PASSWORD}
            )
            response.raise_for_status()
            self.tokens[username] = response.json()["access_token"]
        return {"Authorization": f"Bearer {self.tokens[username]}"}

    async def act(self, username: str, code: str, action: str, **body) -> dict:  # type: ignore[no-untyped-def,type-arg]
        response = await self.client.post(
            f"/api/v1/dossiers/{code}/actions/{action}",
            json=body,
            headers=await self.headers(username),
        )
        assert response.status_code == 200, response.text
        return response.json()


async def test_one_dossier_through_the_running_stack(stack_env: dict[str, str]) -> None:
    port = free_port()
    api_args = ["uvicorn", "api.app:create_app", "--factory", "--port", str(port)]
    with (
        start_http_service(api_args, port, "/readyz", env=stack_env) as api,
        worker_process(stack_env) as first_worker,
    ):
        async with httpx.AsyncClient(base_url=api.base_url, timeout=30) as client:
            desk = Desk(client)
            submission = {
                "procedure_code": "1.004227",
                "channel": 2,
                "pay_online": False,
                "applicant": {"name": "Võ Thị Sáu", "id_number": "079190009999"},
                "components": ["DDK", "NGD"],
            }
            response = await client.post(
                "/api/v1/dossiers",
                json=submission,
                headers={**await desk.headers("motcua.tnmt"), "Idempotency-Key": uuid.uuid4().hex},
            )
            assert response.status_code == 201, response.text
            code = response.json()["code"]
            assert (await desk.act("motcua.tnmt", code, "accept"))["status"] == "received"
            await desk.act("motcua.tnmt", code, "forward")
            await desk.act("cc.diachinh", code, "forward")
            asked = await desk.act(
                "cv.vpdk",
                code,
                "request-supplement",
                reason="Thiếu bản đồ địa chính",
                items=["Trích lục bản đồ thửa đất"],
            )
            assert asked["status"] == "supplement_requested" and asked["portal_code"] == 5

            # the dossier worker dies; a new one takes over the running workflow
            first_worker.send_signal(signal.SIGKILL)
            first_worker.wait(timeout=10)
            with worker_process(stack_env):
                back = await desk.act("motcua.tnmt", code, "supplement")
                assert back["status"] == "processing" and back["steps"][1]["current"]
                await desk.act("cv.vpdk", code, "forward")
                await desk.act("cv.thue", code, "forward")
                await desk.act(
                    "cv.qldd",
                    code,
                    "resolve",
                    result_kind="approval",
                    result_summary="Cấp GCN số CS 000777",
                )
                done = await desk.act("motcua.tnmt", code, "deliver")
                assert done["status"] == "returned" and done["portal_code"] == 10
                actions = [t["action"] for t in done["timeline"]]
                for expected in (
                    "submit",
                    "accept",
                    "request-supplement",
                    "supplement",
                    "resolve",
                    "deliver",
                ):
                    assert expected in actions
                deadline = (
                    await client.get(
                        f"/api/v1/dossiers/{code}/deadline",
                        headers=await desk.headers("motcua.tnmt"),
                    )
                ).json()
                assert any(e["kind"] == "restart" for e in deadline["ledger"])

                # the national portal converges on our final state
                portal = stack_env["E2E_PORTAL"]
                async with httpx.AsyncClient(base_url=portal) as sim:
                    held = await eventually(
                        lambda: sim.get(
                            f"/dvcqg/hoso/{code}", headers={"X-API-Key": "demo-portal-key"}
                        ),
                        lambda held: (
                            held.status_code == 200 and held.json()["data"]["TrangThaiHoSo"] == 10
                        ),
                        within=45,
                        every=0.2,
                        what="the portal holding the returned dossier",
                    )
                    data = held.json()
                assert data["data"]["TrangThaiHoSo"] == 10
                assert data["in_order"] is True
                assert 5 in data["status_history"]
