"""The production worker's lean runner: workflows run as in the SDK's unsandboxed runner, and
once an activation is done the instance holds no protobuf field that belongs to an activation
(each would keep the whole activation's arena alive for the workflow's life)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from temporalio import workflow
from temporalio.api.common.v1 import Payload
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker, WorkflowInstance, WorkflowInstanceDetails

from workflows.sandbox import (
    EVICTED,
    NO_LAST_RESULT,
    REPLACED,
    LazyRandom,
    LeanWorkflowInstance,
    LeanWorkflowRunner,
    own,
)


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
        # an update in the workflow's first activation runs before `run` has begun
        await workflow.wait_condition(lambda: bool(self.seen))
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
        assert instance._current_completion is None  # between activations
        assert instance._last_completion_result is NO_LAST_RESULT
        assert isinstance(instance._random, LazyRandom)
        assert await handle.execute_update(Waiting.add, "c") == 3
        assert await handle.result() == ["a", "b", "c"]


async def test_an_eviction_is_noted_for_the_memory_trimmer(
    skipping_env: WorkflowEnvironment,
) -> None:
    queue = f"lean-{uuid.uuid4().hex[:8]}"
    EVICTED.clear()
    async with Worker(
        skipping_env.client,
        task_queue=queue,
        workflows=[Waiting],
        workflow_runner=LeanWorkflowRunner(),
        max_cached_workflows=1,
    ):
        first = await skipping_env.client.start_workflow(
            Waiting.run, "a", id=f"lean-{uuid.uuid4().hex}", task_queue=queue
        )
        assert await first.execute_update(Waiting.add, "b") == 2
        assert not EVICTED.is_set(), "nothing was evicted yet"
        second = await skipping_env.client.start_workflow(
            Waiting.run, "x", id=f"lean-{uuid.uuid4().hex}", task_queue=queue
        )
        assert await second.execute_update(Waiting.add, "y") == 2  # the first made room
        assert EVICTED.is_set()
        assert await first.execute_update(Waiting.add, "c") == 3  # replayed: nothing lost
        assert await first.result() == ["a", "b", "c"]


def test_the_lazy_random_draws_what_the_seeded_random_draws() -> None:
    import random

    lazy, eager = LazyRandom(42), random.Random(42)
    assert [lazy.random() for _ in range(3)] == [eager.random() for _ in range(3)]
    lazy.seed(7)
    eager.seed(7)
    assert lazy.getrandbits(128) == eager.getrandbits(128)
    assert LazyRandom(7).randint(0, 10**9) == random.Random(7).randint(0, 10**9)
