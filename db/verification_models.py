"""The applicant's one-time-code challenges (domain/verification.py): only the code's keyed
hash is kept, with its tries, sends and the dossier it filed."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from db.models import UTCDateTime


class OtpChallenge(SQLModel, table=True):
    __tablename__ = "otp_challenge"

    id: str = Field(primary_key=True, max_length=40)
    channel: str = Field(max_length=10)  # email | sms
    contact: str = Field(max_length=200, index=True)
    code_hash: str = Field(max_length=64)
    sent_at: datetime = Field(sa_type=UTCDateTime)
    sends: int = 1
    attempts: int = 0
    verified_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: the dossier filed with this verification (a repeated filing answers it again)
    dossier_code: str | None = Field(default=None, max_length=40)
    created_at: datetime = Field(sa_type=UTCDateTime)
