"""DossierWorkflow on the time-skipping server: updates, validators, queries, completion."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from db.seed import DONRE, PROCEDURES, TAX, WARD
from domain.dossier import ActionRequest, Actor, Applicant, DossierState, ResultKind, Role
from domain.lifecycle import Action, Status
from messages import ActionOutcome, DossierInput
from tests.support.workflows import Harness, clock_config
from workflows.client import run_action
from workflows.dossier import PATCH_LEVEL, DossierWorkflow

LAND = next(p for p in PROCEDURES if p.code == "1.004227")
CLERK = Actor("motcua.tnmt", "Trần Thị Mai", Role.CLERK, DONRE, "H29.14.MC")
OFFICERS = [
    Actor("cc.diachinh", "Quách Thị Diệu", Role.OFFICER, WARD, "H29.31.DC"),
    Actor("cv.vpdk", "Hoàng Văn Nam", Role.OFFICER, DONRE, "H29.14.VPDK"),
    Actor("cv.thue", "Đinh Công Sơn", Role.OFFICER, TAX, "H29.22.TB"),
]
LAST = Actor("cv.qldd", "Đặng Quốc Bảo", Role.OFFICER, DONRE, "H29.14.QLDD")


async def start(  # type: ignore[type-arg]
    harness: Harness, rating_window_days: int = 30, *, patch_level: int | None = None
) -> WorkflowHandle:
    """With `patch_level`, as the API starts a dossier (`api.engine.start`): the clock's
    configuration in the input and that patch level."""
    code = f"{DONRE}-261123-{uuid.uuid4().int % 10_000:04d}"
    state = DossierState.new(
        code=code,
        procedure=LAND,
        channel=2,
        applicant=Applicant(name="Nguyễn Văn An"),
        submitted_at=datetime.now(UTC),
    )
    return await harness.env.client.start_workflow(
        DossierWorkflow.run,
        DossierInput(
            state=state,
            rating_window_days=rating_window_days,
            config=None if patch_level is None else clock_config(),
            patch_level=patch_level or 0,
        ),
        id=f"dossier-{code}-{uuid.uuid4().hex[:4]}",
        task_queue=harness.task_queue,
    )


async def test_lifecycle_through_updates_and_completion(harness: Harness) -> None:
    handle = await start(harness, rating_window_days=10)
    outcome = await run_action(handle, ActionRequest(Action.ACCEPT, actor=CLERK))
    assert outcome.status == "received" and outcome.due_at is not None
    await run_action(handle, ActionRequest(Action.FORWARD, actor=CLERK))
    for officer in OFFICERS:
        await run_action(handle, ActionRequest(Action.FORWARD, actor=officer))
    await run_action(
        handle, ActionRequest(Action.RESOLVE, actor=LAST, result_kind=ResultKind.APPROVAL)
    )
    outcome = await run_action(handle, ActionRequest(Action.DELIVER, actor=CLERK))
    assert outcome.status == "returned" and outcome.portal_code == 10
    state = await handle.query(DossierWorkflow.current)
    assert state.status == Status.RETURNED and state.seq == 7
    # the workflow stays open for the rating window, then completes by itself
    await harness.env.sleep(timedelta(days=11))
    assert await handle.result() == "returned"
    code = state.code
    assert harness.projection.actions(code) == [
        "submit",
        "accept",
        "forward",
        "forward",
        "forward",
        "forward",
        "resolve",
        "deliver",
    ]


async def test_illegal_update_is_rejected_before_anything_is_written(harness: Harness) -> None:
    handle = await start(harness)
    await run_action(handle, ActionRequest(Action.ACCEPT, actor=CLERK))
    written = len(harness.projection.events)
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await run_action(handle, ActionRequest(Action.DELIVER, actor=CLERK))
    cause = caught.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "IllegalTransition"
    assert cause.details[0]["status"] == "received"
    assert "forward" in cause.details[0]["allowed_actions"]
    assert len(harness.projection.events) == written
    state = await handle.query(DossierWorkflow.current)
    assert state.status == Status.RECEIVED and state.seq == 1


async def test_invalid_input_and_wrong_agency_are_rejected(harness: Harness) -> None:
    handle = await start(harness)
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await run_action(handle, ActionRequest(Action.REFUSE, actor=CLERK))
    assert caught.value.cause.type == "InvalidAction"  # type: ignore[union-attr]
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await run_action(handle, ActionRequest(Action.ACCEPT, actor=OFFICERS[2]))
    assert caught.value.cause.type == "Forbidden"  # type: ignore[union-attr]


async def test_withdrawn_dossier_completes(harness: Harness) -> None:
    handle = await start(harness)
    await run_action(
        handle, ActionRequest(Action.WITHDRAW, actor=CLERK, reason="Công dân rút hồ sơ")
    )
    assert await handle.result() == "withdrawn"


async def test_an_update_that_is_no_action_or_cannot_be_read_is_refused_and_changes_nothing(
    harness: Harness,
) -> None:
    handle = await start(harness)
    with pytest.raises(WorkflowUpdateFailedError) as unknown:
        await handle.execute_update("stop", ActionRequest(Action.STOP, actor=CLERK))
    cause = unknown.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "InvalidAction"
    assert "'stop' is not an action" in cause.message
    with pytest.raises(WorkflowUpdateFailedError) as garbled:
        await handle.execute_update("accept", {"actor": {"username": 5}})
    cause = garbled.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "InvalidAction"
    assert "the accept request cannot be read" in cause.message
    state = await handle.query(DossierWorkflow.current)
    assert state.status == Status.SUBMITTED and state.seq == 0


async def test_an_action_named_by_its_update_takes_the_updates_action(harness: Harness) -> None:
    """The update's name says the action: a payload naming another one does not change it."""
    handle = await start(harness)
    outcome = await handle.execute_update(
        "accept", ActionRequest(Action.REFUSE, actor=CLERK), result_type=ActionOutcome
    )
    assert outcome.status == "received"


async def test_a_dossier_started_at_the_patch_level_records_no_patch_and_fetches_no_config(
    harness: Harness,
) -> None:
    """Its history holds only its own events: no patch markers, no TemporalChangeVersion
    upserts, no activity to load the clock; it behaves as a patched one."""
    handle = await start(harness, patch_level=PATCH_LEVEL)
    await run_action(handle, ActionRequest(Action.ACCEPT, actor=CLERK))
    await run_action(handle, ActionRequest(Action.FORWARD, actor=CLERK))
    history = await handle.fetch_history()
    kinds = {EventType.Name(e.event_type) for e in history.events}
    assert "EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES" not in kinds
    assert "EVENT_TYPE_ACTIVITY_TASK_SCHEDULED" not in kinds  # the projection is local
    markers = [
        e.marker_recorded_event_attributes.marker_name
        for e in history.events
        if e.HasField("marker_recorded_event_attributes")
    ]
    assert markers and set(markers) == {"core_local_activity"}  # the projections, no patch
    code = (await handle.query(DossierWorkflow.current)).code
    assert harness.projection.actions(code) == ["submit", "accept", "forward"]
    # the same dossier at level 0 asks for its patches, as every history before levels
    old = await start(harness, patch_level=0)
    await run_action(old, ActionRequest(Action.ACCEPT, actor=CLERK))
    markers = {
        e.marker_recorded_event_attributes.marker_name
        for e in (await old.fetch_history()).events
        if e.HasField("marker_recorded_event_attributes")
    }
    assert "core_patch" in markers
