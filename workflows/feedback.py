"""FeedbackWorkflow: the clock of one feedback or petition (phản ánh, kiến nghị). Durable
timers warn the handling agency before the due moment and escalate after it, each notice
recorded once through the notification outbox (the officers' notice path); the officer's
answer (recorded by the API) signals `answered` and ends it."""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow

from messages import (
    NOTICE_TIMEOUT,
    PROJECTION_RETRY,
    FeedbackInput,
    FeedbackNotice,
)

#: The workflow id of feedback `code`.
FEEDBACK_ID_PREFIX = "feedback-"


def feedback_workflow_id(code: str) -> str:
    return f"{FEEDBACK_ID_PREFIX}{code}"


@workflow.defn(name="FeedbackWorkflow")
class FeedbackWorkflow:
    def __init__(self) -> None:
        self._answered = False
        self._notices: list[str] = []

    @workflow.signal
    def answered(self) -> None:
        self._answered = True

    @workflow.query
    def notices(self) -> list[str]:
        """The notices issued so far: warning, escalation."""
        return list(self._notices)

    @workflow.run
    async def run(self, clock: FeedbackInput) -> str:
        """'on_time' or 'late', once answered."""
        for kind, at in (("warning", clock.warn_at), ("escalation", clock.due_at)):
            await self._until(at)
            if self._answered:
                return "on_time"
            await workflow.execute_activity(
                "record_feedback_notice",
                FeedbackNotice(code=clock.code, kind=kind),
                start_to_close_timeout=NOTICE_TIMEOUT,
                retry_policy=PROJECTION_RETRY,
            )
            self._notices.append(kind)
        await workflow.wait_condition(lambda: self._answered)
        return "late"

    async def _until(self, moment: datetime) -> None:
        """Sleep until `moment`, or until answered."""
        left = moment - workflow.now()
        if left <= timedelta(0):
            return
        try:
            await workflow.wait_condition(lambda: self._answered, timeout=left)
        except TimeoutError:
            pass
