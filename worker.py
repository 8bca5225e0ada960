"""The dossier worker: runs DossierWorkflow and its activities on the `dossiers` task queue.

python worker.py            # uses the settings from the environment
"""

from __future__ import annotations

import asyncio
import logging
import signal

from temporalio.client import Client
from temporalio.worker import Worker

from activities.projection import ProjectionActivities
from config import Settings, get_settings
from db.engine import make_engine, make_session_maker
from workflows.client import connect
from workflows.dossier import DossierWorkflow
from workflows.sandbox import workflow_runner

log = logging.getLogger("motcua.worker")


def build_dossier_worker(client: Client, settings: Settings, sessions) -> Worker:  # type: ignore[no-untyped-def]
    projection = ProjectionActivities(sessions)
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=[DossierWorkflow],
        activities=[projection.record],
        workflow_runner=workflow_runner(),
    )


async def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    settings = get_settings()
    client = await connect(settings)
    engine = make_engine(settings.database_url)
    sessions = make_session_maker(engine)
    worker = build_dossier_worker(client, settings, sessions)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    log.info(
        "dossier worker on task queue %r at %s", settings.task_queue, settings.temporal_address
    )
    async with worker:
        await stop.wait()
    await engine.dispose()


if __name__ == "__main__":
    asyncio.run(main())
