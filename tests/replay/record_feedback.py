"""Records FeedbackWorkflow histories for `test_replay.py`, like `record.py` does for the
dossier workflow: run it when a change to the feedback workflow is deliberate, and keep the
histories already there.

    .venv/bin/python -m tests.replay.record_feedback <label>

Saved as `tests/replay/histories/feedback/<label>-<scenario>.json`."""

from __future__ import annotations

import asyncio
import sys
import uuid
from datetime import timedelta
from pathlib import Path

from temporalio import activity
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from messages import FeedbackInput, FeedbackNotice
from workflows.client import data_converter
from workflows.feedback import FeedbackWorkflow, feedback_workflow_id
from workflows.sandbox import workflow_runner

HISTORIES = Path(__file__).parent / "histories" / "feedback"
BIN = Path(sys.executable).parent
QUEUE = "replay-feedback"


@activity.defn(name="record_feedback_notice")
async def record_feedback_notice(notice: FeedbackNotice) -> int:
    return 1


#: scenario → days before the answer (warned at 8, escalated at 10)
SCENARIOS = {"answered-on-time": 2, "escalated": 12}


async def record(label: str) -> None:
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(BIN / "temporal-test-server"),
        data_converter=data_converter,
    )
    HISTORIES.mkdir(parents=True, exist_ok=True)
    async with Worker(
        env.client,
        task_queue=QUEUE,
        workflows=[FeedbackWorkflow],
        activities=[record_feedback_notice],
        workflow_runner=workflow_runner(),
    ):
        for name, days in SCENARIOS.items():
            code = f"PAKN-{uuid.uuid4().hex[:10].upper()}"
            now = await env.get_current_time()
            handle = await env.client.start_workflow(
                FeedbackWorkflow.run,
                FeedbackInput(
                    code=code, warn_at=now + timedelta(days=8), due_at=now + timedelta(days=10)
                ),
                id=feedback_workflow_id(code),
                task_queue=QUEUE,
            )
            await env.sleep(timedelta(days=days))
            await handle.signal(FeedbackWorkflow.answered)
            await handle.result()
            history = await handle.fetch_history()
            target = HISTORIES / f"{label}-{name}.json"
            target.write_text(history.to_json())
            print(f"recorded {target} ({len(history.events)} events)")
    await env.shutdown()


if __name__ == "__main__":
    asyncio.run(record(sys.argv[1] if len(sys.argv) > 1 else "v1"))
