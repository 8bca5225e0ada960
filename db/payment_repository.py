"""Queries and writes on the payments of dossiers (keyword-only), for the API and the
projection."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from db.payment_models import Payment
from domain.dossier import DossierState


async def write_payments(session: AsyncSession, state: DossierState) -> None:
    """The dossier's payments as the workflow holds them."""
    for payment in state.payments:
        row = await session.get(Payment, payment.reference)
        if row is None:
            row = Payment(
                reference=payment.reference,
                dossier_code=state.code,
                procedure_code=state.procedure.code,
                purpose=payment.purpose.value,
                amount=payment.amount,
                lines=[],
                state=payment.state.value,
                requested_at=payment.requested_at,
                requested_by=payment.requested_by,
            )
            session.add(row)
        row.lines = [
            {"code": f.code, "name": f.name, "amount": f.amount, "kind": f.kind.value}
            for f in payment.lines
        ]
        row.online = payment.online
        row.state = payment.state.value
        row.payment_url = payment.payment_url
        row.gateway_txn = payment.gateway_txn
        row.paid_at = payment.paid_at
        row.settled_by = payment.settled_by
        if row.updated_at is None or session.is_modified(row):  # when it changed, not per event
            row.updated_at = datetime.now(UTC)


async def dossier_payments(session: AsyncSession, *, code: str) -> list[Payment]:
    rows = await session.scalars(
        select(Payment).where(col(Payment.dossier_code) == code).order_by(col(Payment.requested_at))
    )
    return list(rows)


async def get_payment(session: AsyncSession, *, reference: str) -> Payment | None:
    return await session.get(Payment, reference)
