"""The on-time verdict of a dossier (đánh giá đúng hạn), by the national portal's rule
(Decision 766, indicator 2.1): the processing end — the first of resolved, returned,
stopped, refused — against the original appointment, the applicant's waiting excluded as the
clock excludes it, more than one supplement request after reception late whatever the
dates. Pure: the calendar arrives as data."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from domain.calendar import WorkCalendar
from domain.clock import (
    LedgerEntry,
    derive,
    format_local,
    working_days_to_minutes,
    working_time_between,
)
from domain.dossier import DossierState, StepAttempt
from domain.lifecycle import Status
from domain.outcomes import OnTimeVerdict, StepAttribution, Verdict
from domain.responsibility import attribute_lateness

_HOUR = timedelta(hours=1)
WAITING = (Status.SUPPLEMENT_REQUESTED, Status.AWAITING_PAYMENT)
#: The national rule: a dossier asked to supplement more than this many times is late.
MAX_SUPPLEMENT_REQUESTS = 1


@dataclass(frozen=True)
class VerdictFacts:
    """What a verdict is decided from, as the workflow's state or a stored row holds it.

    `due_at` is the original appointment (an apology's new one excluded) with the
    applicant's waiting already excluded by the clock; `ended_at` the processing end; for a
    dossier the applicant holds now (or held when it was stopped), `waiting_since` is when
    the wait began, and `due_at` the appointment as it stood then."""

    status: Status
    received_at: datetime | None
    due_at: datetime | None
    ended_at: datetime | None
    apologised: bool = False
    new_due_at: datetime | None = None  # the apology's new appointment, if any
    supplements_after_reception: int = 0
    waiting_since: datetime | None = None
    attempts: tuple[StepAttempt, ...] = field(default_factory=tuple)


def _paused_since(ledger: list[LedgerEntry]) -> int | None:
    """The index of the pause the ledger is in, or None when it runs."""
    for i in range(len(ledger) - 1, -1, -1):
        if ledger[i].kind == "pause":
            return i
        if ledger[i].kind in ("resume", "restart", "start"):
            return None
    return None


def facts_of(state: DossierState, cal: WorkCalendar) -> VerdictFacts:
    """The verdict's facts from the workflow's state."""
    due = state.original_due_at or state.due_at
    ended = state.finished_at
    waiting_since = None
    pause = _paused_since(state.ledger) if state.ledger else None
    if pause is not None and (state.status in WAITING or state.status == Status.STOPPED):
        # the applicant holds the dossier: judged at the moment the wait began, against the
        # appointment as it stood then (no due moment exists while the clock is stopped)
        waiting_since = state.ledger[pause].at
        term = working_days_to_minutes(state.procedure.term_days, cal)
        before = derive(state.ledger[:pause], term, cal, state.procedure.receipt_cutoff)
        due = before.original_due
        ended = waiting_since if state.status == Status.STOPPED else None
    return VerdictFacts(
        status=state.status,
        received_at=state.received_at,
        due_at=due,
        ended_at=ended,
        apologised=state.apologised,
        new_due_at=state.due_at if state.apologised else None,
        supplements_after_reception=sum(
            r.stage == Status.PROCESSING for r in state.supplement_rounds
        ),
        waiting_since=waiting_since,
        attempts=tuple(state.step_attempts),
    )


def _local_day(moment: datetime, cal: WorkCalendar) -> date:
    return moment.astimezone(ZoneInfo(cal.tz)).date()


def _hours_late(cal: WorkCalendar, due: datetime, end: datetime) -> float:
    if end <= due:
        return 0.0
    return round(working_time_between(cal, due, end) / _HOUR, 2)


def _days(hours: float) -> str:
    days, rest = divmod(hours, 8)
    parts = []
    if days:
        parts.append(f"{int(days)} working day{'s' if days != 1 else ''}")
    if rest or not parts:
        parts.append(f"{rest:g} working hour{'s' if rest != 1 else ''}")
    return " ".join(parts)


def judge(facts: VerdictFacts, cal: WorkCalendar, now: datetime) -> OnTimeVerdict:
    """The verdict of a dossier as of `now` (which only matters while it is open)."""
    if facts.status == Status.WITHDRAWN:
        return OnTimeVerdict(
            Verdict.NOT_JUDGED,
            facts.ended_at,
            facts.due_at,
            reasons=("withdrawn by the applicant",),
        )
    if facts.received_at is None or facts.due_at is None:
        why = {
            Status.REFUSED: "refused at reception: no appointment was given",
            Status.STOPPED: "stopped before reception: no appointment was given",
        }.get(facts.status, "not received yet: the clock starts when the dossier is accepted")
        return OnTimeVerdict(Verdict.NOT_JUDGED, facts.ended_at, facts.due_at, reasons=(why,))

    due = facts.due_at
    finished = facts.ended_at is not None and facts.status in (
        Status.RESOLVED,
        Status.RETURNED,
        Status.STOPPED,
        Status.REFUSED,
    )
    at = facts.ended_at if finished else (facts.waiting_since or now)
    assert at is not None
    hours = _hours_late(cal, due, at)
    reasons: list[str] = []
    if facts.waiting_since is not None:
        reasons.append(
            f"waiting for the applicant since {format_local(facts.waiting_since)}: judged at "
            "that moment, the waiting does not count against the agency"
        )
    too_many = facts.supplements_after_reception > MAX_SUPPLEMENT_REQUESTS
    if finished:
        if too_many:
            verdict = Verdict.LATE
            reasons.append(
                f"{facts.supplements_after_reception} supplement requests after reception: "
                "the national rule counts more than one as late"
            )
        elif hours > 0:
            verdict = Verdict.LATE
        elif _local_day(at, cal) < _local_day(due, cal):
            verdict = Verdict.EARLY
        else:
            verdict = Verdict.ON_TIME
        ended = f"ended {format_local(at)}"
    else:
        verdict = Verdict.OVERDUE if hours > 0 or too_many else Verdict.IN_PROGRESS
        ended = f"open as of {format_local(at)}"
    if hours > 0:
        reasons.insert(0, f"{ended}, {_days(hours)} after the appointment {format_local(due)}")
    else:
        reasons.insert(0, f"{ended}, by the appointment {format_local(due)}")
    if facts.apologised:
        new = f" to {format_local(facts.new_due_at)}" if facts.new_due_at else ""
        reasons.append(
            f"an apology (Form 04) moved the appointment{new}; the dossier is judged "
            "against the original one"
        )
    attribution: tuple[StepAttribution, ...] = ()
    if verdict in (Verdict.LATE, Verdict.OVERDUE):
        attribution = attribute_lateness(list(facts.attempts), due, at, cal)
        for blame in attribution:
            who = blame.officer_name or blame.officer or f"{blame.unit_name} (nobody took it)"
            reasons.append(
                f"step {blame.step_index + 1} (attempt {blame.attempt}) at {blame.unit_name}, "
                f"{blame.agency_name}, held by {who}, ran {_days(blame.overrun_hours)} over "
                "its share"
            )
    return OnTimeVerdict(
        verdict=verdict,
        judged_at=at,
        due_at=due,
        late_hours=hours,
        apologised=facts.apologised,
        reasons=tuple(reasons),
        attribution=attribution,
    )


def judge_state(state: DossierState, cal: WorkCalendar, now: datetime) -> OnTimeVerdict:
    return judge(facts_of(state, cal), cal, now)


def as_of(
    verdict: Verdict,
    due_at: datetime | None,
    late_hours: float,
    *,
    waiting: bool,
    now: datetime,
    cal: WorkCalendar | None,
) -> tuple[Verdict, float]:
    """A stored verdict read at `now`: an open dossier judged in progress at its last event
    is overdue once its appointment has passed (time moves it, not an event); a finished
    one, or one the applicant holds, stays as judged. `cal` may be None when
    `counts_hours` says the reading needs no calendar."""
    if not _open_and_dated(verdict, due_at, waiting=waiting):
        return verdict, late_hours
    assert due_at is not None
    if now <= due_at:
        return Verdict.IN_PROGRESS, 0.0
    if cal is None:
        raise ValueError("reading an overdue verdict counts working hours: it needs the calendar")
    hours = _hours_late(cal, due_at, now)
    return (Verdict.OVERDUE, hours) if hours > 0 else (Verdict.IN_PROGRESS, 0.0)


def counts_hours(
    verdict: Verdict, due_at: datetime | None, *, waiting: bool, now: datetime
) -> bool:
    """Whether `as_of` counts working hours (and so needs the calendar): an open dossier
    past its appointment."""
    return _open_and_dated(verdict, due_at, waiting=waiting) and due_at is not None and now > due_at


def _open_and_dated(verdict: Verdict, due_at: datetime | None, *, waiting: bool) -> bool:
    return verdict in (Verdict.IN_PROGRESS, Verdict.OVERDUE) and not waiting and due_at is not None
