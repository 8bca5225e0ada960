"""Helpers for workflow tests on the time-skipping server."""

from __future__ import annotations

from dataclasses import dataclass, field

from temporalio import activity
from temporalio.testing import WorkflowEnvironment

from workflows.shared import Projection


@dataclass
class RecordingProjection:
    """Stands in for the database writer: keeps what the workflow asked to record."""

    events: list[Projection] = field(default_factory=list)

    @activity.defn(name="project_dossier")
    async def record(self, projection: Projection) -> None:
        self.events.append(projection)

    def actions(self, code: str) -> list[str]:
        return [p.event.action for p in self.events if p.state.code == code]


@dataclass
class Harness:
    env: WorkflowEnvironment
    task_queue: str
    projection: RecordingProjection
