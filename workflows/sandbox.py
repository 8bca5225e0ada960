"""How workflows run in a worker.

Tests run every workflow in the SDK's sandbox, with our pure modules passed through (they are
deterministic; passing them through keeps one copy of each in memory and lets pydantic
resolve their types): a workflow that reads the clock, does I/O or keeps global state fails
there. The production worker runs them unsandboxed unless `MOTCUA_WORKFLOW_SANDBOX` is set:
the sandbox re-imports each workflow's module for every workflow it holds, ≈ 80 KiB per cached
dossier and the CPU of an import per workflow started or replayed (BENCHMARKS.md). What it
would catch in production, the sandboxed tests and the replay of recorded histories
(tests/replay) catch before a release."""

from temporalio.worker import UnsandboxedWorkflowRunner, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

PASSED_THROUGH = ("domain", "messages", "pydantic", "pydantic_core", "annotated_types")


def workflow_runner(*, sandboxed: bool = True) -> WorkflowRunner:
    if not sandboxed:
        return UnsandboxedWorkflowRunner()
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSED_THROUGH)
    )
