"""Payment requests as the gateway tests build them, and a callback decision applied the way
the workflow applies it to its payment."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from domain.payment import (
    CallbackDecision,
    CallbackOutcome,
    FeeLine,
    PaymentPurpose,
    PaymentRequest,
    make_reference,
    total,
    validate_lines,
)


def new_payment_request(
    *,
    dossier_code: str,
    procedure_code: str,
    purpose: PaymentPurpose | str,
    lines: Iterable[FeeLine],
    attempt: int = 1,
) -> PaymentRequest:
    """A pending request whose amount is the total of its lines."""
    checked = validate_lines(lines)
    return PaymentRequest(
        reference=make_reference(dossier_code, purpose, attempt),
        dossier_code=dossier_code,
        procedure_code=procedure_code,
        amount=total(checked),
        lines=checked,
        purpose=PaymentPurpose(purpose),
    )


def with_decision(request: PaymentRequest, decision: CallbackDecision) -> PaymentRequest:
    """`request` after a callback decision: a duplicate changes nothing."""
    if decision.outcome is CallbackOutcome.DUPLICATE:
        return request
    return replace(request, state=decision.new_state, gateway_txn=decision.gateway_txn)
