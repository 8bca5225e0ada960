"""A portal-sync worker process killed (SIGKILL) while a delivery hangs at the portal, then a
new worker: the record is delivered once, none is lost, the order holds."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from temporalio.testing import WorkflowEnvironment

from config import Settings
from tests.portal.lifecycle import (
    LIFECYCLE_RECORDS,
    Simulator,
    finish_lifecycle,
    submit,
    wait_in_sync,
)
from tests.support.polling import eventually
from tests.support.processes import start_process

READY_LINE = "portal-sync worker on task queue"


@contextmanager
def portal_worker_process(env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    """`python worker.py --queue portal-sync`, as `make run` starts it, until it is ready."""
    with start_process(
        ["worker.py", "--queue", "portal-sync"],
        lambda child: READY_LINE in child.log_path.read_text(errors="replace"),
        name="portal-worker",
        startup_timeout=30,
        env=env,
        grace_seconds=10,
    ) as child:
        yield child.process


async def wait_delivery_in_flight(sim: Simulator) -> None:
    """Until the portal holds one request hanging (its one-request hang fault is used up): a
    delivery is in flight, whether the round runs as the workflow's local activity (its first
    try) or as a regular activity."""
    await eventually(
        sim.faults, lambda faults: faults["mode"] == "none", within=20, what="a delivery in flight"
    )


async def test_worker_killed_mid_delivery_loses_and_doubles_nothing(  # type: ignore[no-untyped-def]
    api: httpx.AsyncClient,
    login,
    sim: Simulator,
    dev_env: WorkflowEnvironment,
    portal_settings: Settings,
    database_url: str,
) -> None:
    env = {
        **os.environ,
        "PYTHONUNBUFFERED": "1",
        "DATABASE_URL": database_url,
        "MOTCUA_TEMPORAL_ADDRESS": dev_env.client.service_client.config.target_host,
        "MOTCUA_PORTAL_BASE_URL": portal_settings.portal_base_url,
        "MOTCUA_PORTAL_API_KEY": portal_settings.portal_api_key,
        "MOTCUA_PORTAL_TASK_QUEUE": portal_settings.portal_task_queue,
        # longer than the test's wait: the request is still hanging when the worker dies
        "MOTCUA_PORTAL_TIMEOUT_SECONDS": "30",
    }
    await sim.fault("hang", count=1)
    with portal_worker_process(env) as doomed:
        code = await submit(api, login)
        await wait_delivery_in_flight(sim)
        doomed.send_signal(signal.SIGKILL)
        doomed.wait(timeout=10)
    await sim.fault("none")
    assert await sim.records(code) == []

    await finish_lifecycle(api, login, code)  # clerks carry on meanwhile
    with portal_worker_process(env):
        await wait_in_sync(api, login, [code], LIFECYCLE_RECORDS, within=45)

    records = await sim.records(code)
    assert [r["seq"] for r in records] == list(range(1, LIFECYCLE_RECORDS + 1))
    arrivals = await sim.arrivals(code)
    assert arrivals["arrivals"] == list(range(1, LIFECYCLE_RECORDS + 1)), "doubled or reordered"
    assert arrivals["in_order"] is True
