"""FeedbackWorkflow on the time-skipping server: a feedback left unanswered is warned before
its due moment and escalated after it, each once; one answered in time issues nothing."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from temporalio import activity
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from messages import FeedbackInput, FeedbackNotice
from workflows.feedback import FeedbackWorkflow, feedback_workflow_id
from workflows.sandbox import workflow_runner

RECORDED: list[tuple[str, str]] = []


@activity.defn(name="record_feedback_notice")
async def record_feedback_notice(notice: FeedbackNotice) -> int:
    RECORDED.append((notice.code, notice.kind))
    return 1


@pytest.fixture(scope="module")
async def feedback_queue(skipping_env: WorkflowEnvironment) -> AsyncIterator[str]:
    queue = f"feedback-{uuid.uuid4().hex[:8]}"
    async with Worker(
        skipping_env.client,
        task_queue=queue,
        workflows=[FeedbackWorkflow],
        activities=[record_feedback_notice],
        workflow_runner=workflow_runner(),
    ):
        yield queue


async def start(env: WorkflowEnvironment, queue: str, code: str):  # type: ignore[no-untyped-def]
    now = await env.get_current_time()
    return await env.client.start_workflow(
        FeedbackWorkflow.run,
        FeedbackInput(code=code, warn_at=now + timedelta(days=8), due_at=now + timedelta(days=10)),
        id=feedback_workflow_id(code),
        task_queue=queue,
    )


async def test_an_unanswered_feedback_is_warned_then_escalated_once(  # type: ignore[no-untyped-def]
    skipping_env: WorkflowEnvironment, feedback_queue: str
) -> None:
    code = f"PAKN-{uuid.uuid4().hex[:6]}"
    handle = await start(skipping_env, feedback_queue, code)
    await skipping_env.sleep(timedelta(days=9))
    assert await handle.query(FeedbackWorkflow.notices) == ["warning"]
    await skipping_env.sleep(timedelta(days=5))
    assert await handle.query(FeedbackWorkflow.notices) == ["warning", "escalation"]
    await handle.signal(FeedbackWorkflow.answered)
    assert await handle.result() == "late"
    assert [kind for c, kind in RECORDED if c == code] == ["warning", "escalation"]


async def test_a_feedback_answered_in_time_issues_no_notice(  # type: ignore[no-untyped-def]
    skipping_env: WorkflowEnvironment, feedback_queue: str
) -> None:
    code = f"PAKN-{uuid.uuid4().hex[:6]}"
    handle = await start(skipping_env, feedback_queue, code)
    await skipping_env.sleep(timedelta(days=2))
    await handle.signal(FeedbackWorkflow.answered)
    assert await handle.result() == "on_time"
    assert [kind for c, kind in RECORDED if c == code] == []
