"""The dossier (hồ sơ) as a pure state machine: who may do what, when, and what it changes.

The workflow holds one `DossierState`, asks it to `check` an action (the update validator)
and to `apply` it (the update handler). Every applied action yields one `DossierEvent`, the
unit written to the timeline and the read model."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import IntEnum, StrEnum

from domain.clock import LedgerEntry
from domain.documents import DocumentKind
from domain.lifecycle import Action, IllegalTransition, Status, next_status, table_actions
from domain.outcomes import OnTimeVerdict
from domain.payment import (
    CallbackDecision,
    CallbackOutcome,
    DossierPayment,
    FeeKind,
    FeeLine,
    FeeLineDraft,
    FeeLineInvalid,
    PaymentConfirmation,
    PaymentPurpose,
    PaymentState,
    checked_fee_lines,
    decide_confirmation,
    new_dossier_payment,
)
from domain.procedures import Procedure


class Role(StrEnum):
    CLERK = "clerk"  # one-stop desk (Bộ phận Một cửa)
    OFFICER = "officer"  # specialist handling a step (chuyên viên)
    UNIT_HEAD = "unit_head"  # trưởng phòng
    AGENCY_HEAD = "agency_head"  # thủ trưởng cơ quan
    ADMIN = "admin"
    APPLICANT = "applicant"
    SYSTEM = "system"  # the engine's own timers


class Channel(IntEnum):
    """Portal `KenhThucHien` codes."""

    IN_PERSON = 1
    ONLINE = 2
    POST = 3


class ResultKind(StrEnum):
    APPROVAL = "approval"
    REFUSAL = "refusal"


class InvalidAction(ValueError):
    """The action is allowed but its input is not usable (→ 422)."""

    def __init__(self, field_name: str, message: str):
        self.field = field_name
        self.message = message
        super().__init__(f"{field_name}: {message}")


class Forbidden(Exception):
    """The actor's role or agency does not allow the action on this dossier (→ 403)."""


PROCESSING_ROLES = frozenset({Role.OFFICER, Role.UNIT_HEAD, Role.AGENCY_HEAD, Role.ADMIN})
DESK_ROLES = frozenset({Role.CLERK, Role.ADMIN})
HEAD_ROLES = frozenset({Role.UNIT_HEAD, Role.AGENCY_HEAD, Role.ADMIN})


#: What the applicant does through their own channel (tự phục vụ): withdraw the dossier,
#: rate the result, and hand in the supplement asked of them (with the files they upload).
APPLICANT_ACTIONS = frozenset({Action.WITHDRAW, Action.RATE, Action.SUPPLEMENT})


@dataclass(frozen=True, slots=True)
class Actor:
    username: str
    full_name: str
    role: Role
    agency_code: str = ""
    unit_code: str = ""
    title: str = ""
    #: Units whose head this person stands in for today (a delegation, quyền trưởng phòng):
    #: they assign, approve and act as the head on those units' steps.
    acting_head_of: tuple[str, ...] = ()

    def heads(self, unit_code: str) -> bool:
        """Whether the actor is the head of `unit_code`, in title or by delegation."""
        if self.role == Role.UNIT_HEAD and self.unit_code == unit_code:
            return True
        return unit_code in self.acting_head_of


SYSTEM_ACTOR = Actor(username="system", full_name="motcua", role=Role.SYSTEM)
#: Who settles a payment the gateway confirmed (callback or reconciliation).
GATEWAY_ACTOR = Actor(username="gateway", full_name="Cổng thanh toán", role=Role.SYSTEM)


@dataclass(frozen=True, slots=True)
class Applicant:
    name: str
    id_number: str = ""
    phone: str = ""
    email: str = ""
    address: str = ""


@dataclass(frozen=True, slots=True)
class ActionRequest:
    """One action with its input. Fields not used by an action are ignored."""

    action: Action
    actor: Actor
    note: str = ""
    reason: str = ""
    items: tuple[str, ...] = ()
    result_kind: ResultKind | None = None
    result_summary: str = ""
    rating: int | None = None
    new_due: datetime | None = None
    fee_lines: tuple[FeeLineDraft, ...] = ()  # request-payment: the financial obligation
    assignee: Actor | None = None  # assign: the officer of the unit who takes the step
    #: A parallel stage: the branch acted on, when the actor could hold more than one (an
    #: agency head, an admin); otherwise the actor's unit picks it.
    step_index: int | None = None


@dataclass(slots=True)
class StepProgress:
    index: int
    unit_code: str
    unit_name: str
    agency_code: str
    agency_name: str
    term_days: float
    started_at: datetime | None = None
    finished_at: datetime | None = None
    due_at: datetime | None = None
    handled_by: str = ""
    ledger: list[LedgerEntry] = field(default_factory=list)  # this step's own clock
    attempt: int = 0  # how many times the step was started (a return starts it again)
    assignee: str = ""  # the officer who holds the step ("": nobody took it, the unit's)
    assignee_name: str = ""
    #: A branch of a parallel stage closed unanswered once the stage's quorum answered (not
    #: needed: no lateness).
    closed: bool = False


@dataclass(slots=True)
class Holding:
    """An officer held an attempt of a step from `since` (phân công / nhận xử lý)."""

    officer: str
    officer_name: str
    since: datetime
    by: str  # who assigned it (the officer themselves when they took it)


@dataclass(slots=True)
class StepAttempt:
    """One time a step was worked on, kept when the dossier moves on or comes back.

    A stage where several agencies work at once has one attempt per branch (`branch` names
    it: the unit's code); a stage with one unit leaves it empty."""

    step_index: int
    attempt: int
    unit_code: str
    unit_name: str
    agency_code: str
    agency_name: str
    started_at: datetime
    due_at: datetime | None = None
    finished_at: datetime | None = None
    outcome: str = ""  # the action that ended it: forward, return, resolve, withdraw, stop …
    finished_by: str = ""
    holdings: list[Holding] = field(default_factory=list)
    branch: str = ""

    @property
    def open(self) -> bool:
        return self.finished_at is None

    def holder_at(self, moment: datetime) -> Holding | None:
        """Who held the attempt at `moment` (the last assignment made by then), or None."""
        held = [h for h in self.holdings if h.since <= moment]
        return held[-1] if held else None


@dataclass(slots=True)
class SupplementRound:
    requested_at: datetime
    requested_by: str
    reason: str
    items: tuple[str, ...]
    stage: Status
    previous_due: datetime | None
    supplied_at: datetime | None = None
    new_due: datetime | None = None


@dataclass(frozen=True, slots=True)
class DossierEvent:
    """One line of the dossier timeline (nhật ký xử lý)."""

    seq: int
    action: str
    actor: str
    actor_name: str
    at: datetime
    from_status: Status
    to_status: Status
    step_index: int
    note: str = ""
    #: In a parallel stage: the branch (step index) that acted; None otherwise.
    branch_index: int | None = None


@dataclass(slots=True)
class Result:
    kind: ResultKind
    summary: str
    decided_at: datetime
    decided_by: str


@dataclass(slots=True)
class DossierComponent:
    """A component (thành phần hồ sơ) of this dossier and whether it has an electronic copy
    (số hóa): scanned at reception, handed in online, or reused from an earlier dossier."""

    code: str
    name: str
    required: bool = True
    provided: bool = False
    digitized: bool = False
    reused: bool = False
    sha256: str = ""
    document_id: int | None = None


@dataclass(frozen=True, slots=True)
class DocumentAttachment:
    """A stored file to attach to the dossier: a digitized component, an earlier document of the
    same applicant reused as a component, or the electronic result (bản điện tử).

    `reused_from` is the dossier the reused document came from and `owner_id_number` the id
    number of that dossier's applicant; both empty for a fresh upload."""

    kind: DocumentKind
    actor: Actor
    sha256: str
    document_id: int
    display_name: str
    component_code: str = ""
    reused_from: str = ""
    owner_id_number: str = ""


@dataclass(slots=True)
class ElectronicResult:
    """The electronic copy of the result (kết quả điện tử), stored and hashed."""

    sha256: str
    document_id: int
    display_name: str
    attached_at: datetime
    attached_by: str


def attachment_forbidden(
    kind: DocumentKind, actor: Actor, *, receiving_agency: str, step_agency: str | None
) -> str | None:
    """Why `actor` may not attach a `kind` document to a dossier, or None. Components are
    digitized at the receiving agency's desk or handed in online by the applicant; the
    result comes from the agency at work."""
    if actor.role in (Role.ADMIN, Role.SYSTEM):
        return None
    if actor.role == Role.APPLICANT:
        # their own dossier's components, filed online or sent as the supplement asked for
        # (the API holds the code and secret or the verified contact)
        if kind == DocumentKind.COMPONENT:
            return None
        return "the result is attached by an officer of the agency handling the current step"
    if kind == DocumentKind.COMPONENT:
        if actor.role != Role.CLERK:
            return "components are digitized at the one-stop desk by the receiving agency's clerk"
        if actor.agency_code != receiving_agency:
            return "this dossier was received by another agency's one-stop desk"
        return None
    if actor.role not in PROCESSING_ROLES or step_agency is None:
        return "the result is attached by an officer of the agency handling the current step"
    if actor.agency_code != step_agency:
        return "the current step of this dossier belongs to another agency"
    return None


@dataclass(slots=True)
class DossierState:
    code: str
    procedure: Procedure
    channel: int
    applicant: Applicant
    submitted_at: datetime
    status: Status = Status.SUBMITTED
    previous_status: Status | None = None
    step_index: int = -1
    steps: list[StepProgress] = field(default_factory=list)
    received_at: datetime | None = None
    due_at: datetime | None = None
    finished_at: datetime | None = None
    returned_at: datetime | None = None
    result: Result | None = None
    rating: int | None = None
    supplement_rounds: list[SupplementRound] = field(default_factory=list)
    apologised: bool = False
    original_due_at: datetime | None = None
    seq: int = 0
    components: list[DossierComponent] = field(default_factory=list)
    electronic_result: ElectronicResult | None = None
    ledger: list[LedgerEntry] = field(default_factory=list)  # the dossier's statutory clock
    notices_sent: list[str] = field(default_factory=list)  # warnings/escalations issued
    payments: list[DossierPayment] = field(default_factory=list)  # fees and obligations
    step_attempts: list[StepAttempt] = field(default_factory=list)  # every attempt, in order
    verdict: OnTimeVerdict | None = None  # judged at each event (domain.verdict)
    #: The result an officer proposed, waiting for the approver (domain rule `proposes`).
    proposal: Result | None = None

    @classmethod
    def new(
        cls,
        *,
        code: str,
        procedure: Procedure,
        channel: int,
        applicant: Applicant,
        submitted_at: datetime,
        handed_in: Iterable[str] = (),
        pay_online: bool = False,
    ) -> DossierState:
        """A submitted dossier; `handed_in` are the component codes the applicant provided,
        digitized by nature when they came through the online channel. The procedure's fees
        due at submission become the first payment: through the gateway when `pay_online`
        (reception then waits for it), else collected at the desk on acceptance."""
        provided = set(handed_in)
        components = [
            DossierComponent(
                code=c.code,
                name=c.name,
                required=c.required,
                provided=c.code in provided,
                digitized=c.code in provided and channel == Channel.ONLINE,
            )
            for c in procedure.components
        ]
        steps = [
            StepProgress(
                index=i,
                unit_code=s.unit_code,
                unit_name=s.unit_name,
                agency_code=s.agency_code,
                agency_name=s.agency_name,
                term_days=s.term_days,
            )
            for i, s in enumerate(procedure.steps)
        ]
        payments = []
        if procedure.fees:
            lines = [FeeLine(f.code, f.name, f.amount, FeeKind(f.kind)) for f in procedure.fees]
            payments.append(
                new_dossier_payment(
                    dossier_code=code,
                    purpose=PaymentPurpose.SUBMISSION,
                    lines=lines,
                    attempt=1,
                    now=submitted_at,
                    requested_by="applicant",
                    online=pay_online,
                )
            )
        return cls(
            code=code,
            procedure=procedure,
            channel=channel,
            applicant=applicant,
            submitted_at=submitted_at,
            steps=steps,
            components=components,
            payments=payments,
        )

    # ------------------------------------------------------------------ queries

    @property
    def stage_steps(self) -> list[StepProgress]:
        """Every step of the stage the dossier is at (one, or a parallel stage's branches;
        `step_index` is the stage's first step)."""
        if not 0 <= self.step_index < len(self.steps):
            return []
        stages = self.procedure.stages
        return [self.steps[i] for i in stages[self.procedure.stage_of(self.step_index)]]

    @property
    def in_parallel_stage(self) -> bool:
        return len(self.stage_steps) > 1

    @property
    def current_steps(self) -> list[StepProgress]:
        """The open steps of the current stage: its single step, or the branches of a
        parallel stage that have not answered (nor been closed) yet."""
        steps = self.stage_steps
        if len(steps) == 1:
            return steps
        return [s for s in steps if s.finished_at is None]

    @property
    def current_step(self) -> StepProgress | None:
        """The step the dossier is at, in a stage of one step; None in a parallel stage
        (see `current_steps` and `acting_step`)."""
        steps = self.stage_steps
        return steps[0] if len(steps) == 1 else None

    @property
    def nearest_due_at(self) -> datetime | None:
        """The nearest deadline running: the earlier of the current step's (in a parallel
        stage, its open branches') and the dossier's due moment; what a queue shows first and
        colours by (`console.queues`). None while no clock runs (paused, or no term)."""
        if self.current_step is not None:
            steps = [self.current_step]
        else:
            steps = self.current_steps if self.status == Status.PROCESSING else []
        dues = [s.due_at for s in steps if s.due_at is not None]
        if self.due_at is not None:
            dues.append(self.due_at)
        return min(dues, default=None)

    def acting_step(self, actor: Actor, step_index: int | None = None) -> StepProgress | None:
        """The step `actor` acts on: the current step, or in a parallel stage the open branch
        named by `step_index`, else the one of the actor's unit, else the only open one of
        the actor's agency (or, for the engine and admins, the only open one)."""
        if not self.in_parallel_stage:
            return self.current_step
        branches = self.current_steps
        if step_index is not None:
            return next((s for s in branches if s.index == step_index), None)
        head = actor.role == Role.AGENCY_HEAD
        for candidates in (
            [s for s in branches if actor.unit_code and s.unit_code == actor.unit_code],
            [s for s in branches if head and s.agency_code == actor.agency_code],
            branches if actor.role in (Role.ADMIN, Role.SYSTEM) else [],
        ):
            if len(candidates) == 1:
                return candidates[0]
        return None

    def _branch(self, actor: Actor, step_index: int | None) -> StepProgress:
        """`acting_step` in a parallel stage, or why there is none (403 / 422)."""
        step = self.acting_step(actor, step_index)
        if step is not None:
            return step
        branches = self.current_steps
        listed = ", ".join(f"{s.index}: {s.unit_name}" for s in branches)
        if step_index is not None:
            raise InvalidAction(
                "step_index", f"step {step_index} is not an open branch of this stage ({listed})"
            )
        mine = [s for s in self.stage_steps if actor.unit_code and s.unit_code == actor.unit_code]
        if mine:
            raise Forbidden(
                f"{mine[0].unit_name} has already answered in this stage; it waits for "
                + ", ".join(s.unit_name for s in branches)
            )
        if actor.role in (Role.ADMIN, Role.SYSTEM) or (
            actor.role == Role.AGENCY_HEAD
            and any(s.agency_code == actor.agency_code for s in branches)
        ):
            raise InvalidAction(
                "step_index", f"several branches are open; name the one you act on ({listed})"
            )
        raise Forbidden(
            "the open branches of this stage belong to "
            + ", ".join(f"{s.unit_name} ({s.agency_name})" for s in branches)
            + "; their officers and heads act on them"
        )

    @property
    def on_last_step(self) -> bool:
        return self.step_index == len(self.steps) - 1

    @property
    def responsible_agency(self) -> str:
        """The agency whose officers act now: the step's agency while processing, else the
        receiving agency's one-stop desk."""
        step = self.current_step
        if self.status == Status.PROCESSING and step is not None:
            return step.agency_code
        return self.procedure.agency_code

    def involves_agency(self, agency_code: str) -> bool:
        return agency_code == self.procedure.agency_code or any(
            s.agency_code == agency_code for s in self.steps
        )

    def allowed_actions(self, actor: Actor | None = None) -> list[Action]:
        """Actions that would pass `check` now (for `actor`, or for someone entitled)."""
        allowed = []
        for action in table_actions(self.status):
            if self._blocked(ActionRequest(action=action, actor=actor or SYSTEM_ACTOR)):
                continue
            if actor is not None:
                try:
                    self._authorize(action, actor)
                except (Forbidden, InvalidAction):
                    continue
            allowed.append(action)
        return allowed

    # ------------------------------------------------------------------ rules

    def check(self, request: ActionRequest) -> Status:
        """Raise if `request` may not be applied now; return the status it would lead to."""
        target = next_status(self.status, request.action, self.previous_status)
        reason = self._blocked(request)
        if reason:
            raise IllegalTransition(self.status, request.action, self.allowed_actions(), reason)
        self._authorize(request.action, request.actor, request.step_index)
        if self.in_parallel_stage and self.status == Status.PROCESSING:
            self._branch(request.actor, request.step_index)  # the engine and admins name it
        self._validate_input(request)
        return Status.PROCESSING if self.proposes(request) else target

    # ------------------------------------------------------------------ approval (duyệt)

    def approves(self, actor: Actor) -> bool:
        """Whether `actor` approves results on the current step: the procedure's approver
        role (the head or acting head of the step's unit; or the head of its agency)."""
        step = self.current_step
        role = self.procedure.approver_role
        if step is None or not role:
            return False
        if actor.role == Role.AGENCY_HEAD and actor.agency_code == step.agency_code:
            return True  # the agency head may always approve in its own agency
        return role == Role.UNIT_HEAD and actor.heads(step.unit_code)

    def proposes(self, request: ActionRequest) -> bool:
        """The one approval rule: a RESOLVE by someone who does not approve results on the
        step only proposes the result; the dossier stays processing until the approver
        approves (or rejects) it. Procedures without an approver resolve at once."""
        return (
            request.action == Action.RESOLVE
            and bool(self.procedure.approver_role)
            and request.actor.role != Role.SYSTEM
            and not self.approves(request.actor)
        )

    def _blocked(self, request: ActionRequest) -> str | None:
        """Why the state forbids an action the status table allows (route position,
        once-only actions), or None."""
        action = request.action
        if action == Action.ACCEPT and self.channel != Channel.ONLINE:
            missing = self.undigitized_components()
            if missing:
                names = "; ".join(f"{c.code} ({c.name})" for c in missing)
                return (
                    "a paper dossier is accepted only once every required component is "
                    f"digitized at reception; not digitized yet: {names}"
                )
        unpaid = self.unpaid_online_submission()
        if action == Action.ACCEPT and unpaid is not None:
            return (
                f"the fees due at submission ({unpaid.amount:,} đồng, reference "
                f"{unpaid.reference}) are not paid yet; reception proceeds once the gateway "
                "confirms the online payment"
            )
        if action == Action.STOP and self.status == Status.SUBMITTED and unpaid is None:
            return "only an unpaid online submission is stopped before reception"
        if action == Action.PAY and self.outstanding_obligation() is None:
            return "no financial obligation is outstanding"
        if action == Action.FORWARD and self.status == Status.PROCESSING and self.on_last_step:
            return "this is the last step of the route: resolve the dossier instead"
        if action == Action.RETURN and (
            self.step_index <= 0 or self.procedure.stage_of(self.step_index) == 0
        ):
            return "the dossier is at the first step: nothing to return to"
        if (
            action == Action.RESOLVE
            and not self.on_last_step
            and request.result_kind != ResultKind.REFUSAL
            and request.actor.role != Role.SYSTEM
        ):
            return (
                f"only the last step may approve; the dossier is at step {self.step_index + 1} "
                f"of {len(self.steps)} (a refusal may be issued at any step)"
            )
        if action == Action.RESOLVE and self.proposal is not None:
            return (
                f"a result ({self.proposal.kind.value}) proposed by {self.proposal.decided_by} "
                "awaits approval; the approver approves or rejects it"
            )
        if action in (Action.APPROVE, Action.REJECT) and self.proposal is None:
            return "no proposed result awaits approval on this step"
        if action in (Action.FORWARD, Action.RETURN) and self.proposal is not None:
            return "a proposed result awaits approval; the approver approves or rejects it first"
        if action == Action.RATE and self.rating is not None:
            return "the applicant has already rated this dossier"
        if action == Action.APOLOGIZE and self.apologised:
            return "a new appointment may be set only once per dossier (Decree 61 Art. 19.9)"
        step = self.acting_step(request.actor, request.step_index)
        if action == Action.TAKE and step is not None and step.assignee:
            if step.assignee == request.actor.username:
                return "you already hold this step"
            return (
                f"this step is held by {step.assignee_name or step.assignee}; the unit head "
                "reassigns it"
            )
        return None

    def _authorize(self, action: Action, actor: Actor, step_index: int | None = None) -> None:
        role = actor.role
        if role == Role.SYSTEM:
            return
        if role == Role.ADMIN:
            # an administrator manages the catalogue and the org chart, not the dossiers
            raise Forbidden(
                "an administrator does not act on dossiers; a clerk or an officer of the "
                "agency does"
            )
        desk_action = (
            self.status
            in (
                Status.SUBMITTED,
                Status.RECEIVED,
                Status.RESOLVED,
                Status.RETURNED,
                Status.SUPPLEMENT_REQUESTED,
                Status.AWAITING_PAYMENT,
            )
            or action == Action.WITHDRAW
        )
        if action == Action.STOP:
            raise Forbidden("only the engine stops a dossier when its waiting limit runs out")
        if role == Role.APPLICANT:
            # the applicant's own channel, with the code and secret of the receipt
            if action in APPLICANT_ACTIONS:
                return
            raise Forbidden(f"'{action.value}' is done by the agency, not by the applicant")
        if action in (Action.ASSIGN, Action.TAKE):
            self._authorize_assignment(action, actor, step_index)
            return
        if action in (Action.APPROVE, Action.REJECT):
            if not self.approves(actor):
                step = self.current_step
                where = step.unit_name if step else "the step's unit"
                raise Forbidden(
                    f"the proposed result is approved by the head of {where} (or its acting "
                    "head, or the head of the agency)"
                )
            return
        if action == Action.APOLOGIZE:
            step = (
                self.acting_step(actor, step_index)
                or self.current_step
                or (self.steps[0] if self.steps else None)
            )
            agency = step.agency_code if step else self.procedure.agency_code
            if role == Role.AGENCY_HEAD and actor.agency_code == agency:
                return
            if step is not None and actor.heads(step.unit_code):
                return
            raise Forbidden(
                "an apology and new appointment is issued by the head of the unit handling the "
                "step or the head of its agency"
            )
        if desk_action:
            if role not in DESK_ROLES:
                raise Forbidden(f"'{action.value}' is done at the one-stop desk, by a clerk")
            if actor.agency_code != self.procedure.agency_code:
                raise Forbidden("this dossier was received by another agency's one-stop desk")
            return
        if role not in PROCESSING_ROLES:
            raise Forbidden(f"'{action.value}' is done by the officer handling the step")
        step = self._branch(actor, step_index) if self.in_parallel_stage else self.current_step
        if step is None or actor.agency_code != step.agency_code:
            raise Forbidden("the current step of this dossier belongs to another agency")
        if (
            role in (Role.OFFICER, Role.UNIT_HEAD)
            and actor.unit_code != step.unit_code
            and not actor.heads(step.unit_code)
        ):
            raise Forbidden(
                f"the current step belongs to {step.unit_name}; its officers and head act on it"
            )
        if (
            role == Role.OFFICER
            and step.assignee
            and step.assignee != actor.username
            and not actor.heads(step.unit_code)
        ):
            raise Forbidden(
                f"this step is assigned to {step.assignee_name or step.assignee}; ask the head "
                "of the unit to reassign it"
            )

    def _authorize_assignment(
        self, action: Action, actor: Actor, step_index: int | None = None
    ) -> None:
        """Assigning is the unit head's (or the agency head's); taking, an officer's of the
        step's unit."""
        step = self._branch(actor, step_index) if self.in_parallel_stage else self.current_step
        if step is None:
            raise Forbidden("there is no step being processed to assign")
        if action == Action.ASSIGN:
            if actor.role == Role.AGENCY_HEAD and actor.agency_code == step.agency_code:
                return
            if actor.heads(step.unit_code):
                return
            raise Forbidden(
                f"the step is assigned by the head of {step.unit_name} or of {step.agency_name}"
            )
        if actor.role not in (Role.OFFICER, Role.UNIT_HEAD) or actor.unit_code != step.unit_code:
            raise Forbidden(f"the step is taken by an officer of {step.unit_name}")

    def _validate_input(self, request: ActionRequest) -> None:
        action = request.action
        if action == Action.ASSIGN:
            self._validate_assignee(
                request.assignee, self.acting_step(request.actor, request.step_index)
            )
        if action in (
            Action.REFUSE,
            Action.REQUEST_SUPPLEMENT,
            Action.WITHDRAW,
            Action.APOLOGIZE,
            Action.REJECT,
        ):
            if not request.reason.strip():
                raise InvalidAction("reason", f"'{action.value}' needs a reason for the applicant")
        if action == Action.REQUEST_SUPPLEMENT and not request.items:
            raise InvalidAction(
                "items", "list every missing or incomplete item, all at once (Decree 61 Art. 15.3)"
            )
        if action == Action.RESOLVE:
            if request.result_kind is None:
                raise InvalidAction("result_kind", "say whether the result is approval or refusal")
            if not request.result_summary.strip() and request.result_kind == ResultKind.REFUSAL:
                raise InvalidAction("result_summary", "a refusal needs its reasons")
        if action == Action.RATE and (request.rating is None or not 1 <= request.rating <= 5):
            raise InvalidAction("rating", "rating must be a whole number from 1 to 5")
        if action == Action.APOLOGIZE and request.new_due is None:
            raise InvalidAction("new_due", "an apology needs the new appointment")
        if action == Action.REQUEST_PAYMENT:
            try:
                checked_fee_lines(request.fee_lines)
            except FeeLineInvalid as error:
                raise InvalidAction(error.field, error.message) from None

    def _validate_assignee(self, assignee: Actor | None, step: StepProgress | None) -> None:
        if assignee is None:
            raise InvalidAction("assignee", "name the officer of the unit who takes the step")
        if step is None:
            return
        if assignee.role not in (Role.OFFICER, Role.UNIT_HEAD):
            raise InvalidAction("assignee", f"{assignee.username} is not an officer of a unit")
        if assignee.unit_code != step.unit_code:
            raise InvalidAction(
                "assignee", f"{assignee.full_name} is not an officer of {step.unit_name}"
            )

    # ------------------------------------------------------------------ digitization (số hóa)

    def undigitized_components(self) -> list[DossierComponent]:
        """Required components that have no electronic copy yet."""
        return [c for c in self.components if c.required and not c.digitized]

    def component(self, code: str) -> DossierComponent:
        for component in self.components:
            if component.code == code:
                return component
        known = ", ".join(c.code for c in self.components) or "none"
        raise InvalidAction(
            "component_code", f"{code!r} is not a component of this dossier (components: {known})"
        )

    def check_attachment(self, attachment: DocumentAttachment) -> None:
        """Raise if `attachment` may not be attached now, in the order `check` uses: the
        dossier's state (409), the actor (403), the input (422)."""
        if self.status.terminal:
            raise self._attachment_conflict(
                f"the dossier is {self.status.value} ({self.status.vietnamese}); "
                "its documents can no longer change"
            )
        if attachment.actor.role == Role.APPLICANT and self.status not in (
            Status.SUBMITTED,
            Status.SUPPLEMENT_REQUESTED,
        ):
            raise self._attachment_conflict(
                "the applicant hands in files when filing online, before the desk receives "
                "the dossier, and while a supplement is requested"
            )
        if attachment.kind == DocumentKind.COMPONENT and self.status == Status.RESOLVED:
            raise self._attachment_conflict(
                "the dossier is resolved; its components can no longer change"
            )
        if attachment.kind == DocumentKind.RESULT and self.status not in (
            Status.PROCESSING,
            Status.RESOLVED,
        ):
            raise self._attachment_conflict(
                "an electronic result is attached while the dossier is processed or once it is "
                f"resolved, not while it is {self.status.value}"
            )
        step = self.acting_step(attachment.actor)
        if step is None and self.current_steps:  # a parallel stage: the actor's agency's branch
            step = next(
                (s for s in self.current_steps if s.agency_code == attachment.actor.agency_code),
                self.current_steps[0],
            )
        refusal = attachment_forbidden(
            attachment.kind,
            attachment.actor,
            receiving_agency=self.procedure.agency_code,
            step_agency=step.agency_code if step else None,
        )
        if refusal:
            raise Forbidden(refusal)
        if attachment.kind == DocumentKind.RESULT:
            if attachment.reused_from:
                raise InvalidAction(
                    "document_id", "earlier documents are reused as components, not as results"
                )
            return
        self.component(attachment.component_code)
        if attachment.reused_from == self.code:
            raise InvalidAction(
                "document_id", "reuse takes a document from an earlier dossier, not this one"
            )
        same_applicant = bool(self.applicant.id_number) and (
            attachment.owner_id_number == self.applicant.id_number
        )
        if attachment.reused_from and not same_applicant:
            raise InvalidAction(
                "document_id",
                "the document belongs to another applicant; only the same applicant's earlier "
                "documents (same id number) may be reused",
            )

    def attach(self, attachment: DocumentAttachment, now: datetime) -> DossierEvent:
        """Record a checked attachment: the component becomes digitized (or reused), or the file
        becomes the electronic result. One timeline line; the status does not change."""
        self.check_attachment(attachment)
        if attachment.kind == DocumentKind.COMPONENT:
            component = self.component(attachment.component_code)
            component.provided = True
            component.digitized = True
            component.reused = bool(attachment.reused_from)
            component.sha256 = attachment.sha256
            component.document_id = attachment.document_id
            how = f"reused from {attachment.reused_from}" if component.reused else "digitized"
            note = f"{component.code} {component.name}: {how} ({attachment.display_name})"
        else:
            self.electronic_result = ElectronicResult(
                sha256=attachment.sha256,
                document_id=attachment.document_id,
                display_name=attachment.display_name,
                attached_at=now,
                attached_by=attachment.actor.username,
            )
            note = f"electronic result: {attachment.display_name}"
        self.seq += 1
        return DossierEvent(
            seq=self.seq,
            action=Action.ATTACH_DOCUMENT.value,
            actor=attachment.actor.username,
            actor_name=attachment.actor.full_name,
            at=now,
            from_status=self.status,
            to_status=self.status,
            step_index=self.step_index,
            note=note,
        )

    def _attachment_conflict(self, reason: str) -> IllegalTransition:
        allowed = self.allowed_actions()
        return IllegalTransition(self.status, Action.ATTACH_DOCUMENT, allowed, reason)

    # ------------------------------------------------------------------ payments (phí, lệ phí)

    def payment(self, reference: str) -> DossierPayment | None:
        return next((p for p in self.payments if p.reference == reference), None)

    def unpaid_online_submission(self) -> DossierPayment | None:
        """The fees due at submission the applicant still owes through the gateway."""
        for payment in self.payments:
            if payment.purpose == PaymentPurpose.SUBMISSION and payment.online:
                return payment if payment.outstanding else None
        return None

    def outstanding_obligation(self) -> DossierPayment | None:
        """The financial obligation the dossier is waiting for, while it waits."""
        if self.status != Status.AWAITING_PAYMENT:
            return None
        owed = [
            p for p in self.payments if p.purpose == PaymentPurpose.OBLIGATION and p.outstanding
        ]
        return owed[-1] if owed else None

    @property
    def paid_online(self) -> bool:
        """Something was paid through the gateway (the portal's DuocThanhToanTrucTuyen)."""
        return any(p.online and p.state == PaymentState.PAID for p in self.payments)

    def check_confirmation(self, confirmation: PaymentConfirmation) -> CallbackDecision:
        """What an authentic gateway confirmation does here, or `CallbackRejected`."""
        payment = self.payment(confirmation.reference)
        expected = (
            payment.as_request(self.code, self.procedure.code)
            if payment is not None and payment.online
            else None
        )
        return decide_confirmation(confirmation.message(), expected)

    def confirm_payment(
        self, confirmation: PaymentConfirmation, now: datetime
    ) -> DossierEvent | None:
        """Record an authentic gateway confirmation; None when it changes nothing (a
        duplicate). A paid obligation takes the dossier back to where it waited (`pay`); a
        paid submission fee lets reception proceed."""
        decision = self.check_confirmation(confirmation)
        payment = self.payment(confirmation.reference)
        assert payment is not None
        if decision.outcome == CallbackOutcome.DUPLICATE:
            return None
        how = "reconciled with the gateway" if confirmation.source == "query" else "paid online"
        if decision.outcome == CallbackOutcome.FAILED:
            payment.state = PaymentState.FAILED
            payment.gateway_txn = payment.gateway_txn or decision.gateway_txn
            return self._payment_event(
                "payment-failed",
                f"payment {payment.reference} failed at the gateway (code "
                f"{decision.result_code}); the applicant may pay again at the same address",
                now,
            )
        paying_obligation = payment is self.outstanding_obligation()
        if paying_obligation:
            event = self.apply(ActionRequest(action=Action.PAY, actor=GATEWAY_ACTOR), now)
        payment.settle(now=now, by=confirmation.source, online=True)
        payment.gateway_txn = decision.gateway_txn
        payment.gateway_paid_at = decision.paid_at
        note = f"{payment.amount:,} đồng {how} ({payment.reference}, {decision.gateway_txn})"
        if paying_obligation:
            return replace(event, note=note)
        return self._payment_event("payment", note, now)

    def _payment_event(self, action: str, note: str, now: datetime) -> DossierEvent:
        self.seq += 1
        return DossierEvent(
            seq=self.seq,
            action=action,
            actor=GATEWAY_ACTOR.username,
            actor_name=GATEWAY_ACTOR.full_name,
            at=now,
            from_status=self.status,
            to_status=self.status,
            step_index=self.step_index,
            note=note,
        )

    # ------------------------------------------------------------------ changes

    def apply(self, request: ActionRequest, now: datetime) -> DossierEvent:
        """Apply a checked action at `now`: its own effect (the `EFFECTS` table), then the
        status. Due moments are moved by the clock (`domain.actions.act` does both)."""
        target = self.check(request)
        source = self.status
        action = request.action
        note = request.note or request.reason or request.result_summary
        branch = (
            self.acting_step(request.actor, request.step_index)
            if self.in_parallel_stage and source == Status.PROCESSING
            else None
        )
        effect = EFFECTS.get(action)
        if effect is not None:
            note = effect(self, request, now, source, note)
        if target.terminal and action != Action.RATE and self.finished_at is None:
            self.finished_at = now

        if target in (Status.SUPPLEMENT_REQUESTED, Status.AWAITING_PAYMENT):
            self.previous_status = source
        elif source in (Status.SUPPLEMENT_REQUESTED, Status.AWAITING_PAYMENT):
            self.previous_status = None
        self.status = target
        self.seq += 1
        return DossierEvent(
            seq=self.seq,
            action=action.value,
            actor=request.actor.username,
            actor_name=request.actor.full_name,
            at=now,
            from_status=source,
            to_status=target,
            step_index=self.step_index,
            note=note,
            branch_index=branch.index if branch is not None else None,
        )

    def submission_event(self) -> DossierEvent:
        """The first timeline line, written when the dossier is submitted."""
        return DossierEvent(
            seq=0,
            action="submit",
            actor="applicant",
            actor_name=self.applicant.name,
            at=self.submitted_at,
            from_status=Status.SUBMITTED,
            to_status=Status.SUBMITTED,
            step_index=-1,
            note=f"channel {self.channel}",
        )


# --------------------------------------------------------------------------- effects
#
# What each action does to the dossier beyond its status, one small function per action:
# (state, request, now, the status it came from, the note so far) -> the timeline's note.


def _accept(
    state: DossierState, request: ActionRequest, now: datetime, _: Status, note: str
) -> str:
    state.received_at = now
    for payment in state.payments:
        if payment.purpose == PaymentPurpose.SUBMISSION and payment.outstanding:
            # in person (or by post) the desk collects the fees with the dossier
            payment.settle(now=now, by=request.actor.username, online=False)
    return note


def _request_payment(
    state: DossierState, request: ActionRequest, now: datetime, _: Status, note: str
) -> str:
    obligation = new_dossier_payment(
        dossier_code=state.code,
        purpose=PaymentPurpose.OBLIGATION,
        lines=checked_fee_lines(request.fee_lines),
        attempt=1 + sum(p.purpose == PaymentPurpose.OBLIGATION for p in state.payments),
        now=now,
        requested_by=request.actor.username,
        online=True,
    )
    state.payments.append(obligation)
    return note or f"{obligation.amount:,} đồng to pay, reference {obligation.reference}"


def _pay(state: DossierState, request: ActionRequest, now: datetime, _: Status, note: str) -> str:
    owed = state.outstanding_obligation()
    if owed is not None and request.actor != GATEWAY_ACTOR:  # cash at the desk
        owed.settle(now=now, by=request.actor.username, online=False)
        return note or f"{owed.amount:,} đồng collected at the desk"
    return note


def _finish_step(state: DossierState, request: ActionRequest, now: datetime) -> None:
    """The acting step is done; in a parallel stage the branches still open close unanswered."""
    step = state.acting_step(request.actor, request.step_index)
    if step is not None:
        step.finished_at = now
        step.handled_by = request.actor.username
    for other in state.current_steps if state.in_parallel_stage else ():
        other.finished_at = now
        other.closed = True


def _start_stage(state: DossierState, now: datetime) -> list[StepProgress]:
    """(Re)start every step of the stage at `step_index`; its clock starts afresh (the
    statutory clock writes the new ledgers)."""
    steps = state.stage_steps
    for step in steps:
        step.started_at = now
        step.finished_at = None
        step.closed = False
        step.ledger = []
    return steps


def _forward(
    state: DossierState, request: ActionRequest, now: datetime, _: Status, note: str
) -> str:
    """Forward the step on; in a parallel stage, the branch's answer, which moves the
    dossier on only once the stage's quorum (all its branches by default) has answered."""
    stage = state.stage_steps
    if len(stage) > 1:
        branch = state.acting_step(request.actor, request.step_index)
        assert branch is not None
        branch.finished_at = now
        branch.handled_by = request.actor.username
        answered = sum(1 for s in stage if s.finished_at is not None and not s.closed)
        needed = state.procedure.quorum(state.procedure.stage_of(branch.index))
        if answered < needed:
            waiting = ", ".join(s.unit_name for s in state.current_steps)
            return (
                note
                or f"{branch.unit_name} answered ({answered} of {needed}); waiting for {waiting}"
            )
        for other in state.current_steps:
            other.finished_at = now
            other.closed = True
        state.step_index = stage[-1].index
    else:
        _finish_step(state, request, now)
    state.step_index += 1
    started = _start_stage(state, now)
    return note or "to " + ", ".join(s.unit_name for s in started)


def _return(
    state: DossierState, request: ActionRequest, now: datetime, _: Status, note: str
) -> str:
    """Back to the stage before: every branch of this stage stops, every step of that one
    starts again."""
    for current in state.stage_steps:
        current.started_at = None
        current.due_at = None
        current.finished_at = None
        current.closed = False
    state.step_index = state.procedure.stages[state.procedure.stage_of(state.step_index) - 1][0]
    previous = _start_stage(state, now)
    return note or "back to " + ", ".join(s.unit_name for s in previous)


def _request_supplement(
    state: DossierState, request: ActionRequest, now: datetime, source: Status, _: str
) -> str:
    state.supplement_rounds.append(
        SupplementRound(
            requested_at=now,
            requested_by=request.actor.username,
            reason=request.reason,
            items=tuple(request.items),
            stage=Status.PROCESSING if source != Status.SUBMITTED else Status.SUBMITTED,
            previous_due=state.due_at,
        )
    )
    return f"{request.reason}: " + "; ".join(request.items)


def _supplement(
    state: DossierState, request: ActionRequest, now: datetime, _: Status, note: str
) -> str:
    state.supplement_rounds[-1].supplied_at = now
    return note


def _resolve(
    state: DossierState, request: ActionRequest, now: datetime, _: Status, note: str
) -> str:
    assert request.result_kind is not None
    result = Result(
        kind=request.result_kind,
        summary=request.result_summary,
        decided_at=now,
        decided_by=request.actor.username,
    )
    if state.proposes(request):
        state.proposal = result
        return f"{request.result_kind.value} proposed, awaiting approval" + (
            f": {note}" if note else ""
        )
    _finish_step(state, request, now)
    state.result = result
    state.finished_at = now
    return note or request.result_kind.value


def _approve(
    state: DossierState, request: ActionRequest, now: datetime, _: Status, note: str
) -> str:
    """The approver makes the proposed result the dossier's: it is resolved now."""
    proposal = state.proposal
    assert proposal is not None
    _finish_step(state, request, now)
    state.result = replace(proposal, decided_at=now, decided_by=request.actor.username)
    state.proposal = None
    state.finished_at = now
    return note or f"{proposal.kind.value} approved (proposed by {proposal.decided_by})"


def _reject(
    state: DossierState, request: ActionRequest, now: datetime, _: Status, note: str
) -> str:
    """The approver sends the proposal back: the step goes on, nothing is resolved."""
    proposal = state.proposal
    assert proposal is not None
    state.proposal = None
    return f"proposal of {proposal.decided_by} rejected: {request.reason}"


def _deliver(
    state: DossierState, request: ActionRequest, now: datetime, _: Status, note: str
) -> str:
    state.returned_at = now
    return note


def _rate(state: DossierState, request: ActionRequest, now: datetime, _: Status, note: str) -> str:
    state.rating = request.rating
    # the applicant's comment, if any, is kept on the timeline with the rating
    return f"rated {request.rating}/5" + (f": {note}" if note else "")


def _hold(state: DossierState, request: ActionRequest, now: datetime, _: Status, note: str) -> str:
    """assign (by the unit head) and take (by the officer): who holds the current step."""
    holder = request.assignee if request.action == Action.ASSIGN else request.actor
    assert holder is not None
    step = state.acting_step(request.actor, request.step_index)
    assert step is not None
    step.assignee = holder.username
    step.assignee_name = holder.full_name
    verb = "assigned to" if request.action == Action.ASSIGN else "taken by"
    return note or f"step {step.index + 1} ({step.unit_name}) {verb} {holder.full_name}"


def _apologize(
    state: DossierState, request: ActionRequest, now: datetime, _: Status, note: str
) -> str:
    state.apologised = True
    state.original_due_at = state.original_due_at or state.due_at
    state.due_at = request.new_due
    return note


Effect = Callable[[DossierState, ActionRequest, datetime, Status, str], str]

#: Refusal, withdrawal and stopping change only the status (and end the processing).
EFFECTS: dict[Action, Effect] = {
    Action.ACCEPT: _accept,
    Action.REQUEST_PAYMENT: _request_payment,
    Action.PAY: _pay,
    Action.FORWARD: _forward,
    Action.RETURN: _return,
    Action.REQUEST_SUPPLEMENT: _request_supplement,
    Action.SUPPLEMENT: _supplement,
    Action.RESOLVE: _resolve,
    Action.APPROVE: _approve,
    Action.REJECT: _reject,
    Action.DELIVER: _deliver,
    Action.RATE: _rate,
    Action.ASSIGN: _hold,
    Action.TAKE: _hold,
    Action.APOLOGIZE: _apologize,
}
