"""Feedback and petitions (phản ánh, kiến nghị): filed by the applicant with the dossier's
code and secret, routed to the agency responsible, handled on the statutory clock
(FeedbackWorkflow warns and escalates), answered by an officer of that agency — the answer
reaches the applicant through the notification outbox — and judged by the applicant."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Request, status
from pydantic import BaseModel, ConfigDict, StringConstraints
from sqlalchemy import select
from sqlmodel import col

from activities.notify import NoticeTemplates
from api import engine
from api.deps import CurrentOfficer, SessionDep, SettingsDep, TemporalDep
from api.errors import Problem
from api.routes.public import Secret, ThrottleDep, _with_secret
from db.applicant_notices import write_applicant_notice
from db.calendar import working_calendar
from db.feedback_models import Feedback
from db.models import Officer
from db.repository import get_procedure
from domain.applicant_notices import contacts, feedback_answered
from domain.dossier import Applicant, Role
from domain.feedback import (
    FeedbackInvalid,
    FeedbackKind,
    FeedbackStatus,
    plan,
    responsible_agency,
    term_days,
)
from messages import FeedbackInput

router = APIRouter(prefix="/feedback", tags=["feedback"])
public_router = APIRouter(prefix="/public/feedback", tags=["public"])

Subject = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
Content = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]


class FeedbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dossier_code: Annotated[str, StringConstraints(strip_whitespace=True, max_length=60)]
    kind: FeedbackKind = FeedbackKind.FEEDBACK
    subject: Subject
    content: Content


class AnswerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    answer: Content


class SatisfactionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    satisfied: bool


class FeedbackOut(BaseModel):
    code: str
    kind: str
    dossier_code: str | None
    procedure_code: str
    agency_code: str
    subject: str
    content: str
    status: str
    received_at: datetime
    due_at: datetime
    warned_at: datetime | None
    escalated_at: datetime | None
    answer: str
    answered_at: datetime | None
    on_time: bool | None
    satisfied: bool | None


def _out(row: Feedback) -> FeedbackOut:
    answered = row.answered_at
    return FeedbackOut(
        **row.model_dump(
            exclude={"contact_email", "contact_phone", "warn_at", "answered_by"},
        ),
        on_time=None if answered is None else answered <= row.due_at,
    )


@lru_cache
def _templates(directory: Path) -> NoticeTemplates:
    return NoticeTemplates(directory)


@public_router.post("", response_model=FeedbackOut, status_code=status.HTTP_201_CREATED)
async def file_feedback(
    body: FeedbackIn,
    request: Request,
    session: SessionDep,
    throttle: ThrottleDep,
    client: TemporalDep,
    settings: SettingsDep,
    secret: Secret = "",
) -> FeedbackOut:
    """The applicant files a feedback or petition about their dossier, with the receipt's
    code and secret; the agency at work on it (else the receiving agency) answers it within
    its term of working days."""
    dossier = await _with_secret(session, throttle, request, body.dossier_code, secret)
    procedure = await get_procedure(
        session, code=dossier.procedure_code, version=dossier.procedure_version
    )
    try:
        agency = responsible_agency(
            dossier_step_agency=dossier.current_agency_code,
            dossier_agency=dossier.agency_code,
            procedure_agency=procedure.agency_code if procedure else None,
        )
        days = term_days(agency, settings.feedback_term_days_by_agency, settings.feedback_term_days)
    except FeedbackInvalid as error:
        raise Problem(422, str(error)) from None
    now = datetime.now(UTC)
    planned = plan(now, days, await working_calendar(session))
    row = Feedback(
        code=f"PAKN-{secrets.token_hex(5).upper()}",
        kind=body.kind.value,
        dossier_code=dossier.code,
        procedure_code=dossier.procedure_code,
        agency_code=agency,
        subject=body.subject,
        content=body.content,
        contact_email=dossier.applicant_email,
        contact_phone=dossier.applicant_phone,
        received_at=now,
        due_at=planned.due_at,
        warn_at=planned.warn_at,
    )
    session.add(row)
    await session.commit()
    await engine.start_feedback(
        client,
        FeedbackInput(code=row.code, warn_at=planned.warn_at, due_at=planned.due_at),
        task_queue=settings.task_queue,
    )
    return _out(row)


@public_router.post("/{code}/satisfaction", response_model=FeedbackOut)
async def judge_answer(
    code: str,
    body: SatisfactionIn,
    request: Request,
    session: SessionDep,
    throttle: ThrottleDep,
    secret: Secret = "",
) -> FeedbackOut:
    """The applicant says whether the answer satisfied them (once), with their dossier's
    secret."""
    row = await session.get(Feedback, code)
    if row is None or row.dossier_code is None:
        raise Problem(404, "no feedback matches this code and secret")
    await _with_secret(session, throttle, request, row.dossier_code, secret)
    if row.status != FeedbackStatus.ANSWERED.value:
        raise Problem(409, "this feedback has not been answered yet")
    if row.satisfied is not None:
        raise Problem(409, "the answer was already judged")
    row.satisfied = body.satisfied
    await session.commit()
    return _out(row)


def _may_handle(officer: Officer, row: Feedback) -> bool:
    return officer.role == Role.ADMIN.value or officer.agency_code == row.agency_code


@router.get("", response_model=list[FeedbackOut])
async def list_feedback(
    session: SessionDep, officer: CurrentOfficer, status_filter: FeedbackStatus | None = None
) -> list[FeedbackOut]:
    """The feedback the officer's agency handles (every agency's for an administrator),
    the soonest due first."""
    query = select(Feedback).order_by(col(Feedback.due_at))
    if officer.role != Role.ADMIN.value:
        query = query.where(col(Feedback.agency_code) == (officer.agency_code or ""))
    if status_filter is not None:
        query = query.where(col(Feedback.status) == status_filter.value)
    return [_out(row) for row in await session.scalars(query.limit(500))]


@router.get("/{code}", response_model=FeedbackOut)
async def get_feedback(code: str, session: SessionDep, officer: CurrentOfficer) -> FeedbackOut:
    row = await session.get(Feedback, code)
    if row is None or not _may_handle(officer, row):
        raise Problem(404, f"there is no feedback {code!r} for your agency")
    return _out(row)


@router.post("/{code}/answer", response_model=FeedbackOut)
async def answer_feedback(
    code: str,
    body: AnswerIn,
    session: SessionDep,
    officer: CurrentOfficer,
    client: TemporalDep,
    settings: SettingsDep,
) -> FeedbackOut:
    """An officer of the handling agency answers; the applicant hears of it by e-mail and
    SMS (the outbox rows are written with the answer), and the feedback's clock stops."""
    row = await session.get(Feedback, code, with_for_update=True)
    if row is None or not _may_handle(officer, row):
        raise Problem(404, f"there is no feedback {code!r} for your agency")
    if officer.role not in (Role.OFFICER, Role.UNIT_HEAD, Role.AGENCY_HEAD, Role.ADMIN):
        raise Problem(403, "a feedback is answered by an officer of the agency handling it")
    if row.status == FeedbackStatus.ANSWERED.value:
        raise Problem(409, f"feedback {code} was already answered")
    row.status = FeedbackStatus.ANSWERED.value
    row.answer = body.answer
    row.answered_by = officer.username
    row.answered_at = datetime.now(UTC)
    notice = feedback_answered(
        feedback_code=row.code,
        subject=row.subject,
        answer=row.answer,
        dossier_code=row.dossier_code or "",
    )
    reach = contacts(Applicant(name="", email=row.contact_email, phone=row.contact_phone))
    await write_applicant_notice(
        session,
        row.dossier_code or row.code,
        notice,
        reach,
        _templates(settings.notification_templates_dir).render,
    )
    await session.commit()
    await engine.feedback_answered(client, code)
    return _out(row)
