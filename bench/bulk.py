"""Bulk set-up for the storm and open-dossier scenarios: dossier workflows started directly with
the Temporal client, each with the state the workflow itself would hold after the clerk
accepted the dossier and forwarded it to step 1 at one instant. The API sets dossiers up at
≈ 1–2 /s on this machine, which put the issue's sizes (10,000 / 100,000) out of reach.

What is the same as through the API: the state is built by the pure domain methods the
workflow runs (`DossierState.new`, `domain.actions.act`), the workflow is
the real `DossierWorkflow` on the real worker, and its first activity writes the read-model
row (the projection creates a missing row), the steps, components, payments and the portal
outbox, then wakes the dossier's portal-sync workflow. What is skipped: the API's own row
insert, the online payment (the fees are collected at the desk on acceptance, as for a paper
dossier: the payment is settled, so no payment timers), and the accept / forward updates'
history events (the workflow starts where they would have left it: 1 projection instead of 3).
The clock configuration is loaded once and passed in, so the workflow does not fetch it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlmodel import col
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

from bench.driver import CLERK, LAND, pool
from config import DOSSIER_TASK_QUEUE
from db.calendar import load_clock_config
from db.engine import make_engine, make_session_maker
from db.models import Dossier
from db.repository import get_procedure
from domain import actions
from domain.calendar import DEFAULT_TZ, OfficeHours, WorkCalendar
from domain.codes import MAX_SEQUENCE, format_dossier_code, parse_dossier_code, workflow_id
from domain.dossier import ActionRequest, Actor, Applicant, Channel, DossierState, Role
from domain.lifecycle import Action, Status
from domain.procedures import Procedure
from domain.statutory import ClockConfig
from messages import DossierInput
from workflows.client import data_converter
from workflows.dossier import PATCH_LEVEL, DossierWorkflow

#: Agency part of bench dossier codes: `BENCH-YYMMDD-NNNN`, a prefix no seeded agency uses.
BENCH_AGENCY = "BENCH"
APPLICANT = Applicant(name="Nguyễn Thị Hồng Nhung", id_number="079190001234")
COMPONENTS = ("DDK", "NGD")
#: The seeded clerk of the receiving agency (db.seed's `motcua.tnmt`).
CLERK_NAME = "Trần Thị Mai"


@dataclass(frozen=True)
class ReadModel:
    """A read model migrated and seeded (the catalogue, the demo officers) for an in-process
    bench, with what projecting the land procedure's dossiers into it takes."""

    engine: Any
    sessions: Any
    procedure: Procedure
    calendar: WorkCalendar
    clerk: Actor
    projection: Any  # activities.projection.ProjectionActivities over `sessions`


async def read_model(url: str) -> ReadModel:
    from activities.projection import ProjectionActivities
    from db.engine import migrate
    from db.seed import seed_catalogue, seed_demo_officers

    await migrate(url)
    engine = make_engine(url)
    sessions = make_session_maker(engine)
    await seed_catalogue(sessions)
    await seed_demo_officers(sessions)  # the unit heads escalations reach, the agency head
    async with sessions() as session:
        procedure = await get_procedure(session, code=LAND)
        config = await load_clock_config(session)
    assert procedure is not None
    clerk = Actor(CLERK, CLERK_NAME, Role.CLERK, agency_code=procedure.agency_code)
    return ReadModel(
        engine, sessions, procedure, config.work_calendar(), clerk, ProjectionActivities(sessions)
    )


def bench_code(first_day: date, index: int) -> str:
    """The `index`-th (0-based) bench code: 9,999 per day (the code's sequence is 4 digits),
    then the next day."""
    day = first_day + timedelta(days=index // MAX_SEQUENCE)
    return format_dossier_code(BENCH_AGENCY, day, index % MAX_SEQUENCE + 1)


def forwarded_state(
    code: str, procedure: Procedure, clerk: Actor, at: datetime, config: ClockConfig
) -> DossierState:
    """A dossier submitted online, accepted (fees collected at the desk) and forwarded to
    step 1, all at `at`, exactly as the workflow's update handlers would leave it."""
    calendar = config.work_calendar()
    state = DossierState.new(
        code=code,
        procedure=procedure,
        channel=Channel.ONLINE,
        applicant=APPLICANT,
        submitted_at=at,
        handed_in=COMPONENTS,
        pay_online=False,
    )
    for action in (Action.ACCEPT, Action.FORWARD):
        actions.act(state, ActionRequest(action=action, actor=clerk), at, calendar)
    assert state.status == Status.PROCESSING and state.step_index == 0
    return state


def live_storm_clock(
    base: ClockConfig, procedure: Procedure, due: datetime, day: timedelta
) -> tuple[ClockConfig, datetime]:
    """A clock under which dossiers forwarded at the returned instant fall due at `due`, in
    real time, on a server that cannot skip time: every day is a working day of one office
    period `day` long that closes at `due`'s local minute, and there are no holidays. The
    step's warning (one working day before) then falls at `due - day`. Returns the clock and
    the instant to forward at (just after a closing, some working days before `due`)."""
    tz = ZoneInfo(DEFAULT_TZ)
    closing = due.astimezone(tz)
    opening = closing - day
    if opening.date() != closing.date() or day.total_seconds() % 60 or due.second:
        raise ValueError(f"a working day of {day} cannot close at {closing:%H:%M:%S} local")
    hours = OfficeHours(periods=((opening.time(), closing.time()),), weekdays=tuple(range(7)))
    years = tuple(range(closing.year - 1, closing.year + 2))
    calendar = WorkCalendar(office_hours=hours, years=years)
    config = ClockConfig(
        calendar=calendar.to_dict(),
        escalation_every_days=base.escalation_every_days,
        version=f"bench-live-{due:%Y%m%dT%H%M}-{int(day.total_seconds()) // 60}",
    )
    clerk = Actor(CLERK, CLERK_NAME, Role.CLERK, agency_code=procedure.agency_code)
    for days_before in range(1, 200):
        at = due - timedelta(days=days_before) + timedelta(minutes=1)  # after that closing
        state = forwarded_state("BENCH-000101-0001", procedure, clerk, at, config)
        if state.steps[0].due_at == due:
            return config, at
        if state.steps[0].due_at is not None and state.steps[0].due_at < due:
            break
    raise ValueError(f"no forwarding instant makes step 1 of {procedure.code} fall due at {due}")


@dataclass
class BulkResult:
    total: int
    started_s: float  # all workflow starts acknowledged by the server
    recorded_s: float  # every read-model row written by the worker
    codes: list[str]

    @property
    def rate(self) -> float:
        return self.total / self.recorded_s if self.recorded_s > 0 else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "starts_seconds": round(self.started_s, 1),
            "recorded_seconds": round(self.recorded_s, 1),
            "rate_per_s": round(self.rate, 1),
        }


class Window:
    """Lets a start go only while fewer than `ahead` started dossiers have no read-model row
    yet. One waiting starter counts the rows (`count`, every `poll` s) while the others queue
    behind it; `all_recorded` then waits for the last rows. Past `within` s since the window
    opened, either raises."""

    def __init__(
        self,
        ahead: int,
        *,
        count: Callable[[], Awaitable[int]],
        already: int,
        total: int,
        within: float,
        progress: Any = None,
        poll: float = 0.5,
    ) -> None:
        self.ahead, self.count, self.already, self.total = ahead, count, already, total
        self.within, self.progress, self.poll = within, progress, poll
        self.issued = 0
        self.recorded = already
        self.opened = time.monotonic()
        self._counting = asyncio.Lock()

    async def admit(self) -> None:
        """Wait until one more start fits in the window, and count it as started."""
        async with self._counting:
            await self._until(lambda: self.issued - (self.recorded - self.already) < self.ahead)
            self.issued += 1

    async def all_recorded(self, poll: float) -> None:
        """Wait until every one of the `total` dossiers has its row."""
        self.recorded = await self.count()
        await self._until(lambda: self.recorded - self.already >= self.total, poll)

    async def _until(self, enough: Callable[[], bool], poll: float | None = None) -> None:
        while not enough():
            done, elapsed = self.recorded - self.already, time.monotonic() - self.opened
            if self.progress is not None:
                self.progress(done, elapsed)
            if elapsed > self.within:
                raise RuntimeError(f"only {done} of {self.total} rows after {self.within:.0f} s")
            await asyncio.sleep(self.poll if poll is None else poll)
            self.recorded = await self.count()


async def count_bench_rows(sessions: Any) -> int:
    async with sessions() as session:
        query = select(func.count()).where(col(Dossier.code).startswith(f"{BENCH_AGENCY}-"))
        return int(await session.scalar(query) or 0)


async def set_up(
    *,
    temporal_address: str,
    database_url: str,
    at: datetime,
    total: int,
    concurrency: int = 128,
    ahead: int = 1000,
    within: float | None = None,
    progress: Any = None,
    config: ClockConfig | None = None,
) -> BulkResult:
    """Start `total` forwarded dossiers (state as of `at`) and wait until the worker has
    written every read-model row. Codes continue after the bench dossiers already there.
    `config` (default: the database's calendar) is the clock every workflow is given.

    At most `ahead` dossiers are started and not yet recorded: a dev server given tens of
    thousands of starts at once keeps their workflow tasks as a backlog in its database and
    slows to about one dossier a second (seen at 100,000). `within` (default: an hour, or
    200 ms per dossier, 5 /s, if longer) bounds the whole set-up."""
    if within is None:
        within = max(3600.0, total * 0.2)
    engine = make_engine(database_url)
    sessions = make_session_maker(engine)
    try:
        async with sessions() as session:
            procedure = await get_procedure(session, code=LAND)
            assert procedure is not None, f"procedure {LAND} is not in the seeded catalogue"
            if config is None:
                config = await load_clock_config(session, today=(at + timedelta(hours=7)).date())
        clerk = Actor(CLERK, CLERK_NAME, Role.CLERK, agency_code=procedure.agency_code)
        already = await count_bench_rows(sessions)
        first_day = (at + timedelta(hours=7)).date()
        codes = [bench_code(first_day, already + i) for i in range(total)]
        for code in codes[:1]:
            parse_dossier_code(code)  # the read model's format
        # its own connection, with the project's converter (one TypeAdapter per type)
        client = await Client.connect(temporal_address, data_converter=data_converter)
        todo = iter(codes)
        started = time.monotonic()
        window = Window(
            ahead,
            count=lambda: count_bench_rows(sessions),
            already=already,
            total=total,
            within=within,
            progress=progress,
        )

        async def start_one() -> None:
            await window.admit()
            code = next(todo)
            state = forwarded_state(code, procedure, clerk, at, config)
            await client.start_workflow(
                DossierWorkflow.run,
                DossierInput(state=state, config=config, patch_level=PATCH_LEVEL),
                id=workflow_id(code),
                task_queue=DOSSIER_TASK_QUEUE,
                id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )

        await pool(min(concurrency, max(total, 1)), total, start_one)
        started_s = time.monotonic() - started
        await window.all_recorded(poll=1.0 if total > 1000 else 0.1)
        return BulkResult(total, started_s, time.monotonic() - started, codes)
    finally:
        await engine.dispose()
