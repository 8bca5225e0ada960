"""The Temporal messages: what is passed into and out of workflows, their updates, signals and
activities (one dataclass per call), with the timeouts and retries of the calls. Workflows,
activities and the API import them from here, and none of them from each other."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import TypeAdapter
from temporalio.common import RetryPolicy

from domain.actions import Preview
from domain.dossier import ActionRequest, DossierEvent, DossierState
from domain.lifecycle import Action
from domain.payment import PaymentState
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
    #: The patches the workflow runs with from its start without asking `workflow.patched`
    #: (`workflows.dossier.PATCH_LEVELS`); 0 in every history started before levels existed.
    patch_level: int = 0


@dataclass
class Notice:
    """A warning or escalation issued by a dossier's timers, for the notice writer."""

    code: str
    procedure_name: str
    timer: Timer
    event: DossierEvent


def update_name(action: Action) -> str:
    """The Workflow Update an action arrives as (`request-supplement` -> `request_supplement`),
    the names the recorded histories hold; the workflow answers them all with one handler."""
    return action.value.replace("-", "_")


#: The actions a person sends to a dossier, by the name of their update. Stopping is the
#: workflow's own (a timer), attaching a document has its own update and shape.
UPDATE_ACTIONS: dict[str, Action] = {
    update_name(a): a for a in Action if a not in (Action.STOP, Action.ATTACH_DOCUMENT)
}

#: An action's request from its update's payload, the action named by the update.
ACTION_REQUEST = TypeAdapter(ActionRequest)


class Refusal(StrEnum):
    """The kinds of refusal a dossier workflow answers with (the `type` of its non-retryable
    `ApplicationError`), mapped by the API to 409, 422, 403 and 409."""

    ILLEGAL_TRANSITION = "IllegalTransition"
    INVALID_ACTION = "InvalidAction"
    FORBIDDEN = "Forbidden"
    CLOCK_CONFLICT = "ClockConflict"
    PAYMENT_REJECTED = "PaymentRejected"


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


#: Handing a new calendar to the open dossiers: bounded, heartbeating, resumed where it was.
BROADCAST_TIMEOUT = timedelta(minutes=30)
BROADCAST_HEARTBEAT = timedelta(seconds=30)


@dataclass
class CalendarBroadcast:
    """What a calendar change reached: the open dossiers told, and those that could not be
    (closed meanwhile)."""

    notified: int = 0
    failed: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- portal sync


@dataclass
class PortalSyncInput:
    dossier_code: str


@dataclass
class PortalWake:
    """Why the workflow was woken (for the history; the reason changes nothing)."""

    reason: str = ""


@dataclass
class ReconcileInput:
    batch_size: int = 100


@dataclass
class DeliveryInput:
    dossier_code: str
    max_records: int = 50


@dataclass
class DeliveryOutcome:
    delivered: int
    remaining: int
    parked: bool = False
    reason: str = ""


@dataclass
class ReconcileBatchInput:
    after_code: str = ""
    limit: int = 100


@dataclass
class ReconcileTally:
    dossiers: int = 0
    in_sync: int = 0
    pending: int = 0
    parked: int = 0
    resent: int = 0
    unreachable: int = 0

    def add(self, other: "ReconcileTally") -> None:
        for name in ("dossiers", "in_sync", "pending", "parked", "resent", "unreachable"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def rate(self) -> float:
        return 1.0 if self.dossiers == 0 else round(self.in_sync / self.dossiers, 4)


@dataclass
class ReconcileBatch:
    tally: ReconcileTally
    next_after: str | None


@dataclass
class ReconcileReport:
    started_at: datetime
    tally: ReconcileTally
    rate: float
    id: int | None = None


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
