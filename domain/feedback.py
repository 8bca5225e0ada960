"""Feedback and petitions (phản ánh, kiến nghị) from applicants about a dossier or a
procedure: who handles one, by when (working time on the statutory calendar), when the
handler is warned and when it is escalated, and whether it was handled on time.

Pure: the feedback workflow sleeps until the moments computed here; the API records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from domain.calendar import WorkCalendar
from domain.clock import add_working_time, working_days_to_minutes

#: Working days an agency has to answer, unless it is given its own term: Decree 20/2008
#: Art. 14 (xử lý phản ánh, kiến nghị: 10 working days from receipt) — [S], local reading.
DEFAULT_TERM_DAYS = 10.0
#: The handler is warned when this share of the term is used.
WARN_AT_SHARE = 0.8


class FeedbackKind(StrEnum):
    FEEDBACK = "feedback"  # phản ánh: about how a procedure or a dossier was handled
    PETITION = "petition"  # kiến nghị: a proposal about a procedure or its rules


class FeedbackStatus(StrEnum):
    OPEN = "open"  # đang xử lý
    ANSWERED = "answered"  # đã trả lời


class FeedbackInvalid(ValueError):
    def __init__(self, field_name: str, message: str):
        self.field = field_name
        self.message = message
        super().__init__(f"{field_name}: {message}")


@dataclass(frozen=True)
class FeedbackPlan:
    """When a feedback is due, and when its handler is warned (both working time)."""

    due_at: datetime
    warn_at: datetime


def term_days(agency_code: str, by_agency: dict[str, float], default: float) -> float:
    """The agency's own term if it has one, else the default."""
    days = by_agency.get(agency_code, default)
    if days <= 0:
        raise FeedbackInvalid("term_days", f"{agency_code}: the term must be positive")
    return days


def plan(received_at: datetime, days: float, cal: WorkCalendar) -> FeedbackPlan:
    """The due moment, `days` working days after `received_at`, and the warning before it."""
    minutes = working_days_to_minutes(days, cal)
    warn_minutes = int(minutes * WARN_AT_SHARE)
    return FeedbackPlan(
        due_at=add_working_time(cal, received_at, minutes),
        warn_at=add_working_time(cal, received_at, timedelta(minutes=warn_minutes)),
    )


def responsible_agency(
    *, dossier_step_agency: str | None, dossier_agency: str | None, procedure_agency: str | None
) -> str:
    """Who handles it: the agency of the dossier's current step, else the agency that
    received the dossier, else the procedure's agency."""
    for agency in (dossier_step_agency, dossier_agency, procedure_agency):
        if agency:
            return agency
    raise FeedbackInvalid("procedure_code", "name the dossier or the procedure it is about")


def on_time(answered_at: datetime | None, due_at: datetime) -> bool:
    """Answered by its due moment."""
    return answered_at is not None and answered_at <= due_at


@dataclass(frozen=True)
class FeedbackRecord:
    """One feedback as the scorecard counts it."""

    code: str
    agency_code: str
    received_at: datetime
    due_at: datetime
    answered_at: datetime | None = None
    #: the applicant's verdict on the answer: True satisfied, False not, None not given
    satisfied: bool | None = None
