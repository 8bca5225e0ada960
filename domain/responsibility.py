"""Who held each step of a dossier and when (trách nhiệm xử lý): every attempt of a step kept
with its unit, officer, start, due and end, and the lateness of a late dossier attributed to
the attempts that overran their share of the term. Pure."""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.calendar import WorkCalendar
from domain.clock import working_time_between
from domain.dossier import ActionRequest, DossierState, Holding, StepAttempt, StepProgress
from domain.lifecycle import Action, Status
from domain.outcomes import StepAttribution

_HOUR = timedelta(hours=1)


def open_attempts(state: DossierState) -> list[StepAttempt]:
    return [a for a in state.step_attempts if a.open]


def _begin(step: StepProgress, now: datetime, branch: str = "") -> StepAttempt:
    attempt = StepAttempt(
        step_index=step.index,
        attempt=step.attempt,
        unit_code=step.unit_code,
        unit_name=step.unit_name,
        agency_code=step.agency_code,
        agency_name=step.agency_name,
        started_at=now,
        due_at=step.due_at,
        branch=branch,
    )
    if step.assignee:  # the officer who held the step before it came back keeps it
        attempt.holdings.append(Holding(step.assignee, step.assignee_name, now, step.assignee))
    return attempt


#: The outcome of a parallel branch closed unanswered once its stage's quorum answered.
NOT_NEEDED = "not-needed"


def track_attempts(state: DossierState, request: ActionRequest, now: datetime) -> None:
    """Bring the attempts up to date after `request` was applied (and the step's ledger and
    due moments were derived, which `refresh_due_moments` also copies to the open attempts):
    close the attempts the action ended, open the ones it began, record an assignment. In a
    parallel stage each branch has its own attempt (`branch`: its unit)."""
    action = request.action
    step = state.acting_step(request.actor, request.step_index)
    if action in (Action.ASSIGN, Action.TAKE) and step is not None:
        current = next((a for a in open_attempts(state) if a.step_index == step.index), None)
        if current is None:  # a dossier that began before attempts were kept
            current = _begin(step, now)
            current.holdings.clear()
            state.step_attempts.append(current)
        current.holdings.append(
            Holding(step.assignee, step.assignee_name, now, request.actor.username)
        )
    elif (
        action in (Action.FORWARD, Action.RETURN)
        or (action in (Action.RESOLVE, Action.APPROVE) and state.status == Status.RESOLVED)
        or state.status.terminal
    ):
        moving = action in (Action.FORWARD, Action.RETURN)
        still_open = {s.index for s in state.current_steps} if moving else set()
        for attempt in open_attempts(state):
            if attempt.step_index in still_open:
                continue
            closed = state.steps[attempt.step_index].closed if attempt.branch else False
            attempt.finished_at = now
            attempt.outcome = NOT_NEEDED if closed else action.value
            attempt.finished_by = "" if closed else request.actor.username
        if moving:
            running = {a.step_index for a in open_attempts(state)}
            branch = state.in_parallel_stage
            for begun in state.current_steps:
                if begun.index not in running:
                    state.step_attempts.append(
                        _begin(begun, now, begun.unit_code if branch else "")
                    )


def follow_due_moments(state: DossierState) -> None:
    """An open attempt's due moment is its step's, as the clock derives it now (pauses and
    calendar changes move it)."""
    for attempt in open_attempts(state):
        if 0 <= attempt.step_index < len(state.steps):
            due = state.steps[attempt.step_index].due_at
            if due is not None:  # none while the clock is stopped: keep the last one
                attempt.due_at = due


def _hours(cal: WorkCalendar, start: datetime, end: datetime) -> float:
    if end <= start:
        return 0.0
    return round(working_time_between(cal, start, end) / _HOUR, 2)


def _attribution(attempt: StepAttempt, moment: datetime, hours: float) -> StepAttribution:
    holder = attempt.holder_at(moment)
    return StepAttribution(
        step_index=attempt.step_index,
        attempt=attempt.attempt,
        unit_code=attempt.unit_code,
        unit_name=attempt.unit_name,
        agency_code=attempt.agency_code,
        agency_name=attempt.agency_name,
        officer=holder.officer if holder else "",
        officer_name=holder.officer_name if holder else "",
        overrun_hours=hours,
        branch=attempt.branch,
    )


def attribute_lateness(
    attempts: list[StepAttempt], due: datetime | None, end: datetime, cal: WorkCalendar
) -> tuple[StepAttribution, ...]:
    """The attempts that ran past their own due moment, each with the working hours it
    overran and the officer who held it at that moment (none: the unit's). When no step
    overran its share, the lateness is the attempt's that held the dossier when the dossier's
    own due moment passed; when none did, nobody's on the route (the one-stop desk's)."""
    overran = []
    for attempt in attempts:
        if attempt.due_at is None or attempt.outcome == NOT_NEEDED:
            continue
        finished = attempt.finished_at or end
        if finished > attempt.due_at:
            hours = _hours(cal, attempt.due_at, min(finished, end))
            if hours > 0:
                overran.append(_attribution(attempt, attempt.due_at, hours))
    if overran or due is None:
        return tuple(overran)
    for attempt in attempts:
        finished = attempt.finished_at or end
        if attempt.outcome != NOT_NEEDED and attempt.started_at <= due < finished:
            return (_attribution(attempt, due, _hours(cal, due, min(finished, end))),)
    return ()
