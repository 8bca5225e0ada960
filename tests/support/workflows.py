"""Helpers for workflow tests on the time-skipping server: in-memory stand-ins for the
activities that touch the database, recording what the workflow asked for."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from temporalio import activity
from temporalio.testing import WorkflowEnvironment

from domain.calendar import CalendarOverride, build_calendar
from domain.payment import PaymentRequest, PaymentState
from domain.statutory import ClockConfig
from messages import (
    Notice,
    PaymentInitiated,
    PaymentQueried,
    Projection,
)


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
    #: the fake gateway: INITs asked, QUERYs asked, and what QUERY answers per reference
    #: (pending unless a test sets it)
    inits: list[PaymentRequest] = field(default_factory=list)
    queries: list[str] = field(default_factory=list)
    gateway_states: dict[str, PaymentState] = field(default_factory=dict)
    query_after_seconds: float = 15 * 60

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

    @activity.defn(name="init_payment")
    async def init_payment(self, payment: PaymentRequest) -> PaymentInitiated:
        self.inits.append(payment)
        return PaymentInitiated(
            payment_url=f"https://gateway.test/pay/{payment.reference}",
            gateway_txn=f"GD-{payment.reference}",
            query_after_seconds=self.query_after_seconds,
        )

    @activity.defn(name="query_payment")
    async def query_payment(self, reference: str) -> PaymentQueried:
        self.queries.append(reference)
        init = next(i for i in self.inits if i.reference == reference)
        state = self.gateway_states.get(reference, PaymentState.PENDING)
        return PaymentQueried(
            reference=reference, state=state, amount=init.amount, gateway_txn=f"GD-{reference}"
        )

    def activities(self) -> list[object]:
        return [
            self.record,
            self.load_config,
            self.record_notice,
            self.send_notifications,
            self.init_payment,
            self.query_payment,
        ]

    def actions(self, code: str) -> list[str]:
        return [p.event.action for p in self.events if p.state.code == code]

    def notices_of(self, code: str) -> list[Notice]:
        return [n for n in self.notices if n.code == code]


@dataclass
class Harness:
    env: WorkflowEnvironment
    task_queue: str
    projection: RecordingProjection
