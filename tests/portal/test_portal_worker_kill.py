"""A portal-sync worker process killed (SIGKILL) while a delivery hangs at the portal, then a
new worker: the record is delivered once, none is lost, the order holds."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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
from tests.support.processes import REPO_ROOT

READY_LINE = "portal-sync worker on task queue"


@contextmanager
def portal_worker_process(env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    """`python worker.py --queue portal-sync`, as `make run` starts it, until it is ready."""
    log = Path(tempfile.mkstemp(prefix="portal-worker-", suffix=".log")[1])
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "worker.py", "--queue", "portal-sync"],
            cwd=REPO_ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    try:
        deadline = time.monotonic() + 30
        while READY_LINE not in log.read_text(errors="replace"):
            assert process.poll() is None, log.read_text(errors="replace")
            assert time.monotonic() < deadline, log.read_text(errors="replace")
            time.sleep(0.1)
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        log.unlink(missing_ok=True)


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
