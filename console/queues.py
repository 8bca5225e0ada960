"""The work queues: which dossiers each role has in front of it, with the working time left
on the current step and on the dossier. Read-only queries over the read model; the filters
are the API's own (`DossierFilter`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from db.clock_models import Escalation, Notification
from db.models import Dossier, DossierStep, Officer, ProcedureRecord, Unit
from db.repository import OPEN_STATUSES, DossierFilter, Total, _filtered, count_up_to
from domain.calendar import WorkCalendar
from domain.clock import working_time_between
from domain.dossier import Role
from domain.lifecycle import Status

WAITING = (Status.SUPPLEMENT_REQUESTED.value, Status.AWAITING_PAYMENT.value)


@dataclass(frozen=True)
class TimeLeft:
    """Working time from now to a due moment; negative once it has passed."""

    minutes: int
    minutes_per_day: int
    paused: bool = False

    @property
    def state(self) -> str:
        """`late`, `warn` (within one working day) or `ok`: the row's colour."""
        if self.paused:
            return "paused"
        if self.minutes < 0:
            return "late"
        return "warn" if self.minutes <= self.minutes_per_day else "ok"

    @property
    def label(self) -> str:
        """In working days and hours ("còn 2 ngày 3 giờ"); minutes only within the hour."""
        days, rest = divmod(abs(self.minutes), self.minutes_per_day)
        hours, minutes = divmod(rest, 60)
        if days:
            parts = [f"{days} ngày"] + ([f"{hours} giờ"] if hours else [])
        else:
            parts = ([f"{hours} giờ"] if hours else []) + ([f"{minutes} phút"] if minutes else [])
        span = " ".join(parts) or "0 phút"
        if self.paused:
            return f"tạm dừng (còn {span})"
        return f"quá hạn {span}" if self.minutes < 0 else f"còn {span}"


def time_left(
    cal: WorkCalendar, now: datetime, due: datetime | None, *, paused: bool = False
) -> TimeLeft | None:
    if due is None:
        return None
    minutes = int(working_time_between(cal, now, due).total_seconds() // 60)
    return TimeLeft(minutes, cal.office_hours.minutes_per_day, paused)


@dataclass(frozen=True)
class QueueRow:
    dossier: Dossier
    step: DossierStep | None
    procedure_name: str
    step_left: TimeLeft | None
    dossier_left: TimeLeft | None

    @property
    def state(self) -> str:
        """The worse of the two deadlines colours the row."""
        order = ["late", "warn", "ok", "paused"]
        states = [t.state for t in (self.step_left, self.dossier_left) if t is not None]
        return min(states, key=order.index) if states else "none"


@dataclass(frozen=True)
class View:
    """One tab of a role's queue."""

    key: str
    label: str
    where: Callable[[Officer, datetime], Any]
    actions: tuple[str, ...] = ()  # what the rows offer: "take", "assign"


def _current_step(officer: Officer) -> Any:
    """The step a queue row shows: the dossier's current step, or in a parallel stage (no
    single current unit) the open branch of the officer's own unit, one row a dossier."""
    return and_(
        col(DossierStep.dossier_code) == col(Dossier.code),
        or_(
            and_(
                col(Dossier.current_unit_code).is_not(None),
                col(DossierStep.idx) == col(Dossier.step_index),
            ),
            and_(
                col(Dossier.current_unit_code).is_(None),
                col(DossierStep.open).is_(True),
                col(DossierStep.unit_code) == officer.unit_code,
            ),
        ),
    )


def _desk(*statuses: str, supplemented: bool | None = None) -> Callable[[Officer, datetime], Any]:
    def where(officer: Officer, now: datetime) -> Any:
        conditions = [
            col(Dossier.agency_code) == officer.agency_code,
            col(Dossier.status).in_(statuses),
        ]
        if supplemented is not None:
            rounds = col(Dossier.supplement_rounds)
            conditions.append(rounds > 0 if supplemented else rounds == 0)
        return and_(*conditions)

    return where


def _processing_in_unit(officer: Officer, now: datetime) -> Any:
    return and_(
        col(Dossier.status) == Status.PROCESSING.value,
        or_(
            col(Dossier.current_unit_code) == officer.unit_code,
            # a parallel stage: the unit's own branch is open (joined by `_current_step`)
            and_(col(DossierStep.open).is_(True), col(DossierStep.unit_code) == officer.unit_code),
        ),
    )


def _assigned_to_me(officer: Officer, now: datetime) -> Any:
    return and_(
        col(Dossier.status) == Status.PROCESSING.value,
        col(DossierStep.assignee) == officer.username,
    )


def _nobody_took(officer: Officer, now: datetime) -> Any:
    return and_(_processing_in_unit(officer, now), col(DossierStep.assignee) == "")


def _unit_overdue(officer: Officer, now: datetime) -> Any:
    return and_(
        _processing_in_unit(officer, now),
        or_(col(DossierStep.due_at) < now, col(Dossier.due_at) < now),
    )


#: How far ahead the unit head looks for dossiers that may need an apology (Form 04): the
#: apology is due at the latest 1 working day before the due moment, so a week of calendar
#: time shows every dossier whose last day for it is this week.
APOLOGY_LOOKAHEAD = timedelta(days=7)


def _needs_apology(officer: Officer, now: datetime) -> Any:
    """The unit's dossiers due soon that have no new appointment yet: if they will be late,
    the apology must go out before its limit."""
    return and_(
        _processing_in_unit(officer, now),
        col(Dossier.apologised).is_(False),
        col(Dossier.due_at) >= now,
        col(Dossier.due_at) < now + APOLOGY_LOOKAHEAD,
    )


def _escalated_to_me(officer: Officer, now: datetime) -> Any:
    """Open dossiers whose lateness the clock escalated to this officer (chuyển cấp): an
    escalation may have several recipients, each with a notification of it."""
    received = (
        select(col(Escalation.dossier_code))
        .join(
            Notification,
            and_(
                col(Notification.dossier_code) == col(Escalation.dossier_code),
                col(Notification.escalation_key) == col(Escalation.key),
            ),
        )
        .where(
            col(Escalation.kind) == "escalation", col(Notification.recipient) == officer.username
        )
    )
    return and_(col(Dossier.status).in_(OPEN_STATUSES), col(Dossier.code).in_(received))


def _agency_open(officer: Officer, now: datetime) -> Any:
    return col(Dossier.status).in_(OPEN_STATUSES)


def _agency_overdue(officer: Officer, now: datetime) -> Any:
    return and_(col(Dossier.status).in_(OPEN_STATUSES), col(Dossier.due_at) < now)


VIEWS: dict[str, tuple[View, ...]] = {
    Role.CLERK: (
        View("reception", "Chờ tiếp nhận", _desk(Status.SUBMITTED.value, supplemented=False)),
        View(
            "supplemented",
            "Bổ sung đã nộp lại",
            _desk(Status.SUBMITTED.value, Status.RECEIVED.value, supplemented=True),
        ),
        View("forward", "Chờ chuyển xử lý", _desk(Status.RECEIVED.value, supplemented=False)),
        View("waiting", "Chờ công dân bổ sung", _desk(Status.SUPPLEMENT_REQUESTED.value)),
        View("deliver", "Chờ trả kết quả", _desk(Status.RESOLVED.value)),
    ),
    Role.OFFICER: (
        View("mine", "Được giao cho tôi", _assigned_to_me),
        View("unit", "Của đơn vị, chưa ai nhận", _nobody_took, ("take",)),
    ),
    Role.UNIT_HEAD: (
        View("unit", "Hồ sơ của đơn vị", _processing_in_unit, ("assign",)),
        View("overdue", "Quá hạn", _unit_overdue, ("assign",)),
        View("apology", "Sắp đến hạn, chưa xin lỗi", _needs_apology, ("assign",)),
        View("escalated", "Chuyển cấp đến tôi", _escalated_to_me, ("assign",)),
        View("mine", "Được giao cho tôi", _assigned_to_me),
    ),
    Role.AGENCY_HEAD: (
        View("open", "Đang giải quyết", _agency_open),
        View("overdue", "Quá hạn", _agency_overdue),
        View("escalated", "Chuyển cấp đến tôi", _escalated_to_me),
    ),
    Role.ADMIN: (
        View("open", "Đang giải quyết", _agency_open),
        View("overdue", "Quá hạn", _agency_overdue),
    ),
}


def views_for(officer: Officer) -> tuple[View, ...]:
    return VIEWS.get(officer.role, ())


@dataclass(frozen=True)
class QueueFilter:
    status: str | None = None
    procedure: str | None = None
    overdue: bool = False
    text: str | None = None
    unit: str | None = None  # the unit holding the current step
    officer: str | None = None  # the officer holding it
    due_before: datetime | None = None
    sort: str = "due"


#: How a queue may be sorted: the nearest deadline first (the earlier of the step's and the
#: dossier's, as the row's colour; those with no clock running last), the newest submission
#: first, or by code. Each is an index's order (`ix_dossier_queue_due`, `ix_dossier_submitted`,
#: the key), so a page of 100,000 dossiers is read in order, not sorted.
SORTS: dict[str, tuple[Any, ...]] = {
    "due": (col(Dossier.queue_due_at), col(Dossier.code)),
    "submitted": (col(Dossier.submitted_at).desc(), col(Dossier.code).desc()),
    "code": (col(Dossier.code),),
}


def _query(base: Any, view: View, officer: Officer, filters: QueueFilter, now: datetime) -> Any:
    query = base.outerjoin(DossierStep, _current_step(officer)).where(view.where(officer, now))
    if filters.unit:
        query = query.where(col(Dossier.current_unit_code) == filters.unit)
    if filters.officer:
        query = query.where(col(DossierStep.assignee) == filters.officer)
    return _filtered(
        query,
        DossierFilter(
            status=filters.status or None,
            procedure_code=filters.procedure or None,
            overdue_at=now if filters.overdue else None,
            text=filters.text or None,
            due_before=filters.due_before,
            # the province's administrator sees every agency, as in the API
            visible_to_agency=None if officer.role == Role.ADMIN else officer.agency_code,
        ),
    )


async def procedure_names(session: AsyncSession) -> dict[str, str]:
    return {p.code: p.name for p in await session.scalars(select(ProcedureRecord))}


async def queue(
    session: AsyncSession,
    *,
    view: View,
    officer: Officer,
    filters: QueueFilter,
    cal: WorkCalendar,
    now: datetime,
    limit: int,
    offset: int,
) -> tuple[list[QueueRow], Total]:
    """A page of the view, the nearest deadline first."""
    matching = _query(select(Dossier, DossierStep), view, officer, filters, now)
    total = await count_up_to(session, matching)
    found = await session.execute(
        matching.order_by(*SORTS.get(filters.sort, SORTS["due"])).limit(limit).offset(offset)
    )
    names = await procedure_names(session)
    rows = []
    for dossier, step in found:
        paused = dossier.status in WAITING
        current = step if step is not None and step.finished_at is None else None
        rows.append(
            QueueRow(
                dossier=dossier,
                step=step,
                procedure_name=names.get(dossier.procedure_code, dossier.procedure_code),
                step_left=time_left(cal, now, current.due_at, paused=paused) if current else None,
                dossier_left=time_left(cal, now, dossier.due_at, paused=paused)
                if not Status(dossier.status).terminal and dossier.finished_at is None
                else None,
            )
        )
    return rows, total


async def count(session: AsyncSession, *, view: View, officer: Officer, now: datetime) -> Total:
    matching = _query(select(Dossier, DossierStep), view, officer, QueueFilter(), now)
    return await count_up_to(session, matching)


async def unit_officers(session: AsyncSession, unit_code: str | None) -> list[Officer]:
    """Who the head of a unit can give a step to."""
    found = await session.scalars(
        select(Officer)
        .where(
            col(Officer.unit_code) == unit_code,
            col(Officer.active),
            col(Officer.role).in_((Role.OFFICER.value, Role.UNIT_HEAD.value)),
        )
        .order_by(col(Officer.full_name))
    )
    return list(found)


async def units_in_scope(session: AsyncSession, officer: Officer) -> dict[str, str]:
    """The units a head may filter the queue by: the agency's (the admin's: all)."""
    query = select(Unit).order_by(col(Unit.name))
    if officer.role != Role.ADMIN:
        query = query.where(col(Unit.agency_code) == officer.agency_code)
    return {u.code: u.name for u in await session.scalars(query)}


@dataclass(frozen=True)
class OverviewLine:
    key: str
    name: str
    open: int
    overdue: int


async def overview(
    session: AsyncSession, *, officer: Officer, now: datetime
) -> dict[str, list[OverviewLine]]:
    """Open and overdue dossiers by unit at work and by procedure (the heads' overview)."""
    scope = DossierFilter(
        visible_to_agency=None if officer.role == Role.ADMIN else officer.agency_code
    )
    # counted in Python: one portable query, and the moment compared as the model reads it
    found = await session.execute(
        _filtered(
            select(
                col(Dossier.current_unit_code),
                col(Dossier.procedure_code),
                col(Dossier.due_at),
            ).where(col(Dossier.status).in_(OPEN_STATUSES)),
            scope,
        )
    )
    units = {u.code: u.name for u in await session.scalars(select(Unit))}
    names = await procedure_names(session)
    by_unit: dict[str, list[int]] = {}
    by_procedure: dict[str, list[int]] = {}
    for unit_code, procedure_code, due_at in found:
        late = int(due_at is not None and due_at < now)
        for table, key in ((by_unit, unit_code or ""), (by_procedure, procedure_code)):
            counts = table.setdefault(key, [0, 0])
            counts[0] += 1
            counts[1] += late
    return {
        "unit": [
            OverviewLine(k, units.get(k, "Bộ phận Một cửa") if k else "Bộ phận Một cửa", *v)
            for k, v in sorted(by_unit.items())
        ],
        "procedure": [
            OverviewLine(k, names.get(k, k), *v) for k, v in sorted(by_procedure.items())
        ],
    }
