"""What one projection event costs the dossier worker, in one process, taken apart: encoding the
`Projection` as the workflow sends it to its local activity (the pydantic converter, then the
compression codec), decoding it in the activity, and the read-model transaction
(`ProjectionActivities.record`) against a seeded SQLite file of its own, nobody else writing.

    .venv/bin/python bench/projection.py --dossiers 200 [--profile]

With `--notices` it also times the storm's write (`ClockActivities.record_notice`): level-1
escalations of as many dossiers, in batches of `activities.clock.NOTICE_BATCH` as a deadline
storm hands them to its group commit (the escalation, its timeline line and one notification per
recipient and channel, the org chart resolved once per batch).

It first times one statement (a three-row SELECT, a one-row UPDATE) through SQLAlchemy on the
stock aiosqlite dialect and on ours (`db.sqlite_driver`), on the same file.

Each dossier is the land-certificate procedure submitted online (its submission projected
first, untimed: the workflow's first event writes the row), then accepted and forwarded to step
1, by the same domain code the workflow runs; accept and forward are timed. Not part of
`make bench`: it says where a clerk's update spends its projection, not how the stack
performs."""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.ext.asyncio import create_async_engine  # noqa: E402

from activities.clock import NOTICE_BATCH, ClockActivities  # noqa: E402
from activities.notify import EmailChannel, LogChannel  # noqa: E402
from bench.bulk import APPLICANT, COMPONENTS, read_model  # noqa: E402
from db.engine import make_engine  # noqa: E402
from domain import actions, statutory  # noqa: E402
from domain.dossier import ActionRequest, Channel, DossierState  # noqa: E402
from domain.lifecycle import Action  # noqa: E402
from domain.statutory import Timer  # noqa: E402
from messages import Notice, Projection  # noqa: E402
from workflows.client import data_converter  # noqa: E402

EVENTS = (Action.ACCEPT, Action.FORWARD)
STATEMENTS = {"select": "SELECT a FROM t", "update": "UPDATE t SET a = a WHERE a = 1"}


async def statements(repeats: int = 3000) -> dict[str, float]:
    """Microseconds per statement, stock dialect against ours, on one SQLite file."""
    timings: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="motcua-statement-") as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/t.db"
        for name, engine in (("stock", create_async_engine(url)), ("one hop", make_engine(url))):
            async with engine.connect() as conn:
                await conn.execute(text("CREATE TABLE IF NOT EXISTS t (a INTEGER)"))
                await conn.execute(text("DELETE FROM t"))
                await conn.execute(text("INSERT INTO t VALUES (1), (2), (3)"))
                await conn.commit()
                for kind, sql in STATEMENTS.items():
                    statement = text(sql)
                    t0 = time.perf_counter()
                    for _ in range(repeats):
                        result = await conn.execute(statement)
                        if kind == "select":
                            result.all()
                    timings[f"{kind}, {name}"] = (time.perf_counter() - t0) / repeats * 1e6
            await engine.dispose()
    return timings


async def probe(dossiers: int, profile: bool, notices: bool) -> dict[str, list[float]]:
    with tempfile.TemporaryDirectory(prefix="motcua-projection-") as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/read.db"
        model = await read_model(url)
        engine, sessions, procedure = model.engine, model.sessions, model.procedure
        calendar, clerk, activities = model.calendar, model.clerk, model.projection
        timings: dict[str, list[float]] = {"encode": [], "decode": [], "record": []}
        profiler = cProfile.Profile() if profile else None
        states: list[DossierState] = []
        for i in range(dossiers):
            state = DossierState.new(
                code=f"PROBE-261203-{i + 1:04d}",
                procedure=procedure,
                channel=Channel.ONLINE,
                applicant=APPLICANT,
                submitted_at=datetime.now(UTC),
                handed_in=COMPONENTS,
            )
            # the workflow's first event, as in production (bulk set-up starts at forwarded)
            await activities.record(Projection(state=state, event=state.submission_event()))
            for action in EVENTS:
                event = actions.act(
                    state, ActionRequest(action=action, actor=clerk), datetime.now(UTC), calendar
                )
                if profiler is not None:
                    profiler.enable()
                t0 = time.perf_counter()
                payloads = await data_converter.encode([Projection(state=state, event=event)])
                t1 = time.perf_counter()
                (received,) = await data_converter.decode(payloads, [Projection])
                t2 = time.perf_counter()
                await activities.record(received)
                t3 = time.perf_counter()
                if profiler is not None:
                    profiler.disable()
                if i >= dossiers // 10:  # the first tenth warms the caches up
                    timings["encode"].append(t1 - t0)
                    timings["decode"].append(t2 - t1)
                    timings["record"].append(t3 - t2)
            states.append(state)
        if notices:
            timings["notice"] = await notice_batches(sessions, states, profiler)
        await engine.dispose()
    if profiler is not None:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
    return timings


async def notice_batches(
    sessions: Any, states: list[DossierState], profiler: cProfile.Profile | None
) -> list[float]:
    """Seconds per notice of each batch: every dossier's step 1 escalated to its unit head,
    written as a storm's group commit writes them (mail and log channels; nothing is sent)."""
    email = EmailChannel(host="127.0.0.1", port=1, sender="motcua@example.invalid")
    clock = ClockActivities(sessions, channels=[email, LogChannel()])
    now = datetime.now(UTC)
    notices: list[Notice] = []
    for state in states:
        step = state.steps[state.step_index]
        timer = Timer(
            key=f"step{state.step_index}-a{step.attempt}-escalation-1",
            kind="escalation",
            at=now,
            level=1,
            step_index=state.step_index,
            unit_code=step.unit_code,
            agency_code=step.agency_code,
            assignee=step.assignee,
            due_at=now,
        )
        event = statutory.issue(state, timer, now)
        notices.append(
            Notice(code=state.code, procedure_name=state.procedure.name, timer=timer, event=event)
        )
    per_notice: list[float] = []
    for first in range(0, len(notices), NOTICE_BATCH):
        batch = notices[first : first + NOTICE_BATCH]
        if profiler is not None:
            profiler.enable()
        t0 = time.perf_counter()
        ids = await clock._write_batch(batch)  # the batch's transaction, not the notifier
        elapsed = time.perf_counter() - t0
        if profiler is not None:
            profiler.disable()
        assert all(ids), f"every escalation has pending notifications: {batch[0].timer} {ids[:3]}"
        per_notice.append(elapsed / len(batch))
    return per_notice


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dossiers", type=int, default=200)
    parser.add_argument("--profile", action="store_true", help="print cProfile's top 40")
    parser.add_argument(
        "--notices", action="store_true", help="also time the escalations' group-commit write"
    )
    args = parser.parse_args()
    for name, us in asyncio.run(statements()).items():
        print(f"statement ({name}): {us:5.0f} µs")
    timings = asyncio.run(probe(args.dossiers, args.profile, args.notices))
    notice = timings.pop("notice", [])
    total = [sum(t) for t in zip(*timings.values(), strict=True)]
    for name, values in [*timings.items(), ("total", total)]:
        ms = sorted(v * 1000 for v in values)
        print(
            f"{name:>7}: mean {statistics.fmean(ms):6.2f} ms  p50 {ms[len(ms) // 2]:6.2f}"
            f"  p95 {ms[int(len(ms) * 0.95)]:6.2f}  ({len(ms)} events)"
        )
    if notice:
        ms = [v * 1000 for v in notice]
        print(
            f" notice: mean {statistics.fmean(ms):6.2f} ms per escalation written"
            f" ({len(ms)} batches of up to {NOTICE_BATCH})"
        )


if __name__ == "__main__":
    main()
