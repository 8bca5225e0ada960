"""The payments of dossiers in the read model (thu phí, lệ phí, nghĩa vụ tài chính): one row per
payment asked of an applicant, written by the projection from the workflow's state. The
gateway's callback looks its reference up here; the dossier detail and the applicant's
look-up list them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Column, Field, SQLModel

from db.models import UTCDateTime
from domain.payment import FeeLine, PaymentPurpose, PaymentRequest, PaymentState


class Payment(SQLModel, table=True):
    """One payment: what is owed (its fee lines), where to pay, and how it was settled."""

    reference: str = Field(primary_key=True, max_length=80)  # MaThamChieu
    dossier_code: str = Field(foreign_key="dossier.code", index=True, max_length=60)
    procedure_code: str = Field(max_length=60)
    purpose: str = Field(max_length=20)  # PaymentPurpose
    amount: int = Field(sa_type=sa.BigInteger)  # VND
    lines: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    online: bool = True  # through the gateway; False: collected at the one-stop desk
    state: str = Field(max_length=20, index=True)  # PaymentState
    payment_url: str = ""
    gateway_txn: str | None = Field(default=None, max_length=80)
    requested_at: datetime = Field(sa_type=UTCDateTime)
    requested_by: str = Field(max_length=60)
    paid_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    settled_by: str = Field(default="", max_length=60)
    updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    def fee_lines(self) -> tuple[FeeLine, ...]:
        return tuple(
            FeeLine(line["code"], line["name"], line["amount"], line["kind"]) for line in self.lines
        )

    def as_request(self) -> PaymentRequest:
        """The request a gateway callback is judged against."""
        return PaymentRequest(
            reference=self.reference,
            dossier_code=self.dossier_code,
            procedure_code=self.procedure_code,
            amount=self.amount,
            lines=self.fee_lines(),
            purpose=PaymentPurpose(self.purpose),
            state=PaymentState(self.state),
            gateway_txn=self.gateway_txn,
        )
