"""An acting head receives the escalation that fires during the delegation, and the head the
one that fires after it ends: escalations resolve the head when they fire (time-skipping
server, the real clock activities over the real org chart)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select
from temporalio import activity
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.clock import ClockActivities
from activities.notify import LogChannel
from db.clock_models import Escalation
from db.models import Delegation
from domain.clock import add_working_time, working_days_to_minutes
from domain.dossier import ActionRequest, Applicant, DossierState
from domain.lifecycle import Action
from messages import DossierInput, Notice
from tests.clock.test_notifications import a_dossier
from tests.support.workflows import RecordingProjection, clock_config
from tests.workflows.test_statutory_timers import CLERK, LAND, state_of
from workflows.client import run_action
from workflows.dossier import DossierWorkflow
from workflows.sandbox import workflow_runner

UNIT = "H29.31.DC"  # the ward's land unit, headed by pct.bennghe (db/seed.py)
ACTING = "cc.tuphap"


async def test_the_acting_head_receives_the_escalations_of_the_delegation(  # type: ignore[no-untyped-def]
    skipping_env: WorkflowEnvironment, api, login, sessions
) -> None:
    real = ClockActivities(sessions, channels=[LogChannel()])
    projection = RecordingProjection()

    @activity.defn(name="record_notice")
    async def record_notice(notice: Notice) -> list[int]:
        return await real.record_notice(notice)

    kept = [a for a in projection.activities() if getattr(a, "__name__", "") != "record_notice"]
    queue = f"deleg-{uuid.uuid4().hex[:8]}"
    codes = [await a_dossier(api, login), await a_dossier(api, login)]
    calendar = clock_config().work_calendar()
    async with Worker(
        skipping_env.client,
        task_queue=queue,
        workflows=[DossierWorkflow],
        activities=[*kept, record_notice],
        workflow_runner=workflow_runner(),
    ):
        handles = []
        for code in codes:
            state = DossierState.new(
                code=code,
                procedure=LAND,
                channel=2,
                applicant=Applicant(name="Trương Văn Đức"),
                submitted_at=await skipping_env.get_current_time(),
            )
            handle = await skipping_env.client.start_workflow(
                DossierWorkflow.run,
                DossierInput(state=state, config=clock_config()),
                id=f"dossier-{code}-{uuid.uuid4().hex[:6]}",
                task_queue=queue,
            )
            await run_action(handle, ActionRequest(Action.ACCEPT, actor=CLERK))
            await run_action(handle, ActionRequest(Action.FORWARD, actor=CLERK))
            handles.append(handle)
            # the second starts a working day later (a calendar day from a Friday evening
            # would start both clocks on Monday morning)
            now = await skipping_env.get_current_time()
            later = add_working_time(calendar, now, working_days_to_minutes(1, calendar))
            await skipping_env.sleep(later - now)
        first, second = [await state_of(h) for h in handles]
        assert first.steps[0].due_at is not None and second.steps[0].due_at is not None
        assert first.steps[0].unit_code == UNIT
        # the head is away until just after the first dossier's step falls due
        now = await skipping_env.get_current_time()
        ends = first.steps[0].due_at + timedelta(minutes=30)
        assert second.steps[0].due_at > ends
        async with sessions() as session:
            session.add(
                Delegation(
                    unit_code=UNIT,
                    acting_username=ACTING,
                    starts_at=now - timedelta(days=1),
                    ends_at=ends,
                    set_by="admin",
                )
            )
            await session.commit()
        try:
            await skipping_env.sleep(second.steps[0].due_at - now + timedelta(hours=1))
            for handle in handles:
                await state_of(handle)  # the fired timers have been handled
        finally:
            async with sessions() as session:
                for row in await session.scalars(
                    select(Delegation).where(Delegation.acting_username == ACTING)
                ):
                    await session.delete(row)
                await session.commit()
        for handle in handles:
            # no dossier of this test's queue outlives its worker: the time-skipping server
            # would wait for their workflow tasks and hold every later test's clock
            await handle.terminate("the test is over")
        async with sessions() as session:
            reached = {
                (e.dossier_code, e.kind, e.level): e.recipient_username
                for e in await session.scalars(
                    select(Escalation).where(Escalation.dossier_code.in_(codes))  # type: ignore[attr-defined]
                )
            }
    assert reached[(codes[0], "escalation", 1)] == ACTING
    assert reached[(codes[1], "escalation", 1)] == "pct.bennghe"
