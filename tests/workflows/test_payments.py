"""Payments inside DossierWorkflow on the time-skipping server: the obligation pauses the
clock for exactly the applicant's waiting time, an unpaid obligation stops the dossier at the
waiting limit, a lost callback is recovered through QUERY, online submission fees hold
reception, and a confirmation is recorded once however often it arrives."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError

from db.seed import DONRE, PROCEDURES, WARD
from domain.clock import add_working_time, working_time_between
from domain.dossier import ActionRequest, Actor, Applicant, DossierState, Role
from domain.lifecycle import Action, Status
from domain.payment import FeeLineDraft, PaymentConfirmation, PaymentState
from messages import DossierInput
from tests.support.polling import eventually
from tests.support.workflows import Harness, clock_config
from workflows.client import run_action
from workflows.dossier import DossierWorkflow

LAND = next(p for p in PROCEDURES if p.code == "1.004227")  # 100 000 đồng at submission
CLERK = Actor("motcua.tnmt", "Trần Thị Mai", Role.CLERK, DONRE, "H29.14.MC")
WARD_OFFICER = Actor("cc.diachinh", "Quách Thị Diệu", Role.OFFICER, WARD, "H29.31.DC")
DAY = 480
TAX = [
    FeeLineDraft("TNCN", "Thuế thu nhập cá nhân", 2_500_000),
    FeeLineDraft("LPTB", "Lệ phí trước bạ", 500_000),
]


async def start(harness: Harness, *, pay_online: bool) -> WorkflowHandle:  # type: ignore[type-arg]
    code = f"{LAND.agency_code}-261123-{uuid.uuid4().int % 10_000:04d}"
    state = DossierState.new(
        code=code,
        procedure=LAND,
        channel=2,
        applicant=Applicant(name="Nguyễn Văn An"),
        submitted_at=await harness.env.get_current_time(),
        pay_online=pay_online,
    )
    return await harness.env.client.start_workflow(
        DossierWorkflow.run,
        DossierInput(state=state, config=clock_config()),
        id=f"dossier-{code}-{uuid.uuid4().hex[:6]}",
        task_queue=harness.task_queue,
    )


async def state_of(handle: WorkflowHandle) -> DossierState:  # type: ignore[type-arg]
    return await handle.query(DossierWorkflow.current)


async def awaiting_obligation(
    harness: Harness,
) -> tuple[WorkflowHandle, DossierState, DossierState]:  # type: ignore[type-arg]
    """A dossier at its first step, then asked for the tax obligation: (handle, before, after)."""
    handle = await start(harness, pay_online=False)
    await run_action(handle, ActionRequest(Action.ACCEPT, actor=CLERK))
    await run_action(handle, ActionRequest(Action.FORWARD, actor=CLERK))
    await harness.env.sleep(timedelta(hours=2))
    before = await state_of(handle)
    outcome = await run_action(
        handle, ActionRequest(Action.REQUEST_PAYMENT, actor=WARD_OFFICER, fee_lines=TAX)
    )
    assert outcome.status == "awaiting_payment" and outcome.portal_code == 6
    return handle, before, await state_of(handle)


def confirmation(payment, result_code: str = "00", txn: str | None = None) -> PaymentConfirmation:  # type: ignore[no-untyped-def]
    return PaymentConfirmation(
        reference=payment.reference,
        amount=payment.amount,
        gateway_txn=txn or f"GD-{payment.reference}",
        result_code=result_code,
        paid_at="20261125100000",
    )


async def initiated(handle: WorkflowHandle, reference: str) -> DossierState:  # type: ignore[type-arg]

    def initiated_in(state: DossierState) -> bool:
        payment = state.payment(reference)
        return payment is not None and bool(payment.payment_url)

    return await eventually(
        lambda: state_of(handle), initiated_in, every=0.02, what=f"{reference} initiated"
    )


async def test_obligation_shifts_the_due_moment_by_exactly_the_waiting_time(
    harness: Harness,
) -> None:
    handle, before, paused = await awaiting_obligation(harness)
    obligation = paused.payments[-1]
    assert obligation.amount == 3_000_000 and obligation.reference.endswith("-NV01")
    state = await initiated(handle, obligation.reference)
    assert state.payment(obligation.reference).payment_url.endswith(obligation.reference)  # type: ignore[union-attr]

    await harness.env.sleep(timedelta(days=4, hours=3))
    outcome = await handle.execute_update(DossierWorkflow.confirm_payment, confirmation(obligation))
    assert (outcome.outcome, outcome.status) == ("paid", "processing")

    after = await state_of(handle)
    paid = after.payment(obligation.reference)
    assert paid is not None and paid.state == PaymentState.PAID and paid.paid_at is not None
    cal = clock_config().work_calendar()
    waited = working_time_between(cal, obligation.requested_at, paid.paid_at)
    assert before.due_at is not None and after.due_at is not None
    assert after.due_at == add_working_time(cal, before.due_at, waited)
    assert before.steps[0].due_at is not None
    assert after.steps[0].due_at == add_working_time(cal, before.steps[0].due_at, waited)
    assert [e.kind for e in after.ledger][-2:] == ["pause", "resume"]


async def test_a_confirmation_is_recorded_once(harness: Harness) -> None:
    handle, _, paused = await awaiting_obligation(harness)
    obligation = paused.payments[-1]
    await initiated(handle, obligation.reference)
    first = await handle.execute_update(DossierWorkflow.confirm_payment, confirmation(obligation))
    again = await handle.execute_update(DossierWorkflow.confirm_payment, confirmation(obligation))
    assert first.outcome == "paid" and again.outcome == "duplicate" and again.seq == first.seq
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await handle.execute_update(
            DossierWorkflow.confirm_payment, confirmation(obligation, txn="GD-OTHER")
        )
    assert caught.value.cause.type == "PaymentRejected"  # type: ignore[union-attr]
    state = await state_of(handle)
    assert [p.state for p in state.payments if p.reference == obligation.reference] == [
        PaymentState.PAID
    ]
    assert (
        sum(
            1
            for p in harness.projection.events
            if p.event.action == "pay" and p.state.code == state.code
        )
        == 1
    )


async def test_unpaid_obligation_stops_the_dossier_at_the_waiting_limit(harness: Harness) -> None:
    handle, _, paused = await awaiting_obligation(harness)
    await harness.env.sleep(timedelta(days=60))
    assert await handle.result() == "stopped"
    state = await state_of(handle)
    limit = add_working_time(
        clock_config().work_calendar(), paused.payments[-1].requested_at, 30 * DAY
    )
    assert state.finished_at is not None and abs(state.finished_at - limit) <= timedelta(seconds=2)
    assert state.status == Status.STOPPED


async def test_lost_callback_is_recovered_through_query(harness: Harness) -> None:
    handle, _, paused = await awaiting_obligation(harness)
    reference = paused.payments[-1].reference
    await initiated(handle, reference)
    await harness.env.sleep(timedelta(minutes=20))  # one QUERY: still pending
    assert (await state_of(handle)).status == Status.AWAITING_PAYMENT
    harness.projection.gateway_states[reference] = PaymentState.PAID  # paid, callback lost
    await harness.env.sleep(timedelta(hours=2))
    state = await state_of(handle)
    assert state.status == Status.PROCESSING
    payment = state.payment(reference)
    assert payment is not None and payment.state == PaymentState.PAID
    assert payment.settled_by == "query" and payment.online
    assert harness.projection.queries.count(reference) >= 2


async def test_online_submission_fees_hold_reception_until_paid(harness: Harness) -> None:
    handle = await start(harness, pay_online=True)
    state = await state_of(handle)
    fees = state.payments[0]
    assert fees.amount == 100_000 and fees.online
    await initiated(handle, fees.reference)
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await run_action(handle, ActionRequest(Action.ACCEPT, actor=CLERK))
    assert "not paid yet" in str(caught.value.cause)
    outcome = await handle.execute_update(DossierWorkflow.confirm_payment, confirmation(fees))
    assert (outcome.outcome, outcome.status) == ("paid", "submitted")
    accepted = await run_action(handle, ActionRequest(Action.ACCEPT, actor=CLERK))
    assert accepted.status == "received"
    assert (await state_of(handle)).paid_online


async def test_unpaid_online_submission_is_stopped_at_the_waiting_limit(harness: Harness) -> None:
    handle = await start(harness, pay_online=True)
    await harness.env.sleep(timedelta(days=60))
    assert await handle.result() == "stopped"


async def test_counter_payment_by_the_clerk(harness: Harness) -> None:
    handle, _, paused = await awaiting_obligation(harness)
    with pytest.raises(WorkflowUpdateFailedError):
        await run_action(handle, ActionRequest(Action.PAY, actor=WARD_OFFICER))
    outcome = await run_action(handle, ActionRequest(Action.PAY, actor=CLERK))
    assert outcome.status == "processing"
    payment = (await state_of(handle)).payments[-1]
    assert (
        payment.state == PaymentState.PAID
        and not payment.online
        and payment.settled_by == CLERK.username
    )


async def test_obligation_lines_are_checked(harness: Harness) -> None:
    handle = await start(harness, pay_online=False)
    await run_action(handle, ActionRequest(Action.ACCEPT, actor=CLERK))
    await run_action(handle, ActionRequest(Action.FORWARD, actor=CLERK))
    bad = [FeeLineDraft("TNCN", "Thuế", -5)]
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        await run_action(
            handle, ActionRequest(Action.REQUEST_PAYMENT, actor=WARD_OFFICER, fee_lines=bad)
        )
    assert caught.value.cause.details[0]["field"] == "fee_lines.0.amount"  # type: ignore[union-attr]
    assert (await state_of(handle)).status == Status.PROCESSING
