"""Feedback and petitions (phản ánh, kiến nghị) from applicants, with their handling."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlmodel import Field, SQLModel, col
from sqlmodel.ext.asyncio.session import AsyncSession

from db.models import UTCDateTime
from domain.feedback import FeedbackRecord


class Feedback(SQLModel, table=True):
    """One feedback or petition: what it is about, who handles it, by when, the answer."""

    __tablename__ = "feedback"

    code: str = Field(primary_key=True, max_length=40)
    kind: str = Field(max_length=20)  # feedback | petition (domain.feedback.FeedbackKind)
    dossier_code: str | None = Field(default=None, index=True, max_length=60)
    procedure_code: str = Field(default="", max_length=60)
    agency_code: str = Field(index=True, max_length=60)
    subject: str = Field(max_length=300)
    content: str
    contact_email: str = Field(default="", max_length=200)
    contact_phone: str = Field(default="", max_length=20)
    status: str = Field(default="open", index=True, max_length=20)
    received_at: datetime = Field(sa_type=UTCDateTime)
    due_at: datetime = Field(sa_type=UTCDateTime)
    warn_at: datetime = Field(sa_type=UTCDateTime)
    warned_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    escalated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    answer: str = ""
    answered_by: str = Field(default="", max_length=100)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: the applicant's verdict on the answer (None: not given)
    satisfied: bool | None = None


async def feedback_records(
    session: AsyncSession, *, agency_codes: Sequence[str] | None = None
) -> list[FeedbackRecord]:
    """The feedback as the scorecard counts it (domain.indicators.compute_feedback_indicators),
    of some agencies or of all."""
    query = select(Feedback)
    if agency_codes is not None:
        query = query.where(col(Feedback.agency_code).in_(list(agency_codes)))
    return [
        FeedbackRecord(
            code=row.code,
            agency_code=row.agency_code,
            received_at=row.received_at,
            due_at=row.due_at,
            answered_at=row.answered_at,
            satisfied=row.satisfied,
        )
        for row in await session.scalars(query)
    ]
