"""How workflows run in a worker.

Tests run every workflow in the SDK's sandbox, with our pure modules passed through (they are
deterministic; passing them through keeps one copy of each in memory and lets pydantic
resolve their types): a workflow that reads the clock, does I/O or keeps global state fails
there. The production worker runs them unsandboxed unless `MOTCUA_WORKFLOW_SANDBOX` is set:
the sandbox re-imports each workflow's module for every workflow it holds, ≈ 80 KiB per cached
dossier and the CPU of an import per workflow started or replayed (BENCHMARKS.md). What it
would catch in production, the sandboxed tests and the replay of recorded histories
(tests/replay) catch before a release.

Unsandboxed, the workflow instances are lean (`LeanWorkflowRunner`): a protobuf field read
from an activation keeps the whole activation alive (upb allocates a message and all of its
fields in one arena, freed when the last reference to any part of it goes), and the SDK's
instance keeps a few such fields for the workflow's life: the first activation's headers, memo
and last result (with them the start input, ≈ 8 KiB of arena for a bulk-started dossier) and
the latest activation's internal flags and deployment version (with them that activation's
payloads), and the latest completion it sent. The lean instance keeps copies of those fields
instead, each in an arena of its own, and none where one per worker does: no completion
between activations, one copy of each deployment version, one empty last result. Its
`workflow.random()` is built on first use (a Mersenne Twister is 2.5 KB, and no workflow of
ours draws from it). It sets `EVICTED` when the worker evicts it, for the worker's
`config.memory.MemoryTrimmer`."""

from __future__ import annotations

import dataclasses
import random
import threading
from typing import Any, TypeVar

from google.protobuf.message import Message
from temporalio.api.common.v1 import Payloads
from temporalio.bridge.proto.common import WorkerDeploymentVersion
from temporalio.bridge.proto.workflow_activation import WorkflowActivation
from temporalio.bridge.proto.workflow_completion import WorkflowActivationCompletion
from temporalio.worker import (
    UnsandboxedWorkflowRunner,
    WorkflowInstance,
    WorkflowInstanceDetails,
    WorkflowRunner,
)
from temporalio.worker._workflow_instance import _WorkflowInstanceImpl
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from workflows import payload_walk

#: `workflows.codec` too: it reads its dictionary when imported, and no workflow calls it.
PASSED_THROUGH = (
    "domain",
    "messages",
    "workflows.codec",
    "pydantic",
    "pydantic_core",
    "annotated_types",
)

M = TypeVar("M", bound=Message)

#: Set when a lean instance is evicted from a worker's cache; cleared by the memory trimmer.
EVICTED = threading.Event()


def own(message: M) -> M:
    """A copy of `message` in an arena of its own: holding it keeps nothing else alive."""
    copy = type(message)()
    copy.CopyFrom(message)
    return copy


def own_map(fields: Any) -> dict[str, Any]:
    return {key: own(value) for key, value in fields.items()}


#: The SDK instance's attributes the lean runner replaces with copies
#: (tests/workflows/test_lean_runner.py fails when an SDK upgrade renames one).
REPLACED = (
    "_current_internal_flags",
    "_deployment_version_for_current_task",
    "_workflow_input",
    "_current_completion",
    "_info",
    "_last_completion_result",
    "_last_failure",
    "_random",
)

#: The last result of a workflow that is not a continuation: never written, only read.
NO_LAST_RESULT = Payloads()


class _Versions:
    """One copy per worker of each deployment version its activations name."""

    def __init__(self) -> None:
        self._held: dict[tuple[str, str], WorkerDeploymentVersion] = {}
        self._lock = threading.Lock()  # workflows activate on several threads

    def get(self, version: WorkerDeploymentVersion) -> WorkerDeploymentVersion:
        key = (version.deployment_name, version.build_id)
        with self._lock:
            held = self._held.get(key)
            if held is None:
                held = self._held[key] = own(version)
            return held


_VERSIONS = _Versions()


class LazyRandom:
    """The workflow's deterministic `random.Random`, built from its seed on first use; a new
    seed (the SDK's UpdateRandomSeed job) starts over as `Random.seed` would."""

    __slots__ = ("_seed", "_random")

    def __init__(self, seed: int) -> None:
        self._seed = seed
        self._random: random.Random | None = None

    def seed(self, seed: int) -> None:
        self._seed, self._random = seed, None

    def __getattr__(self, name: str) -> Any:
        if self._random is None:
            self._random = random.Random(self._seed)
        return getattr(self._random, name)


class LeanWorkflowInstance(_WorkflowInstanceImpl):
    """The SDK's unsandboxed instance, holding no part of an activation once it is done."""

    def __init__(self, det: WorkflowInstanceDetails) -> None:
        super().__init__(det)
        self._random = LazyRandom(det.randomness_seed)  # type: ignore[assignment]

    def activate(self, act: WorkflowActivation) -> WorkflowActivationCompletion:
        completion = super().activate(act)
        if act.jobs and act.jobs[0].HasField("remove_from_cache"):  # the SDK sends it alone
            EVICTED.set()
        self._current_internal_flags = frozenset(self._current_internal_flags)  # type: ignore[assignment]
        version = self._deployment_version_for_current_task
        if version is not None:
            self._deployment_version_for_current_task = _VERSIONS.get(version)
        started = self._workflow_input
        if started is not None and not isinstance(started.headers, dict):
            started.headers = own_map(started.headers)
        # the completion was returned to the worker, which serialises it; the next activation
        # starts a new one (and nothing uses it between activations)
        self._current_completion = None  # type: ignore[assignment]
        return completion


class LeanWorkflowRunner(UnsandboxedWorkflowRunner):
    """Runs workflows unsandboxed in `LeanWorkflowInstance`s."""

    def create_instance(self, det: WorkflowInstanceDetails) -> WorkflowInstance:
        info = dataclasses.replace(
            det.info, headers=own_map(det.info.headers), raw_memo=own_map(det.info.raw_memo)
        )
        det = dataclasses.replace(
            det,
            info=info,
            last_completion_result=(
                own(det.last_completion_result)
                if det.last_completion_result.payloads
                else NO_LAST_RESULT
            ),
            last_failure=own(det.last_failure) if det.last_failure is not None else None,
        )
        return LeanWorkflowInstance(det)  # type: ignore[abstract]


def workflow_runner(*, sandboxed: bool = True) -> WorkflowRunner:
    """Every worker's runner (the tests' too), so every worker walks a workflow task's
    payloads once (`workflows.payload_walk`)."""
    payload_walk.install()
    if not sandboxed:
        return LeanWorkflowRunner()
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSED_THROUGH)
    )
