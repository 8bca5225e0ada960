"""Per-agency settings (DESIGN §5): office hours, warning lead, escalation interval."""

from dataclasses import replace
from datetime import timedelta

from domain import actions
from domain.calendar import build_calendar
from domain.dossier import ActionRequest
from domain.lifecycle import Action
from domain.statutory import ClockConfig, pending_timers, refresh_due_moments
from tests.domain.test_dossier import CLERK, T0, TAX, WARD, new_dossier

CAL = build_calendar(range(2025, 2028))
#: The tax office works mornings only.
MORNINGS = {"periods": [["07:30", "11:30"]], "weekdays": [0, 1, 2, 3, 4]}


def started():  # type: ignore[no-untyped-def]
    state = new_dossier()
    actions.act(state, ActionRequest(Action.ACCEPT, CLERK), T0, CAL)
    actions.act(state, ActionRequest(Action.FORWARD, CLERK), T0 + timedelta(minutes=1), CAL)
    # every step's clock starts in the afternoon, as if each were current (to compare them)
    afternoon = replace(state.steps[0].ledger[0], at=T0 + timedelta(hours=6))
    for step in state.steps:
        step.ledger = [afternoon]
    return state


def test_office_hours_of_one_agency_move_only_that_agencys_due_moments() -> None:
    state = started()
    refresh_due_moments(state, CAL, ClockConfig(calendar=CAL.to_dict()))
    before = {s.index: s.due_at for s in state.steps}
    config = ClockConfig(calendar=CAL.to_dict(), office_hours={TAX: MORNINGS})
    refresh_due_moments(state, CAL, config)
    after = {s.index: s.due_at for s in state.steps}
    tax_steps = {s.index for s in state.steps if s.agency_code == TAX}
    assert tax_steps and any(s.agency_code != TAX for s in state.steps)
    for index in before:
        if index in tax_steps:
            assert after[index] is not None and before[index] is not None
            assert after[index] != before[index]  # counted in its own (morning) hours
        else:
            assert after[index] == before[index]


def test_the_warning_lead_is_the_agency_of_the_step() -> None:
    state = started()
    assert state.current_step is not None and state.current_step.agency_code == WARD
    default = ClockConfig(calendar=CAL.to_dict())
    longer = ClockConfig(calendar=CAL.to_dict(), warning_before_days={WARD: 2.0})
    other = ClockConfig(calendar=CAL.to_dict(), warning_before_days={TAX: 2.0})

    def step_warning(config: ClockConfig):  # type: ignore[no-untyped-def]
        return next(
            t.at
            for t in pending_timers(state, config, CAL)
            if t.kind == "warning" and t.step_index is not None
        )

    assert step_warning(longer) < step_warning(default)
    assert step_warning(other) == step_warning(default)


def test_the_apology_limit_falls_back_to_the_procedures() -> None:
    config = ClockConfig(calendar={}, apology_before_days={TAX: 2.0})
    assert config.apology_days(TAX, 1.0) == 2.0
    assert config.apology_days(WARD, 1.0) == 1.0
