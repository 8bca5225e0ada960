"""The clerk's list and search at a large read model, in one process, without Temporal: a
read model seeded with `--dossiers` open dossiers (a few hundred projected by the worker's own
`ProjectionActivities.record`, then copied row by row in SQL with new codes, names, ID numbers
and submission moments), and the list queries the API and the console run, and a dossier's
detail read, timed against it.

    .venv/bin/python bench/listing.py --dossiers 100000 [--postgres URL] [--repeats 20]

It says what the list's queries cost at a size `make bench` reaches only in an 84-minute set-up
(`bench/run.py --only open --open 100000`), so a change to them can be measured before and
after in minutes. Not part of `make bench`."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select, text  # noqa: E402
from sqlalchemy.ext.asyncio import create_async_engine  # noqa: E402
from sqlmodel import col  # noqa: E402

from api.routes.dossiers import get_one  # noqa: E402
from bench.bulk import COMPONENTS, read_model  # noqa: E402
from bench.driver import CLERK  # noqa: E402
from console import queues  # noqa: E402
from db.calendar import load_clock_config  # noqa: E402
from db.engine import make_engine, make_session_maker, migrate  # noqa: E402
from db.models import Dossier, Officer  # noqa: E402
from db.repository import DossierFilter, list_dossiers  # noqa: E402
from domain import actions  # noqa: E402
from domain.dossier import ActionRequest, Applicant, Channel, DossierState, Role  # noqa: E402
from domain.lifecycle import Action  # noqa: E402
from domain.text import fold  # noqa: E402
from messages import Projection  # noqa: E402

#: projected through the worker's code; the rest are SQL copies of these
TEMPLATES = 200
NAMES = (
    "Nguyễn Thị Hồng Nhung",
    "Trần Văn Bình",
    "Lê Thị Mai",
    "Phạm Quốc Huy",
    "Hoàng Minh Tuấn",
    "Võ Thị Thu Trang",
    "Đặng Văn Long",
    "Bùi Thị Lan",
)


async def seed(url: str, dossiers: int) -> Any:
    model = await read_model(url)
    engine, sessions, procedure = model.engine, model.sessions, model.procedure
    calendar, clerk, projection = model.calendar, model.clerk, model.projection
    start = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
    for i in range(TEMPLATES):
        state = DossierState.new(
            code=f"LIST-{i:06d}",
            procedure=procedure,
            channel=Channel.ONLINE,
            applicant=Applicant(name=NAMES[i % len(NAMES)], id_number=f"0791{i:08d}"),
            submitted_at=start + timedelta(minutes=i),
            handed_in=COMPONENTS,
        )
        # two thirds accepted and forwarded (processing), a third left as received
        for action in (Action.ACCEPT, Action.FORWARD) if i % 3 else (Action.ACCEPT,):
            event = actions.act(
                state, ActionRequest(action=action, actor=clerk), state.submitted_at, calendar
            )
            await projection.record(Projection(state=state, event=event))
    copies = dossiers - TEMPLATES
    if copies > 0:
        async with engine.begin() as conn:
            await copy_rows(conn, copies)
    return engine, sessions


async def copy_rows(conn: Any, copies: int) -> None:
    """`copies` more dossiers, each a copy of a template (`n % TEMPLATES`) with its own code,
    applicant, ID number and submission moment, and the template's steps."""
    dialect = conn.dialect.name
    columns = await table_columns(conn, "dossier")
    steps = await table_columns(conn, "dossier_step")
    numbers = (
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :copies) "
        if dialect == "sqlite"
        else "WITH n(i) AS (SELECT generate_series(1, :copies)) "
    )
    pad = {
        "sqlite": lambda e: f"substr('000000' || ({e}), -6, 6)",
        "postgresql": lambda e: f"lpad(({e})::text, 6, '0')",
    }[dialect]
    code = f"'LIST-' || {pad('n.i + ' + str(TEMPLATES))}"
    template = f"'LIST-' || {pad(f'n.i % {TEMPLATES}')}"
    names = " ".join(f"WHEN {k} THEN '{name}'" for k, name in enumerate(NAMES))
    shifted = {
        "sqlite": "datetime(d.submitted_at, '+' || n.i || ' seconds')",
        "postgresql": "d.submitted_at + n.i * interval '1 second'",
    }[dialect]
    overrides = {
        "code": code,
        "applicant_name": f"CASE n.i % {len(NAMES)} {names} END",
        "applicant_id_number": f"'0792' || {pad('n.i')}",
        "submitted_at": shifted,
        "lookup_secret": "d.lookup_secret || n.i" if "lookup_secret" in columns else None,
    }
    if "search_text" in columns:  # domain.text.search_key, in SQL
        sep = {"sqlite": "char(31)", "postgresql": "chr(31)"}[dialect]
        folded = " ".join(f"WHEN {k} THEN '{fold(name)}'" for k, name in enumerate(NAMES))
        overrides["search_text"] = (
            f"lower({code}) || {sep} || CASE n.i % {len(NAMES)} {folded} END || {sep} || "
            f"{overrides['applicant_id_number']}"
        )
    select_list = ", ".join(overrides.get(c) or f"d.{c}" for c in columns)
    await conn.execute(
        text(
            f"{numbers}INSERT INTO dossier ({', '.join(columns)}) SELECT {select_list} "
            f"FROM n JOIN dossier d ON d.code = {template}"
        ),
        {"copies": copies},
    )
    step_list = ", ".join(code if c == "dossier_code" else f"s.{c}" for c in steps if c != "id")
    await conn.execute(
        text(
            f"{numbers}INSERT INTO dossier_step ({', '.join(c for c in steps if c != 'id')}) "
            f"SELECT {step_list} FROM n JOIN dossier_step s ON s.dossier_code = {template}"
        ),
        {"copies": copies},
    )
    await conn.execute(text("ANALYZE"))


async def table_columns(conn: Any, table: str) -> list[str]:
    if conn.dialect.name == "sqlite":
        rows = await conn.execute(text(f"PRAGMA table_info({table})"))
        return [row[1] for row in rows]
    rows = await conn.execute(
        text(
            "SELECT column_name FROM information_schema.columns WHERE table_name = :t "
            "ORDER BY ordinal_position"
        ),
        {"t": table},
    )
    return [row[0] for row in rows]


async def measure(sessions: Any, repeats: int) -> dict[str, list[float]]:
    async with sessions() as session:
        clerk = await session.get(Officer, CLERK)
        config = await load_clock_config(session)
    assert clerk is not None
    cal = config.work_calendar()
    now = datetime.now(UTC)
    api = {
        "API list (clerk, first page)": (
            DossierFilter(visible_to_agency=clerk.agency_code),
            20,
        ),
        "API list (admin, status filter)": (DossierFilter(status="received"), 50),
        "API list (admin, text search, common name)": (DossierFilter(text="nhung"), 20),
        "API list (admin, text search, one ID number)": (
            DossierFilter(text="079200012345"),
            20,
        ),
    }
    out: dict[str, list[float]] = {}
    for name, (filters, limit) in api.items():
        out[name] = await timed(
            sessions,
            repeats,
            lambda s, f=filters, n=limit: list_dossiers(s, filters=f, limit=n, offset=0),
        )
    async with sessions() as session:
        forwarded = await session.get(Dossier, "LIST-000001")
        assert forwarded is not None and forwarded.current_unit_code
        head = await session.scalar(
            select(Officer).where(
                col(Officer.unit_code) == forwarded.current_unit_code,
                col(Officer.role) == Role.AGENCY_HEAD.value,
            )
        )
    assert head is not None, forwarded.current_unit_code
    # the route's own function (scope check and the detail read); the projection keeps the
    # open actions with the row, so no Temporal client is asked
    out["API detail read (a forwarded dossier)"] = await timed(
        sessions, repeats, lambda s: get_one("LIST-000001", clerk, s, None)
    )
    for officer, key in ((clerk, "forward"), (head, "open"), (head, "overdue")):
        (view,) = [v for v in queues.views_for(officer) if v.key == key]
        out[f"console queue {key!r} ({officer.role})"] = await timed(
            sessions,
            repeats,
            lambda s, v=view, o=officer: queues.queue(
                s,
                view=v,
                officer=o,
                filters=queues.QueueFilter(),
                cal=cal,
                now=now,
                limit=25,
                offset=0,
            ),
        )
    return out


async def timed(sessions: Any, repeats: int, query: Any) -> list[float]:
    seconds = []
    for _ in range(repeats):
        async with sessions() as session:
            started = time.perf_counter()
            await query(session)
            seconds.append(time.perf_counter() - started)
    return seconds


def report(timings: dict[str, list[float]]) -> None:
    print(f"{'query':<48} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for name, seconds in timings.items():
        ms = sorted(s * 1000 for s in seconds)
        p95 = ms[min(len(ms) - 1, round(0.95 * (len(ms) - 1)))]
        print(f"{name:<48} {statistics.median(ms):8.1f} {p95:8.1f} {ms[-1]:8.1f}")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dossiers", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--postgres", help="a PostgreSQL server URL: a database is made there")
    parser.add_argument("--keep", type=Path, help="keep the SQLite file here (or reuse it)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="motcua-listing-") as tmp:
        if args.postgres:
            url = await fresh_postgres(args.postgres)
        else:
            path = args.keep or Path(tmp) / "read.db"
            url = f"sqlite+aiosqlite:///{path}"
        started = time.perf_counter()
        if args.keep and args.keep.exists():
            await migrate(url)  # a kept file: its new indexes
            engine = make_engine(url)
            sessions = make_session_maker(engine)
        else:
            engine, sessions = await seed(url, args.dossiers)
        print(
            f"read model of {args.dossiers} dossiers ready in {time.perf_counter() - started:.0f} s"
        )
        report(await measure(sessions, args.repeats))
        await engine.dispose()


async def fresh_postgres(server: str) -> str:
    name = f"motcua_listing_{int(time.time())}"
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f"CREATE DATABASE {name}"))
    await admin.dispose()
    return server.rsplit("/", 1)[0] + f"/{name}"


if __name__ == "__main__":
    asyncio.run(main())
