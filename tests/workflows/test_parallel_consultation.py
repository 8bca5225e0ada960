"""A parallel consultation of three agencies inside DossierWorkflow on the time-skipping
server: one agency is late; only its branch is warned, escalated and blamed, and the dossier
moves on once all three have answered."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError

from activities.clock import ClockActivities
from activities.notify import LogChannel
from db.clock_models import Escalation
from db.projection import new_row
from domain.clock import add_working_time
from domain.dossier import ActionRequest, Applicant, DossierState, ResultKind
from domain.lifecycle import Action, Status
from domain.outcomes import Verdict
from messages import DossierInput
from tests.support.stages import (
    CLERK,
    DOC_OFFICER,
    LAND,
    PARALLEL,
    QLDD,
    TAX_OFFICER,
    VPDK,
    WARD_OFFICER,
    WARD_UNIT_HEAD,
)
from tests.support.workflows import Harness, clock_config
from workflows.client import run_action
from workflows.dossier import DossierWorkflow

DAY = 480


async def state_of(handle: WorkflowHandle) -> DossierState:  # type: ignore[type-arg]
    return await handle.query(DossierWorkflow.current)


async def at_consultation(harness: Harness) -> WorkflowHandle:  # type: ignore[type-arg]
    code = f"{PARALLEL.agency_code}-261123-{uuid.uuid4().int % 10_000:04d}"
    state = DossierState.new(
        code=code,
        procedure=PARALLEL,
        channel=2,
        applicant=Applicant(name="Nguyễn Văn An"),
        submitted_at=datetime.now(UTC),
    )
    handle = await harness.env.client.start_workflow(
        DossierWorkflow.run,
        DossierInput(state=state, config=clock_config()),
        id=f"dossier-{code}-{uuid.uuid4().hex[:6]}",
        task_queue=harness.task_queue,
    )
    await run_action(handle, ActionRequest(Action.ACCEPT, actor=CLERK))
    await run_action(handle, ActionRequest(Action.FORWARD, actor=CLERK))
    await run_action(handle, ActionRequest(Action.FORWARD, actor=QLDD))
    return handle


async def test_one_late_agency_is_warned_escalated_and_blamed_alone(  # type: ignore[no-untyped-def]
    harness: Harness, sessions
) -> None:
    handle = await at_consultation(harness)
    cal = clock_config().work_calendar()
    state = await state_of(handle)
    assert [s.unit_code for s in state.current_steps] == ["H29.22.TB", "H29.20.CPXD", "H29.31.DC"]
    ward_due = state.steps[3].due_at
    assert ward_due is not None
    assert {s.due_at for s in state.current_steps} == {ward_due}  # same shares, same start

    await harness.env.sleep(timedelta(hours=2))
    await run_action(handle, ActionRequest(Action.FORWARD, actor=TAX_OFFICER))
    await run_action(handle, ActionRequest(Action.FORWARD, actor=DOC_OFFICER))
    state = await state_of(handle)
    assert state.status == Status.PROCESSING and state.step_index == 1
    assert [s.unit_code for s in state.current_steps] == ["H29.31.DC"]
    with pytest.raises(WorkflowUpdateFailedError):  # the tax office has answered already
        await run_action(handle, ActionRequest(Action.FORWARD, actor=TAX_OFFICER))

    # the ward runs 3.5 working days past its share (the second escalation is 2 days after)
    late_until = add_working_time(cal, ward_due, 3 * DAY + DAY // 2)
    await harness.env.sleep(late_until - await harness.env.get_current_time())
    step_notices = [
        n for n in harness.projection.notices_of(state.code) if n.timer.step_index is not None
    ]
    assert {n.timer.step_index for n in step_notices} == {3}
    assert {(n.timer.unit_code, n.timer.agency_code) for n in step_notices} == {
        ("H29.31.DC", WARD_OFFICER.agency_code)
    }
    kinds = [(n.timer.kind, n.timer.level) for n in step_notices]
    assert kinds == [("warning", 0), ("escalation", 1), ("escalation", 2)]
    assert step_notices[1].timer.target == "unit_head"  # the ward unit's head, from the chart
    assert all(n.event.branch_index == 3 for n in step_notices)
    # written by the real notice writer, the escalation reaches the head of the ward's unit
    async with sessions() as session:
        row = new_row(await state_of(handle))
        row.procedure_code = LAND.code  # the read model's catalogue holds the seeded ones
        session.add(row)
        await session.commit()
    await ClockActivities(sessions, channels=[LogChannel()]).record_notice(step_notices[1])
    async with sessions() as session:
        [row] = await session.scalars(
            select(Escalation).where(Escalation.dossier_code == state.code)
        )
        assert (row.step_index, row.recipient_username) == (3, WARD_UNIT_HEAD)

    await run_action(handle, ActionRequest(Action.FORWARD, actor=WARD_OFFICER))
    state = await state_of(handle)
    assert state.step_index == 4 and state.current_step is not None
    assert state.current_step.unit_code == "H29.14.VPDK"
    await run_action(
        handle, ActionRequest(Action.RESOLVE, actor=VPDK, result_kind=ResultKind.APPROVAL)
    )
    final = await state_of(handle)
    assert final.status == Status.RESOLVED
    assert final.verdict is not None and final.verdict.verdict == Verdict.LATE
    [blame] = final.verdict.attribution
    assert (blame.step_index, blame.unit_code, blame.agency_code) == (
        3,
        "H29.31.DC",
        WARD_OFFICER.agency_code,
    )
    assert blame.overrun_hours == pytest.approx(28, abs=0.1)
