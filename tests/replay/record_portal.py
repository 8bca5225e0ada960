"""Records PortalSyncWorkflow histories for `test_replay.py`, like `record.py` does for the
dossier workflow: run it when a change to the portal-sync workflow is deliberate, and keep the
histories already there.

    .venv/bin/python -m tests.replay.record_portal <label>

The delivery activity is an in-memory stand-in whose answers the scenario scripts; each run is
saved as `tests/replay/histories/portal-sync/<label>-<scenario>-<n>.json` (n: the run)."""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

from temporalio import activity
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from messages import DeliveryInput, DeliveryOutcome, PortalSyncInput, PortalWake
from workflows.client import data_converter
from workflows.portal_sync import WAKE_SIGNAL, PortalSyncWorkflow, portal_sync_workflow_id
from workflows.sandbox import workflow_runner

HISTORIES = Path(__file__).parent / "histories" / "portal-sync"
BIN = Path(sys.executable).parent
QUEUE = "replay-recording-portal"


class ScriptedPortal:
    """`portal_deliver` answering from a script: each round takes `delay` seconds of real time
    (so a wake can land during it) and reports `outcomes` in turn, then "all sent"."""

    def __init__(self) -> None:
        self.outcomes: list[DeliveryOutcome] = []
        self.delay = 0.0
        self.failures = 0  # the next rounds that fail (the portal down)

    @activity.defn(name="portal_deliver")
    async def deliver(self, input: DeliveryInput) -> DeliveryOutcome:
        await asyncio.sleep(self.delay)
        if self.failures > 0:
            self.failures -= 1
            raise RuntimeError("portal answered HTTP 503: simulated outage")
        return self.outcomes.pop(0) if self.outcomes else DeliveryOutcome(1, 0)


Scenario = Callable[[WorkflowEnvironment, Client, ScriptedPortal, str], Awaitable[None]]


#: run ids per workflow id, in the order they were woken (the test server cannot list runs)
RUNS: dict[str, list[str]] = {}


async def wake(client: Client, code: str, reason: str) -> None:
    handle = await client.start_workflow(
        PortalSyncWorkflow.run,
        PortalSyncInput(dossier_code=code),
        id=portal_sync_workflow_id(code),
        task_queue=QUEUE,
        start_signal=WAKE_SIGNAL,
        start_signal_args=[PortalWake(reason)],
    )
    runs = RUNS.setdefault(handle.id, [])
    if handle.result_run_id and handle.result_run_id not in runs:
        runs.append(handle.result_run_id)


async def steps_then_idle(
    env: WorkflowEnvironment, client: Client, portal: ScriptedPortal, code: str
) -> None:
    """A dossier's steps a minute apart, one wake landing during a slow round, then silence
    until the run completes; a later step starts a second run."""
    await wake(client, code, "submit")
    for reason in ("accept", "forward"):
        await env.sleep(timedelta(minutes=1))
        await wake(client, code, reason)
    portal.delay = 1.0
    await wake(client, code, "forward")
    await asyncio.sleep(0.3)
    await wake(client, code, "resolve")  # during the slow round
    await asyncio.sleep(2.0)
    portal.delay = 0.0
    await env.sleep(timedelta(minutes=20))  # idle: the run completes
    await wake(client, code, "deliver")
    await env.sleep(timedelta(minutes=20))


async def parked(
    env: WorkflowEnvironment, client: Client, portal: ScriptedPortal, code: str
) -> None:
    """The portal refuses a record: the run ends parked."""
    portal.outcomes = [DeliveryOutcome(1, 0), DeliveryOutcome(0, 2, parked=True, reason="invalid")]
    await wake(client, code, "submit")
    await env.sleep(timedelta(minutes=1))
    await wake(client, code, "accept")
    await env.sleep(timedelta(minutes=20))


async def portal_down(
    env: WorkflowEnvironment, client: Client, portal: ScriptedPortal, code: str
) -> None:
    """Three rounds fail (the portal down), the retries go on until one gets through."""
    portal.failures = 3
    await wake(client, code, "submit")
    await env.sleep(timedelta(minutes=20))


SCENARIOS: dict[str, Scenario] = {
    "steps-then-idle": steps_then_idle,
    "parked": parked,
    "portal-down": portal_down,
}


async def record(label: str) -> None:
    HISTORIES.mkdir(parents=True, exist_ok=True)
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(BIN / "temporal-test-server"),
        data_converter=data_converter,
    )
    client: Client = env.client
    portal = ScriptedPortal()
    async with Worker(
        client,
        task_queue=QUEUE,
        workflows=[PortalSyncWorkflow],
        activities=[portal.deliver],
        workflow_runner=workflow_runner(),
    ):
        for name, scenario in SCENARIOS.items():
            code = f"REPLAY-{uuid.uuid4().int % 10_000:04d}"
            await scenario(env, client, portal, code)
            workflow_id = portal_sync_workflow_id(code)
            for n, run_id in enumerate(RUNS[workflow_id], start=1):
                handle = client.get_workflow_handle(workflow_id, run_id=run_id)
                history = await handle.fetch_history()
                target = HISTORIES / f"{label}-{name}-{n}.json"
                target.write_text(history.to_json())
                status = (await handle.describe()).status
                print(f"recorded {target} ({len(history.events)} events, {status})")
    await env.shutdown()


if __name__ == "__main__":
    asyncio.run(record(sys.argv[1] if len(sys.argv) > 1 else "v1"))
