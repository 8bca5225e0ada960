"""The statutory clock inside DossierWorkflow, on the time-skipping server: weeks of working
days in milliseconds. Expected moments come from the pure clock applied to the moments the
workflow recorded."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError

from db.seed import DONRE, PROCEDURES, WARD
from domain.calendar import CalendarOverride, WorkCalendar
from domain.clock import add_working_time, subtract_working_time, working_time_between
from domain.dossier import ActionRequest, Actor, Applicant, DossierState, Role
from domain.lifecycle import Action, Status
from messages import DossierInput
from tests.support.workflows import Harness, clock_config
from workflows.client import run_action
from workflows.dossier import DossierWorkflow

LAND = next(p for p in PROCEDURES if p.code == "1.004227")  # restart policy, 4 steps
TRANSFER = next(p for p in PROCEDURES if p.code == "1.003010")  # pause policy
CLERK = Actor("motcua.tnmt", "Trần Thị Mai", Role.CLERK, DONRE, "H29.14.MC")
WARD_OFFICER = Actor("cc.diachinh", "Quách Thị Diệu", Role.OFFICER, WARD, "H29.31.DC")
VPDK = Actor("cv.vpdk", "Hoàng Văn Nam", Role.OFFICER, DONRE, "H29.14.VPDK")
DONRE_HEAD = Actor("gd.tnmt", "Nguyễn Văn Hùng", Role.AGENCY_HEAD, DONRE, "H29.14.QLDD")
DAY = 480  # working minutes in a working day


def calendar() -> WorkCalendar:
    return clock_config().work_calendar()


async def start(harness: Harness, procedure=LAND, config=None) -> WorkflowHandle:  # type: ignore[no-untyped-def,type-arg]
    code = f"{procedure.agency_code}-261123-{uuid.uuid4().int % 10_000:04d}"
    state = DossierState.new(
        code=code,
        procedure=procedure,
        channel=2,
        applicant=Applicant(name="Nguyễn Văn An"),
        submitted_at=datetime.now(UTC),
    )
    return await harness.env.client.start_workflow(
        DossierWorkflow.run,
        DossierInput(state=state, config=config or clock_config()),
        id=f"dossier-{code}-{uuid.uuid4().hex[:6]}",
        task_queue=harness.task_queue,
    )


async def state_of(handle: WorkflowHandle) -> DossierState:  # type: ignore[type-arg]
    return await handle.query(DossierWorkflow.current)


async def at_first_step(harness: Harness, **kw) -> tuple[WorkflowHandle, DossierState]:  # type: ignore[no-untyped-def,type-arg]
    handle = await start(harness, **kw)
    await run_action(handle, ActionRequest(Action.ACCEPT, actor=CLERK))
    await run_action(handle, ActionRequest(Action.FORWARD, actor=CLERK))
    return handle, await state_of(handle)


def close(a: datetime, b: datetime) -> bool:
    return abs(a - b) <= timedelta(seconds=2)


async def test_due_moments_follow_the_working_calendar(harness: Harness) -> None:
    handle, state = await at_first_step(harness)
    cal = calendar()
    assert state.received_at is not None and state.due_at is not None
    step = state.steps[0]
    assert step.started_at is not None and step.due_at is not None
    assert step.due_at == add_working_time(cal, step.started_at, 5 * DAY)
    view = await handle.query(DossierWorkflow.deadline)
    assert view.explanation and "20 working days" in view.explanation[0]
    assert view.steps[0].due_at == step.due_at


async def test_warning_then_escalation_ladder_at_exact_moments(harness: Harness) -> None:
    handle, state = await at_first_step(harness)
    cal = calendar()
    due = state.steps[0].due_at
    assert due is not None
    warning_at = subtract_working_time(cal, due, DAY)
    level2_at = add_working_time(cal, due, 2 * DAY)
    level3_at = add_working_time(cal, level2_at, 2 * DAY)

    await harness.env.sleep(level3_at - await harness.env.get_current_time() + timedelta(hours=1))
    notices = harness.projection.notices_of(state.code)
    step_notices = [n for n in notices if n.timer.step_index == 0]
    kinds = [(n.timer.kind, n.timer.level) for n in step_notices]
    assert kinds == [("warning", 0), ("escalation", 1), ("escalation", 2), ("escalation", 3)]
    fired = [n.event.at for n in step_notices]
    for actual, expected in zip(fired, [warning_at, due, level2_at, level3_at], strict=True):
        assert close(actual, expected), (actual, expected)
    assert {n.timer.unit_code for n in step_notices} == {"H29.31.DC"}
    assert {n.timer.agency_code for n in step_notices} == {WARD}
    # each recorded exactly once, and listed on the dossier (the step's: on a loaded machine
    # the server may already be firing the dossier's own warning, recorded but not yet listed)
    keys = [n.timer.key for n in notices]
    assert len(keys) == len(set(keys))
    assert {n.timer.key for n in step_notices} <= set((await state_of(handle)).notices_sent)


async def test_forwarding_in_time_cancels_the_escalation(harness: Harness) -> None:
    handle, state = await at_first_step(harness)
    await harness.env.sleep(timedelta(days=1))
    await run_action(handle, ActionRequest(Action.FORWARD, actor=WARD_OFFICER))
    due = state.steps[0].due_at
    assert due is not None
    await harness.env.sleep(due - await harness.env.get_current_time() + timedelta(days=1))
    notices = harness.projection.notices_of(state.code)
    assert not [n for n in notices if n.timer.step_index == 0 and n.timer.kind == "escalation"]


async def test_apology_once_before_the_due_moment(harness: Harness) -> None:
    handle, _ = await at_first_step(harness)
    await run_action(handle, ActionRequest(Action.FORWARD, actor=WARD_OFFICER))
    state = await state_of(handle)
    assert state.due_at is not None
    new_due = state.due_at + timedelta(days=7)
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await run_action(
            handle,
            ActionRequest(
                Action.APOLOGIZE, actor=DONRE_HEAD, reason="chờ đo đạc", new_due=state.due_at
            ),
        )
    assert caught.value.cause.type == "InvalidAction"  # type: ignore[union-attr]
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await run_action(
            handle,
            ActionRequest(Action.APOLOGIZE, actor=VPDK, reason="chờ đo đạc", new_due=new_due),
        )
    assert caught.value.cause.type == "Forbidden"  # type: ignore[union-attr]
    outcome = await run_action(
        handle,
        ActionRequest(
            Action.APOLOGIZE, actor=DONRE_HEAD, reason="chờ kết quả đo đạc", new_due=new_due
        ),
    )
    assert outcome.due_at == new_due
    after = await state_of(handle)
    assert after.apologised and after.original_due_at == state.due_at
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await run_action(
            handle,
            ActionRequest(
                Action.APOLOGIZE,
                actor=DONRE_HEAD,
                reason="lần hai",
                new_due=new_due + timedelta(days=1),
            ),
        )
    assert caught.value.cause.type == "IllegalTransition"  # type: ignore[union-attr]
    assert "only once" in str(caught.value.cause)


async def test_apology_after_the_due_moment_is_refused(harness: Harness) -> None:
    handle, _ = await at_first_step(harness)
    await run_action(handle, ActionRequest(Action.FORWARD, actor=WARD_OFFICER))
    state = await state_of(handle)
    assert state.due_at is not None
    await harness.env.sleep(
        state.due_at - await harness.env.get_current_time() + timedelta(hours=1)
    )
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await run_action(
            handle,
            ActionRequest(
                Action.APOLOGIZE,
                actor=DONRE_HEAD,
                reason="muộn",
                new_due=state.due_at + timedelta(days=9),
            ),
        )
    assert "has passed" in str(caught.value.cause)


async def _supplement_round(harness: Harness, procedure, wait: timedelta):  # type: ignore[no-untyped-def]
    handle = await start(harness, procedure=procedure)
    await run_action(handle, ActionRequest(Action.ACCEPT, actor=CLERK))
    await run_action(handle, ActionRequest(Action.FORWARD, actor=CLERK))
    officer = VPDK if procedure is TRANSFER else WARD_OFFICER
    before = await state_of(handle)
    await harness.env.sleep(timedelta(hours=2))
    await run_action(
        handle,
        ActionRequest(
            Action.REQUEST_SUPPLEMENT,
            actor=officer,
            reason="Thiếu giấy tờ",
            items=["Sơ đồ thửa đất"],
        ),
    )
    paused = await state_of(handle)
    assert paused.status == Status.SUPPLEMENT_REQUESTED and paused.due_at is None
    await harness.env.sleep(wait)
    await run_action(handle, ActionRequest(Action.SUPPLEMENT, actor=CLERK))
    return before, paused, await state_of(handle)


async def test_pause_policy_delays_by_exactly_the_waiting_time(harness: Harness) -> None:
    before, paused, after = await _supplement_round(harness, TRANSFER, timedelta(days=3))
    cal = calendar()
    requested = paused.supplement_rounds[-1].requested_at
    supplied = after.supplement_rounds[-1].supplied_at
    assert before.due_at is not None and after.due_at is not None and supplied is not None
    waited = working_time_between(cal, requested, supplied)
    assert after.due_at == add_working_time(cal, before.due_at, waited)
    assert after.status == Status.PROCESSING


async def test_restart_policy_starts_the_term_again(harness: Harness) -> None:
    _, _, after = await _supplement_round(harness, LAND, timedelta(days=3))
    cal = calendar()
    supplied = after.supplement_rounds[-1].supplied_at
    assert supplied is not None and after.due_at is not None
    from domain.clock import clock_start

    assert after.due_at == add_working_time(cal, clock_start(cal, supplied), 20 * DAY)
    assert after.ledger[-1].kind == "restart"


async def test_waiting_limit_stops_the_dossier(harness: Harness) -> None:
    handle, _ = await at_first_step(harness)
    await run_action(
        handle,
        ActionRequest(
            Action.REQUEST_SUPPLEMENT, actor=WARD_OFFICER, reason="Thiếu giấy tờ", items=["Sơ đồ"]
        ),
    )
    await harness.env.sleep(timedelta(days=60))
    assert await handle.result() == "stopped"
    state = await state_of(handle)
    requested = state.supplement_rounds[-1].requested_at
    limit = add_working_time(calendar(), requested, 30 * DAY)
    assert state.finished_at is not None and close(state.finished_at, limit)


async def test_calendar_override_moves_a_pending_escalation(harness: Harness) -> None:
    handle, state = await at_first_step(harness)
    cal = calendar()
    due = state.steps[0].due_at
    assert due is not None and state.steps[0].started_at is not None
    # an extra day off on the first working day after the step started
    day = state.steps[0].started_at.date() + timedelta(days=1)
    while not cal.is_working_day(day):
        day += timedelta(days=1)
    override = CalendarOverride(day=day, kind="day_off", name="Nghỉ bù theo quyết định")
    config = clock_config((override,), version="with-override")
    await handle.signal(DossierWorkflow.calendar_changed, config)
    moved = (await state_of(handle)).steps[0].due_at
    new_cal = config.work_calendar()
    assert moved == add_working_time(new_cal, state.steps[0].started_at, 5 * DAY)
    assert moved is not None and moved > due
    await harness.env.sleep(moved - await harness.env.get_current_time() + timedelta(minutes=30))
    escalations = [
        n
        for n in harness.projection.notices_of(state.code)
        if n.timer.kind == "escalation" and n.timer.level == 1
    ]
    assert len(escalations) == 1 and close(escalations[0].event.at, moved)
    assert "calendar-changed" in harness.projection.actions(state.code)
