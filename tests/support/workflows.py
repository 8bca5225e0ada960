"""Helpers for workflow tests on the time-skipping server: in-memory stand-ins for the
activities that touch the database, recording what the workflow asked for."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from temporalio import activity
from temporalio.testing import WorkflowEnvironment

from domain.calendar import CalendarOverride, build_calendar
from domain.statutory import ClockConfig
from workflows.shared import Notice, Projection


def clock_config(
    overrides: tuple[CalendarOverride, ...] = (),
    every_days: dict[str, float] | None = None,
    version: str = "",
) -> ClockConfig:
    """The real calendar (holidays + `overrides`) as the workflow receives it."""
    year = datetime.now(UTC).year
    calendar = build_calendar(range(year - 1, year + 4), overrides)
    return ClockConfig(
        calendar=calendar.to_dict(),
        escalation_every_days=every_days or {},
        version=version or f"test-{len(overrides)}",
    )


@dataclass
class RecordingProjection:
    """Stands in for the database writers: keeps what the workflow asked to record."""

    events: list[Projection] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    sent: list[list[int]] = field(default_factory=list)

    @activity.defn(name="project_dossier")
    async def record(self, projection: Projection) -> None:
        self.events.append(projection)

    @activity.defn(name="load_clock_config")
    async def load_config(self) -> ClockConfig:
        return clock_config()

    @activity.defn(name="record_notice")
    async def record_notice(self, notice: Notice) -> list[int]:
        self.notices.append(notice)
        return [len(self.notices)]

    @activity.defn(name="send_notifications")
    async def send_notifications(self, ids: list[int]) -> int:
        self.sent.append(ids)
        return len(ids)

    def activities(self) -> list[object]:
        return [self.record, self.load_config, self.record_notice, self.send_notifications]

    def actions(self, code: str) -> list[str]:
        return [p.event.action for p in self.events if p.state.code == code]

    def notices_of(self, code: str) -> list[Notice]:
        return [n for n in self.notices if n.code == code]


@dataclass
class Harness:
    env: WorkflowEnvironment
    task_queue: str
    projection: RecordingProjection
