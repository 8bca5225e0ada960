"""Datetimes in API bodies are always timezone-aware UTC (SQLite hands back naive UTC)."""

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator


def as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


UTCDateTime = Annotated[datetime, AfterValidator(as_utc)]
