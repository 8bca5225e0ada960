"""What the payment routes do: judge the gateway's CONFIRM and pass an authentic one to the
dossier's workflow, and show payments on the dossier detail and the applicant's look-up."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from api import engine
from api.errors import Problem
from api.schemas import FeeOut, PaymentOut, PublicPaymentOut
from db.engine import writing
from db.models import Dossier
from db.payment_models import Payment
from db.payment_repository import dossier_payments, get_payment
from db.refund_models import PaymentRefund
from domain.lifecycle import Status
from domain.payment import (
    CallbackOutcome,
    CallbackRejected,
    PaymentConfirmation,
    PaymentState,
    RejectReason,
    check_callback,
    refund_reason,
    verify_confirm,
)
from domain.text import for_log
from messages import PaymentOutcome, Refusal

log = logging.getLogger("motcua.payments")

#: How a refused callback is answered: the gateway sent something we cannot trust (400), names
#: a payment we never asked for (404), or contradicts the payment we hold (409).
REJECTION_STATUS = {
    RejectReason.MALFORMED: 400,
    RejectReason.BAD_CHECKSUM: 400,
    RejectReason.CURRENCY: 400,
    RejectReason.UNKNOWN_REFERENCE: 404,
    RejectReason.AMOUNT_MISMATCH: 409,
    RejectReason.ALREADY_SETTLED: 409,
}


def _refused(reason: RejectReason, message: str, body: dict[str, Any]) -> Problem:
    log.warning(
        "payment callback refused (%s): %s reference=%s txn=%s",
        reason.value,
        message,
        for_log(body.get("MaThamChieu")),
        for_log(body.get("MaGiaoDich")),
    )
    return Problem(REJECTION_STATUS[reason], message, reason=reason.value)


#: What the gateway is told about money recorded for a refund (MaLoi 00: received, do not
#: send it again; the operator refunds it).
REFUND = "refund"


async def receive_callback(
    *,
    session: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    client: Client,
    body: dict[str, Any],
    secret: str,
) -> PaymentOutcome:
    """Judge a CONFIRM (checksum first, then reference, currency and amount against the
    payment we hold) and hand an authentic one to the dossier's workflow, which records it
    once. A refused callback changes nothing. Money for a dossier already closed, or for a
    fee already paid at the desk, is recorded for a refund and acknowledged."""
    reference = body.get("MaThamChieu")
    row = await get_payment(session, reference=reference) if isinstance(reference, str) else None
    if row is not None:
        refunded = await _refund_if_stranded(session, sessions, row, body, secret)
        if refunded is not None:
            return refunded
    expected = row.as_request() if row is not None and row.online else None
    try:
        decision = check_callback(body, expected, secret)
    except CallbackRejected as error:
        raise _refused(error.reason_code, error.message, body) from None
    assert row is not None
    if decision.outcome == CallbackOutcome.DUPLICATE:
        log.info("payment callback for %s is a duplicate; nothing changes", row.reference)
        return PaymentOutcome("duplicate", row.reference, "", -1)
    try:
        outcome = await engine.confirm_payment(
            client, row.dossier_code, PaymentConfirmation.of(decision)
        )
    except WorkflowUpdateFailedError as error:
        cause = error.cause
        if isinstance(cause, ApplicationError) and cause.type == Refusal.PAYMENT_REJECTED:
            details = cause.details[0] if cause.details else {}
            reason = RejectReason(details.get("reason", RejectReason.MALFORMED.value))
            raise _refused(reason, cause.message, body) from None
        # the dossier moved on (closed) before its read model said so: keep the money's trace
        refunded = await _refund_if_stranded(session, sessions, row, body, secret, closed=True)
        if refunded is None:
            raise
        return refunded
    except RPCError as error:
        if not engine.closed_workflow(error):
            raise
        refunded = await _refund_if_stranded(session, sessions, row, body, secret, closed=True)
        if refunded is None:
            raise
        return refunded
    log.info("payment callback for %s: %s", row.reference, outcome.outcome)
    return outcome


async def _refund_if_stranded(
    session: AsyncSession,
    sessions: async_sessionmaker[AsyncSession],
    row: Payment,
    body: dict[str, Any],
    secret: str,
    *,
    closed: bool = False,
) -> PaymentOutcome | None:
    """Record an authentic success that no open request can take as a refund to make."""
    try:
        verdict = verify_confirm(body, secret)
    except CallbackRejected:
        return None  # malformed: the normal path refuses it
    if not verdict.authentic:
        return None
    dossier = await session.get(Dossier, row.dossier_code)
    status = Status(dossier.status) if dossier is not None else None
    reason = refund_reason(
        verdict.message,
        state=PaymentState(row.state),
        paid_at_desk=not row.online,
        dossier_closed=closed or (status is not None and status.terminal),
    )
    if reason is None:
        return None
    message = verdict.message
    async with writing(sessions) as writer:
        if await writer.get(PaymentRefund, message.gateway_txn) is None:
            writer.add(
                PaymentRefund(
                    gateway_txn=message.gateway_txn,
                    reference=row.reference,
                    dossier_code=row.dossier_code,
                    amount=message.amount,
                    reason=reason.value,
                    gateway_paid_at=message.paid_at[:20],
                    received_at=datetime.now(UTC),
                )
            )
    log.warning(
        "payment %s (%s, %s đồng) recorded for a refund: %s",
        row.reference,
        for_log(message.gateway_txn),
        message.amount,
        reason.value,
    )
    shown = status.value if status is not None else ""
    return PaymentOutcome(outcome=REFUND, reference=row.reference, status=shown, seq=-1)


async def refunds(session: AsyncSession, *, state: str | None) -> list[PaymentRefund]:
    query = select(PaymentRefund).order_by(col(PaymentRefund.received_at).desc())
    if state:
        query = query.where(PaymentRefund.state == state)
    return list((await session.exec(query)).all())


def shown_state(payment: Payment, dossier_status: Status | None) -> str:
    """An online request still owed when its dossier has ended is cancelled: nobody may pay
    it any more (money that still comes is refunded)."""
    owed = payment.state != PaymentState.PAID.value
    if owed and dossier_status is not None and dossier_status.terminal:
        return CANCELLED
    return payment.state


#: How an ended dossier's unpaid request is shown.
CANCELLED = "cancelled"


def _lines(row: Payment) -> list[FeeOut]:
    return [FeeOut(**line) for line in row.lines]


async def _status_of(session: AsyncSession, code: str) -> Status | None:
    dossier = await session.get(Dossier, code)
    return Status(dossier.status) if dossier is not None else None


async def payments_of(session: AsyncSession, *, code: str) -> list[PaymentOut]:
    status = await _status_of(session, code)
    shown = []
    for p in await dossier_payments(session, code=code):
        state = shown_state(p, status)
        shown.append(_payment_out(p, state))
    return shown


def _payment_out(p: Payment, state: str) -> PaymentOut:
    return PaymentOut(
        reference=p.reference,
        purpose=p.purpose,
        amount=p.amount,
        lines=_lines(p),
        online=p.online,
        state=state,
        payment_url=p.payment_url if state != CANCELLED else "",
        gateway_txn=p.gateway_txn,
        requested_at=p.requested_at,
        paid_at=p.paid_at,
        settled_by=p.settled_by,
    )


async def public_payments_of(session: AsyncSession, *, code: str) -> list[PublicPaymentOut]:
    """What the applicant pays and where: the gateway address only while it is owed online."""
    status = await _status_of(session, code)
    shown = []
    for p in await dossier_payments(session, code=code):
        state = shown_state(p, status)
        owed_online = p.online and state not in (PaymentState.PAID.value, CANCELLED)
        shown.append(
            PublicPaymentOut(
                reference=p.reference,
                amount=p.amount,
                lines=_lines(p),
                state=state,
                payment_url=p.payment_url if owed_online else "",
            )
        )
    return shown
