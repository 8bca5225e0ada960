"""Queries and writes on the read model used by the API and the seed (keyword-only)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel.ext.asyncio.session import AsyncSession

from db.models import (
    Agency,
    Component,
    Dossier,
    DossierCodeSequence,
    DossierStep,
    Officer,
    ProcedureRecord,
    TimelineEntry,
    Unit,
)
from domain.codes import format_dossier_code
from domain.dossier import Actor, Role
from domain.procedures import Procedure
from domain.text import contains_pattern

PROCEDURE_ADAPTER: TypeAdapter[Procedure] = TypeAdapter(Procedure)


def procedure_to_json(procedure: Procedure) -> dict[str, Any]:
    return PROCEDURE_ADAPTER.dump_python(procedure, mode="json")


def procedure_from_record(record: ProcedureRecord) -> Procedure:
    return PROCEDURE_ADAPTER.validate_python(record.definition)


async def get_procedure(session: AsyncSession, *, code: str) -> Procedure | None:
    record = await session.get(ProcedureRecord, code)
    if record is None or not record.active:
        return None
    return procedure_from_record(record)


async def list_procedures(session: AsyncSession) -> list[Procedure]:
    records = await session.scalars(
        select(ProcedureRecord).where(ProcedureRecord.active).order_by(ProcedureRecord.code)
    )
    return [procedure_from_record(r) for r in records]


async def get_officer(session: AsyncSession, *, username: str) -> Officer | None:
    officer = await session.get(Officer, username)
    return officer if officer is not None and officer.active else None


def actor_of(officer: Officer) -> Actor:
    return Actor(
        username=officer.username,
        full_name=officer.full_name,
        role=Role(officer.role),
        agency_code=officer.agency_code or "",
        unit_code=officer.unit_code or "",
        title=officer.title,
    )


async def allocate_code(session: AsyncSession, *, agency_code: str, day: date) -> str:
    """Issue the next dossier code of `agency_code` for `day`, atomically.

    One `INSERT … ON CONFLICT DO UPDATE … RETURNING` statement: concurrent submissions on
    PostgreSQL serialise on the row; SQLite serialises writers. A code is never issued twice."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = DossierCodeSequence.__table__
    statement = (
        insert(table)
        .values(agency_code=agency_code, day=day, last_value=1)
        .on_conflict_do_update(
            index_elements=[table.c.agency_code, table.c.day],
            set_={"last_value": table.c.last_value + 1},
        )
        .returning(table.c.last_value)
    )
    sequence = (await session.execute(statement)).scalar_one()
    return format_dossier_code(agency_code, day, sequence)


async def find_by_idempotency_key(session: AsyncSession, *, key: str) -> Dossier | None:
    return await session.scalar(select(Dossier).where(Dossier.idempotency_key == key))


@dataclass(frozen=True)
class DossierFilter:
    status: str | None = None
    agency_code: str | None = None
    procedure_code: str | None = None
    overdue_at: datetime | None = None  # dossiers open and past due at this moment
    due_before: datetime | None = None
    text: str | None = None
    visible_to_agency: str | None = None  # an officer sees dossiers their agency takes part in


OPEN_STATUSES = ("submitted", "received", "processing", "supplement_requested", "awaiting_payment")


def _filtered(query: Any, f: DossierFilter) -> Any:
    if f.status:
        query = query.where(Dossier.status == f.status)
    if f.agency_code:
        query = query.where(
            or_(Dossier.agency_code == f.agency_code, Dossier.current_agency_code == f.agency_code)
        )
    if f.procedure_code:
        query = query.where(Dossier.procedure_code == f.procedure_code)
    if f.overdue_at is not None:
        query = query.where(Dossier.status.in_(OPEN_STATUSES), Dossier.due_at < f.overdue_at)
    if f.due_before is not None:
        query = query.where(Dossier.due_at < f.due_before)
    if f.text:
        like = contains_pattern(f.text.lower())  # `%` and `_` typed are literal
        query = query.where(
            or_(
                func.lower(Dossier.code).like(like, escape="\\"),
                func.lower(Dossier.applicant_name).like(like, escape="\\"),
                func.lower(Dossier.applicant_id_number).like(like, escape="\\"),
            )
        )
    if f.visible_to_agency:
        involved = select(DossierStep.dossier_code).where(
            DossierStep.agency_code == f.visible_to_agency
        )
        query = query.where(
            or_(Dossier.agency_code == f.visible_to_agency, Dossier.code.in_(involved))
        )
    return query


async def list_dossiers(
    session: AsyncSession, *, filters: DossierFilter, limit: int, offset: int
) -> tuple[list[Dossier], int]:
    total = await session.scalar(_filtered(select(func.count()).select_from(Dossier), filters))
    rows = await session.scalars(
        _filtered(select(Dossier), filters)
        .order_by(Dossier.submitted_at.desc(), Dossier.code.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows), int(total or 0)


async def dossier_steps(session: AsyncSession, *, code: str) -> list[DossierStep]:
    rows = await session.scalars(
        select(DossierStep).where(DossierStep.dossier_code == code).order_by(DossierStep.idx)
    )
    return list(rows)


async def dossier_timeline(session: AsyncSession, *, code: str) -> list[TimelineEntry]:
    rows = await session.scalars(
        select(TimelineEntry).where(TimelineEntry.dossier_code == code).order_by(TimelineEntry.seq)
    )
    return list(rows)


async def dossier_components(session: AsyncSession, *, code: str) -> list[Component]:
    rows = await session.scalars(
        select(Component).where(Component.dossier_code == code).order_by(Component.id)
    )
    return list(rows)


async def dossier_agencies(session: AsyncSession, *, code: str) -> set[str]:
    dossier = await session.get(Dossier, code)
    if dossier is None:
        return set()
    steps = await session.scalars(
        select(DossierStep.agency_code).where(DossierStep.dossier_code == code)
    )
    return {dossier.agency_code, *steps}


async def org_names(session: AsyncSession) -> tuple[dict[str, str], dict[str, str]]:
    agencies = {a.code: a.name for a in await session.scalars(select(Agency))}
    units = {u.code: u.name for u in await session.scalars(select(Unit))}
    return agencies, units
