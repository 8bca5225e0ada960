"""Queries and writes on the payments of dossiers (keyword-only), for the API and the
projection."""

from __future__ import annotations

from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from db.payment_models import Payment
from db.rows import Sections, rows_of_dossier, sync_rows, table_of
from domain.dossier import DossierState


async def write_payments(
    session: AsyncSession, state: DossierState, sections: Sections | None = None
) -> None:
    """The dossier's payments as the workflow holds them; `updated_at` moves when one
    changes, not at every event."""
    table = table_of(Payment)
    await sync_rows(
        await session.connection(),
        table,
        parent="dossier_code",
        key=("reference",),
        fixed=(
            "dossier_code",
            "procedure_code",
            "purpose",
            "amount",
            "requested_at",
            "requested_by",
        ),
        touched="updated_at",
        rows=[
            {
                "reference": payment.reference,
                "dossier_code": state.code,
                "procedure_code": state.procedure.code,
                "purpose": payment.purpose.value,
                "amount": payment.amount,
                "requested_at": payment.requested_at,
                "requested_by": payment.requested_by,
                "lines": [
                    {"code": f.code, "name": f.name, "amount": f.amount, "kind": f.kind.value}
                    for f in payment.lines
                ],
                "online": payment.online,
                "state": payment.state.value,
                "payment_url": payment.payment_url,
                "gateway_txn": payment.gateway_txn,
                "paid_at": payment.paid_at,
                "settled_by": payment.settled_by,
            }
            for payment in state.payments
        ],
        sections=sections,
    )


_PAYMENTS_OF = rows_of_dossier(Payment, col(Payment.requested_at))  # per detail read


async def dossier_payments(session: AsyncSession, *, code: str) -> list[Payment]:
    return list(await session.scalars(_PAYMENTS_OF, {"code": code}))


async def get_payment(session: AsyncSession, *, reference: str) -> Payment | None:
    return await session.get(Payment, reference)
