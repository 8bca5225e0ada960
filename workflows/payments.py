"""The payment steps of DossierWorkflow (thu phí, lệ phí và nghĩa vụ tài chính): officers set
an obligation, the clerk records money taken at the desk, the gateway's confirmations arrive
as an Update, and the workflow's own timers INIT payments and reconcile them with QUERY when
no callback came. The rules live in `domain.dossier` / `domain.payment`."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import TYPE_CHECKING

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.payments import PaymentActivities
    from domain import actions, statutory
    from domain.calendar import WorkCalendar
    from domain.dossier import GATEWAY_ACTOR, ActionRequest, DossierEvent, DossierState
    from domain.lifecycle import Action
    from domain.payment import CallbackRejected, PaymentConfirmation, PaymentState
    from domain.statutory import ClockConfig, Timer
    from messages import (
        GATEWAY_RETRY,
        GATEWAY_SCHEDULE_TIMEOUT,
        GATEWAY_TIMEOUT,
        PaymentOutcome,
        Refusal,
    )


def payment_rejection(exc: CallbackRejected) -> ApplicationError:
    """A refused confirmation as a non-retryable error the API maps to 404/409."""
    return ApplicationError(
        exc.message,
        {"reason": exc.reason_code.value},
        type=Refusal.PAYMENT_REJECTED,
        non_retryable=True,
    )


class PaymentSteps:
    """Mixed into DossierWorkflow, whose state, lock, clock and projection it uses."""

    state: DossierState
    _lock: asyncio.Lock
    _changed: bool
    _ready: bool
    _config: ClockConfig | None
    _calendar: WorkCalendar | None

    if TYPE_CHECKING:

        async def _project(self, event: DossierEvent) -> None: ...

    # ------------------------------------------------------------------ updates

    @workflow.update
    async def confirm_payment(self, confirmation: PaymentConfirmation) -> PaymentOutcome:
        """The gateway's authentic word on a payment (its checksum was verified by the API):
        recorded once, whatever the number of callbacks."""
        await workflow.wait_condition(lambda: self._ready)
        async with self._lock:
            return await self._confirm(confirmation)

    @confirm_payment.validator
    def _v_confirm_payment(self, confirmation: PaymentConfirmation) -> None:
        try:
            self.state.check_confirmation(confirmation)
        except CallbackRejected as exc:
            raise payment_rejection(exc) from None

    # ------------------------------------------------------------------ internals

    async def _confirm(self, confirmation: PaymentConfirmation) -> PaymentOutcome:
        """Apply a confirmation; the caller holds the lock."""
        now = workflow.now()
        source = self.state.status
        try:
            event = self.state.confirm_payment(confirmation, now)
        except CallbackRejected as exc:
            raise payment_rejection(exc) from None
        if event is None:
            return self._payment_outcome("duplicate", confirmation.reference)
        if event.action == Action.PAY.value:
            assert self._calendar is not None
            request = ActionRequest(action=Action.PAY, actor=GATEWAY_ACTOR)
            actions.settled(self.state, request, source, now, self._calendar, self._config)
        self._changed = True
        await self._project(event)
        outcome = "failed" if event.action == "payment-failed" else "paid"
        return self._payment_outcome(outcome, confirmation.reference)

    def _payment_outcome(self, outcome: str, reference: str) -> PaymentOutcome:
        return PaymentOutcome(
            outcome=outcome, reference=reference, status=self.state.status.value, seq=self.state.seq
        )

    async def _payment_timer(self, timer: Timer) -> None:
        """INIT or QUERY the payment whose moment has come. The gateway is called outside the
        lock, so clerks and callbacks are never held by it; an unreachable gateway is tried
        again later by the next timer."""
        async with self._lock:
            assert self._config is not None and self._calendar is not None
            if statutory.next_timer(self.state, self._config, self._calendar) != timer:
                return  # an action or a callback that just ran moved it
            payment = self.state.payment(timer.reference)
            if payment is None or not payment.outstanding:
                return
            init = payment.as_request(self.state.code, self.state.procedure.code)
        try:
            if timer.kind == "payment-init":
                initiated = await workflow.execute_activity_method(
                    PaymentActivities.init,
                    init,
                    start_to_close_timeout=GATEWAY_TIMEOUT,
                    schedule_to_close_timeout=GATEWAY_SCHEDULE_TIMEOUT,
                    retry_policy=GATEWAY_RETRY,
                )
            else:
                queried = await workflow.execute_activity_method(
                    PaymentActivities.query,
                    payment.reference,
                    start_to_close_timeout=GATEWAY_TIMEOUT,
                    schedule_to_close_timeout=GATEWAY_SCHEDULE_TIMEOUT,
                    retry_policy=GATEWAY_RETRY,
                )
        except ActivityError as error:
            cause = error.cause or error
            workflow.logger.warning(
                "payment %s: gateway %s failed: %s", payment.reference, timer.kind, cause
            )
            async with self._lock:
                if payment.outstanding:
                    payment.gateway_unreachable(workflow.now(), str(cause))
            return
        async with self._lock:
            now = workflow.now()
            if not payment.outstanding:
                return  # a callback settled it while we asked
            if timer.kind == "payment-init":
                payment.initiated(
                    payment_url=initiated.payment_url,
                    gateway_txn=initiated.gateway_txn,
                    now=now,
                    query_every=timedelta(seconds=initiated.query_after_seconds),
                )
                await self._reproject(f"{payment.amount:,} đồng payable at {payment.payment_url}")
                return
            if queried.state in (PaymentState.PAID, PaymentState.FAILED):
                confirmation = PaymentConfirmation.from_query(
                    payment.reference, queried.state, queried.amount, queried.gateway_txn
                )
                try:
                    await self._confirm(confirmation)
                except ApplicationError as refused:
                    workflow.logger.error(
                        "payment %s: QUERY refused: %s", payment.reference, refused
                    )
            if payment.outstanding:
                payment.still_pending(now)

    async def _reproject(self, note: str) -> None:
        """Write the state to the read model without a new timeline line (the projection
        skips an event sequence it already holds)."""
        await self._project(
            DossierEvent(
                seq=self.state.seq,
                action="payment-initiated",
                actor=GATEWAY_ACTOR.username,
                actor_name=GATEWAY_ACTOR.full_name,
                at=workflow.now(),
                from_status=self.state.status,
                to_status=self.state.status,
                step_index=self.state.step_index,
                note=note,
            )
        )
