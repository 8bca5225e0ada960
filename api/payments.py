"""What the payment routes do: judge the gateway's CONFIRM and pass an authentic one to the
dossier's workflow, and show payments on the dossier detail and the applicant's look-up."""

from __future__ import annotations

import logging
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError

from api.errors import Problem
from api.schemas import FeeOut, PaymentOut, PublicPaymentOut
from db.payment_models import Payment
from db.payment_repository import dossier_payments, get_payment
from domain.codes import workflow_id
from domain.payment import (
    CallbackOutcome,
    CallbackRejected,
    PaymentConfirmation,
    PaymentState,
    RejectReason,
    check_callback,
)
from domain.text import for_log
from workflows.dossier import DossierWorkflow
from workflows.shared import PaymentOutcome

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


async def receive_callback(
    *, session: AsyncSession, client: Client, body: dict[str, Any], secret: str
) -> PaymentOutcome:
    """Judge a CONFIRM (checksum first, then reference, currency and amount against the
    payment we hold) and hand an authentic one to the dossier's workflow, which records it
    once. A refused callback changes nothing."""
    reference = body.get("MaThamChieu")
    row = await get_payment(session, reference=reference) if isinstance(reference, str) else None
    expected = row.as_request() if row is not None and row.online else None
    try:
        decision = check_callback(body, expected, secret)
    except CallbackRejected as error:
        raise _refused(error.reason_code, error.message, body) from None
    assert row is not None
    if decision.outcome == CallbackOutcome.DUPLICATE:
        log.info("payment callback for %s is a duplicate; nothing changes", row.reference)
        return PaymentOutcome("duplicate", row.reference, "", -1)
    handle = client.get_workflow_handle(workflow_id(row.dossier_code))
    try:
        outcome = await handle.execute_update(
            DossierWorkflow.confirm_payment,
            PaymentConfirmation.of(decision),
            result_type=PaymentOutcome,
        )
    except WorkflowUpdateFailedError as error:
        cause = error.cause
        if isinstance(cause, ApplicationError) and cause.type == "PaymentRejected":
            details = cause.details[0] if cause.details else {}
            reason = RejectReason(details.get("reason", RejectReason.MALFORMED.value))
            raise _refused(reason, cause.message, body) from None
        raise
    log.info("payment callback for %s: %s", row.reference, outcome.outcome)
    return outcome


def _lines(row: Payment) -> list[FeeOut]:
    return [FeeOut(**line) for line in row.lines]


async def payments_of(session: AsyncSession, *, code: str) -> list[PaymentOut]:
    return [
        PaymentOut(
            reference=p.reference,
            purpose=p.purpose,
            amount=p.amount,
            lines=_lines(p),
            online=p.online,
            state=p.state,
            payment_url=p.payment_url,
            gateway_txn=p.gateway_txn,
            requested_at=p.requested_at,
            paid_at=p.paid_at,
            settled_by=p.settled_by,
        )
        for p in await dossier_payments(session, code=code)
    ]


async def public_payments_of(session: AsyncSession, *, code: str) -> list[PublicPaymentOut]:
    """What the applicant pays and where: the gateway address only while it is owed online."""
    shown = []
    for p in await dossier_payments(session, code=code):
        owed_online = p.online and p.state != PaymentState.PAID.value
        shown.append(
            PublicPaymentOut(
                reference=p.reference,
                amount=p.amount,
                lines=_lines(p),
                state=p.state,
                payment_url=p.payment_url if owed_online else "",
            )
        )
    return shown
