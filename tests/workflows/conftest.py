"""Workflow tests run on the time-skipping server with in-memory activities. One worker for
the whole session: every workflow started keeps being served while later tests skip time."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.support.workflows import Harness, RecordingProjection
from workflows.dossier import DossierWorkflow
from workflows.sandbox import workflow_runner


@pytest.fixture(scope="session")
async def harness(skipping_env: WorkflowEnvironment) -> AsyncIterator[Harness]:
    projection = RecordingProjection()
    queue = f"wf-{uuid.uuid4().hex[:8]}"
    async with Worker(
        skipping_env.client,
        task_queue=queue,
        workflows=[DossierWorkflow],
        activities=projection.activities(),
        workflow_runner=workflow_runner(),
    ):
        yield Harness(skipping_env, queue, projection)
