"""The working calendar from the read model: Vietnamese holidays with the admin's
overrides, as workflow data (`ClockConfig`) and as a calendar reports and pages judge with."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from hashlib import sha256

from sqlalchemy import select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from db.clock_models import CalendarOverrideRecord
from db.models import Agency
from domain.calendar import CalendarOverride, WorkCalendar, build_calendar
from domain.statutory import ClockConfig

#: The years a workflow's calendar covers around today.
YEARS_BACK, YEARS_AHEAD = 1, 3
#: Reports also judge dossiers of earlier years: the same rules over a longer span.
REPORT_YEARS_BACK = 3


async def calendar_overrides(session: AsyncSession) -> list[CalendarOverride]:
    return [
        CalendarOverride(day=o.day, kind=o.kind, name=o.name)  # type: ignore[arg-type]
        for o in await session.scalars(
            select(CalendarOverrideRecord).order_by(col(CalendarOverrideRecord.day))
        )
    ]


async def load_clock_config(session: AsyncSession, today: date | None = None) -> ClockConfig:
    """Calendar (holidays + admin overrides) and escalation settings, as workflow data."""
    today = today or datetime.now(UTC).date()
    overrides = await calendar_overrides(session)
    years = range(today.year - YEARS_BACK, today.year + YEARS_AHEAD + 1)
    calendar = _built(years, overrides)
    agencies = list(await session.scalars(select(Agency)))
    every = {a.code: a.escalation_every_days for a in agencies}
    version = ";".join(f"{o.day}:{o.kind}" for o in overrides) + f"|{years.start}-{years.stop}"
    settings = [
        (a.code, a.office_hours, a.warning_before_days, a.apology_before_days) for a in agencies
    ]
    if any(hours or lead != 1.0 or apology is not None for _, hours, lead, apology in settings):
        # an agency's own settings make a new version: the running dossiers re-derive
        version += "|" + sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]
    return ClockConfig(
        calendar=calendar.to_dict(),
        escalation_every_days=every,
        version=version,
        warning_before_days={a.code: a.warning_before_days for a in agencies},
        office_hours={a.code: a.office_hours for a in agencies if a.office_hours},
        apology_before_days={
            a.code: a.apology_before_days for a in agencies if a.apology_before_days is not None
        },
    )


_CALENDARS: dict[tuple[object, ...], WorkCalendar] = {}


def _built(years: range, overrides: list[CalendarOverride]) -> WorkCalendar:
    """The calendar of `years` with `overrides`, built once per process for each (years and
    overrides, a handful): years of holidays cost 1.5 ms to build, and every dossier's start
    loads the clock, every overdue reading the calendar."""
    key = (years.start, years.stop, *((o.day, o.kind, o.name) for o in overrides))
    calendar = _CALENDARS.get(key)
    if calendar is None:
        if len(_CALENDARS) > 8:
            _CALENDARS.clear()
        calendar = _CALENDARS[key] = build_calendar(years, overrides)
    return calendar


async def working_calendar(session: AsyncSession, today: date | None = None) -> WorkCalendar:
    """The working calendar (holidays and the admin's overrides), built once per set of
    overrides: reading a dossier or a report does not rebuild years of holidays."""
    today = today or datetime.now(UTC).date()
    overrides = await calendar_overrides(session)
    return _built(range(today.year - REPORT_YEARS_BACK, today.year + YEARS_AHEAD + 1), overrides)
