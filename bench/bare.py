"""The baselines every figure is compared with, run by their own worker process on the same
server: a workflow that runs one no-op activity and ends, a workflow that answers updates
(one doing nothing, one running a no-op activity, one waiting for a local activity that writes
one row to SQLite: the floor of a clerk action, which records its projection before it
answers), and
the storm's baseline: a workflow whose one timer fires at a given moment and records that with
a local activity, as a dossier's escalation does, then waits on its next timer; and the
lifecycle's shape without the dossier: a workflow taking a lifecycle's updates, each recorded by
a local activity that wakes a sync companion running one activity per wake.

python -m bench.bare --queue bench-bare --storm-log FILE --floor-db FILE
                                          # address from MOTCUA_TEMPORAL_ADDRESS
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import Worker

#: The bare worker's task queue.
QUEUE = "bench-bare"
#: The same activity timeout as the dossier's projection, so the two do the same bookkeeping.
NOOP_TIMEOUT = timedelta(seconds=30)


@dataclass
class Ping:
    n: int = 0


@activity.defn(name="bench_noop")
async def noop(ping: Ping) -> int:
    return ping.n


@workflow.defn(name="BenchBareWorkflow")
class BareWorkflow:
    """The bare one-activity workflow of the throughput baseline."""

    @workflow.run
    async def run(self, ping: Ping) -> int:
        return await workflow.execute_activity(noop, ping, start_to_close_timeout=NOOP_TIMEOUT)


#: Where the clerk-action floor writes its one row (`--floor-db` of this worker).
FLOOR_SESSIONS: Any = None


@activity.defn(name="bench_record_one_row")
async def record_one_row(ping: Ping) -> int:
    """The least a clerk action records before it answers: one row, in one write transaction
    on a SQLite database of its own (no other writer: a lower bound)."""
    from sqlalchemy import text

    from db.engine import writing

    assert FLOOR_SESSIONS is not None, "the bare worker was started without --floor-db"
    async with writing(FLOOR_SESSIONS) as session:
        await session.execute(text("INSERT INTO floor_write (n) VALUES (:n)"), {"n": ping.n})
    return ping.n


async def open_floor_database(path: Path) -> Any:
    from sqlalchemy import text

    from db.engine import make_engine, make_session_maker, writing

    sessions = make_session_maker(make_engine(f"sqlite+aiosqlite:///{path}"))
    async with writing(sessions) as session:
        await session.execute(text("CREATE TABLE IF NOT EXISTS floor_write (n INTEGER)"))
    return sessions


@dataclass
class StormTimer:
    at: str  # ISO moment the timer fires (the storm's due moment)
    wait_after: float = 2 * 86400.0  # then wait on a further timer, as a dossier does


#: Where the storm baseline's local activity records each firing (a line per event), so the
#: bench can count them from its own process: `--storm-log` of this worker.
STORM_LOG: Path | None = None


@activity.defn(name="bench_storm_record")
async def storm_record(what: str) -> None:
    """One line, as the dossier's `record_notice` writes one escalation (appended and closed:
    lines of different workflows never interleave)."""
    if STORM_LOG is not None:
        fd = os.open(STORM_LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, f"{what} {activity.info().workflow_id}\n".encode())
        finally:
            os.close(fd)


@workflow.defn(name="BenchStormWorkflow")
class StormWorkflow:
    """The storm's baseline: armed (recorded) at start, then one timer to the due moment, one
    local activity recording that it fired, and the next timer — the workflow tasks a dossier's
    escalation costs, without the dossier."""

    @workflow.run
    async def run(self, timer: StormTimer) -> None:
        await workflow.execute_local_activity(
            storm_record, "armed", start_to_close_timeout=NOOP_TIMEOUT
        )
        await workflow.sleep(max(timedelta(0), datetime.fromisoformat(timer.at) - workflow.now()))
        await workflow.execute_local_activity(
            storm_record, "fired", start_to_close_timeout=NOOP_TIMEOUT
        )
        await workflow.sleep(timer.wait_after)


@dataclass
class Step:
    n: int
    last: bool = False


#: The bare worker's client: the lifecycle shape's local activity wakes its sync companion.
CLIENT: Client | None = None
#: As the dossier workflow's statutory timer and the portal sync's idle wait.
SHAPE_TIMER = timedelta(minutes=5)


@activity.defn(name="bench_record_and_wake")
async def record_and_wake(step: Step) -> None:
    """What the dossier's projection does besides its transaction: signal-with-start the
    companion that syncs it."""
    assert CLIENT is not None
    info = activity.info()
    await CLIENT.start_workflow(
        SyncShapeWorkflow.run,
        id=f"{info.workflow_id}-sync",
        task_queue=info.task_queue,
        start_signal="wake",
        start_signal_args=[step],
    )


@workflow.defn(name="BenchLifecycleWorkflow")
class LifecycleShapeWorkflow:
    """A lifecycle's workflow tasks without the dossier: the submission and each update are
    recorded by one local activity (the projection), each wait runs a timer that the next
    update cancels (the statutory clock's moves), and the run ends after `plan.n` updates."""

    def __init__(self) -> None:
        self._steps = 0
        self._seen = 0

    @workflow.run
    async def run(self, plan: Ping) -> int:
        await workflow.execute_local_activity(
            record_and_wake, Step(0), start_to_close_timeout=NOOP_TIMEOUT
        )
        while self._steps < plan.n:
            self._seen = self._steps
            try:
                await workflow.wait_condition(lambda: self._steps > self._seen, timeout=SHAPE_TIMER)
            except TimeoutError:
                pass
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._steps

    @workflow.update
    async def step(self, step: Step) -> int:
        self._steps += 1
        await workflow.execute_local_activity(
            record_and_wake, step, start_to_close_timeout=NOOP_TIMEOUT
        )
        return self._steps


@workflow.defn(name="BenchSyncWorkflow")
class SyncShapeWorkflow:
    """The portal sync's shape: one activity per round, a wake during a round means another
    round, and between rounds it waits for the next wake; done after the last step's round."""

    def __init__(self) -> None:
        self._woken = False
        self._last = False

    @workflow.signal
    def wake(self, step: Step) -> None:
        self._woken = True
        self._last = self._last or step.last

    @workflow.run
    async def run(self) -> int:
        rounds = 0
        while True:
            self._woken = False
            await workflow.execute_activity(noop, Ping(rounds), start_to_close_timeout=NOOP_TIMEOUT)
            rounds += 1
            if self._woken:
                continue
            if self._last:
                return rounds
            try:
                await workflow.wait_condition(lambda: self._woken, timeout=SHAPE_TIMER)
            except TimeoutError:
                return rounds


@workflow.defn(name="BenchUpdateWorkflow")
class UpdateWorkflow:
    """Stays open and answers updates, for the update-latency baseline."""

    def __init__(self) -> None:
        self._done = False
        self._count = 0

    @workflow.run
    async def run(self, ping: Ping) -> int:
        await workflow.wait_condition(lambda: self._done)
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self._count

    @workflow.update
    async def bare(self, ping: Ping) -> int:
        self._count += 1
        return self._count

    @bare.validator
    def _v_bare(self, ping: Ping) -> None:
        if ping.n < 0:
            raise ValueError("negative")

    @workflow.update
    async def with_activity(self, ping: Ping) -> int:
        self._count += 1
        return await workflow.execute_activity(noop, ping, start_to_close_timeout=NOOP_TIMEOUT)

    @workflow.update
    async def with_local_write(self, ping: Ping) -> int:
        """A clerk action's floor: the update waits for one local activity writing one row,
        as every action waits for its projection before it answers."""
        self._count += 1
        return await workflow.execute_local_activity(
            record_one_row, ping, start_to_close_timeout=NOOP_TIMEOUT
        )

    @workflow.signal
    def finish(self) -> None:
        self._done = True


async def main() -> None:
    from config import get_settings
    from workflows.client import connect
    from workflows.sandbox import workflow_runner

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--queue", default=QUEUE)
    parser.add_argument("--storm-log", type=Path, help="where the storm baseline records firings")
    parser.add_argument("--floor-db", type=Path, help="SQLite file the clerk-action floor writes")
    args = parser.parse_args()
    global STORM_LOG, CLIENT, FLOOR_SESSIONS
    STORM_LOG = args.storm_log
    if args.floor_db is not None:
        FLOOR_SESSIONS = await open_floor_database(args.floor_db)
    settings = get_settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    client = CLIENT = await connect(settings)
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    async with Worker(
        client,
        task_queue=args.queue,
        workflows=[
            BareWorkflow,
            UpdateWorkflow,
            StormWorkflow,
            LifecycleShapeWorkflow,
            SyncShapeWorkflow,
        ],
        activities=[noop, storm_record, record_and_wake, record_one_row],
        # the same workflow cache and runner as the dossier worker, so a storm baseline keeps
        # its workflows cached when the dossier worker does, and memory compares like for like
        max_cached_workflows=settings.worker_max_cached_workflows,
        workflow_runner=workflow_runner(sandboxed=settings.workflow_sandbox),
    ):
        logging.getLogger("bench.bare").info("bare worker on task queue %r", args.queue)
        await stop.wait()


if __name__ == "__main__":
    from config import loop as event_loop

    # the same loop as the dossier worker's, so the baseline differs from it only in the
    # workflows and activities
    event_loop.run(main())
