"""The benchmark's pure parts (percentiles, ratios, targets, the table, its options) run here
so the bench code cannot silently rot. No figure is asserted: speed is the benchmark's job."""

from __future__ import annotations

import asyncio
import json
import math
import os
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rich.console import Console

from bench import run, scenarios
from bench.driver import server_timing
from bench.stats import Figure, Latency, percentile, rate, ratio, table, target_met


def test_percentiles_interpolate_between_ranks() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == pytest.approx(50.5)
    assert percentile(values, 99) == pytest.approx(99.01)
    assert percentile([3.0], 99) == 3.0
    assert math.isnan(percentile([], 50))
    with pytest.raises(ValueError):
        percentile(values, 101)
    summary = Latency.of([0.1, 0.2, 0.3])
    assert summary.count == 3 and summary.max == 0.3 and "p99" in summary.ms()


def test_ratios_and_targets() -> None:
    assert rate(10, 2.0) == 5.0 and rate(10, 0) == 0.0
    assert ratio(3.0, 2.0) == 1.5
    assert math.isnan(ratio(1.0, 0.0))
    assert target_met(">= 12", 13.0) is True
    assert target_met("<= 1.5x", 100.0, 1.6) is False
    assert target_met("<= 60", 59.0) is True
    assert target_met("", 1.0) is None
    assert target_met(">= 0.3x", 1.0, math.nan) is None
    figure = Figure("1", "rate", 3.0, "/s", baseline=10.0, baseline_name="bare", target=">= 0.3x")
    assert figure.met is True and figure.as_dict()["ratio"] == pytest.approx(0.3)


def test_the_table_shows_every_figure() -> None:
    figures = [
        Figure("1 throughput", "lifecycles/s", 2.5, "/s", 50.0, "bare wf/s", ">= 0.3x"),
        Figure("2 latency", "clerk p99", 0.25, "ms", 0.2, "bare update p99", "<= 1.5x"),
        Figure("5 history", "events", 129, "events", target="<= 150"),
    ]
    console = Console(record=True, width=200)
    console.print(table(figures))
    text = console.export_text()
    assert "250 ms" in text and "0.05x" in text and "1.25x" in text and "129 events" in text


def test_quick_options_are_small_and_full_ones_are_the_issues() -> None:
    quick, full = run.parse_args(["--quick"]), run.parse_args([])
    assert quick.storm < 100 and quick.open < 100 and quick.levels == [8]
    assert full.storm == 10_000 and full.open == 100_000
    # the issue's storm runs on the server `make run` runs; the quick one skips time
    assert (full.storm_server, quick.storm_server) == ("dev", "time-skipping")
    assert run.parse_args(["--storm-server", "time-skipping"]).storm_server == "time-skipping"
    with pytest.raises(SystemExit):
        run.parse_args(["--only", "nonsense"])


async def test_a_stopped_run_keeps_the_figures_measured_so_far(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    output = tmp_path / "run.json"
    started: list[set[str]] = []

    async def measure_then_get_stopped(args: object, report: run.Report, wanted: set[str]) -> None:
        started.append(wanted)
        report.add("throughput", [Figure("1 throughput", "lifecycles/s", 2.0, "/s")])
        os.kill(os.getpid(), signal.SIGTERM)  # a time limit ends the run here
        await asyncio.sleep(30)

    monkeypatch.setattr(run, "on_dev_server", measure_then_get_stopped)
    assert await run.main(["--quick", "--output", str(output)]) == 1
    saved = json.loads(output.read_text())
    assert saved["complete"] is False
    assert [f["name"] for f in saved["figures"]] == ["lifecycles/s"]
    # nothing ran after the stop (a quick run measures open dossiers on the first stack too)
    assert started == [{"throughput", "latency", "history", "open"}]


def test_the_storm_starts_outside_office_hours() -> None:
    noon = datetime(2026, 11, 23, 5, 0, tzinfo=UTC)  # 12:00 in Hà Nội
    evening = scenarios.after_closing(noon)
    assert (evening + timedelta(hours=7)).hour == 18 and evening > noon
    assert scenarios.after_closing(evening + timedelta(minutes=1)) == evening + timedelta(days=1)


def test_bulk_codes_are_valid_unique_and_roll_over_to_the_next_day() -> None:
    from datetime import date

    from bench.bulk import BENCH_AGENCY, bench_code
    from domain.codes import parse_dossier_code

    day = date(2026, 11, 23)
    codes = [bench_code(day, i) for i in range(0, 20_000, 7)] + [bench_code(day, 9_998)]
    assert len(set(codes)) == len(codes)
    assert parse_dossier_code(bench_code(day, 0)) == (BENCH_AGENCY, day, 1)
    assert parse_dossier_code(bench_code(day, 9_998)) == (BENCH_AGENCY, day, 9_999)
    assert parse_dossier_code(bench_code(day, 9_999)) == (BENCH_AGENCY, date(2026, 11, 24), 1)


def test_bulk_state_is_accepted_and_forwarded_at_one_instant() -> None:
    from bench.bulk import CLERK_NAME, bench_code, forwarded_state
    from bench.driver import CLERK, LAND
    from db.seed import PROCEDURES
    from domain.dossier import Actor, Role
    from domain.lifecycle import Status
    from tests.support.workflows import clock_config

    procedure = next(p for p in PROCEDURES if p.code == LAND)
    clerk = Actor(CLERK, CLERK_NAME, Role.CLERK, agency_code=procedure.agency_code)
    evening = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)  # 18:00 in Hà Nội, after closing
    config = clock_config()
    states = [
        forwarded_state(bench_code(evening.date(), i), procedure, clerk, evening, config)
        for i in range(3)
    ]
    for state in states:
        assert state.status == Status.PROCESSING and state.step_index == 0
        assert state.received_at == evening == state.steps[0].started_at
        assert state.payments[0].outstanding is False  # collected at the desk on acceptance
    assert len({s.steps[0].due_at for s in states}) == 1  # one storm moment
    assert states[0].steps[0].due_at is not None and states[0].steps[0].due_at > evening
    assert states[0].due_at is not None and states[0].due_at > states[0].steps[0].due_at


@pytest.mark.parametrize(
    "now",
    [
        datetime(2026, 11, 29, 11, 24, 30, tzinfo=UTC),  # a Sunday evening in Hà Nội
        datetime(2026, 11, 29, 16, 50, tzinfo=UTC),  # 23:50 local: the storm would fall at 00:xx
        datetime(2027, 2, 5, 3, 0, tzinfo=UTC),  # the eve of Tết 2027, a public holiday week
    ],
)
def test_the_live_storm_clock_makes_step_one_fall_due_at_the_chosen_minute(now: datetime) -> None:
    from bench.bulk import CLERK_NAME, forwarded_state, live_storm_clock
    from bench.driver import CLERK, LAND
    from db.seed import PROCEDURES
    from domain import statutory
    from domain.dossier import Actor, Role
    from tests.support.workflows import clock_config

    procedure = next(p for p in PROCEDURES if p.code == LAND)
    due, day = scenarios.live_due(now, timedelta(minutes=20))
    assert due >= now + timedelta(minutes=20) and (due.second, due.microsecond) == (0, 0)
    assert timedelta(minutes=30) <= day <= timedelta(hours=8)
    config, at = live_storm_clock(clock_config(), procedure, due, day)
    assert at < now  # forwarded in the past: the workflow starts with the step running
    clerk = Actor(CLERK, CLERK_NAME, Role.CLERK, agency_code=procedure.agency_code)
    state = forwarded_state("BENCH-261129-0001", procedure, clerk, at, config)
    assert state.steps[0].due_at == due
    # the workflow's next timers: the step's warning (already past), then its escalation at due
    calendar = config.work_calendar()
    warning = statutory.next_timer(state, config, calendar)
    assert warning is not None and warning.kind == "warning" and warning.at < now
    state.notices_sent.append(warning.key)
    escalation = statutory.next_timer(state, config, calendar)
    assert escalation is not None and escalation.kind == "escalation" and escalation.at == due


class FakeTimeSkipping:
    """The two calls `scenarios.skip` makes of a time-skipping environment; the first sleep
    breaks its connection halfway, as the 10,000 storm's did."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.sleeps: list[timedelta] = []
        self.broken = False
        self.client = self
        self.test_service = self

    async def get_current_time(self) -> datetime:
        return self.now

    async def unlock_time_skipping_with_sleep(  # type: ignore[no-untyped-def]
        self,
        request,
        timeout: timedelta,  # noqa: ASYNC109 (the SDK's signature)
    ) -> None:
        from temporalio.service import RPCError, RPCStatusCode

        duration = request.duration.ToTimedelta()
        self.sleeps.append(duration)
        assert timeout >= timedelta(minutes=30)
        if not self.broken:
            self.broken = True
            self.now += duration / 2
            raise RPCError("transport error", RPCStatusCode.UNAVAILABLE, b"")
        self.now += duration


async def test_time_jumps_go_a_day_at_a_time_and_resume_after_a_broken_connection() -> None:
    start = datetime(2026, 12, 1, 11, 0, tzinfo=UTC)
    env = FakeTimeSkipping(start)
    await scenarios.skip(env, timedelta(days=2, hours=6))
    assert env.now == start + timedelta(days=2, hours=6)
    assert all(step <= scenarios.JUMP_STEP for step in env.sleeps)
    # a day that broke after 12 h, then the remaining 1 day 18 h from where time got to
    assert env.sleeps == [timedelta(days=1), timedelta(days=1), timedelta(hours=18)]


async def test_the_storm_baseline_times_bare_timers_that_fire_together(
    dev_env, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    import asyncio
    import uuid

    from temporalio.worker import Worker

    from bench import bare
    from bench.stack import Stack

    log = tmp_path / "bare-storm.log"
    monkeypatch.setattr(bare, "STORM_LOG", log)
    stack = Stack(root=tmp_path, server="dev", client=dev_env.client)
    queue = f"bench-storm-{uuid.uuid4().hex[:6]}"
    async with Worker(
        dev_env.client,
        task_queue=queue,
        workflows=[bare.StormWorkflow],
        activities=[bare.storm_record],
    ):
        result = await asyncio.wait_for(
            scenarios.bare_storm(stack, 6, margin=5.0, task_queue=queue), timeout=60
        )
    lines = log.read_text().splitlines()
    # every workflow armed its timer, then recorded its firing once, at (not before) the moment
    assert sum(line.startswith("armed bench-storm-") for line in lines) == 6
    fired = [line.split()[1] for line in lines if line.startswith("fired ")]
    assert len(fired) == len(set(fired)) == 6
    assert 0 <= result.seconds < 20


async def test_the_lifecycle_shape_takes_every_update_and_syncs_each_one(
    dev_env, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    import uuid

    from temporalio.api.enums.v1 import EventType
    from temporalio.worker import Worker

    from bench import bare
    from bench.stack import Stack

    monkeypatch.setattr(bare, "CLIENT", dev_env.client)
    stack = Stack(root=tmp_path, server="dev", client=dev_env.client)
    queue = f"bench-shape-{uuid.uuid4().hex[:6]}"
    async with Worker(
        dev_env.client,
        task_queue=queue,
        workflows=[bare.LifecycleShapeWorkflow, bare.SyncShapeWorkflow],
        activities=[bare.noop, bare.record_and_wake],
    ):
        shape = await asyncio.wait_for(
            scenarios.lifecycle_shape(stack, 3, 3, task_queue=queue), timeout=60
        )
        main = await dev_env.client.get_workflow_handle(shape.last_id).fetch_history()
        sync = dev_env.client.get_workflow_handle(f"{shape.last_id}-sync")
        rounds = await sync.result()
        sync_events = (await sync.fetch_history()).events

    def count(events, kind):  # type: ignore[no-untyped-def]
        return sum(e.event_type == kind for e in events)

    # the lifecycle's 8 updates, each recorded by a local activity, as is the submission
    assert count(main.events, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED) == 8
    assert count(main.events, EventType.EVENT_TYPE_MARKER_RECORDED) == 9
    # every record woke the companion, which ran at least one round and ended after the last
    assert count(sync_events, EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED) == 9
    assert 1 <= rounds <= 9
    assert shape.events == len(main.events) + len(sync_events) and shape.rate > 0


async def test_the_shape_through_the_bare_http_api_runs_every_update_once(
    dev_env, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    import uuid

    import httpx
    from temporalio.api.enums.v1 import EventType
    from temporalio.worker import Worker

    from bench import bare, bare_api
    from bench.stack import Stack

    monkeypatch.setattr(bare, "CLIENT", dev_env.client)
    stack = Stack(root=tmp_path, server="dev", client=dev_env.client)
    queue = f"bench-http-shape-{uuid.uuid4().hex[:6]}"
    app = bare_api.create_app(dev_env.client, queue=queue)
    transport = httpx.ASGITransport(app=app)
    async with (
        Worker(
            dev_env.client,
            task_queue=queue,
            workflows=[bare.LifecycleShapeWorkflow, bare.SyncShapeWorkflow],
            activities=[bare.noop, bare.record_and_wake],
        ),
        httpx.AsyncClient(transport=transport, base_url="http://bare") as http,
    ):
        shape = await asyncio.wait_for(
            scenarios.lifecycle_shape(stack, 3, 3, task_queue=queue, http=http), timeout=60
        )
        history = await dev_env.client.get_workflow_handle(shape.last_id).fetch_history()
        # a request the app cannot read is refused, and starts nothing
        refused = await http.post(bare_api.PATH, json={"n": "eight"})
        assert refused.status_code == 422
    assert shape.last_id.startswith("bench-http-shape-") and shape.rate > 0
    updates = EventType.EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED
    assert sum(e.event_type == updates for e in history.events) == scenarios.LIFECYCLE_UPDATES


async def test_the_clerk_floor_writes_one_row_per_update_before_it_answers(
    dev_env, tmp_path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    import sqlite3
    import uuid

    from temporalio.worker import Worker

    from bench import bare

    database = tmp_path / "floor.sqlite3"
    floor = await bare.open_floor_database(database)
    monkeypatch.setattr(bare, "FLOOR_SESSIONS", floor)
    queue = f"bench-floor-{uuid.uuid4().hex[:6]}"
    try:
        async with Worker(
            dev_env.client,
            task_queue=queue,
            workflows=[bare.UpdateWorkflow],
            activities=[bare.noop, bare.record_one_row],
        ):
            handle = await dev_env.client.start_workflow(
                bare.UpdateWorkflow.run,
                bare.Ping(),
                id=f"floor-{uuid.uuid4().hex}",
                task_queue=queue,
            )
            for kind in ("bare", "activity", "local write", "local write"):
                assert await scenarios.timed_update(handle, kind) > 0
            await handle.signal(bare.UpdateWorkflow.finish)
            assert await handle.result() == 4
    finally:
        # its pooled aiosqlite connection, left to the garbage collector, was collected
        # during some later workflow activation and answered a future of that workflow's loop
        await floor.kw["bind"].dispose()
    with sqlite3.connect(database) as db:  # one row per floor update, written before it answered
        assert db.execute("SELECT count(*) FROM floor_write").fetchone() == (2,)


def test_database_size_counts_pages_in_use_not_the_files(tmp_path: Path) -> None:
    import sqlite3

    from bench.stack import sqlite_used_bytes

    path = tmp_path / "read-model.sqlite3"
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=wal")
    db.execute("CREATE TABLE dossier (code TEXT PRIMARY KEY, body TEXT)")
    db.commit()
    empty = sqlite_used_bytes(path)
    rows = [(f"D-{n}", "x" * 1000) for n in range(200)]
    db.executemany("INSERT INTO dossier VALUES (?, ?)", rows)
    db.commit()  # still in the WAL: a reader counts it
    grown = sqlite_used_bytes(path)
    assert grown - empty >= 200 * 1000
    db.execute("DELETE FROM dossier")
    db.commit()
    freed = sqlite_used_bytes(path)
    db.executemany("INSERT INTO dossier VALUES (?, ?)", rows)  # into the freed pages
    db.commit()
    # the files stay as large as before, the pages in use grow again by the rows' size
    assert freed < grown and sqlite_used_bytes(path) - freed >= 200 * 1000
    db.close()


def test_server_timing_is_read_as_seconds_by_phase() -> None:
    assert server_timing("total;dur=53.1, update;dur=36.0, answer;desc=x;dur=9.5, cache") == {
        "total": 0.0531,
        "update": 0.036,
        "answer": 0.0095,
    }
    assert server_timing("") == {}


def test_clerk_probes_are_taken_apart_by_phase() -> None:
    probes = scenarios.Probes(
        clerk=[0.060, 0.080],
        server=[{"total": 0.050, "update": 0.040}, {"total": 0.070, "update": 0.050}],
    )
    parts = probes.breakdown()
    assert parts["update"].count == 2 and parts["total"].max == pytest.approx(0.070)
    assert parts["outside the API"].p50 == pytest.approx(0.010)
    assert "update 45" in scenarios.breakdown_note(parts)


def test_calls_are_counted_per_lifecycle() -> None:
    calls = scenarios.calls_per_lifecycle({"detail": [0.01, 0.02, 0.03, 0.04], "accept": []}, 2)
    assert calls == {"detail": {"per_lifecycle": 2.0, "p50_ms": 25.0}}


async def test_the_bulk_window_keeps_at_most_ahead_dossiers_unrecorded() -> None:
    from bench.bulk import Window

    recorded = [3]  # rows already there before this set-up
    counts: list[int] = []

    async def count() -> int:
        counts.append(recorded[0])
        return recorded[0]

    window = Window(4, count=count, already=3, total=10, within=60, poll=0.001)
    started: list[int] = []

    async def start(i: int) -> None:
        await window.admit()
        started.append(i)

    tasks = [asyncio.create_task(start(i)) for i in range(10)]
    await asyncio.sleep(0.05)
    assert len(started) == 4 and counts  # the fifth waits for a row
    recorded[0] += 2  # the worker records two
    await asyncio.sleep(0.05)
    assert len(started) == 6
    recorded[0] += 4
    await asyncio.gather(*tasks)
    assert sorted(started) == list(range(10))
    waiting = asyncio.create_task(window.all_recorded(poll=0.001))
    await asyncio.sleep(0.05)
    assert not waiting.done()  # 6 of 10 recorded
    recorded[0] += 4
    await asyncio.wait_for(waiting, 5)


async def test_the_bulk_window_gives_up_after_its_time() -> None:
    from bench.bulk import Window

    async def count() -> int:
        return 0

    window = Window(1, count=count, already=0, total=5, within=0.01, poll=0.005)
    await window.admit()
    with pytest.raises(RuntimeError, match="only 0 of 5 rows"):
        await window.admit()


def test_the_http_client_probe_runs_both_clients_against_the_simulator() -> None:
    probe = subprocess.run(
        [sys.executable, "bench/http_client.py", "--requests", "20", "--rounds", "1"],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert probe.returncode == 0, probe.stderr
    header, row = probe.stdout.splitlines()
    assert header.split() == ["round", "httpx", "ms", "adapter", "ms", "ratio"]
    number, before, after, ratio = row.split()
    assert number == "1" and float(before) > 0 and float(after) > 0 and ratio.endswith("×")
