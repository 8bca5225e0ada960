"""Portal sync (đồng bộ DVCQG) workflows on the portal-sync task queue.

PortalSyncWorkflow: one per dossier (`portal-sync-<code>`), woken by signal-with-start whenever
the dossier's outbox grows; it delivers the records in seq order, retrying through outages for
as long as it takes, and completes once nothing has been pending for a while (or the dossier
is parked).
ReconcileWorkflow: compares every dossier with the portal's copy and reports the sync rate."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import CancelledError, FailureError

with workflow.unsafe.imports_passed_through():
    from activities.portal_sync import PortalSyncActivities
    from messages import (
        DeliveryInput,
        DeliveryOutcome,
        PortalSyncInput,
        PortalWake,
        ReconcileBatchInput,
        ReconcileInput,
        ReconcileReport,
        ReconcileTally,
    )

WAKE_SIGNAL = "wake"

#: One delivery round: bounded by the batch size; a dead worker shows by missing heartbeats.
DELIVERY_TIMEOUT = timedelta(minutes=10)
DELIVERY_HEARTBEAT_TIMEOUT = timedelta(seconds=10)
#: A portal outage is waited out however long it lasts, backing off to one try a minute.
DELIVERY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=1),
    maximum_attempts=0,
)
#: Runs since this patch try each round as a local activity first: inside the workflow task,
#: so a round costs one marker instead of an activity task's three events, its dispatch and
#: the workflow task that takes its result. Only a round that fails or outlasts
#: LOCAL_DELIVERY_TIMEOUT (the portal down or slow) is retried as a regular activity, which
#: waits out an outage without holding the workflow task.
LOCAL_FIRST = "portal-delivery-local-first"
LOCAL_DELIVERY_TIMEOUT = timedelta(seconds=30)
LOCAL_DELIVERY_RETRY = RetryPolicy(maximum_attempts=1)
#: How long a synced dossier's workflow waits for the next record before completing.
IDLE_BEFORE_DONE = timedelta(minutes=5)
#: Keeps each run's history short; a busy dossier continues as new.
ROUNDS_PER_RUN = 100

RECONCILE_BATCH_TIMEOUT = timedelta(minutes=5)
RECONCILE_HEARTBEAT_TIMEOUT = timedelta(seconds=30)
RECONCILE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=30),
    maximum_attempts=5,
)
SAVE_TIMEOUT = timedelta(seconds=30)


def portal_sync_workflow_id(code: str) -> str:
    return f"portal-sync-{code}"


@workflow.defn
class PortalSyncWorkflow:
    def __init__(self) -> None:
        self._woken = False

    @workflow.signal(name=WAKE_SIGNAL)
    def wake(self, wake: PortalWake) -> None:
        self._woken = True

    @workflow.run
    async def run(self, input: PortalSyncInput) -> str:
        for _ in range(ROUNDS_PER_RUN):
            self._woken = False
            outcome = await self._deliver(DeliveryInput(dossier_code=input.dossier_code))
            # A wake during the round may mean a record arrived after the activity looked.
            if self._woken:
                continue
            if outcome.parked:
                return "parked"  # a re-drive starts a new run
            if outcome.remaining == 0:
                # stay for the dossier's next step rather than starting a new run for it:
                # a running workflow takes a wake as a signal, which costs far less
                try:
                    await workflow.wait_condition(lambda: self._woken, timeout=IDLE_BEFORE_DONE)
                except TimeoutError:
                    return "synced"
        workflow.continue_as_new(input)

    async def _deliver(self, delivery: DeliveryInput) -> DeliveryOutcome:
        if workflow.patched(LOCAL_FIRST):
            try:
                return await workflow.execute_local_activity_method(
                    PortalSyncActivities.deliver,
                    delivery,
                    start_to_close_timeout=LOCAL_DELIVERY_TIMEOUT,
                    retry_policy=LOCAL_DELIVERY_RETRY,
                )
            except CancelledError:
                raise
            except FailureError as exc:  # a local activity's own error, or its timeout
                workflow.logger.info(
                    "portal round for %s retried as an activity: %s", delivery.dossier_code, exc
                )
        return await workflow.execute_activity_method(
            PortalSyncActivities.deliver,
            delivery,
            start_to_close_timeout=DELIVERY_TIMEOUT,
            heartbeat_timeout=DELIVERY_HEARTBEAT_TIMEOUT,
            retry_policy=DELIVERY_RETRY,
        )


@workflow.defn
class ReconcileWorkflow:
    @workflow.run
    async def run(self, input: ReconcileInput) -> ReconcileReport:
        started = workflow.now()
        tally = ReconcileTally()
        after = ""
        while True:
            batch = await workflow.execute_activity_method(
                PortalSyncActivities.reconcile_batch,
                ReconcileBatchInput(after_code=after, limit=input.batch_size),
                start_to_close_timeout=RECONCILE_BATCH_TIMEOUT,
                heartbeat_timeout=RECONCILE_HEARTBEAT_TIMEOUT,
                retry_policy=RECONCILE_RETRY,
            )
            tally.add(batch.tally)
            if batch.next_after is None:
                break
            after = batch.next_after
        return await workflow.execute_activity_method(
            PortalSyncActivities.save_reconciliation,
            ReconcileReport(started_at=started, tally=tally, rate=tally.rate),
            start_to_close_timeout=SAVE_TIMEOUT,
            retry_policy=RECONCILE_RETRY,
        )
