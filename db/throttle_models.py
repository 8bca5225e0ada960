"""Failure counters of the throttled secrets (sign-in, applicant look-up), shared by every API
replica through the database."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from db.models import UTCDateTime


class ThrottleCounter(SQLModel, table=True):
    __tablename__ = "throttle_counter"

    #: what is throttled, e.g. `account:cv.thue`, `address:203.0.113.7`, `lookup:<code>`
    key: str = Field(primary_key=True, max_length=200)
    failures: int = 0
    last_failure_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    locked_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
