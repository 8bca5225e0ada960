"""The read model (SQLModel tables): the org chart, the catalogue, dossiers and their
timeline. Temporal holds each dossier's truth; these tables are its projection for listing,
search and reports, kept by activities."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Column, Field, SQLModel


class UTCDateTimeType(sa.TypeDecorator[datetime]):
    """A moment, timezone-aware UTC both ways on PostgreSQL (timestamptz) and SQLite. SQLite
    keeps naive text and hands back naive values: without this, each projection saw every
    unchanged moment it assigned (aware) differ from the one loaded (naive) and wrote the
    payment and step rows again, `updated_at` included (a walkthrough made 8 payment
    UPDATEs where 1 had changed)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        moment = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC)
        # SQLite's text as before: the UTC wall time, no offset
        return moment.replace(tzinfo=None) if dialect.name == "sqlite" else moment

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UTCDateTime = UTCDateTimeType()

#: `Dossier.queue_due_at` of a dossier whose clock is not running: after every deadline.
NO_DEADLINE = datetime(9999, 12, 31, tzinfo=UTC)


class Agency(SQLModel, table=True):
    """Cơ quan: a People's Committee, a department, a tax office."""

    code: str = Field(primary_key=True, max_length=40)  # the agency identifier in dossier codes
    name: str
    parent_code: str | None = Field(default=None, foreign_key="agency.code")
    head_username: str | None = None
    escalation_every_days: float = 2.0
    #: province, department (sở), district (huyện) or commune (xã): targets differ by level
    level: str = Field(default="department", max_length=20)
    #: The agency's own office hours ({"periods": [["07:30", "11:30"], …], "weekdays": [0, …]});
    #: None keeps the province's (DESIGN §5).
    office_hours: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    #: How many working days before a due moment its officers are warned.
    warning_before_days: float = 1.0
    #: The latest an apology (Form 04) is issued before the due moment, in working days; None
    #: keeps each procedure's own limit.
    apology_before_days: float | None = None


class Delegation(SQLModel, table=True):
    """An acting head (quyền trưởng phòng) of a unit while its head is away: from `starts_at`
    up to (not including) `ends_at`."""

    id: int | None = Field(default=None, primary_key=True)
    unit_code: str = Field(foreign_key="unit.code", index=True, max_length=60)
    acting_username: str = Field(foreign_key="officer.username", max_length=60)
    starts_at: datetime = Field(sa_type=UTCDateTime)
    ends_at: datetime = Field(sa_type=UTCDateTime)
    set_by: str = Field(max_length=60)
    reason: str = ""


class Unit(SQLModel, table=True):
    """Phòng ban / đơn vị inside an agency; every unit has a head."""

    code: str = Field(primary_key=True, max_length=60)
    agency_code: str = Field(foreign_key="agency.code", index=True)
    name: str
    head_username: str | None = None


class Officer(SQLModel, table=True):
    username: str = Field(primary_key=True, max_length=60)
    full_name: str
    title: str = ""
    email: str = ""
    role: str = Field(index=True)
    agency_code: str | None = Field(default=None, foreign_key="agency.code")
    unit_code: str | None = Field(default=None, foreign_key="unit.code")
    password_hash: str
    active: bool = True


class ProcedureRecord(SQLModel, table=True):
    __tablename__ = "procedure"

    code: str = Field(primary_key=True, max_length=60)
    name: str
    agency_code: str = Field(foreign_key="agency.code", index=True)
    term_days: float
    definition: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    active: bool = True


class ProcedureVersion(SQLModel, table=True):
    """One version of a procedure: a draft an admin edits, then published with the moment it
    takes effect — after which it never changes — and at last retired. A dossier is pinned
    to the version in force when it was submitted."""

    __tablename__ = "procedure_version"

    procedure_code: str = Field(primary_key=True, foreign_key="procedure.code", max_length=60)
    version: int = Field(primary_key=True)
    state: str = Field(default="draft", max_length=20)  # draft | published | retired
    effective_from: datetime | None = Field(default=None, sa_type=UTCDateTime)
    definition: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    created_by: str = ""
    created_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    published_by: str = ""
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    retired_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class DossierCodeSequence(SQLModel, table=True):
    """Last sequence issued per agency and day; incremented atomically on submission."""

    __tablename__ = "dossier_code_sequence"

    agency_code: str = Field(primary_key=True, max_length=40)
    day: date = Field(primary_key=True)
    last_value: int = 0


class Dossier(SQLModel, table=True):
    #: the clerk's list, newest first (`db.repository.list_dossiers`): a page read in the
    #: index's order, not a sort of every visible row
    __table_args__ = (
        sa.Index("ix_dossier_submitted", "submitted_at", "code"),
        sa.Index("ix_dossier_queue_due", "queue_due_at", "code"),
    )

    code: str = Field(primary_key=True, max_length=60)
    procedure_code: str = Field(foreign_key="procedure.code", index=True)
    procedure_version: int = 1  # the version the dossier is pinned to
    #: that version's name (a published version never changes), shown with every read
    procedure_name: str = ""
    agency_code: str = Field(foreign_key="agency.code", index=True)  # receiving agency
    channel: int
    applicant_name: str
    applicant_id_number: str = ""
    applicant_phone: str = ""
    applicant_email: str = ""
    applicant_address: str = ""
    #: what the clerk's search matches: `domain.text.search_key` of the code, the applicant's
    #: name and ID number (a LIKE over one column the database compares natively; its index
    #: serves a count that finds few rows)
    search_text: str = Field(default="", index=True)
    status: str = Field(index=True)
    portal_code: int
    step_index: int = -1
    current_unit_code: str | None = Field(default=None, index=True)
    current_agency_code: str | None = Field(default=None, index=True)
    #: the actions open now, as the workflow's state allows them (None: projected before the
    #: column existed, ask the workflow)
    allowed_actions: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    submitted_at: datetime = Field(sa_type=UTCDateTime)
    received_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    #: the queues' nearest-deadline-first order (`DossierState.nearest_due_at`), NO_DEADLINE
    #: when no clock runs: never NULL, so the order is read from its index on every database
    queue_due_at: datetime = Field(default=NO_DEADLINE, sa_type=UTCDateTime)
    original_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    returned_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    result_kind: str | None = None
    result_summary: str = ""
    rating: int | None = None
    apologised: bool = False
    supplement_rounds: int = 0
    version: int = 0  # the workflow's event sequence this row reflects
    idempotency_key: str | None = Field(default=None, unique=True, max_length=200)
    lookup_secret: str = ""
    result_document_id: int | None = None  # the electronic result (document.id), if any
    updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: the on-time verdict (domain.outcomes.Verdict) as of the last event, its reasons, the
    #: working hours late, the appointment it was judged against and the moment it was judged
    verdict: str | None = Field(default=None, max_length=20, index=True)
    verdict_reasons: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    late_hours: float = 0.0
    verdict_due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    judged_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: the steps a late dossier's lateness is attributed to (domain.outcomes.StepAttribution)
    late_attribution: list[dict] | None = Field(  # type: ignore[type-arg]
        default=None, sa_column=Column(JSON, nullable=True)
    )


class DossierStep(SQLModel, table=True):
    __tablename__ = "dossier_step"

    dossier_code: str = Field(primary_key=True, foreign_key="dossier.code")
    idx: int = Field(primary_key=True)
    unit_code: str = Field(index=True)
    unit_name: str
    agency_code: str = Field(index=True)
    agency_name: str
    term_days: float
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    handled_by: str = ""
    assignee: str = ""  # the officer holding the step now ("": nobody took it)
    assignee_name: str = ""
    #: the route stage (1-based) of the step; the steps of one stage run in parallel
    stage: int = 1
    #: a parallel branch closed unanswered once its stage's quorum answered
    closed: bool = False
    #: open now: the step (or one of the parallel branches) the dossier waits for
    open: bool = False


class StepAttemptRecord(SQLModel, table=True):
    """Every time a step was worked on (a return starts a new attempt), with who held it."""

    __tablename__ = "step_attempt"

    dossier_code: str = Field(primary_key=True, foreign_key="dossier.code")
    step_index: int = Field(primary_key=True)
    attempt: int = Field(primary_key=True)
    branch: str = Field(default="", primary_key=True, max_length=60)
    unit_code: str = Field(index=True)
    unit_name: str
    agency_code: str = Field(index=True)
    agency_name: str
    started_at: datetime = Field(sa_type=UTCDateTime)
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    outcome: str = ""
    finished_by: str = ""
    holdings: list[dict] = Field(  # type: ignore[type-arg]
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )


class IndicatorTarget(SQLModel, table=True):
    """A target the province set for an indicator (chỉ tiêu), per agency level, field and
    period; edited by an admin, seeded from `domain.targets`."""

    __tablename__ = "indicator_target"

    id: int | None = Field(default=None, primary_key=True)
    indicator: str = Field(max_length=10, index=True)
    level: str | None = Field(default=None, max_length=20)  # None: every level
    sector: str | None = None  # None: every field
    valid_from: date | None = None
    valid_to: date | None = None
    minimum: float
    source: str = ""


class TimelineEntry(SQLModel, table=True):
    """Nhật ký: every action on a dossier — who, when, from → to, note."""

    __tablename__ = "timeline_entry"
    __table_args__ = (sa.UniqueConstraint("dossier_code", "seq", name="uq_timeline_seq"),)

    id: int | None = Field(default=None, primary_key=True)
    dossier_code: str = Field(foreign_key="dossier.code", index=True)
    seq: int
    action: str
    actor: str
    actor_name: str
    at: datetime = Field(sa_type=UTCDateTime)
    from_status: str
    to_status: str
    step_index: int
    note: str = ""
    #: a parallel stage: the branch (step index) that acted
    branch_index: int | None = None


class Component(SQLModel, table=True):
    """Thành phần hồ sơ handed in with a dossier."""

    __table_args__ = (sa.UniqueConstraint("dossier_code", "code", name="uq_component_code"),)

    id: int | None = Field(default=None, primary_key=True)
    dossier_code: str = Field(foreign_key="dossier.code", index=True)
    code: str
    name: str
    required: bool = True
    provided: bool = False
    digitized: bool = False
    reused: bool = False
    file_hash: str | None = None
    document_id: int | None = None  # the digitized copy (document.id)
