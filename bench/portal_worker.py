"""The portal-sync worker of worker.py without its reconciliation Schedule, for the
time-skipping test server (which has no Schedules); otherwise the very same worker.

python -m bench.portal_worker   # settings from the environment, as worker.py
"""

from __future__ import annotations

import asyncio
import logging
import signal

from activities.portal_client import PortalClient
from config import get_settings
from config import loop as event_loop
from db.engine import make_engine, make_session_maker
from worker import build_portal_worker
from workflows.client import connect


async def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = get_settings()
    client = await connect(settings)
    engine = make_engine(settings.database_url)
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    async with PortalClient(
        settings.portal_base_url, settings.portal_api_key, settings.portal_timeout_seconds
    ) as portal:
        async with build_portal_worker(client, settings, make_session_maker(engine), portal):
            logging.getLogger("bench").info(
                "portal-sync worker on task queue %r", settings.portal_task_queue
            )
            await stop.wait()
    await engine.dispose()


if __name__ == "__main__":
    event_loop.run(main())
