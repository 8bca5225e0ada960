"""The statutory clock applied to a dossier: which ledger entries each action writes, the
due moments derived from them, and the timers that follow (warnings, the escalation ladder,
the applicant's waiting limit). Pure: the calendar arrives as data (`ClockConfig`)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from domain.calendar import OfficeHours, WorkCalendar
from domain.clock import (
    LedgerEntry,
    LedgerKind,
    add_working_time,
    derive,
    explain,
    format_local,
    subtract_working_time,
    working_days_to_minutes,
    working_time_between,
)
from domain.dossier import ActionRequest, DossierEvent, DossierState, InvalidAction, StepProgress
from domain.lifecycle import Action, IllegalTransition, Status
from domain.procedures import SupplementPolicy
from domain.responsibility import follow_due_moments, track_attempts

DEFAULT_ESCALATION_EVERY_DAYS = 2.0
WARNING_BEFORE_DAYS = 1.0
LADDER = ("unit_head", "agency_head", "supervising_agency_head")
RESTART_BASIS = "Decree 61/2018 Art. 19.4: the term restarts when the complete dossier is back"
APOLOGY_BASIS = "Decree 61/2018 Art. 19.9, Form 04"
WAITING = (Status.SUPPLEMENT_REQUESTED, Status.AWAITING_PAYMENT)


@dataclass
class ClockConfig:
    """Calendar and escalation settings as plain data (how they reach a workflow)."""

    calendar: dict[str, Any]
    escalation_every_days: dict[str, float] = field(default_factory=dict)
    version: str = ""
    #: Per agency (DESIGN §5): how long before a due moment its officers are warned, its own
    #: office hours (`OfficeHours.to_dict` shape), the latest an apology is issued.
    warning_before_days: dict[str, float] = field(default_factory=dict)
    office_hours: dict[str, dict[str, Any]] = field(default_factory=dict)
    apology_before_days: dict[str, float] = field(default_factory=dict)

    def work_calendar(self) -> WorkCalendar:
        return WorkCalendar.from_dict(self.calendar)

    def every_days(self, agency_code: str) -> float:
        return self.escalation_every_days.get(agency_code, DEFAULT_ESCALATION_EVERY_DAYS)

    def warning_days(self, agency_code: str) -> float:
        return self.warning_before_days.get(agency_code, WARNING_BEFORE_DAYS)

    def apology_days(self, agency_code: str, procedure_days: float) -> float:
        """The agency's apology limit, or the procedure's own when the agency sets none."""
        return self.apology_before_days.get(agency_code, procedure_days)

    def agency_calendar(self, agency_code: str, cal: WorkCalendar) -> WorkCalendar:
        """`cal` with the agency's own office hours, when it has them."""
        hours = self.office_hours.get(agency_code)
        if not hours:
            return cal
        return replace(cal, office_hours=OfficeHours.from_dict(hours))


# --------------------------------------------------------------------------- ledgers


def _entry(
    kind: LedgerKind,
    at: datetime,
    reason: str = "",
    actor: str = "",
    basis: str = "",
    new_due: datetime | None = None,
) -> LedgerEntry:
    return LedgerEntry(
        kind=kind,
        at=at,
        reason=reason,
        actor=actor,
        basis=basis,
        new_due=new_due,
    )


def _paused(ledger: list[LedgerEntry]) -> bool:
    for entry in reversed(ledger):
        if entry.kind == "pause":
            return True
        if entry.kind in ("resume", "restart", "start"):
            return False
    return False


def apology_deadline(state: DossierState, cal: WorkCalendar) -> datetime | None:
    """The last moment an apology and new appointment may be issued: the procedure's
    setting before the due moment (DESIGN §4: 1 working day by default)."""
    if state.due_at is None:
        return None
    before = working_days_to_minutes(state.procedure.apology_before_days, cal)
    return subtract_working_time(cal, state.due_at, before) if before else state.due_at


def check_apology(
    state: DossierState, request: ActionRequest, now: datetime, cal: WorkCalendar | None = None
) -> None:
    """Form 04 rules that depend on time: in time, to a later moment. With the calendar,
    "in time" is by `apology_deadline`; without it (dossiers begun before that rule), before
    the due moment."""
    if request.action != Action.APOLOGIZE:
        return
    latest = apology_deadline(state, cal) if cal is not None else None
    if latest is not None and state.due_at is not None and now > latest and now < state.due_at:
        days = state.procedure.apology_before_days
        raise IllegalTransition(
            state.status,
            request.action,
            state.allowed_actions(),
            f"an apology and new appointment is issued at the latest {days:g} working day"
            f"{'s' if days != 1 else ''} before the due moment {format_local(state.due_at)}, "
            f"that is by {format_local(latest)} (Decree 61/2018 Art. 19.9)",
        )
    if state.due_at is None:
        raise IllegalTransition(
            state.status,
            request.action,
            state.allowed_actions(),
            "the clock is not running: there is no due moment to apologise for",
        )
    if now >= state.due_at:
        raise IllegalTransition(
            state.status,
            request.action,
            state.allowed_actions(),
            f"the due moment {format_local(state.due_at)} has passed; an apology and new "
            "appointment must be issued before it",
        )
    if request.new_due is None or request.new_due <= state.due_at:
        raise InvalidAction(
            "new_due", f"the new appointment must be later than {format_local(state.due_at)}"
        )


def after_action(
    state: DossierState,
    request: ActionRequest,
    source: Status,
    now: datetime,
    cal: WorkCalendar,
    config: ClockConfig | None = None,
) -> None:
    """Write the ledger entries an applied action implies, then re-derive due moments (each
    step in its agency's office hours, with `config`)."""
    action = request.action
    actor = request.actor.username
    if action == Action.ACCEPT:
        state.ledger = [_entry("start", now, "accepted at the one-stop desk", actor)]
    elif action in (Action.FORWARD, Action.RETURN):
        for step in state.current_steps:
            if not step.ledger:  # the steps the action (re)started, each its own clock
                step.attempt += 1
                step.ledger = [_entry("start", now, f"{action.value} to {step.unit_name}", actor)]
    elif action in (Action.REQUEST_SUPPLEMENT, Action.REQUEST_PAYMENT) and state.ledger:
        reason = (
            "waiting for the applicant to supplement"
            if action == Action.REQUEST_SUPPLEMENT
            else "waiting for the applicant to pay"
        )
        for ledger in _running_ledgers(state):
            ledger.append(_entry("pause", now, reason, actor))
    elif action in (Action.SUPPLEMENT, Action.PAY) and state.ledger and _paused(state.ledger):
        restart = (
            action == Action.SUPPLEMENT
            and state.procedure.supplement_policy == SupplementPolicy.RESTART
        )
        for ledger in _paused_ledgers(state):
            if restart:
                ledger.append(
                    _entry("restart", now, "complete dossier received", actor, RESTART_BASIS)
                )
            else:
                ledger.append(_entry("resume", now, "the applicant came back", actor))
    elif action == Action.APOLOGIZE and request.new_due is not None:
        state.ledger.append(
            _entry("reschedule", now, request.reason, actor, APOLOGY_BASIS, request.new_due)
        )
    refresh_due_moments(state, cal, config)
    if action == Action.SUPPLEMENT and state.supplement_rounds:
        state.supplement_rounds[-1].new_due = state.due_at
    track_attempts(state, request, now)


def _running_ledgers(state: DossierState) -> list[list[LedgerEntry]]:
    ledgers = [state.ledger]
    if state.status in WAITING:
        ledgers.extend(step.ledger for step in state.current_steps if step.ledger)
    return [ledger for ledger in ledgers if ledger and not _paused(ledger)]


def _paused_ledgers(state: DossierState) -> list[list[LedgerEntry]]:
    ledgers = [state.ledger]
    ledgers.extend(step.ledger for step in state.current_steps if step.ledger)
    return [ledger for ledger in ledgers if ledger and _paused(ledger)]


def _term_minutes(days: float, cal: WorkCalendar) -> int:
    return working_days_to_minutes(days, cal)


def refresh_due_moments(
    state: DossierState, cal: WorkCalendar, config: ClockConfig | None = None
) -> None:
    """Derive every due moment from the ledgers (after an action or a calendar change). With
    `config`, each step counts in the office hours of the agency that owns it."""
    if state.ledger:
        reading = derive(
            state.ledger,
            _term_minutes(state.procedure.term_days, cal),
            cal,
            state.procedure.receipt_cutoff,
        )
        state.due_at = reading.due
        state.original_due_at = reading.original_due if reading.reschedules else None
    for step in state.steps:
        if step.ledger:
            own = config.agency_calendar(step.agency_code, cal) if config else cal
            step.due_at = derive(step.ledger, _term_minutes(step.term_days, own), own).due
    follow_due_moments(state)


def dossier_reading(state: DossierState, cal: WorkCalendar, as_of: datetime | None = None):  # type: ignore[no-untyped-def]
    last = state.ledger[-1].at if state.ledger else None
    when = as_of if as_of is not None and last is not None and as_of >= last else None
    return derive(
        state.ledger,
        _term_minutes(state.procedure.term_days, cal),
        cal,
        state.procedure.receipt_cutoff,
        as_of=when,
    )


def explanation(state: DossierState, cal: WorkCalendar) -> list[str]:
    if not state.ledger:
        return ["the clock starts when the complete dossier is accepted"]
    return explain(
        state.ledger,
        _term_minutes(state.procedure.term_days, cal),
        cal,
        state.procedure.receipt_cutoff,
    )


def step_explanation(step: StepProgress, cal: WorkCalendar) -> list[str]:
    if not step.ledger:
        return []
    return explain(step.ledger, _term_minutes(step.term_days, cal), cal)


def working_days_late(due: datetime, end: datetime, cal: WorkCalendar) -> float:
    """Working days between the due moment and `end` (0 when on time), in half days."""
    if end <= due:
        return 0.0
    minutes = working_time_between(cal, due, end) / timedelta(minutes=1)
    return round(minutes / cal.office_hours.minutes_per_day * 2) / 2


# --------------------------------------------------------------------------- timers


@dataclass(frozen=True)
class Timer:
    """Something the workflow must do at `at`: warn, escalate, or stop a waiting dossier."""

    key: str
    kind: Literal["warning", "escalation", "stop", "payment-init", "payment-query"]
    at: datetime
    level: int = 0  # 1 unit head, 2 agency head, 3 supervising agency's head
    step_index: int | None = None
    unit_code: str = ""
    agency_code: str = ""
    due_at: datetime | None = None
    reference: str = ""  # payment timers: the payment's MaThamChieu
    assignee: str = ""  # step timers: the officer holding the step ("": nobody took it)

    @property
    def target(self) -> str:
        return LADDER[self.level - 1] if self.kind == "escalation" else "unit"


def _terms(ledger: list[LedgerEntry]) -> int:
    return sum(1 for e in ledger if e.kind in ("start", "restart"))


def _reschedules(ledger: list[LedgerEntry]) -> int:
    return sum(1 for e in ledger if e.kind == "reschedule")


def pending_timers(state: DossierState, config: ClockConfig, cal: WorkCalendar) -> list[Timer]:
    """Every timer that applies to the dossier as it stands, issued or not, by moment."""
    timers: list[Timer] = []
    day = working_days_to_minutes(config.warning_days(state.procedure.agency_code), cal)
    if (
        state.status in WAITING
        and state.supplement_rounds
        and (state.status == Status.SUPPLEMENT_REQUESTED)
    ):
        requested = state.supplement_rounds[-1].requested_at
        limit = working_days_to_minutes(state.procedure.waiting_limit_days, cal)
        at = add_working_time(cal, requested, limit)
        timers.append(
            Timer(key=f"stop-supplement-{len(state.supplement_rounds)}", kind="stop", at=at)
        )
    timers.extend(payment_timers(state, cal))
    if state.status in (Status.RECEIVED, Status.PROCESSING) and state.due_at is not None:
        warn = subtract_working_time(cal, state.due_at, day)
        if state.ledger and warn > state.ledger[0].at:
            key = f"dossier-t{_terms(state.ledger)}-r{_reschedules(state.ledger)}-warning"
            timers.append(Timer(key=key, kind="warning", at=warn, due_at=state.due_at))
    for step in state.current_steps if state.status == Status.PROCESSING else ():
        if step.due_at is None:
            continue
        prefix = f"step{step.index}-a{step.attempt}-t{_terms(step.ledger)}"
        lead = working_days_to_minutes(config.warning_days(step.agency_code), cal)
        warn = subtract_working_time(cal, step.due_at, lead)
        if warn > step.ledger[0].at:
            timers.append(
                Timer(
                    key=f"{prefix}-warning",
                    kind="warning",
                    at=warn,
                    step_index=step.index,
                    unit_code=step.unit_code,
                    agency_code=step.agency_code,
                    due_at=step.due_at,
                    assignee=step.assignee,
                )
            )
        every = working_days_to_minutes(config.every_days(step.agency_code), cal)
        at = step.due_at
        for level in range(1, len(LADDER) + 1):
            timers.append(
                Timer(
                    key=f"{prefix}-escalation-{level}",
                    kind="escalation",
                    at=at,
                    level=level,
                    step_index=step.index,
                    unit_code=step.unit_code,
                    agency_code=step.agency_code,
                    due_at=step.due_at,
                    assignee=step.assignee,
                )
            )
            at = add_working_time(cal, at, every)
    return sorted(timers, key=lambda t: t.at)


PAYMENT_TIMERS = ("payment-init", "payment-query")
STOP_FOR_PAYMENT = "stop-payment-"


def payment_timers(state: DossierState, cal: WorkCalendar) -> list[Timer]:
    """Talking to the gateway about payments still owed online (INIT until the applicant has
    an address to pay at, then QUERY while no callback settles it), and the stop at the end
    of the waiting limit for a payment the applicant never makes."""
    if state.status.terminal:
        return []
    timers = []
    for payment in state.payments:
        if not (payment.online and payment.outstanding) or payment.next_attempt_at is None:
            continue
        kind: Literal["payment-init", "payment-query"] = (
            "payment-init" if payment.needs_init else "payment-query"
        )
        key = f"{kind}-{payment.reference}-{payment.attempts}"
        timers.append(
            Timer(key=key, kind=kind, at=payment.next_attempt_at, reference=payment.reference)
        )
    owed = state.outstanding_obligation() or (
        state.unpaid_online_submission() if state.status == Status.SUBMITTED else None
    )
    if owed is not None:
        limit = working_days_to_minutes(state.procedure.waiting_limit_days, cal)
        at = add_working_time(cal, owed.requested_at, limit)
        timers.append(Timer(key=f"{STOP_FOR_PAYMENT}{owed.reference}", kind="stop", at=at))
    return timers


def next_timer(state: DossierState, config: ClockConfig, cal: WorkCalendar) -> Timer | None:
    """The earliest timer not yet issued, or None."""
    issued = set(state.notices_sent)
    for timer in pending_timers(state, config, cal):
        if timer.key not in issued:
            return timer
    return None


def stop_request(timer: Timer) -> ActionRequest:
    from domain.dossier import SYSTEM_ACTOR

    unpaid = timer.key.startswith(STOP_FOR_PAYMENT)
    return ActionRequest(
        action=Action.STOP,
        actor=SYSTEM_ACTOR,
        reason=(
            "the applicant did not pay within the procedure's waiting limit"
            if unpaid
            else "the applicant did not answer within the procedure's waiting limit"
        ),
    )


def issue(state: DossierState, timer: Timer, now: datetime) -> DossierEvent:
    """Record that a warning or escalation was issued; the timeline line it makes."""
    state.notices_sent.append(timer.key)
    state.seq += 1
    if timer.kind == "warning":
        where = f"step {timer.step_index + 1}" if timer.step_index is not None else "dossier"
        note = (
            f"1 working day left on the {where}; due {format_local(timer.due_at)}"
            if (timer.due_at)
            else "1 working day left"
        )
    else:
        note = (
            f"step {(timer.step_index or 0) + 1} overdue since {format_local(timer.due_at)}: "
            f"escalated to the {timer.target.replace('_', ' ')}"
            if timer.due_at
            else "escalated"
        )
    return DossierEvent(
        seq=state.seq,
        action=timer.kind,
        actor="system",
        actor_name="motcua",
        at=now,
        from_status=state.status,
        to_status=state.status,
        step_index=state.step_index,
        note=note,
        branch_index=timer.step_index if state.in_parallel_stage else None,
    )


# --------------------------------------------------------------------------- views


@dataclass
class DeadlineStep:
    index: int
    unit_code: str
    unit_name: str
    agency_code: str
    agency_name: str
    term_days: float
    started_at: datetime | None
    finished_at: datetime | None
    due_at: datetime | None
    late: bool
    ledger: list[dict[str, Any]]
    explanation: list[str]
    stage: int = 1  # the stage (1-based) the step belongs to; steps of one stage run at once
    closed: bool = False  # a parallel branch closed unanswered once the quorum answered


@dataclass
class DeadlineView:
    """The clock of a dossier: ledger, due moments and the explanation a clerk reads."""

    code: str
    status: str
    term_days: float
    supplement_policy: str
    started_at: datetime | None
    due_at: datetime | None
    original_due_at: datetime | None
    apologised: bool
    paused: bool
    remaining_minutes: float | None
    ledger: list[dict[str, Any]]
    explanation: list[str]
    steps: list[DeadlineStep]
    notices_sent: list[str]
    next_timer: Timer | None


def deadline_view(
    state: DossierState, config: ClockConfig, cal: WorkCalendar, now: datetime
) -> DeadlineView:
    reading = dossier_reading(state, cal, now) if state.ledger else None
    return DeadlineView(
        code=state.code,
        status=state.status.value,
        term_days=state.procedure.term_days,
        supplement_policy=state.procedure.supplement_policy.value,
        started_at=reading.started_at if reading else None,
        due_at=state.due_at,
        original_due_at=state.original_due_at,
        apologised=state.apologised,
        paused=reading.paused if reading else False,
        remaining_minutes=(
            reading.remaining / timedelta(minutes=1)
            if reading and not state.status.terminal and state.finished_at is None
            else None
        ),
        ledger=[e.to_dict() for e in state.ledger],
        explanation=explanation(state, cal),
        steps=[
            DeadlineStep(
                index=s.index,
                unit_code=s.unit_code,
                unit_name=s.unit_name,
                agency_code=s.agency_code,
                agency_name=s.agency_name,
                term_days=s.term_days,
                started_at=s.started_at,
                finished_at=s.finished_at,
                due_at=s.due_at,
                late=not s.closed and s.due_at is not None and (s.finished_at or now) > s.due_at,
                ledger=[e.to_dict() for e in s.ledger],
                explanation=step_explanation(s, cal),
                stage=state.procedure.stage_of(s.index) + 1,
                closed=s.closed,
            )
            for s in state.steps
        ],
        notices_sent=list(state.notices_sent),
        next_timer=next_timer(state, config, cal),
    )


def calendar_change_note(
    before: datetime | None, after: datetime | None, config: ClockConfig
) -> str:
    if before == after or before is None or after is None:
        return "calendar changed; step due moments re-derived"
    return (
        f"calendar changed: due moment moved from {format_local(before)} to {format_local(after)}"
    )
