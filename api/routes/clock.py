"""The statutory clock over HTTP: a dossier's deadline and its explanation, the calendar
overrides admins keep, and the report of late dossiers."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, Field
from sqlalchemy import func, or_, select
from sqlmodel import col
from temporalio.client import Client

from api import engine
from api.deps import CurrentOfficer, SessionDep, SettingsDep, TemporalDep
from api.errors import Problem
from api.routes.dossiers import _visible
from api.schemas import Name, StepTimesOut
from api.timeutil import UTCDateTime, as_utc
from db.calendar import load_clock_config
from db.clock_models import CalendarOverrideRecord, Escalation
from db.models import Dossier, Officer, Unit
from db.repository import OPEN_STATUSES
from domain.statutory import working_days_late

log = logging.getLogger(__name__)
router = APIRouter(tags=["statutory clock"])


# --------------------------------------------------------------------------- deadline


class LedgerEntryOut(BaseModel):
    kind: str
    at: UTCDateTime
    reason: str = ""
    actor: str = ""
    basis: str = ""
    new_due: UTCDateTime | None = None


class StepDeadlineOut(StepTimesOut):
    late: bool
    ledger: list[LedgerEntryOut]
    explanation: list[str]


class NextTimerOut(BaseModel):
    kind: str
    at: UTCDateTime
    level: int
    step_index: int | None


class DeadlineOut(BaseModel):
    code: str
    status: str
    term_days: float
    supplement_policy: str
    started_at: UTCDateTime | None
    due_at: UTCDateTime | None
    original_due_at: UTCDateTime | None
    apologised: bool
    paused: bool
    remaining_working_minutes: float | None
    ledger: list[LedgerEntryOut]
    explanation: list[str]
    steps: list[StepDeadlineOut]
    warnings_and_escalations: list[str]
    next_timer: NextTimerOut | None


@router.get("/dossiers/{code}/deadline", response_model=DeadlineOut)
async def deadline(
    code: str, officer: CurrentOfficer, session: SessionDep, client: TemporalDep
) -> DeadlineOut:
    await _visible(session, officer, code)
    try:
        view = await engine.deadline(client, code)
    except Exception as exc:
        log.warning("deadline query for %s failed: %s", code, exc)
        raise Problem(503, "the dossier's clock cannot be read right now; try again") from None
    timer = view.next_timer
    return DeadlineOut(
        code=view.code,
        status=view.status,
        term_days=view.term_days,
        supplement_policy=view.supplement_policy,
        started_at=view.started_at,
        due_at=view.due_at,
        original_due_at=view.original_due_at,
        apologised=view.apologised,
        paused=view.paused,
        remaining_working_minutes=view.remaining_minutes,
        ledger=[LedgerEntryOut(**e) for e in view.ledger],
        explanation=view.explanation,
        steps=[
            StepDeadlineOut(
                **{k: getattr(s, k) for k in StepDeadlineOut.model_fields if k != "ledger"},
                ledger=[LedgerEntryOut(**e) for e in s.ledger],
            )
            for s in view.steps
        ],
        warnings_and_escalations=view.notices_sent,
        next_timer=(
            NextTimerOut(
                kind=timer.kind, at=timer.at, level=timer.level, step_index=timer.step_index
            )
            if timer
            else None
        ),
    )


# --------------------------------------------------------------------------- calendar


class OverrideIn(BaseModel):
    day: date
    kind: Literal["day_off", "working_day"]
    name: Name


class OverrideOut(OverrideIn):
    created_by: str
    created_at: UTCDateTime | None


class CalendarChange(BaseModel):
    override: OverrideOut | None
    open_dossiers_notified: int
    failed: list[str] = Field(default_factory=list)


def _require_admin(officer: Officer) -> None:
    if officer.role != "admin":
        raise Problem(403, "only a system administrator changes the working calendar")


async def _apply_change(
    session: SessionDep, client: Client, settings: SettingsDep
) -> tuple[int, list[str]]:
    config = await load_clock_config(session)
    done = await engine.broadcast_calendar(client, config.version, task_queue=settings.task_queue)
    return done.notified, done.failed


@router.get("/admin/calendar/overrides", response_model=list[OverrideOut])
async def list_overrides(officer: CurrentOfficer, session: SessionDep) -> list[OverrideOut]:
    rows = await session.scalars(
        select(CalendarOverrideRecord).order_by(col(CalendarOverrideRecord.day))
    )
    return [OverrideOut.model_validate(r, from_attributes=True) for r in rows]


@router.post(
    "/admin/calendar/overrides", response_model=CalendarChange, status_code=status.HTTP_201_CREATED
)
async def add_override(
    body: OverrideIn,
    officer: CurrentOfficer,
    session: SessionDep,
    client: TemporalDep,
    settings: SettingsDep,
) -> CalendarChange:
    """Add (or replace) an extra day off or a make-up working day; open dossiers follow."""
    _require_admin(officer)
    row = await session.get(CalendarOverrideRecord, body.day)
    if row is None:
        row = CalendarOverrideRecord(day=body.day, kind=body.kind, name=body.name)
        session.add(row)
    row.kind, row.name = body.kind, body.name
    row.created_by, row.created_at = officer.username, datetime.now(UTC)
    await session.commit()
    notified, failed = await _apply_change(session, client, settings)
    return CalendarChange(
        override=OverrideOut.model_validate(row, from_attributes=True),
        open_dossiers_notified=notified,
        failed=failed,
    )


@router.delete("/admin/calendar/overrides/{day}", response_model=CalendarChange)
async def remove_override(
    day: date,
    officer: CurrentOfficer,
    session: SessionDep,
    client: TemporalDep,
    settings: SettingsDep,
) -> CalendarChange:
    _require_admin(officer)
    row = await session.get(CalendarOverrideRecord, day)
    if row is None:
        raise Problem(404, f"there is no calendar override on {day}")
    await session.delete(row)
    await session.commit()
    notified, failed = await _apply_change(session, client, settings)
    return CalendarChange(override=None, open_dossiers_notified=notified, failed=failed)


# --------------------------------------------------------------------------- reports


class OverdueOut(BaseModel):
    code: str
    procedure_code: str
    applicant_name: str
    status: str
    due_at: UTCDateTime
    original_due_at: UTCDateTime
    working_days_late: float
    responsible_agency_code: str
    responsible_unit_code: str | None
    responsible_unit_name: str | None
    responsible_officers: list[str]
    unit_head: str | None
    escalations: int
    apologised: bool
    late_kind: Literal["late, apologised", "late, silent"]


class OverdueReport(BaseModel):
    as_of: UTCDateTime
    total: int
    items: list[OverdueOut]


@router.get("/reports/overdue", response_model=OverdueReport)
async def overdue_report(
    officer: CurrentOfficer,
    session: SessionDep,
    response: Response,
    agency: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> OverdueReport:
    """Open dossiers past their original due moment, with who is responsible now."""
    now = datetime.now(UTC)
    original = func.coalesce(Dossier.original_due_at, Dossier.due_at)
    query = select(Dossier).where(col(Dossier.status).in_(OPEN_STATUSES), original < now)
    scope = agency if officer.role == "admin" else officer.agency_code
    if scope:
        query = query.where(
            or_(col(Dossier.current_agency_code) == scope, col(Dossier.agency_code) == scope)
        )
    rows = list(await session.scalars(query.order_by(original).limit(limit)))
    cal = (await load_clock_config(session)).work_calendar()
    codes = [r.code for r in rows]
    counts = (
        dict(
            (
                await session.execute(
                    select(col(Escalation.dossier_code), func.count())
                    .where(
                        col(Escalation.dossier_code).in_(codes),
                        col(Escalation.kind) == "escalation",
                    )
                    .group_by(Escalation.dossier_code)
                )
            ).all()
        )
        if codes
        else {}
    )
    items = []
    for row in rows:
        due = as_utc(row.original_due_at or row.due_at)  # type: ignore[arg-type]
        unit = await session.get(Unit, row.current_unit_code) if row.current_unit_code else None
        officers = []
        if unit is not None:
            officers = list(
                await session.scalars(
                    select(col(Officer.username)).where(
                        col(Officer.unit_code) == unit.code, col(Officer.role) == "officer"
                    )
                )
            )
        items.append(
            OverdueOut(
                code=row.code,
                procedure_code=row.procedure_code,
                applicant_name=row.applicant_name,
                status=row.status,
                due_at=as_utc(row.due_at),  # type: ignore[arg-type]
                original_due_at=due,
                working_days_late=working_days_late(due, now, cal),
                responsible_agency_code=row.current_agency_code or row.agency_code,
                responsible_unit_code=unit.code if unit else None,
                responsible_unit_name=unit.name if unit else None,
                responsible_officers=officers,
                unit_head=unit.head_username if unit else None,
                escalations=int(counts.get(row.code, 0)),
                apologised=row.apologised,
                late_kind="late, apologised" if row.apologised else "late, silent",
            )
        )
    return OverdueReport(as_of=now, total=len(items), items=items)
