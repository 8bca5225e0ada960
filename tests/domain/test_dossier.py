"""The dossier state machine: who may do what, when, and what it changes."""

from datetime import UTC, datetime, timedelta

import pytest

from db.seed import DONRE, PROCEDURES, TAX, WARD
from domain.dossier import (
    ActionRequest,
    Actor,
    Applicant,
    DossierState,
    Forbidden,
    InvalidAction,
    ResultKind,
    Role,
)
from domain.lifecycle import Action, IllegalTransition, Status

LAND = next(p for p in PROCEDURES if p.code == "1.004227")
T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)

CLERK = Actor("motcua.tnmt", "Trần Thị Mai", Role.CLERK, DONRE, "H29.14.MC")
WARD_OFFICER = Actor("cc.diachinh", "Quách Thị Diệu", Role.OFFICER, WARD, "H29.31.DC")
VPDK = Actor("cv.vpdk", "Hoàng Văn Nam", Role.OFFICER, DONRE, "H29.14.VPDK")
TAX_OFFICER = Actor("cv.thue", "Đinh Công Sơn", Role.OFFICER, TAX, "H29.22.TB")
QLDD = Actor("cv.qldd", "Đặng Quốc Bảo", Role.OFFICER, DONRE, "H29.14.QLDD")
OTHER_CLERK = Actor("motcua.sxd", "Tạ Thị Hạnh", Role.CLERK, "000.00.20.H29", "H29.20.MC")


def new_dossier() -> DossierState:
    return DossierState.new(
        code="000.00.14.H29-261123-0001",
        procedure=LAND,
        channel=2,
        applicant=Applicant(name="Nguyễn Văn An"),
        submitted_at=T0,
    )


def run(state: DossierState, action: Action, actor: Actor, minutes: int = 0, **kw):  # type: ignore[no-untyped-def]
    return state.apply(
        ActionRequest(action=action, actor=actor, **kw), T0 + timedelta(minutes=minutes)
    )


def at_processing() -> DossierState:
    state = new_dossier()
    run(state, Action.ACCEPT, CLERK)
    run(state, Action.FORWARD, CLERK, 1)
    return state


def test_full_route_across_three_agencies() -> None:
    state = at_processing()
    assert state.current_step is not None and state.current_step.agency_code == WARD
    for minutes, officer in enumerate([WARD_OFFICER, VPDK, TAX_OFFICER], start=2):
        run(state, Action.FORWARD, officer, minutes)
    assert state.on_last_step
    event = run(state, Action.RESOLVE, QLDD, 10, result_kind=ResultKind.APPROVAL)
    assert event.to_status == Status.RESOLVED and state.finished_at is not None
    assert all(s.finished_at is not None for s in state.steps)
    run(state, Action.DELIVER, CLERK, 11)
    assert state.status == Status.RETURNED and state.seq == 7


def test_forward_at_last_step_and_return_at_first_are_illegal() -> None:
    state = at_processing()
    with pytest.raises(IllegalTransition, match="first step"):
        run(state, Action.RETURN, WARD_OFFICER)
    for officer in (WARD_OFFICER, VPDK, TAX_OFFICER):
        run(state, Action.FORWARD, officer)
    with pytest.raises(IllegalTransition, match="last step") as caught:
        run(state, Action.FORWARD, QLDD)
    assert Action.RESOLVE in caught.value.allowed


def test_return_goes_back_one_step() -> None:
    state = at_processing()
    run(state, Action.FORWARD, WARD_OFFICER, 5)
    run(state, Action.RETURN, VPDK, 6, note="thiếu xác nhận")
    assert state.step_index == 0 and state.steps[1].started_at is None
    assert state.steps[0].finished_at is None


def test_approval_only_at_last_step_but_refusal_anywhere() -> None:
    state = at_processing()
    with pytest.raises(IllegalTransition, match="only the last step"):
        run(state, Action.RESOLVE, WARD_OFFICER, result_kind=ResultKind.APPROVAL)
    run(
        state,
        Action.RESOLVE,
        WARD_OFFICER,
        result_kind=ResultKind.REFUSAL,
        result_summary="đất tranh chấp",
    )
    assert state.status == Status.RESOLVED and state.result is not None
    assert state.result.kind == ResultKind.REFUSAL


def test_agency_scope_and_roles() -> None:
    state = new_dossier()
    with pytest.raises(Forbidden, match="another agency"):
        run(state, Action.ACCEPT, OTHER_CLERK)
    with pytest.raises(Forbidden, match="clerk"):
        run(state, Action.ACCEPT, VPDK)
    run(state, Action.ACCEPT, CLERK)
    run(state, Action.FORWARD, CLERK)
    with pytest.raises(Forbidden, match="another agency"):
        run(state, Action.FORWARD, TAX_OFFICER)
    with pytest.raises(Forbidden):
        run(state, Action.FORWARD, CLERK)
    run(state, Action.FORWARD, WARD_OFFICER)


def test_supplement_round_returns_to_where_it_was() -> None:
    state = at_processing()
    with pytest.raises(InvalidAction) as caught:
        run(state, Action.REQUEST_SUPPLEMENT, WARD_OFFICER, reason="thiếu")
    assert caught.value.field == "items"
    run(
        state,
        Action.REQUEST_SUPPLEMENT,
        WARD_OFFICER,
        reason="Thiếu giấy tờ",
        items=("Sơ đồ thửa đất",),
    )
    assert state.status == Status.SUPPLEMENT_REQUESTED
    assert state.supplement_rounds[-1].stage == Status.PROCESSING
    run(state, Action.SUPPLEMENT, CLERK, 60)
    assert state.status == Status.PROCESSING and state.supplement_rounds[-1].supplied_at


def test_illegal_action_changes_nothing() -> None:
    state = new_dossier()
    before = (state.status, state.seq, state.received_at)
    with pytest.raises(IllegalTransition):
        run(state, Action.DELIVER, CLERK)
    assert (state.status, state.seq, state.received_at) == before


def test_rate_once_after_return_with_valid_rating() -> None:
    state = at_processing()
    for officer in (WARD_OFFICER, VPDK, TAX_OFFICER):
        run(state, Action.FORWARD, officer)
    run(state, Action.RESOLVE, QLDD, result_kind=ResultKind.APPROVAL)
    run(state, Action.DELIVER, CLERK)
    with pytest.raises(InvalidAction):
        run(state, Action.RATE, CLERK, rating=9)
    run(state, Action.RATE, CLERK, rating=5)
    with pytest.raises(IllegalTransition, match="already rated"):
        run(state, Action.RATE, CLERK, rating=4)


def test_withdraw_needs_a_reason_and_ends_the_dossier() -> None:
    state = at_processing()
    with pytest.raises(InvalidAction):
        run(state, Action.WITHDRAW, CLERK)
    run(state, Action.WITHDRAW, CLERK, reason="Công dân rút hồ sơ")
    assert state.status == Status.WITHDRAWN and state.finished_at is not None
    assert state.allowed_actions() == []


def test_allowed_actions_follow_state_and_actor() -> None:
    state = new_dossier()
    assert state.allowed_actions(CLERK) == [
        Action.ACCEPT,
        Action.REQUEST_SUPPLEMENT,
        Action.REFUSE,
        Action.WITHDRAW,
    ]
    assert state.allowed_actions(OTHER_CLERK) == []


def test_every_action_of_the_table_has_its_effect_or_only_changes_the_status() -> None:
    from domain.dossier import EFFECTS
    from domain.lifecycle import TRANSITIONS

    in_table = {action for (_, action) in TRANSITIONS}
    assert set(EFFECTS) <= in_table
    assert in_table - set(EFFECTS) == {Action.REFUSE, Action.WITHDRAW, Action.STOP}


def test_the_queue_shows_first_the_earlier_of_the_steps_and_the_dossiers_deadline() -> None:
    state = at_processing()
    step = state.current_step
    assert step is not None
    step.due_at, state.due_at = T0 + timedelta(days=2), T0 + timedelta(days=5)
    assert state.nearest_due_at == T0 + timedelta(days=2)
    state.due_at = T0 + timedelta(days=1)  # the dossier's own term ends first
    assert state.nearest_due_at == T0 + timedelta(days=1)
    step.due_at = state.due_at = None  # no clock running
    assert state.nearest_due_at is None
