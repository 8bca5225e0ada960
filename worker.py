"""The workers: the dossier worker (DossierWorkflow and its activities, `dossiers` task
queue, with the notifier that sends the notification outbox) and the portal-sync worker
(PortalSyncWorkflow, ReconcileWorkflow and the portal adapter, `portal-sync` task queue).
Each scales on its own: run as many processes of each as needed.

python worker.py                      # the dossier worker (settings from the environment)
python worker.py --queue portal-sync  # the portal-sync worker; also ensures the reconcile Schedule
python worker.py --queue all          # both in one process (development only)
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import logging
import signal
from contextlib import AsyncExitStack
from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import Worker

from activities.calendar import CalendarActivities
from activities.clock import ClockActivities
from activities.feedback import FeedbackActivities
from activities.notifier import Notifier
from activities.notify import EmailChannel, LogChannel, NoticeTemplates, SmsChannel
from activities.payment_client import PaymentGatewayClient
from activities.payments import PaymentActivities, callback_url
from activities.portal_client import PortalClient
from activities.portal_relay import PortalRelay
from activities.portal_sync import PortalSyncActivities
from activities.portal_wake import PortalWaker
from activities.projection import ProjectionActivities
from config import Settings, UnsafeSettings, get_settings
from config import loop as event_loop
from config.memory import MemoryTrimmer
from db.engine import is_sqlite, make_engine, make_session_maker
from workflows.calendar import CalendarChangeWorkflow
from workflows.client import connect
from workflows.dossier import DossierWorkflow
from workflows.feedback import FeedbackWorkflow
from workflows.portal_sync import PortalSyncWorkflow, ReconcileWorkflow
from workflows.portal_sync_client import ensure_reconcile_schedule, wake_portal_sync
from workflows.sandbox import EVICTED, workflow_runner

log = logging.getLogger("motcua.worker")


def build_notifier(settings: Settings, sessions) -> Notifier:  # type: ignore[no-untyped-def]
    """The notification outbox's sender (run it with `async with`), over the log, SMTP and
    the SMS gateway."""
    return Notifier(
        sessions,
        channels=[
            LogChannel(),
            EmailChannel(
                settings.smtp_host,
                settings.smtp_port,
                settings.smtp_sender,
                starttls=settings.smtp_starttls,
                username=settings.smtp_username,
                password=settings.smtp_password,
            ),
            SmsChannel(settings.sms_base_url, settings.sms_api_key, settings.sms_timeout_seconds),
        ],
    )


class DossierWorker:
    """The dossier worker with the portal waker beside it (run it with `async with`); the
    payment gateway's client is closed after both."""

    def __init__(self, worker: Worker, waker: PortalWaker, gateway: PaymentGatewayClient):
        self.worker, self.waker, self.gateway = worker, waker, gateway
        self._stack = AsyncExitStack()

    async def __aenter__(self) -> DossierWorker:
        self._stack.push_async_callback(self.gateway.aclose)
        await self._stack.enter_async_context(self.waker)
        await self._stack.enter_async_context(self.worker)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._stack.aclose()  # the worker first: its last projections still poke


def build_dossier_worker(  # type: ignore[no-untyped-def]
    client: Client,
    settings: Settings,
    sessions,
    notifier: Notifier | None = None,
    relay_portal: PortalClient | None = None,
) -> DossierWorker:
    """The dossier worker; `notifier` is woken by each warning or escalation it records and by
    each applicant's notice the projection writes, the portal waker by each event the
    projection puts in a dossier's portal outbox. With `relay_portal`, the waker sends the
    records through it (`PortalRelay`) and wakes a dossier's sync workflow only when that
    leaves something to do; without, it wakes the workflow every time."""
    notifier = notifier or build_notifier(settings, sessions)
    wake = functools.partial(wake_portal_sync, client, task_queue=settings.portal_task_queue)

    async def wake_workflow(code: str, reason: str) -> None:
        await wake(code, reason=reason)

    if relay_portal is None:
        waker = PortalWaker(wake_workflow, sessions)
    else:
        sync = PortalSyncActivities(sessions, relay_portal, wake)
        waker = PortalWaker(PortalRelay.through(sync, wake_workflow), sessions)
    projection = ProjectionActivities(
        sessions,
        on_enqueued=waker.poke,
        templates=NoticeTemplates(settings.notification_templates_dir),
        notifier=notifier,
        # as many dossiers as the workflow cache holds: one evicted from it replays its whole
        # history at its next event, beside which reading its child rows again costs little,
        # and each remembered dossier is ≈ 0.6 KiB that stays in the worker (BENCHMARKS.md)
        remembered=settings.worker_max_cached_workflows,
    )
    clock = ClockActivities(sessions, notifier=notifier)
    feedback = FeedbackActivities(sessions, notifier)
    gateway = PaymentGatewayClient(
        settings.payment_base_url, settings.payment_partner_code, settings.payment_secret
    )
    payments = PaymentActivities(
        gateway,
        callback_url=callback_url(settings.public_base_url),
        query_after=timedelta(seconds=settings.payment_query_after_seconds),
    )
    worker = Worker(
        client,
        task_queue=settings.task_queue,
        workflows=[DossierWorkflow, CalendarChangeWorkflow, FeedbackWorkflow],
        activities=[
            projection.record,
            CalendarActivities(sessions, client).broadcast,
            clock.load_config,
            clock.record_notice,
            clock.send_notifications,
            feedback.record_notice,
            payments.init,
            payments.query,
        ],
        workflow_runner=workflow_runner(sandboxed=settings.workflow_sandbox),
        max_cached_workflows=settings.worker_max_cached_workflows,
    )
    return DossierWorker(worker, waker, gateway)


def build_portal_worker(  # type: ignore[no-untyped-def]
    client: Client, settings: Settings, sessions, portal: PortalClient
) -> Worker:
    """The portal-sync worker: the only process that talks to the national portal."""
    wake = functools.partial(wake_portal_sync, client, task_queue=settings.portal_task_queue)
    sync = PortalSyncActivities(sessions, portal, wake)
    return Worker(
        client,
        task_queue=settings.portal_task_queue,
        workflows=[PortalSyncWorkflow, ReconcileWorkflow],
        activities=[sync.deliver, sync.reconcile_batch, sync.save_reconciliation],
        workflow_runner=workflow_runner(sandboxed=settings.workflow_sandbox),
    )


QUEUES = ("dossiers", "portal-sync", "all")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="motcua Temporal worker")
    parser.add_argument(
        "--queue",
        choices=QUEUES,
        default="dossiers",
        help="which worker to run: the dossier worker (default), the portal-sync worker, or both",
    )
    return parser.parse_args(argv)


async def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    settings = get_settings()
    try:
        settings.require_safe_secrets()
    except UnsafeSettings as exc:
        log.critical("%s", exc)
        raise SystemExit(2) from None
    client = await connect(settings)
    engine = make_engine(settings.database_url)
    sessions = make_session_maker(engine)
    # SQLite takes one writer at a time: the dossier worker's activities (short read-model
    # transactions, thousands at once in a deadline storm) queue for one connection in the
    # process rather than in SQLite's sleeping busy handler (measured on a 1,000-dossier
    # storm: 25-28 s -> 22 s, and clerk p99 during it 22 s -> 2.4 s)
    dossier_engine = (
        make_engine(settings.database_url, pool_size=1, max_overflow=0)
        if is_sqlite(settings.database_url)
        else engine
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(
            MemoryTrimmer(EVICTED, interval=settings.worker_memory_trim_seconds)
        )
        if args.queue in ("dossiers", "all"):
            dossier_sessions = make_session_maker(dossier_engine)
            notifier = await stack.enter_async_context(build_notifier(settings, dossier_sessions))
            relay_portal = None
            if settings.portal_relay:
                relay_portal = await stack.enter_async_context(
                    PortalClient(
                        settings.portal_base_url,
                        settings.portal_api_key,
                        min(settings.portal_relay_timeout_seconds, settings.portal_timeout_seconds),
                    )
                )
            await stack.enter_async_context(
                build_dossier_worker(client, settings, dossier_sessions, notifier, relay_portal)
            )
            log.info(
                "dossier worker on task queue %r at %s",
                settings.task_queue,
                settings.temporal_address,
            )
        if args.queue in ("portal-sync", "all"):
            portal = await stack.enter_async_context(
                PortalClient(
                    settings.portal_base_url,
                    settings.portal_api_key,
                    settings.portal_timeout_seconds,
                )
            )
            await stack.enter_async_context(build_portal_worker(client, settings, sessions, portal))
            if await ensure_reconcile_schedule(client, task_queue=settings.portal_task_queue):
                log.info("created the portal reconciliation schedule")
            log.info(
                "portal-sync worker on task queue %r, portal at %s",
                settings.portal_task_queue,
                settings.portal_base_url,
            )
        await stop.wait()
    await engine.dispose()
    await dossier_engine.dispose()


if __name__ == "__main__":
    event_loop.run(main())
