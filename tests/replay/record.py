"""Records the histories replayed by `test_replay.py`: run it when a workflow change is
deliberate and old histories are kept alongside (never overwrite the ones already there).

    .venv/bin/python -m tests.replay.record <label> [scenario ...]

Each scenario runs on the time-skipping server with in-memory activities and is saved as
`tests/replay/histories/<label>-<scenario>.json`."""

from __future__ import annotations

import asyncio
import sys
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from db.seed import DONRE, PROCEDURES, TAX, WARD
from domain.calendar import CalendarOverride
from domain.dossier import ActionRequest, Actor, Applicant, DossierState, ResultKind, Role
from domain.lifecycle import Action
from domain.payment import FeeLineDraft, PaymentConfirmation
from messages import DossierInput
from tests.support import stages
from tests.support.workflows import RecordingProjection, clock_config
from workflows.client import data_converter, run_action
from workflows.dossier import PATCH_LEVEL, DossierWorkflow
from workflows.sandbox import workflow_runner

HISTORIES = Path(__file__).parent / "histories"
BIN = Path(sys.executable).parent
QUEUE = "replay-recording"

LAND = next(p for p in PROCEDURES if p.code == "1.004227")
CLERK = Actor("motcua.tnmt", "Trần Thị Mai", Role.CLERK, DONRE, "H29.14.MC")
WARD_OFFICER = Actor("cc.diachinh", "Quách Thị Diệu", Role.OFFICER, WARD, "H29.31.DC")
VPDK = Actor("cv.vpdk", "Hoàng Văn Nam", Role.OFFICER, DONRE, "H29.14.VPDK")
TAX_OFFICER = Actor("cv.thue", "Đinh Công Sơn", Role.OFFICER, TAX, "H29.22.TB")
QLDD = Actor("cv.qldd", "Đặng Quốc Bảo", Role.OFFICER, DONRE, "H29.14.QLDD")
DONRE_HEAD = Actor("gd.tnmt", "Nguyễn Văn Hùng", Role.AGENCY_HEAD, DONRE, "H29.14.QLDD")

Scenario = Callable[[WorkflowEnvironment, WorkflowHandle], Awaitable[None]]  # type: ignore[type-arg]


async def full_route(env: WorkflowEnvironment, h: WorkflowHandle) -> None:  # type: ignore[type-arg]
    await run_action(h, ActionRequest(Action.ACCEPT, actor=CLERK))
    await run_action(h, ActionRequest(Action.FORWARD, actor=CLERK))
    await env.sleep(timedelta(days=9))  # the ward step runs late: warning and escalations
    await run_action(
        h,
        ActionRequest(
            Action.REQUEST_SUPPLEMENT,
            actor=WARD_OFFICER,
            reason="Thiếu giấy tờ",
            items=["Sơ đồ thửa đất"],
        ),
    )
    await env.sleep(timedelta(days=2))
    await run_action(h, ActionRequest(Action.SUPPLEMENT, actor=CLERK))
    await run_action(h, ActionRequest(Action.FORWARD, actor=WARD_OFFICER))
    state = await h.query(DossierWorkflow.current)
    await run_action(
        h,
        ActionRequest(
            Action.APOLOGIZE,
            actor=DONRE_HEAD,
            reason="Chờ đo đạc",
            new_due=state.due_at + timedelta(days=3),
        ),
    )
    await run_action(h, ActionRequest(Action.RETURN, actor=VPDK, note="bổ sung"))
    await run_action(h, ActionRequest(Action.FORWARD, actor=WARD_OFFICER))
    await run_action(h, ActionRequest(Action.FORWARD, actor=VPDK))
    await run_action(h, ActionRequest(Action.FORWARD, actor=TAX_OFFICER))
    await run_action(h, ActionRequest(Action.RESOLVE, actor=QLDD, result_kind=ResultKind.APPROVAL))
    await run_action(h, ActionRequest(Action.DELIVER, actor=CLERK))
    await run_action(h, ActionRequest(Action.RATE, actor=CLERK, rating=5))


async def stopped(env: WorkflowEnvironment, h: WorkflowHandle) -> None:  # type: ignore[type-arg]
    await run_action(h, ActionRequest(Action.ACCEPT, actor=CLERK))
    await run_action(h, ActionRequest(Action.FORWARD, actor=CLERK))
    await run_action(
        h,
        ActionRequest(
            Action.REQUEST_SUPPLEMENT, actor=WARD_OFFICER, reason="Thiếu giấy tờ", items=["Sơ đồ"]
        ),
    )
    await env.sleep(timedelta(days=60))


async def calendar_change(env: WorkflowEnvironment, h: WorkflowHandle) -> None:  # type: ignore[type-arg]
    await run_action(h, ActionRequest(Action.ACCEPT, actor=CLERK))
    await run_action(h, ActionRequest(Action.FORWARD, actor=CLERK))
    state = await h.query(DossierWorkflow.current)
    day = state.steps[0].started_at.date() + timedelta(days=1)
    override = CalendarOverride(day=day, kind="day_off", name="Nghỉ theo quyết định")
    await h.signal(DossierWorkflow.calendar_changed, clock_config((override,), version="v2"))
    await env.sleep(timedelta(days=3))
    await run_action(h, ActionRequest(Action.WITHDRAW, actor=CLERK, reason="Công dân rút hồ sơ"))


async def tax_obligation(env: WorkflowEnvironment, h: WorkflowHandle) -> None:  # type: ignore[type-arg]
    await run_action(h, ActionRequest(Action.ACCEPT, actor=CLERK))
    await run_action(h, ActionRequest(Action.FORWARD, actor=CLERK))
    await run_action(h, ActionRequest(Action.FORWARD, actor=WARD_OFFICER))
    await run_action(h, ActionRequest(Action.FORWARD, actor=VPDK))
    lines = [FeeLineDraft("TNCN", "Thuế thu nhập cá nhân", 3_000_000)]
    await run_action(h, ActionRequest(Action.REQUEST_PAYMENT, actor=TAX_OFFICER, fee_lines=lines))
    await env.sleep(timedelta(hours=1))
    state = await h.query(DossierWorkflow.current)
    payment = state.payments[-1]
    await h.execute_update(
        DossierWorkflow.confirm_payment,
        PaymentConfirmation(
            reference=payment.reference,
            amount=payment.amount,
            gateway_txn=f"GD-{payment.reference}",
            result_code="00",
        ),
    )
    await run_action(h, ActionRequest(Action.FORWARD, actor=TAX_OFFICER))
    await run_action(h, ActionRequest(Action.RESOLVE, actor=QLDD, result_kind=ResultKind.APPROVAL))
    await run_action(h, ActionRequest(Action.DELIVER, actor=CLERK))


async def parallel(env: WorkflowEnvironment, h: WorkflowHandle) -> None:  # type: ignore[type-arg]
    """A parallel consultation of three agencies: two answer, the third runs late (warned,
    escalated), the decision returns the dossier to the consultation, all answer again."""
    await run_action(h, ActionRequest(Action.ACCEPT, actor=stages.CLERK))
    await run_action(h, ActionRequest(Action.FORWARD, actor=stages.CLERK))
    await run_action(h, ActionRequest(Action.FORWARD, actor=stages.QLDD))
    await env.sleep(timedelta(hours=2))
    await run_action(h, ActionRequest(Action.FORWARD, actor=stages.TAX_OFFICER))
    await run_action(h, ActionRequest(Action.TAKE, actor=stages.DOC_OFFICER))
    await run_action(h, ActionRequest(Action.FORWARD, actor=stages.DOC_OFFICER))
    await env.sleep(timedelta(days=8))  # the ward's branch runs late
    await run_action(h, ActionRequest(Action.FORWARD, actor=stages.WARD_OFFICER))
    await run_action(h, ActionRequest(Action.RETURN, actor=stages.VPDK, note="xin ý kiến lại"))
    for officer in (stages.WARD_OFFICER, stages.TAX_OFFICER, stages.DOC_OFFICER):
        await run_action(h, ActionRequest(Action.FORWARD, actor=officer))
    await run_action(
        h, ActionRequest(Action.RESOLVE, actor=stages.VPDK, result_kind=ResultKind.APPROVAL)
    )
    await run_action(h, ActionRequest(Action.DELIVER, actor=stages.CLERK))


SCENARIOS: dict[str, Scenario] = {
    "tax-obligation": tax_obligation,
    "full-route": full_route,
    "stopped": stopped,
    "calendar-change": calendar_change,
    "parallel": parallel,
}
#: The procedure a scenario runs (the land registration unless named here).
PROCEDURE_OF = {"parallel": stages.PARALLEL}


async def record(label: str, only: list[str]) -> None:
    """Record every scenario (or those named in `only`) as `<label>-<scenario>.json`."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(BIN / "temporal-test-server"),
        data_converter=data_converter,
    )
    client: Client = env.client
    fakes = RecordingProjection()
    async with Worker(
        client,
        task_queue=QUEUE,
        workflows=[DossierWorkflow],
        activities=fakes.activities(),
        workflow_runner=workflow_runner(),
    ):
        for name, scenario in SCENARIOS.items():
            if only and name not in only:
                continue
            code = f"{DONRE}-261123-{uuid.uuid4().int % 10_000:04d}"
            state = DossierState.new(
                code=code,
                procedure=PROCEDURE_OF.get(name, LAND),
                channel=2,
                applicant=Applicant(name="Nguyễn Văn An"),
                submitted_at=datetime.now(UTC),
            )
            handle = await client.start_workflow(
                DossierWorkflow.run,
                DossierInput(
                    state=state,
                    rating_window_days=1,
                    config=clock_config(),  # as the API starts one (`api.engine.start`)
                    patch_level=PATCH_LEVEL,
                ),
                id=f"dossier-{code}",
                task_queue=QUEUE,
            )
            await scenario(env, handle)
            await env.sleep(timedelta(days=2))
            history = await handle.fetch_history()
            target = HISTORIES / f"{label}-{name}.json"
            target.write_text(history.to_json())
            print(f"recorded {target} ({len(history.events)} events)")
    await env.shutdown()


if __name__ == "__main__":
    asyncio.run(record(sys.argv[1] if len(sys.argv) > 1 else "v1", sys.argv[2:]))
