"""Portal-sync fixtures: a real DVCQG simulator process per test module, and a portal-sync
worker on the dev server whose settings point at it. The session fixtures (database, dev
server, dossier worker, API, logins) come from tests/conftest.py."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.portal_client import PortalClient
from config import Settings
from tests.portal.lifecycle import Simulator
from tests.support.processes import HttpService, start_portal_simulator


@pytest.fixture(scope="module")
def portal_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpService]:
    state_file = tmp_path_factory.mktemp("portal") / "portal.sqlite3"
    with start_portal_simulator(state_file, extra_args=("--hang-seconds", "30")) as service:
        yield service


@pytest.fixture(scope="module")
def portal_settings(settings: Settings, portal_service: HttpService) -> Settings:
    """The session settings (same task queues as the dossier worker) aimed at this module's
    simulator, with a short portal timeout so a hang is detected quickly."""
    return settings.model_copy(
        update={"portal_base_url": portal_service.base_url, "portal_timeout_seconds": 1.0}
    )


@pytest.fixture
async def sim(portal_service: HttpService) -> AsyncIterator[Simulator]:
    async with httpx.AsyncClient(base_url=portal_service.base_url, timeout=10) as http:
        simulator = Simulator(http)
        yield simulator
        await simulator.fault("none")


@pytest.fixture
async def portal_worker(  # type: ignore[no-untyped-def]
    dev_env: WorkflowEnvironment, portal_settings: Settings, sessions
) -> AsyncIterator[Worker]:
    from worker import build_portal_worker

    async with PortalClient(
        portal_settings.portal_base_url,
        portal_settings.portal_api_key,
        portal_settings.portal_timeout_seconds,
    ) as portal:
        worker = build_portal_worker(dev_env.client, portal_settings, sessions, portal)
        async with worker:
            yield worker
