"""Queries and writes on the read model used by the API and the seed (keyword-only)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import bindparam, func, literal_column, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from db.models import (
    Component,
    Delegation,
    Dossier,
    DossierCodeSequence,
    DossierStep,
    Officer,
    ProcedureRecord,
    ProcedureVersion,
    StepAttemptRecord,
    TimelineEntry,
    Unit,
)
from db.rows import rows_of_dossier
from domain.codes import format_dossier_code
from domain.dossier import Actor, Role
from domain.procedures import Procedure
from domain.text import contains_pattern, fold

PROCEDURE_ADAPTER: TypeAdapter[Procedure] = TypeAdapter(Procedure)


def procedure_to_json(procedure: Procedure) -> dict[str, Any]:
    data: dict[str, Any] = PROCEDURE_ADAPTER.dump_python(procedure, mode="json")
    return data


def procedure_from_record(record: ProcedureRecord) -> Procedure:
    return PROCEDURE_ADAPTER.validate_python(record.definition)


def procedure_of(version: ProcedureVersion) -> Procedure:
    procedure = PROCEDURE_ADAPTER.validate_python(version.definition)
    return replace(procedure, version=version.version)


async def in_force(
    session: AsyncSession, codes: list[str], at: datetime
) -> dict[str, ProcedureVersion]:
    """The published version of each procedure in force at `at` (the latest to take effect)."""
    rows = await session.scalars(
        select(ProcedureVersion)
        .where(
            col(ProcedureVersion.procedure_code).in_(codes),
            col(ProcedureVersion.state) == "published",
        )
        .order_by(col(ProcedureVersion.version))
    )
    found: dict[str, ProcedureVersion] = {}
    for row in rows:
        if row.effective_from is None or row.effective_from <= at:
            held = found.get(row.procedure_code)
            if held is None or _takes_effect(row) >= _takes_effect(held):
                found[row.procedure_code] = row
    return found


def _takes_effect(version: ProcedureVersion) -> tuple[datetime, int]:
    return (version.effective_from or datetime.min.replace(tzinfo=UTC), version.version)


async def get_procedure(
    session: AsyncSession, *, code: str, version: int | None = None, at: datetime | None = None
) -> Procedure | None:
    """A procedure open for new dossiers as in force `at` (now), or the given `version` of
    it — what a dossier pinned to that version reads, retired or not."""
    record = await session.get(ProcedureRecord, code)
    if record is None:
        return None
    if version is not None:
        pinned = await session.get(ProcedureVersion, (code, version))
        return procedure_of(pinned) if pinned is not None else procedure_from_record(record)
    if not record.active:
        return None
    current = (await in_force(session, [code], at or datetime.now(UTC))).get(code)
    if current is not None:
        return procedure_of(current)
    return None if await _has_versions(session, code) else procedure_from_record(record)


async def procedure_name(session: AsyncSession, *, code: str, version: int | None) -> str:
    """The name of the procedure version a dossier is pinned to, read in one query without
    parsing the definition (a detail read needs nothing else of it): the version's own name,
    else the catalogue entry's (an entry from before versions), else the code."""
    query = (
        select(
            col(ProcedureVersion.definition)["name"].as_string(),
            col(ProcedureRecord.definition)["name"].as_string(),
        )
        .select_from(ProcedureRecord)
        .outerjoin(
            ProcedureVersion,
            (col(ProcedureVersion.procedure_code) == col(ProcedureRecord.code))
            & (col(ProcedureVersion.version) == version),
        )
        .where(col(ProcedureRecord.code) == code)
    )
    found = (await session.execute(query)).first()
    if found is None:
        return code
    pinned, catalogued = found
    return pinned or catalogued or code


async def dossier_procedure_name(session: AsyncSession, row: Dossier) -> str:
    """The name of the procedure version the dossier is pinned to: the row's own (written with
    it, migration 0020 filled in the older ones), else read as `procedure_name` reads it."""
    return row.procedure_name or await procedure_name(
        session, code=row.procedure_code, version=row.procedure_version
    )


async def _has_versions(session: AsyncSession, code: str) -> bool:
    """Versions exist (none in force yet: published to take effect later); without any, the
    catalogue entry predates versions and is its own version 1."""
    found = await session.scalar(
        select(func.count())
        .select_from(ProcedureVersion)
        .where(
            col(ProcedureVersion.procedure_code) == code,
            col(ProcedureVersion.state) != "draft",
        )
    )
    return bool(found)


async def list_procedures(session: AsyncSession) -> list[Procedure]:
    records = list(
        await session.scalars(
            select(ProcedureRecord)
            .where(col(ProcedureRecord.active))
            .order_by(col(ProcedureRecord.code))
        )
    )
    current = await in_force(session, [r.code for r in records], datetime.now(UTC))
    listed = []
    for record in records:
        if record.code in current:
            listed.append(procedure_of(current[record.code]))
        elif not await _has_versions(session, record.code):
            listed.append(procedure_from_record(record))
    return listed


async def get_officer(session: AsyncSession, *, username: str) -> Officer | None:
    officer = await session.get(Officer, username)
    return officer if officer is not None and officer.active else None


async def active_officers(session: AsyncSession, usernames: list[str]) -> list[Officer]:
    """The active accounts among `usernames`, once each, in their order (who is told)."""
    found = [await get_officer(session, username=u) for u in dict.fromkeys(usernames)]
    return [officer for officer in found if officer is not None]


def actor_of(officer: Officer, acting_head_of: tuple[str, ...] = ()) -> Actor:
    return Actor(
        username=officer.username,
        full_name=officer.full_name,
        role=Role(officer.role),
        agency_code=officer.agency_code or "",
        unit_code=officer.unit_code or "",
        title=officer.title,
        acting_head_of=acting_head_of,
    )


async def acting_actor(session: AsyncSession, officer: Officer, at: datetime) -> Actor:
    """The officer as an actor, with the units they stand in for as head at `at`."""
    return actor_of(officer, await acting_units(session, officer.username, at))


_ACTING_UNITS = select(col(Delegation.unit_code)).where(  # on every clerk action
    col(Delegation.acting_username) == bindparam("username"),
    col(Delegation.starts_at) <= bindparam("at"),
    col(Delegation.ends_at) > bindparam("at"),
)


async def acting_units(session: AsyncSession, username: str, at: datetime) -> tuple[str, ...]:
    rows = await session.scalars(_ACTING_UNITS, {"username": username, "at": at})
    return tuple(sorted(set(rows)))


async def unit_head_at(session: AsyncSession, unit: Unit, at: datetime) -> str | None:
    """Who heads `unit` at `at`: the acting head of a delegation running then, else its head."""
    acting = (
        await session.scalars(
            select(col(Delegation.acting_username))
            .where(
                col(Delegation.unit_code) == unit.code,
                col(Delegation.starts_at) <= at,
                col(Delegation.ends_at) > at,
            )
            .order_by(col(Delegation.starts_at).desc())
        )
    ).first()
    return acting or unit.head_username


async def allocate_code(session: AsyncSession, *, agency_code: str, day: date) -> str:
    """Issue the next dossier code of `agency_code` for `day`, atomically.

    One `INSERT … ON CONFLICT DO UPDATE … RETURNING` statement: concurrent submissions on
    PostgreSQL serialise on the row; SQLite serialises writers. A code is never issued twice."""
    dialect = session.bind.dialect.name if session.bind is not None else "sqlite"
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = DossierCodeSequence.__table__  # type: ignore[attr-defined]  # set by SQLModel, untyped
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
    return await session.scalar(select(Dossier).where(col(Dossier.idempotency_key) == key))


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
        query = query.where(col(Dossier.status) == f.status)
    if f.agency_code:
        query = query.where(
            or_(
                col(Dossier.agency_code) == f.agency_code,
                col(Dossier.current_agency_code) == f.agency_code,
            )
        )
    if f.procedure_code:
        query = query.where(col(Dossier.procedure_code) == f.procedure_code)
    if f.overdue_at is not None:
        query = query.where(
            col(Dossier.status).in_(OPEN_STATUSES), col(Dossier.due_at) < f.overdue_at
        )
    if f.due_before is not None:
        query = query.where(col(Dossier.due_at) < f.due_before)
    if f.text:
        # the code, the applicant's name or ID number; `%` and `_` typed are literal
        query = query.where(
            col(Dossier.search_text).like(contains_pattern(fold(f.text)), escape="\\")
        )
    if f.visible_to_agency:
        involved = select(col(DossierStep.dossier_code)).where(
            col(DossierStep.agency_code) == f.visible_to_agency
        )
        query = query.where(
            or_(col(Dossier.agency_code) == f.visible_to_agency, col(Dossier.code).in_(involved))
        )
    return query


#: How many matching dossiers a list counts before it says "more than" (`Total`): counting
#: every one of 100,000 open dossiers took longer than reading the page itself
#: (`bench/listing.py`), and nobody pages past the ten-thousandth.
COUNT_LIMIT = 10_000


@dataclass(frozen=True)
class Total:
    """How many dossiers a list holds: `count` exactly, or (`exact` False) more than
    `COUNT_LIMIT`, `count` being that limit."""

    count: int
    exact: bool = True

    def __str__(self) -> str:
        return str(self.count) if self.exact else f"{self.count}+"


async def count_up_to(session: AsyncSession, matching: Any, limit: int = COUNT_LIMIT) -> Total:
    """How many rows `matching` (a SELECT of the rows, its columns unused) finds, counting no
    further than `limit`."""
    rows = matching.with_only_columns(literal_column("1"), maintain_column_froms=True)
    rows = rows.limit(limit + 1).subquery()
    found = int(await session.scalar(select(func.count()).select_from(rows)) or 0)
    return Total(min(found, limit), exact=found <= limit)


async def list_dossiers(
    session: AsyncSession, *, filters: DossierFilter, limit: int, offset: int
) -> tuple[list[Dossier], Total]:
    matching = _filtered(select(Dossier), filters)
    total = await count_up_to(session, matching)
    rows = await session.scalars(
        matching.order_by(col(Dossier.submitted_at).desc(), col(Dossier.code).desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows), total


# A dossier's detail read runs these on every view and action: each statement is built once
# (building the SELECTs was about a third of the read's own time), bound to the code per call.
_STEPS_OF = rows_of_dossier(DossierStep, col(DossierStep.idx))
_ATTEMPTS_OF = rows_of_dossier(
    StepAttemptRecord, col(StepAttemptRecord.started_at), col(StepAttemptRecord.step_index)
)
_TIMELINE_OF = rows_of_dossier(TimelineEntry, col(TimelineEntry.seq))
_COMPONENTS_OF = rows_of_dossier(Component, col(Component.id))
_STEP_AGENCIES_OF = select(col(DossierStep.agency_code)).where(
    col(DossierStep.dossier_code) == bindparam("code")
)


async def dossier_steps(session: AsyncSession, *, code: str) -> list[DossierStep]:
    return list(await session.scalars(_STEPS_OF, {"code": code}))


async def step_attempts(session: AsyncSession, *, code: str) -> list[StepAttemptRecord]:
    return list(await session.scalars(_ATTEMPTS_OF, {"code": code}))


async def dossier_timeline(session: AsyncSession, *, code: str) -> list[TimelineEntry]:
    return list(await session.scalars(_TIMELINE_OF, {"code": code}))


async def dossier_components(session: AsyncSession, *, code: str) -> list[Component]:
    return list(await session.scalars(_COMPONENTS_OF, {"code": code}))


async def dossier_agencies(session: AsyncSession, *, code: str) -> set[str]:
    dossier = await session.get(Dossier, code)
    if dossier is None:
        return set()
    return {dossier.agency_code, *await session.scalars(_STEP_AGENCIES_OF, {"code": code})}
