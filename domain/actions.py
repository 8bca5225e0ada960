"""The one way an action happens to a dossier: checked (the status table, the state, the
actor, the input, the rules that depend on time), applied, the statutory clock moved and the
attempts of the steps kept — in that order, for every caller (the workflow's updates and
timers, the payment callbacks, the bench's bulk set-up, the tests)."""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass
from datetime import datetime

from domain.calendar import WorkCalendar
from domain.dossier import ActionRequest, DossierEvent, DossierState
from domain.lifecycle import Status
from domain.statutory import ClockConfig, after_action, check_apology, explanation


def check(
    state: DossierState,
    request: ActionRequest,
    now: datetime,
    cal: WorkCalendar | None,
) -> Status:
    """Raise if `request` may not happen at `now`; the status it would lead to. Without the
    calendar (dossiers begun before the apology limit), the time rules are the older ones."""
    target = state.check(request)
    check_apology(state, request, now, cal)
    return target


def act(
    state: DossierState,
    request: ActionRequest,
    now: datetime,
    cal: WorkCalendar,
    *,
    time_rules: bool = True,
    config: ClockConfig | None = None,
) -> DossierEvent:
    """Check and apply `request` at `now`, then move the clock: the timeline line it makes.
    `time_rules=False` checks the apology against the due moment only (the rule dossiers
    begun before the apology limit were run by)."""
    check_apology(state, request, now, cal if time_rules else None)
    source = state.status
    event = state.apply(request, now)
    after_action(state, request, source, now, cal, config)
    return event


def settled(
    state: DossierState,
    request: ActionRequest,
    source: Status,
    now: datetime,
    cal: WorkCalendar,
    config: ClockConfig | None = None,
) -> None:
    """Move the clock after an action the state applied itself (a payment the gateway
    confirmed resumes the dossier from inside `confirm_payment`)."""
    after_action(state, request, source, now, cal, config)


@dataclass(frozen=True)
class Preview:
    """What an action would do to the dossier's clock, before it is committed: the due
    moments before and after (None while the clock would be stopped) and the clock's own
    explanation of the new due moment."""

    action: str
    due_before: datetime | None
    due_after: datetime | None
    status_after: str
    explanation: tuple[str, ...]


def preview(
    state: DossierState,
    request: ActionRequest,
    now: datetime,
    cal: WorkCalendar,
    *,
    time_rules: bool = True,
    config: ClockConfig | None = None,
) -> Preview:
    """`act` on a copy of the dossier: the state itself does not change. Raises what `act`
    would raise."""
    trial = deepcopy(state)
    act(trial, request, now, cal, time_rules=time_rules, config=config)
    return Preview(
        action=request.action.value,
        due_before=state.due_at,
        due_after=trial.due_at,
        status_after=trial.status.value,
        explanation=tuple(explanation(trial, cal)),
    )
