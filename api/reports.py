"""The reporting services behind `/reports`: who may see which agencies' figures, the period
a request names, and the outcome records of the dossiers in scope. The figures themselves
come from `domain.indicators`, `domain.targets` and `domain.publications`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from sqlalchemy import or_, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from api.errors import Problem
from db.calendar import working_calendar
from db.models import Agency, Dossier, DossierStep, Officer
from db.outcomes import outcome_records
from domain.indicators import Dimension
from domain.outcomes import AgencyLevel, OutcomeRecord
from domain.period import Period

#: Roles that see every agency's figures (the province's administrator).
SEES_ALL = ("admin",)
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-Q([1-4])$")


def period_of(
    *,
    month: str | None = None,
    quarter: str | None = None,
    year: int | None = None,
    from_: date | None = None,
    to: date | None = None,
    today: date | None = None,
) -> Period:
    """The period a request names: `month=2026-11`, `quarter=2026-Q4`, `year=2026`, or
    `from`/`to` (both days included); the current month when none is given."""
    given = sum(x is not None for x in (month, quarter, year)) + (
        1 if from_ is not None or to is not None else 0
    )
    if given > 1:
        raise Problem(422, "name one period: month, quarter, year, or from and to")
    if month is not None:
        found = _MONTH.match(month)
        if not found or not 1 <= int(found[2]) <= 12:
            raise Problem(422, f"month {month!r} is not of the form 2026-11")
        return Period.month(int(found[1]), int(found[2]))
    if quarter is not None:
        found = _QUARTER.match(quarter)
        if not found:
            raise Problem(422, f"quarter {quarter!r} is not of the form 2026-Q4")
        return Period.quarter(int(found[1]), int(found[2]))
    if year is not None:
        if not 2000 <= year <= 2100:
            raise Problem(422, f"year {year} is out of range")
        return Period.year(year)
    if from_ is not None or to is not None:
        if from_ is None or to is None:
            raise Problem(422, "a period by dates needs both from and to")
        if to < from_:
            raise Problem(422, "the period's end (to) is before its start (from)")
        if (to - from_).days > 3 * 366:
            raise Problem(422, "a period is at most three years long")
        return Period.between(from_, to)
    today = today or datetime.now(UTC).date()
    return Period.month(today.year, today.month)


async def agency_scope(
    session: AsyncSession, officer: Officer, agency: str | None
) -> set[str] | None:
    """The agencies whose figures the caller asks for and may see, with their sub-agencies;
    None for all. An officer sees their own agency (and the agencies under it); the
    province's administrator sees every one."""
    agencies = {a.code: a for a in await session.scalars(select(Agency))}
    if agency is not None and agency not in agencies:
        raise Problem(404, f"there is no agency {agency!r}")
    if officer.role not in SEES_ALL:
        own = officer.agency_code or ""
        if agency is not None and agency not in _with_children(agencies, own):
            raise Problem(403, "an agency sees its own figures and those of the agencies under it")
        agency = agency or own
    if agency is None:
        return None
    return _with_children(agencies, agency)


async def children_of(session: AsyncSession, agency: str) -> set[str]:
    """An agency and the agencies under it."""
    return _with_children({a.code: a for a in await session.scalars(select(Agency))}, agency)


async def first_forwarded(session: AsyncSession, codes: list[str]) -> dict[str, datetime]:
    """When each dossier went from the desk to the first agency that handles it."""
    if not codes:
        return {}
    found = await session.execute(
        select(col(DossierStep.dossier_code), col(DossierStep.started_at)).where(
            col(DossierStep.dossier_code).in_(codes), col(DossierStep.idx) == 0
        )
    )
    return {code: started for code, started in found if started is not None}


def _with_children(agencies: dict[str, Agency], root: str) -> set[str]:
    found = {root}
    grew = True
    while grew:
        grew = False
        for code, agency in agencies.items():
            if agency.parent_code in found and code not in found:
                found.add(code)
                grew = True
    return found


@dataclass(frozen=True)
class RecordFilter:
    """What a report narrows its dossiers to, beyond the agencies in scope."""

    level: AgencyLevel | None = None
    sector: str | None = None
    procedure: str | None = None
    officer: str | None = None
    unit: str | None = None

    def keeps(self, record: OutcomeRecord) -> bool:
        return (
            (self.level is None or record.agency_level == self.level)
            and (self.sector is None or record.sector == self.sector)
            and (self.procedure is None or record.procedure_code == self.procedure)
            and (self.officer is None or self.officer in record.officers)
            and (self.unit is None or self.unit in record.unit_codes)
        )


async def records_in(
    session: AsyncSession,
    period: Period,
    scope: set[str] | None,
    narrow: RecordFilter = RecordFilter(),
    now: datetime | None = None,
) -> tuple[list[OutcomeRecord], dict[str, Dossier]]:
    """The outcome records of every dossier that matters to `period` (submitted before its
    end and not closed before its start), in scope and narrowed; and their rows by code."""
    now = now or datetime.now(UTC)
    query = select(Dossier).where(
        col(Dossier.submitted_at) < period.end,
        or_(col(Dossier.finished_at).is_(None), col(Dossier.finished_at) >= period.start),
    )
    if narrow.procedure is not None:
        query = query.where(col(Dossier.procedure_code) == narrow.procedure)
    if scope is not None:
        handled = select(col(DossierStep.dossier_code)).where(
            col(DossierStep.agency_code).in_(scope)
        )
        query = query.where(
            or_(col(Dossier.agency_code).in_(scope), col(Dossier.code).in_(handled))
        )
    rows = list(await session.scalars(query.order_by(col(Dossier.submitted_at))))
    cal = await working_calendar(session, now.date())
    records = [r for r in await outcome_records(session, rows, cal, now) if narrow.keeps(r)]
    by_code = {row.code: row for row in rows}
    return records, by_code


def group_key(name: str | None) -> Dimension | None:
    if name is None:
        return None
    try:
        return Dimension(name)
    except ValueError:
        known = ", ".join(d.value for d in Dimension)
        raise Problem(422, f"group_by {name!r} is not one of {known}") from None
