"""The projection leaves alone the child rows an event did not change (`db.rows.LastWritten`):
the rows come out exactly as when every table is read and compared, and a table the same
process wrote at the dossier's previous event is neither read nor written."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import event as sa_event

from activities.projection import ProjectionActivities
from bench.bulk import APPLICANT, COMPONENTS
from db.calendar import load_clock_config
from db.models import Component, DossierStep, Officer, StepAttemptRecord
from db.payment_models import Payment
from db.repository import actor_of, get_procedure
from db.rows import LastWritten, Sections
from domain import actions
from domain.dossier import ActionRequest, Channel, DossierEvent, DossierState
from domain.lifecycle import Action
from messages import Projection

LAND = "1.004227"
CHILDREN = (DossierStep, StepAttemptRecord, Component, Payment)
#: the columns that differ between two dossiers holding the same rows
OWN = {"dossier_code", "reference", "updated_at", "id"}


def test_only_the_previous_event_of_the_same_process_is_trusted() -> None:
    written = LastWritten(capacity=2)
    rows = [{"dossier_code": "A", "idx": 0, "state": "open"}]
    first = written.sections("A", 3)
    assert not first.unchanged("dossier_step", rows)  # nothing known: read and compare
    written.remember("A", 3, first)
    assert written.sections("A", 4).unchanged("dossier_step", rows)
    assert not written.sections("A", 4).unchanged("dossier_step", [{**rows[0], "state": "x"}])
    assert not written.sections("A", 5).unchanged("dossier_step", rows)  # seq 4 went elsewhere
    assert not written.sections("A", 3).unchanged("dossier_step", rows)  # a retry of seq 3
    for code in ("B", "C"):  # the oldest is forgotten beyond the capacity
        written.remember(code, 1, Sections({}))
    assert not written.sections("A", 4).unchanged("dossier_step", rows)


async def _events(sessions, code: str) -> list[tuple[DossierState, DossierEvent]]:  # type: ignore[no-untyped-def]
    """The land procedure's dossier from submission to its second step, each event with the
    state after it (copied, as the workflow sends it)."""
    async with sessions() as session:
        procedure = await get_procedure(session, code=LAND)
        calendar = (await load_clock_config(session)).work_calendar()
        clerk, ward = (
            actor_of(o)
            for o in [await session.get(Officer, u) for u in ("motcua.tnmt", "cc.diachinh")]
            if o is not None
        )
    assert procedure is not None
    at = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # a Monday morning in Hà Nội
    state = DossierState.new(
        code=code,
        procedure=procedure,
        channel=Channel.ONLINE,
        applicant=APPLICANT,
        submitted_at=at,
        handed_in=COMPONENTS,
        pay_online=False,
    )
    out = [(copy.deepcopy(state), state.submission_event())]
    for hours, action, actor in (
        (1, Action.ACCEPT, clerk),
        (2, Action.FORWARD, clerk),
        (3, Action.FORWARD, ward),
    ):
        request = ActionRequest(action=action, actor=actor)
        event = actions.act(state, request, at + timedelta(hours=hours), calendar)
        out.append((copy.deepcopy(state), event))
    return out


async def _children(sessions, code: str) -> dict[str, list[dict]]:  # type: ignore[no-untyped-def]
    held = {}
    async with sessions() as session:
        for model in CHILDREN:
            table = model.__table__  # type: ignore[attr-defined]
            rows = await session.execute(sa.select(table).where(table.c.dossier_code == code))
            held[table.name] = sorted(
                ({k: v for k, v in r.items() if k not in OWN} for r in rows.mappings()),
                key=repr,
            )
    return held


async def _reads(engine, recording: Awaitable[None]) -> str:  # type: ignore[no-untyped-def]
    """The SELECT statements run while `recording` is awaited, joined."""
    reads: list[str] = []

    def note(conn, cursor, statement, params, context, executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT"):
            reads.append(statement)

    sa_event.listen(engine.sync_engine, "before_cursor_execute", note)
    try:
        await recording
    finally:
        sa_event.remove(engine.sync_engine, "before_cursor_execute", note)
    return " ".join(reads)


async def test_rows_come_out_as_when_every_table_is_compared(sessions, engine) -> None:  # type: ignore[no-untyped-def]
    remembering, fresh = f"SECT-{uuid.uuid4().hex[:8]}", f"SECT-{uuid.uuid4().hex[:8]}"
    one_process = ProjectionActivities(sessions)

    for (state, event), (twin, twin_event) in zip(
        await _events(sessions, remembering), await _events(sessions, fresh), strict=True
    ):
        read = await _reads(engine, one_process.record(Projection(state=state, event=event)))
        if event.action == Action.FORWARD.value:
            # a forward moves the steps and their attempts: the components and payments,
            # written at the event before by this process, are not even read
            assert "FROM component" not in read and "FROM payment" not in read, read
            assert "FROM dossier_step" in read and "FROM step_attempt" in read
        # the twin: every event projected by a process that knows nothing of the dossier
        await ProjectionActivities(sessions).record(Projection(state=twin, event=twin_event))
    assert await _children(sessions, remembering) == await _children(sessions, fresh)
    assert (await _children(sessions, remembering))["step_attempt"]  # something was compared


async def test_a_projection_remembers_only_as_many_dossiers_as_it_is_told(sessions, engine) -> None:  # type: ignore[no-untyped-def]
    """The dossier worker remembers as many dossiers as its workflow cache holds: one
    projected before the last `remembered` others has its tables read again."""
    first, other = f"SECT-{uuid.uuid4().hex[:8]}", f"SECT-{uuid.uuid4().hex[:8]}"
    one_dossier = ProjectionActivities(sessions, remembered=1)

    forwards = 0
    for (state, event), (twin, twin_event) in zip(
        await _events(sessions, first), await _events(sessions, other), strict=True
    ):
        read = await _reads(engine, one_dossier.record(Projection(state=state, event=event)))
        if event.action == Action.FORWARD.value:
            forwards += 1
            assert "FROM component" in read  # forgotten: the other came after it
        await one_dossier.record(Projection(state=twin, event=twin_event))
    assert forwards == 2
    assert await _children(sessions, first) == await _children(sessions, other)
