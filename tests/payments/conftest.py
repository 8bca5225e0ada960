"""The payment gateway simulator as a real process, and the API served on a real port so that
the simulator's CONFIRM callbacks reach it over HTTP; a dossier worker of their own whose
payment activities speak to that simulator and reconcile after one second. Database and
Temporal are the session's (tests/conftest.py)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import uvicorn
from temporalio.testing import WorkflowEnvironment

from config import Settings
from tests.support.officers import Officers
from tests.support.polling import eventually
from tests.support.processes import HttpService, free_port, start_http_service


@pytest.fixture(scope="session")
def gateway(settings: Settings) -> Iterator[HttpService]:
    port = free_port()
    args = ["simulators.payment", "--port", str(port), "--secret", settings.payment_secret]
    with start_http_service([*args, "--partner-code", settings.payment_partner_code], port) as svc:
        yield svc


@pytest.fixture(scope="session")
def payment_settings(settings: Settings, gateway: HttpService) -> Settings:
    return settings.model_copy(
        update={
            "task_queue": f"payments-{uuid.uuid4().hex[:6]}",
            "payment_base_url": gateway.base_url,
            "public_base_url": f"http://127.0.0.1:{free_port()}",
            "payment_query_after_seconds": 1.0,
        }
    )


@pytest.fixture(scope="session")
async def payment_worker(dev_env: WorkflowEnvironment, payment_settings: Settings, sessions):  # type: ignore[no-untyped-def]
    from worker import build_dossier_worker

    async with build_dossier_worker(dev_env.client, payment_settings, sessions) as worker:
        yield worker


@pytest.fixture(scope="session")
async def pay_api(  # type: ignore[no-untyped-def]
    payment_settings: Settings, dev_env: WorkflowEnvironment, engine, payment_worker
) -> AsyncIterator[httpx.AsyncClient]:
    """The API listening on `public_base_url`, where the simulator sends its callbacks."""
    from api.app import create_app

    app = create_app(payment_settings, temporal=dev_env.client, engine=engine)
    port = int(payment_settings.public_base_url.rsplit(":", 1)[1])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())

    def started() -> bool:
        if serving.done():
            serving.result()  # it stopped before it served: its error, not a timeout
        return server.started

    await eventually(started, every=0.02, what="the API serving")
    try:
        async with httpx.AsyncClient(base_url=payment_settings.public_base_url) as client:
            yield client
    finally:
        server.should_exit = True
        await serving


@pytest.fixture(scope="session")
def pay_login(pay_api: httpx.AsyncClient) -> Officers:
    return Officers(pay_api)


@pytest.fixture(scope="session")
async def sim(gateway: HttpService) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=gateway.base_url) as client:
        yield client


@pytest.fixture(autouse=True)
async def normal_callbacks(sim: httpx.AsyncClient) -> AsyncIterator[None]:
    """Every test starts and ends with the simulator delivering callbacks normally."""
    await sim.post("/_sim/callbacks", json={"mode": "normal"})
    await sim.post("/_sim/query", json={"force": None})
    yield
    await sim.post("/_sim/callbacks", json={"mode": "normal"})
    await sim.post("/_sim/query", json={"force": None})
