"""Recorded histories of DossierWorkflow and PortalSyncWorkflow must keep replaying: a change
that would break a running dossier (or its portal sync) fails here and goes behind
`workflow.patched` instead."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from workflows.client import data_converter
from workflows.dossier import DossierWorkflow
from workflows.feedback import FeedbackWorkflow
from workflows.portal_sync import PortalSyncWorkflow
from workflows.sandbox import workflow_runner

HISTORIES = sorted((Path(__file__).parent / "histories").glob("*.json"))
PORTAL_HISTORIES = sorted((Path(__file__).parent / "histories" / "portal-sync").glob("*.json"))
FEEDBACK_HISTORIES = sorted((Path(__file__).parent / "histories" / "feedback").glob("*.json"))


def test_histories_are_recorded() -> None:
    assert HISTORIES, "no recorded history: run `python -m tests.replay.record v1`"
    assert PORTAL_HISTORIES, "none for portal sync: run `python -m tests.replay.record_portal v1`"
    assert FEEDBACK_HISTORIES, "none for feedback: run `python -m tests.replay.record_feedback v1`"


#: (history file, the workflow it replays, its workflow-id prefix)
CASES = (
    [(p, DossierWorkflow, "dossier") for p in HISTORIES]
    + [(p, PortalSyncWorkflow, "portal-sync") for p in PORTAL_HISTORIES]
    + [(p, FeedbackWorkflow, "feedback") for p in FEEDBACK_HISTORIES]
)


@pytest.mark.parametrize("sandboxed", [True, False], ids=["sandboxed", "lean"])
@pytest.mark.parametrize(
    ("path", "workflow", "prefix"), CASES, ids=[f"{c[2]}-{c[0].stem}" for c in CASES]
)
async def test_replays_without_nondeterminism(
    path: Path, workflow: type, prefix: str, sandboxed: bool
) -> None:
    """In the tests' sandbox and on the production worker's lean unsandboxed runner."""
    text = await asyncio.to_thread(path.read_text)
    history = WorkflowHistory.from_json(f"{prefix}-{path.stem}", text)
    replayer = Replayer(
        workflows=[workflow],
        workflow_runner=workflow_runner(sandboxed=sandboxed),
        data_converter=data_converter,
    )
    await replayer.replay_workflow(history)
