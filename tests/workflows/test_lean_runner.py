"""The production worker's lean runner: workflows run as in the SDK's unsandboxed runner, and
once an activation is done the instance holds no protobuf field that belongs to an activation
(each would keep the whole activation's arena alive for the workflow's life)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from google.protobuf.message import Message
from temporalio import workflow
from temporalio.api.common.v1 import Payload
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker, WorkflowInstance, WorkflowInstanceDetails

from workflows.sandbox import REPLACED, LeanWorkflowInstance, LeanWorkflowRunner, own


@workflow.defn
class Waiting:
    def __init__(self) -> None:
        self.seen: list[str] = []

    @workflow.run
    async def run(self, first: str) -> list[str]:
        self.seen.append(first)
        await workflow.wait_condition(lambda: len(self.seen) > 2, timeout=timedelta(days=1))
        return self.seen

    @workflow.update
    async def add(self, value: str) -> int:
        self.seen.append(value)
        return len(self.seen)


class Capturing(LeanWorkflowRunner):
    def __init__(self) -> None:
        self.instances: list[LeanWorkflowInstance] = []

    def create_instance(self, det: WorkflowInstanceDetails) -> WorkflowInstance:
        instance = super().create_instance(det)
        assert isinstance(instance, LeanWorkflowInstance)
        self.instances.append(instance)
        return instance


def test_own_copies_into_a_message_of_its_own() -> None:
    outer = Payload(metadata={"encoding": b"json/plain"}, data=b'"x"')
    copy = own(outer)
    assert copy == outer and copy is not outer
    outer.data = b'"y"'
    assert copy.data == b'"x"'


async def test_lean_instance_holds_copies_and_runs_the_workflow(
    skipping_env: WorkflowEnvironment,
) -> None:
    runner = Capturing()
    queue = f"lean-{uuid.uuid4().hex[:8]}"
    async with Worker(
        skipping_env.client,
        task_queue=queue,
        workflows=[Waiting],
        workflow_runner=runner,
        max_cached_workflows=10,
    ):
        handle = await skipping_env.client.start_workflow(
            Waiting.run, "a", id=f"lean-{uuid.uuid4().hex}", task_queue=queue
        )
        assert await handle.execute_update(Waiting.add, "b") == 2
        [instance] = runner.instances
        held = vars(instance)
        missing = [name for name in REPLACED if name not in held]
        assert not missing, f"the SDK's instance no longer has {missing}: review LeanWorkflowRunner"
        assert isinstance(instance._current_internal_flags, frozenset)
        assert isinstance(instance._workflow_input.headers, dict)
        assert isinstance(instance._info.headers, dict)
        assert not instance._current_completion.HasField("successful")
        assert isinstance(instance._last_completion_result, Message)
        assert await handle.execute_update(Waiting.add, "c") == 3
        assert await handle.result() == ["a", "b", "c"]
