"""Tables of the statutory clock: calendar overrides, escalations issued, notifications."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from db.models import UTCDateTime


class CalendarOverrideRecord(SQLModel, table=True):
    """An admin's change to the calendar: an extra day off or a make-up working day."""

    __tablename__ = "calendar_override"

    day: date = Field(primary_key=True)
    kind: str  # day_off | working_day
    name: str
    created_by: str = ""
    created_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Escalation(SQLModel, table=True):
    """A warning or escalation, recorded once per dossier and timer key."""

    __table_args__ = (sa.UniqueConstraint("dossier_code", "key", name="uq_escalation_key"),)

    id: int | None = Field(default=None, primary_key=True)
    dossier_code: str = Field(foreign_key="dossier.code", index=True)
    key: str = Field(max_length=120)
    kind: str  # warning | escalation
    level: int = 0
    step_index: int | None = None
    unit_code: str = ""
    agency_code: str = Field(default="", index=True)
    recipient_username: str = ""
    recipient_name: str = ""
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    fired_at: datetime = Field(sa_type=UTCDateTime)
    note: str = ""


class Notification(SQLModel, table=True):
    """The notification outbox: one row per recipient and channel, sent with retries."""

    __table_args__ = (
        sa.UniqueConstraint(
            "dossier_code", "escalation_key", "channel", "recipient", name="uq_notification"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    dossier_code: str = Field(index=True)
    escalation_key: str = Field(max_length=120)
    channel: str  # email | log
    recipient: str
    address: str = ""
    subject: str
    body: str
    state: str = Field(default="pending", index=True)  # pending | sent
    attempts: int = 0
    last_error: str = ""
    created_at: datetime = Field(sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: the sender that took it (activities/notifier.py) and until when it holds it: a sender
    #: that dies mid-send leaves the claim to expire, and another sends it
    claimed_by: str = ""
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: a failed send is tried again from this moment (back-off)
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
