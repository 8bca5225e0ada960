"""Request and response bodies of the public API."""

from __future__ import annotations

from datetime import time
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt, StringConstraints

from api.timeutil import UTCDateTime
from domain.dossier import ResultKind
from domain.text import clean_text

#: Typed by people: NFC, and no NUL, control or bidirectional-override character.
Clean = AfterValidator(clean_text)
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000), Clean]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), Clean]


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class Me(BaseModel):
    username: str
    full_name: str
    role: str
    agency_code: str | None
    unit_code: str | None


class StepOut(BaseModel):
    index: int
    unit_code: str
    unit_name: str
    agency_code: str
    agency_name: str
    term_days: float
    task: str = ""
    stage: int = Field(
        default=0,
        description="steps with the same non-zero stage number run in parallel (liên thông "
        "song song); 0: a stage of its own",
    )


class FeeOut(BaseModel):
    code: str
    name: str
    amount: int
    kind: str


class ComponentSpecOut(BaseModel):
    code: str
    name: str
    required: bool


class ProcedureOut(BaseModel):
    code: str
    name: str
    agency_code: str
    agency_name: str
    term_days: float
    inter_agency: bool
    supplement_policy: str
    receipt_cutoff: time | None
    waiting_limit_days: float
    steps: list[StepOut]
    fees: list[FeeOut]
    fee_total: int
    components: list[ComponentSpecOut]
    lead_agency_code: str = Field(
        default="", description="the lead agency (cơ quan chủ trì), owner of the total term"
    )
    stage_quorum: dict[int, int] = Field(
        default_factory=dict,
        description="parallel stages joined before all their branches answered: stage number "
        "→ how many answers move the dossier on",
    )


class ApplicantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    id_number: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20), Clean] = ""
    phone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20), Clean] = ""
    email: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), Clean] = ""
    address: Text = ""


class SubmitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    procedure_code: Name
    channel: int = Field(ge=1, le=3, description="1 in person, 2 online, 3 by post")
    applicant: ApplicantIn
    components: list[Name] = Field(
        default_factory=list, description="codes of the components handed in"
    )
    pay_online: bool | None = Field(
        default=None,
        description="the fees due at submission are paid through the payment gateway "
        "(reception waits for it) rather than at the desk; default: online for channel 2",
    )


class FeeLineIn(BaseModel):
    """One amount of a financial obligation (nghĩa vụ tài chính), in whole đồng."""

    model_config = ConfigDict(extra="forbid")

    code: Annotated[str, StringConstraints(strip_whitespace=True, max_length=60), Clean]
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), Clean]
    amount: StrictInt
    kind: Annotated[str, StringConstraints(max_length=20)] = "obligation"


class ActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: Text = ""
    reason: Text = ""
    items: list[Name] = Field(default_factory=list, max_length=50)
    result_kind: ResultKind | None = None
    result_summary: Text = ""
    rating: int | None = Field(default=None, ge=1, le=5)
    new_due: UTCDateTime | None = None
    fee_lines: list[FeeLineIn] = Field(
        default_factory=list, max_length=50, description="request-payment: what to pay"
    )
    result_document_id: Annotated[str, StringConstraints(max_length=64)] | None = Field(
        default=None,
        description="resolve only: an uploaded result file of this dossier, made the "
        "electronic result",
    )
    assignee: Annotated[str, StringConstraints(strip_whitespace=True, max_length=60)] | None = (
        Field(default=None, description="assign only: the username of an officer of the unit")
    )
    step_index: int | None = Field(
        default=None,
        ge=0,
        le=200,
        description="a parallel stage: the branch (step index) acted on, when the actor could "
        "hold more than one (an agency head, an admin); otherwise the actor's unit picks it",
    )


class StepTimesOut(BaseModel):
    """A route step of a dossier: who owns it and its moments."""

    index: int
    unit_code: str
    unit_name: str
    agency_code: str
    agency_name: str
    term_days: float
    started_at: UTCDateTime | None
    finished_at: UTCDateTime | None
    due_at: UTCDateTime | None
    stage: int = Field(
        default=1, description="the route stage (1-based); steps of one stage run in parallel"
    )


class DossierStepOut(StepTimesOut):
    handled_by: str
    current: bool
    closed: bool = Field(
        default=False,
        description="a parallel branch closed unanswered once the stage's quorum answered",
    )
    assignee: str = Field(default="", description="the officer holding the step ('': the unit)")
    assignee_name: str = ""


class HoldingOut(BaseModel):
    officer: str
    officer_name: str
    since: UTCDateTime
    by: str


class StepAttemptOut(BaseModel):
    """One time a step was worked on; a return starts a new attempt and keeps this one."""

    step_index: int
    attempt: int
    branch: str
    unit_code: str
    unit_name: str
    agency_code: str
    agency_name: str
    started_at: UTCDateTime
    due_at: UTCDateTime | None
    finished_at: UTCDateTime | None
    outcome: str
    finished_by: str
    holdings: list[HoldingOut]


class AttributionOut(BaseModel):
    """The share of a late dossier's lateness one attempt of a step caused."""

    step_index: int
    attempt: int
    branch: str = ""
    unit_code: str
    unit_name: str
    agency_code: str
    agency_name: str
    officer: str
    officer_name: str
    overrun_hours: float


class VerdictOut(BaseModel):
    """On time or not, by the national portal's rule, against the original appointment."""

    verdict: str = Field(description="early, on_time, late, in_progress, overdue, not_judged")
    label: str
    late_hours: float = Field(description="working hours past the appointment")
    late_days: float
    due_at: UTCDateTime | None = Field(description="the original appointment judged against")
    judged_at: UTCDateTime | None
    apologised: bool
    late_apologised: bool
    late_silent: bool
    reasons: list[str]
    attribution: list[AttributionOut]


class TimelineOut(BaseModel):
    seq: int
    action: str
    actor: str
    actor_name: str
    at: UTCDateTime
    from_status: str
    to_status: str
    step_index: int
    note: str
    branch_index: int | None = Field(
        default=None, description="a parallel stage: the branch (step index) that acted"
    )


class ComponentOut(BaseModel):
    code: str
    name: str
    required: bool
    provided: bool
    digitized: bool
    reused: bool
    file_hash: str | None = Field(default=None, description="SHA-256 of the digitized copy")
    document_id: str | None = None


class DossierSummary(BaseModel):
    code: str
    procedure_code: str
    agency_code: str
    channel: int
    applicant_name: str
    status: str
    status_label: str
    portal_code: int
    step_index: int
    current_unit_code: str | None
    current_agency_code: str | None
    submitted_at: UTCDateTime
    received_at: UTCDateTime | None
    due_at: UTCDateTime | None
    finished_at: UTCDateTime | None
    overdue: bool


class PaymentOut(BaseModel):
    """A payment asked of the applicant: what, how much, where to pay, and its state."""

    reference: str
    purpose: str
    amount: int
    lines: list[FeeOut]
    online: bool
    state: str
    payment_url: str
    gateway_txn: str | None
    requested_at: UTCDateTime
    paid_at: UTCDateTime | None
    settled_by: str


class ActionResult(BaseModel):
    """What an action changed, from the workflow's own answer (`Prefer: return=minimal`): the
    dossier's status, its place and due moment, the event sequence it is at and the actions
    open now. The read model holds the same once the answer is sent."""

    code: str
    status: str
    status_label: str
    portal_code: int
    seq: int
    step_index: int
    due_at: UTCDateTime | None
    allowed_actions: list[str]


class DossierDetail(DossierSummary):
    procedure_name: str
    applicant: ApplicantIn
    result_kind: str | None
    result_summary: str
    rating: int | None
    apologised: bool
    original_due_at: UTCDateTime | None
    supplement_rounds: int
    steps: list[DossierStepOut]
    timeline: list[TimelineOut]
    components: list[ComponentOut]
    allowed_actions: list[str]
    electronic_result: bool = False
    result_document_id: str | None = None
    payments: list[PaymentOut] = Field(default_factory=list)
    verdict: VerdictOut | None = None
    attempts: list[StepAttemptOut] = Field(default_factory=list)


class SubmittedDossier(DossierDetail):
    """The submission's answer: the detail plus the secret the applicant looks the dossier
    up with (printed on the receipt; shown only here)."""

    lookup_secret: str


class DossierPage(BaseModel):
    items: list[DossierSummary]
    total: int = Field(
        description="how many dossiers match; with `total_exact` false, at least this many "
        "(a list stops counting at db.repository.COUNT_LIMIT)"
    )
    total_exact: bool = True
    limit: int
    offset: int


class DocumentOut(BaseModel):
    """A file kept for a dossier: a digitized component or the result (số hóa)."""

    id: str = Field(description="the document's id in the API: random, not a sequence")
    dossier_code: str
    kind: str
    component_code: str | None
    sha256: str
    size: int
    media_type: str
    display_name: str
    uploaded_by: str
    uploaded_at: UTCDateTime
    reused_from_id: str | None


class ReuseIn(BaseModel):
    """An earlier digitized document of the same applicant, by its id or its SHA-256."""

    model_config = ConfigDict(extra="forbid")

    component_code: Name
    document_id: Annotated[str, StringConstraints(max_length=64)] | None = None
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{64}$")] | None = None


class PublicDossier(BaseModel):
    """What the applicant sees with the dossier code and its secret (tra cứu hồ sơ)."""

    code: str
    procedure_name: str
    status: str
    status_label: str
    portal_code: int
    due_at: UTCDateTime | None
    result_kind: str | None
    electronic_result: bool
    payments: list[PublicPaymentOut] = Field(
        default_factory=list, description="what to pay and where (thanh toán trực tuyến)"
    )


class PublicPaymentOut(BaseModel):
    reference: str
    amount: int
    lines: list[FeeOut]
    state: str
    payment_url: str
