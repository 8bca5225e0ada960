"""The baselines every figure is compared with, run by their own worker process on the same
server: a workflow that runs one no-op activity and ends, and a workflow that answers updates
(one doing nothing, one running a no-op activity, as a clerk action runs one projection).

python -m bench.bare --queue bench-bare   # address from MOTCUA_TEMPORAL_ADDRESS
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
from dataclasses import dataclass
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.worker import Worker

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

    @workflow.signal
    def finish(self) -> None:
        self._done = True


async def main() -> None:
    from config import get_settings
    from workflows.client import connect

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--queue", default="bench-bare")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    client = await connect(get_settings())
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    async with Worker(
        client,
        task_queue=args.queue,
        workflows=[BareWorkflow, UpdateWorkflow],
        activities=[noop],
    ):
        logging.getLogger("bench.bare").info("bare worker on task queue %r", args.queue)
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
