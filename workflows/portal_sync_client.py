"""Starting the portal-sync workflows from outside: the per-dossier wake-up (signal-with-start),
the reconciliation Schedule, and an on-demand reconciliation."""

from __future__ import annotations

import uuid
from datetime import timedelta

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    WorkflowHandle,
)

from messages import PortalSyncInput, PortalWake, ReconcileInput, ReconcileReport
from workflows.portal_sync import (
    WAKE_SIGNAL,
    PortalSyncWorkflow,
    ReconcileWorkflow,
    portal_sync_workflow_id,
)

RECONCILE_EVERY = timedelta(minutes=10)


async def wake_portal_sync(client: Client, code: str, *, task_queue: str, reason: str = "") -> None:
    """Signal the dossier's sync workflow, starting it if it is not running."""
    await client.start_workflow(
        PortalSyncWorkflow.run,
        PortalSyncInput(dossier_code=code),
        id=portal_sync_workflow_id(code),
        task_queue=task_queue,
        start_signal=WAKE_SIGNAL,
        start_signal_args=[PortalWake(reason=reason)],
    )


def reconcile_schedule_id(task_queue: str) -> str:
    return f"{task_queue}-reconcile"


async def ensure_reconcile_schedule(client: Client, *, task_queue: str) -> bool:
    """Create the every-10-minutes reconciliation Schedule unless it exists. True if created."""
    schedule_id = reconcile_schedule_id(task_queue)
    try:
        await client.create_schedule(
            schedule_id,
            Schedule(
                action=ScheduleActionStartWorkflow(
                    ReconcileWorkflow.run,
                    ReconcileInput(),
                    id=f"{schedule_id}-run",
                    task_queue=task_queue,
                ),
                spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=RECONCILE_EVERY)]),
                policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
            ),
        )
    except ScheduleAlreadyRunningError:
        return False
    return True


async def start_reconciliation(
    client: Client, *, task_queue: str
) -> WorkflowHandle[ReconcileWorkflow, ReconcileReport]:
    """An on-demand reconciliation run, next to the scheduled ones."""
    return await client.start_workflow(
        ReconcileWorkflow.run,
        ReconcileInput(),
        id=f"portal-reconcile-{uuid.uuid4().hex[:12]}",
        task_queue=task_queue,
    )
