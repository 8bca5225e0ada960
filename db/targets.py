"""The province's indicator targets as stored rows, and back as `domain.targets.Target`."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from db.models import IndicatorTarget
from domain.outcomes import AgencyLevel
from domain.period import Period
from domain.portal import VIETNAM_TZ
from domain.targets import DEFAULT_TARGETS, Target


def _local_day(moment: datetime | None) -> date | None:
    return moment.astimezone(VIETNAM_TZ).date() if moment else None


def _start_of(day: date | None) -> datetime | None:
    return Period.between(day, day).start if day else None


def row_of(target: Target) -> IndicatorTarget:
    return IndicatorTarget(
        indicator=target.indicator,
        level=target.level.value if target.level else None,
        sector=target.sector,
        valid_from=_local_day(target.valid_from),
        valid_to=_local_day(target.valid_to),
        minimum=target.minimum,
        source=target.source,
    )


def target_of(row: IndicatorTarget) -> Target:
    return Target(
        indicator=row.indicator,
        minimum=row.minimum,
        source=row.source,
        level=AgencyLevel(row.level) if row.level else None,
        sector=row.sector,
        valid_from=_start_of(row.valid_from),
        valid_to=_start_of(row.valid_to),
    )


def default_rows() -> list[IndicatorTarget]:
    """The seeded table: Ho Chi Minh City's 2024 plan and Decision 1191's per-field floor."""
    return [row_of(t) for t in DEFAULT_TARGETS]


async def targets(session: AsyncSession) -> list[Target]:
    rows = await session.scalars(select(IndicatorTarget).order_by(col(IndicatorTarget.id)))
    return [target_of(r) for r in rows]
