"""Money the gateway took that no open request could take (a dossier already closed, a fee
already paid at the desk): kept here until the operator refunds it."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from db.models import UTCDateTime


class PaymentRefund(SQLModel, table=True):
    __tablename__ = "payment_refund"

    #: the gateway's transaction: a callback delivered twice is one refund
    gateway_txn: str = Field(primary_key=True, max_length=80)
    reference: str = Field(max_length=80, index=True)
    dossier_code: str = Field(max_length=60, index=True)
    amount: int = Field(sa_type=sa.BigInteger)  # VND
    #: RefundReason
    reason: str = Field(max_length=20)
    #: `to_refund`, then `refunded` once the operator has sent the money back
    state: str = Field(default="to_refund", max_length=20, index=True)
    #: ThoiGianThanhToan as the gateway wrote it
    gateway_paid_at: str = Field(default="", max_length=20)
    received_at: datetime = Field(sa_type=UTCDateTime)
