"""Results are approved by the head of the step's unit (or its acting head) before they are
resolved; an administrator does not act on dossiers."""

from dataclasses import replace
from datetime import timedelta

import pytest

from domain import actions
from domain.calendar import build_calendar
from domain.dossier import ActionRequest, Actor, DossierState, Forbidden, ResultKind, Role
from domain.lifecycle import Action, IllegalTransition, Status
from tests.domain.test_dossier import (
    CLERK,
    LAND,
    QLDD,
    T0,
    TAX_OFFICER,
    VPDK,
    WARD_OFFICER,
    new_dossier,
    run,
)

APPROVED_LAND = replace(LAND, approver_role="unit_head")
QLDD_HEAD = Actor("tp.qldd", "Lê Văn Trưởng", Role.UNIT_HEAD, QLDD.agency_code, QLDD.unit_code)
VPDK_HEAD = Actor("tp.vpdk", "Phan Thị Giám", Role.UNIT_HEAD, VPDK.agency_code, VPDK.unit_code)
ADMIN = Actor("admin", "Quản trị", Role.ADMIN, CLERK.agency_code, CLERK.unit_code)


def at_last_step(procedure=APPROVED_LAND) -> DossierState:  # type: ignore[no-untyped-def]
    state = new_dossier()
    state.procedure = procedure
    run(state, Action.ACCEPT, CLERK)
    run(state, Action.FORWARD, CLERK, 1)
    for minutes, officer in enumerate([WARD_OFFICER, VPDK, TAX_OFFICER], start=2):
        run(state, Action.FORWARD, officer, minutes)
    assert state.on_last_step
    return state


def propose(state: DossierState) -> None:
    run(state, Action.RESOLVE, QLDD, 10, result_kind=ResultKind.APPROVAL, result_summary="GCN")


def test_an_officers_resolve_waits_for_the_unit_heads_approval() -> None:
    state = at_last_step()
    propose(state)
    assert state.status == Status.PROCESSING  # the portal status does not change
    assert state.result is None and state.proposal is not None
    assert state.current_step is not None and state.current_step.finished_at is None
    with pytest.raises(IllegalTransition, match="awaits approval"):
        propose(state)
    event = run(state, Action.APPROVE, QLDD_HEAD, 20)
    assert state.status == Status.RESOLVED and event.to_status == Status.RESOLVED
    assert state.result is not None and state.result.decided_by == QLDD_HEAD.username
    assert state.result.summary == "GCN" and state.proposal is None


def test_an_officer_or_another_units_head_cannot_approve() -> None:
    state = at_last_step()
    propose(state)
    with pytest.raises(Forbidden, match="approved by the head"):
        run(state, Action.APPROVE, QLDD, 11)
    with pytest.raises(Forbidden, match="approved by the head"):
        run(state, Action.APPROVE, VPDK_HEAD, 11)
    assert state.status == Status.PROCESSING and state.result is None
    assert Action.APPROVE not in state.allowed_actions(QLDD)
    assert Action.APPROVE in state.allowed_actions(QLDD_HEAD)


def test_the_head_rejects_the_proposal_and_the_step_goes_on() -> None:
    state = at_last_step()
    propose(state)
    run(state, Action.REJECT, QLDD_HEAD, 12, reason="thiếu sơ đồ thửa đất")
    assert state.status == Status.PROCESSING and state.proposal is None
    with pytest.raises(IllegalTransition, match="no proposed result"):
        run(state, Action.APPROVE, QLDD_HEAD, 13)
    propose(state)  # the officer proposes again
    run(state, Action.APPROVE, QLDD_HEAD, 14)
    assert state.status == Status.RESOLVED


def test_the_heads_own_resolve_resolves_directly() -> None:
    state = at_last_step()
    run(state, Action.RESOLVE, QLDD_HEAD, 10, result_kind=ResultKind.APPROVAL)
    assert state.status == Status.RESOLVED and state.proposal is None


def test_an_acting_head_approves_during_the_delegation() -> None:
    state = at_last_step()
    propose(state)
    acting = replace(VPDK, unit_code=QLDD.unit_code, acting_head_of=(QLDD.unit_code,))
    run(state, Action.APPROVE, acting, 15)
    assert state.status == Status.RESOLVED


def test_without_an_approver_the_procedure_resolves_at_once() -> None:
    state = at_last_step(LAND)
    propose(state)
    assert state.status == Status.RESOLVED


def test_the_clock_does_not_stop_while_the_proposal_waits() -> None:
    state = new_dossier()
    state.procedure = APPROVED_LAND
    cal = build_calendar(range(2025, 2028))
    now = T0
    actions.act(state, ActionRequest(Action.ACCEPT, CLERK), now, cal)
    for officer in (CLERK, WARD_OFFICER, VPDK, TAX_OFFICER):
        now += timedelta(minutes=1)
        actions.act(state, ActionRequest(Action.FORWARD, officer), now, cal)
    due = state.due_at
    actions.act(
        state, ActionRequest(Action.RESOLVE, QLDD, result_kind=ResultKind.APPROVAL), now, cal
    )
    assert state.due_at == due and state.finished_at is None
    assert state.step_attempts[-1].open  # the step is still being worked on
    head = Actor("tp.qldd", "Lê Văn Trưởng", Role.UNIT_HEAD, QLDD.agency_code, QLDD.unit_code)
    actions.act(state, ActionRequest(Action.APPROVE, head), now + timedelta(minutes=5), cal)
    assert state.status == Status.RESOLVED
    assert state.step_attempts[-1].outcome == Action.APPROVE.value


@pytest.mark.parametrize("action", [Action.ACCEPT, Action.REFUSE])
def test_an_administrator_without_a_desk_role_does_not_act_on_dossiers(action: Action) -> None:
    state = new_dossier()
    with pytest.raises(Forbidden, match="administrator"):
        run(state, action, ADMIN, reason="x")
    assert state.status == Status.SUBMITTED


def test_an_administrator_does_not_resolve_either() -> None:
    state = at_last_step()
    with pytest.raises(Forbidden, match="administrator"):
        run(state, Action.RESOLVE, ADMIN, 10, result_kind=ResultKind.APPROVAL)
    assert Action.RESOLVE not in state.allowed_actions(ADMIN)
