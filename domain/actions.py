"""The one way an action happens to a dossier: checked (the status table, the state, the
actor, the input, the rules that depend on time), applied, the statutory clock moved and the
attempts of the steps kept — in that order, for every caller (the workflow's updates and
timers, the payment callbacks, the bench's bulk set-up, the tests)."""

from __future__ import annotations

from datetime import datetime

from domain.calendar import WorkCalendar
from domain.dossier import ActionRequest, DossierEvent, DossierState
from domain.lifecycle import Status
from domain.statutory import after_action, check_apology


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
) -> DossierEvent:
    """Check and apply `request` at `now`, then move the clock: the timeline line it makes.
    `time_rules=False` checks the apology against the due moment only (the rule dossiers
    begun before the apology limit were run by)."""
    check_apology(state, request, now, cal if time_rules else None)
    source = state.status
    event = state.apply(request, now)
    after_action(state, request, source, now, cal)
    return event


def settled(
    state: DossierState, request: ActionRequest, source: Status, now: datetime, cal: WorkCalendar
) -> None:
    """Move the clock after an action the state applied itself (a payment the gateway
    confirmed resumes the dossier from inside `confirm_payment`)."""
    after_action(state, request, source, now, cal)
