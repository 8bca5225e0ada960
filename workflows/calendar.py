"""CalendarChangeWorkflow: one per version of the working calendar (`calendar-<digest>`),
which hands the new calendar to every open dossier through an activity."""

from __future__ import annotations

import hashlib

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.calendar import CalendarActivities
    from messages import (
        BROADCAST_HEARTBEAT,
        BROADCAST_TIMEOUT,
        PROJECTION_RETRY,
        CalendarBroadcast,
    )


def calendar_workflow_id(version: str) -> str:
    """The same calendar told twice (two admins, a retry) is one broadcast."""
    return f"calendar-{hashlib.sha256(version.encode()).hexdigest()[:16]}"


@workflow.defn
class CalendarChangeWorkflow:
    @workflow.run
    async def run(self) -> CalendarBroadcast:
        return await workflow.execute_activity_method(
            CalendarActivities.broadcast,
            start_to_close_timeout=BROADCAST_TIMEOUT,
            heartbeat_timeout=BROADCAST_HEARTBEAT,
            retry_policy=PROJECTION_RETRY,
        )
