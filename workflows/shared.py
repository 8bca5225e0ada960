"""Data passed into and out of workflows and activities (one dataclass per call)."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from temporalio.common import RetryPolicy

from domain.actions import Preview
from domain.dossier import (
    Actor,
    DossierEvent,
    DossierState,
    ResultKind,
)
from domain.payment import FeeLine, FeeLineDraft, PaymentPurpose, PaymentState
from domain.statutory import ClockConfig, DeadlineStep, DeadlineView, Timer

__all__ = ["DeadlineStep", "DeadlineView"]

#: Writes to the read model: short, retried until the database is back.
PROJECTION_TIMEOUT = timedelta(seconds=30)
PROJECTION_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=30),
)


#: Org-chart look-ups and notification writes for warnings and escalations.
NOTICE_TIMEOUT = timedelta(seconds=30)
#: Sending mail: retried with back-off for as long as the channel is down.
NOTIFY_TIMEOUT = timedelta(seconds=60)
NOTIFY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=5),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=10),
)


@dataclass
class DossierInput:
    state: DossierState
    rating_window_days: int = 30
    config: ClockConfig | None = None  # fetched by the workflow when not given


@dataclass
class Notice:
    """A warning or escalation issued by a dossier's timers, for the notice writer."""

    code: str
    procedure_name: str
    timer: Timer
    event: DossierEvent


@dataclass
class ActionInput:
    """What a person sends with an action; fields not used by the action are ignored."""

    actor: Actor
    note: str = ""
    reason: str = ""
    items: list[str] = field(default_factory=list)
    result_kind: ResultKind | None = None
    result_summary: str = ""
    rating: int | None = None
    new_due: datetime | None = None
    fee_lines: list[FeeLineDraft] = field(default_factory=list)
    assignee: Actor | None = None  # assign: the officer of the step's unit


class Refusal(StrEnum):
    """The kinds of refusal a dossier workflow answers with (the `type` of its non-retryable
    `ApplicationError`), mapped by the API to 409, 422, 403 and 409."""

    ILLEGAL_TRANSITION = "IllegalTransition"
    INVALID_ACTION = "InvalidAction"
    FORBIDDEN = "Forbidden"
    CLOCK_CONFLICT = "ClockConflict"
    PAYMENT_REJECTED = "PaymentRejected"


@dataclass
class PreviewInput:
    """An action to try on a copy of the dossier (the `preview` query)."""

    action: str
    input: ActionInput


@dataclass
class PreviewAnswer:
    """The `preview` query's answer: what the action would do, or why it would be refused
    (`kind`: IllegalTransition, InvalidAction, Forbidden or ClockConflict)."""

    preview: Preview | None = None
    kind: str = ""
    refusal: str = ""
    field: str = ""


@dataclass
class ActionOutcome:
    status: str
    portal_code: int
    seq: int
    step_index: int
    due_at: datetime | None
    allowed_actions: list[str]


@dataclass
class Projection:
    """A dossier's full state after one event, for the read model."""

    state: DossierState
    event: DossierEvent


#: Talking to the payment gateway (INIT, QUERY): bounded, so that a gateway outage never
#: holds the dossier; the workflow tries again later by its own timer.
GATEWAY_TIMEOUT = timedelta(seconds=15)
GATEWAY_SCHEDULE_TIMEOUT = timedelta(minutes=2)
GATEWAY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=20),
    non_retryable_error_types=["GatewayRejected"],
)


@dataclass
class PaymentInit:
    """What the gateway is told at INIT for one payment of a dossier."""

    reference: str
    dossier_code: str
    procedure_code: str
    amount: int
    lines: list[FeeLine]
    purpose: PaymentPurpose


@dataclass
class PaymentInitiated:
    payment_url: str
    gateway_txn: str
    #: Without a callback after this long, the workflow asks the gateway (QUERY).
    query_after_seconds: float


@dataclass
class PaymentQueried:
    """The gateway's verified answer to QUERY."""

    reference: str
    state: PaymentState
    amount: int
    gateway_txn: str


@dataclass
class PaymentOutcome:
    """What a gateway confirmation did: ``paid``, ``failed`` or ``duplicate`` (nothing)."""

    outcome: str
    reference: str
    status: str
    seq: int


# --- feedback and petitions (phản ánh, kiến nghị) -----------------------------------------


@dataclass
class FeedbackInput:
    """A feedback's clock: warn its handler at `warn_at`, escalate at `due_at`."""

    code: str
    warn_at: datetime
    due_at: datetime


@dataclass
class FeedbackNotice:
    """A warning (before the due moment) or an escalation (after it) of one feedback."""

    code: str
    kind: str  # warning | escalation
