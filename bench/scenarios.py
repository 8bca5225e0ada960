"""The five measurements of issue 7, each with its baseline taken on the same server in the
same run: lifecycle throughput, clerk action latency, the deadline storm, open dossiers, and
history size."""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import func, select
from sqlmodel import col
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from api.timeutil import as_utc
from bench import bare_api, bulk
from bench.bare import (
    BareWorkflow,
    LifecycleShapeWorkflow,
    Ping,
    Step,
    StormTimer,
    StormWorkflow,
    UpdateWorkflow,
)
from bench.driver import ADMIN, CLERK, LAND, ApiError, Desk, pool
from bench.stack import (
    BARE_QUEUE,
    Resident,
    Stack,
    database_size,
    resident,
    temporal_size,
)
from bench.stats import Figure, Latency, rate
from db.calendar import load_clock_config
from db.clock_models import Escalation, Notification
from db.engine import make_engine, make_session_maker
from db.models import DossierStep
from db.repository import get_procedure
from domain.calendar import DEFAULT_TZ
from domain.clock import subtract_working_time
from domain.codes import workflow_id
from domain.lifecycle import Action
from domain.statutory import WARNING_BEFORE_DAYS, working_days_to_minutes
from messages import update_name
from workflows.portal_sync import IDLE_BEFORE_DONE

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def cpu_snapshot(stack: Stack) -> dict[str, float]:
    snapshot = {name: cpu_seconds(p.pid) for name, p in stack.processes.items()}
    for pid in our_test_servers():
        snapshot[f"temporal-test-server-{pid}"] = cpu_seconds(pid)
    return snapshot


def our_test_servers() -> list[int]:
    """The time-skipping server(s) this bench process started (not children in Stack)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes()
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if b"temporal-test-server" in cmdline and parent == os.getpid():
            found.append(int(entry.name))
    return found


def cpu_delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {name: round(after[name] - before[name], 2) for name in before}


# ---------------------------------------------------------------------------- baselines


async def bare_rate(client: Client, total: int, concurrency: int) -> float:
    """Bare one-activity workflows per second, started and awaited by the client."""

    async def one() -> None:
        await client.execute_workflow(
            BareWorkflow.run, Ping(1), id=f"bench-bare-{uuid.uuid4().hex}", task_queue=BARE_QUEUE
        )

    await pool(min(concurrency, 8), min(total, 16), one)  # warm-up
    started = time.monotonic()
    await pool(concurrency, total, one)
    return rate(total, time.monotonic() - started)


#: The Workflow Updates of one lifecycle (`Desk.finish`): the payment's confirmation, accept,
#: forward to step 1, forward ×3, resolve, deliver.
LIFECYCLE_UPDATES = 8


@dataclass
class Shape:
    rate: float
    events: int  # of one shape: its workflow and its sync companion
    cpu_seconds: dict[str, float]  # per shape, of every stack process (the client's not counted)
    last_id: str  # the workflow id of the last shape measured


async def lifecycle_shape(
    stack: Stack,
    total: int,
    concurrency: int,
    *,
    task_queue: str = BARE_QUEUE,
    http: httpx.AsyncClient | None = None,
) -> Shape:
    """The lifecycle's shape without the dossier (`LifecycleShapeWorkflow`: the start and 8
    updates, each with a local activity that wakes a sync companion running one activity per
    wake), started, updated and awaited by the client: past 8 at once it is server-bound
    (measured at 8, 16, 32 and 64: 7.0, 7.4, 7.2, 6.5 /s). With `http`, a client of the bare
    HTTP API (bench/bare_api.py), each of those is one request to it instead."""
    client = stack.client
    assert client is not None
    ids: list[str] = []

    async def direct() -> str:
        shape_id = f"bench-shape-{uuid.uuid4().hex}"
        handle = await client.start_workflow(
            LifecycleShapeWorkflow.run,
            Ping(LIFECYCLE_UPDATES),
            id=shape_id,
            task_queue=task_queue,
        )
        for n in range(1, LIFECYCLE_UPDATES + 1):
            step = Step(n, last=n == LIFECYCLE_UPDATES)
            await handle.execute_update(LifecycleShapeWorkflow.step, step)
        await handle.result()
        await client.get_workflow_handle(f"{shape_id}-sync").result()  # every sync round
        return shape_id

    async def through_http() -> str:
        assert http is not None

        async def call(method: str, path: str, expect: int = 200, **kwargs: Any) -> Any:
            response = await http.request(method, bare_api.PATH + path, **kwargs)
            if response.status_code != expect:
                raise ApiError(f"{method} {path}: {response.status_code} {response.text[:300]}")
            return response.json()

        started = await call("POST", "", 201, json={"n": LIFECYCLE_UPDATES})
        shape_id = str(started["id"])
        for n in range(1, LIFECYCLE_UPDATES + 1):
            await call("POST", f"/{shape_id}/steps", json={"n": n, "last": n == LIFECYCLE_UPDATES})
        await call("GET", f"/{shape_id}/result")  # the shape and every sync round
        return shape_id

    async def one() -> None:
        ids.append(await (direct() if http is None else through_http()))

    await pool(min(concurrency, 4), 4, one)  # warm-up
    cpu_before = cpu_snapshot(stack)
    started = time.monotonic()
    await pool(concurrency, total, one)
    measured = rate(total, time.monotonic() - started)
    cpu = cpu_delta(cpu_before, cpu_snapshot(stack))
    events = 0
    for shape_id in (ids[-1], f"{ids[-1]}-sync"):
        events += len((await client.get_workflow_handle(shape_id).fetch_history()).events)
    per_shape = {k: round(v / total, 3) for k, v in cpu.items() if v > 0.05}
    return Shape(measured, events, per_shape, ids[-1])


async def start_update_target(client: Client) -> Any:
    return await client.start_workflow(
        UpdateWorkflow.run, Ping(), id=f"bench-update-{uuid.uuid4().hex}", task_queue=BARE_QUEUE
    )


#: The bare updates a clerk action is timed against (bench/bare.py `UpdateWorkflow`).
UPDATES = {
    "bare": UpdateWorkflow.bare,
    "activity": UpdateWorkflow.with_activity,
    "local write": UpdateWorkflow.with_local_write,
}


async def timed_update(handle: Any, kind: str) -> float:
    started = time.perf_counter()
    await handle.execute_update(UPDATES[kind], Ping(1))
    return time.perf_counter() - started


# ---------------------------------------------------------------------------- 1. throughput


@dataclass
class Throughput:
    rate: float  # lifecycles per second, portal sync included
    concurrency: int
    figures: list[Figure]
    codes: list[str]
    shape_id: str  # the last lifecycle shape measured: the history's baseline


def calls_per_lifecycle(timings: dict[str, list[float]], lifecycles: int) -> dict[str, Any]:
    """The desk's calls by name: how many per lifecycle, and their p50 in ms."""
    return {
        name: {
            "per_lifecycle": round(len(seconds) / lifecycles, 2),
            "p50_ms": round(Latency.of(seconds).p50 * 1000, 1),
        }
        for name, seconds in sorted(timings.items())
        if seconds
    }


async def throughput(stack: Stack, desk: Desk, *, total: int, levels: list[int]) -> Throughput:
    """Full lifecycles at each concurrency level (the best one counts), then the bare rate."""
    assert stack.client is not None
    await pool(2, 2, desk.lifecycle)  # warm-up: imports, connections, caches
    synced = 2
    await desk.wait_synced(synced)
    best: tuple[float, int, dict[str, float], float] | None = None
    codes: list[str] = []
    per_level: dict[str, float] = {}
    for level in levels:
        cpu_before = cpu_snapshot(stack)
        desk.timings.clear()
        started = time.monotonic()
        codes = await pool(level, total, desk.lifecycle)
        api_done = time.monotonic()
        synced += total
        done = await desk.wait_synced(synced)
        measured = rate(total, done - started)
        per_level[str(level)] = round(measured, 2)
        cpu = cpu_delta(cpu_before, cpu_snapshot(stack))
        if best is None or measured > best[0]:
            calls = calls_per_lifecycle(desk.timings, total)
            best = (measured, level, cpu, rate(total, api_done - started), calls)
    assert best is not None
    lifecycle_rate, level, cpu, api_rate, calls = best
    bare = await bare_rate(stack.client, total=max(total * 4, 100), concurrency=max(levels) * 2)
    # the shape runs 3-4× as fast as a lifecycle: 3× as many take about as long, so a
    # passing hiccup of the machine weighs on the baseline no more than on the lifecycles
    shape = await lifecycle_shape(stack, total=max(total * 3, 48), concurrency=level * 2)
    async with bare_http_client(stack.bare_api_url) as http:
        http_shape = await lifecycle_shape(
            stack, total=max(total * 3, 48), concurrency=level * 2, http=http
        )
    events = await dossier_events(stack.client, codes[0])
    cpu_per_dossier = {k: round(v / total, 3) for k, v in cpu.items() if v > 0.05}
    return Throughput(
        rate=lifecycle_rate,
        concurrency=level,
        codes=codes,
        shape_id=shape.last_id,
        figures=[
            Figure(
                "1 throughput",
                "lifecycles/s through the API, portal synced",
                lifecycle_rate,
                "/s",
                baseline=bare,
                baseline_name="bare 1-activity wf/s",
                target=">= 0.3x",
                note=f"c={level}",
                extra={
                    "per_concurrency": per_level,
                    "api_only_rate": round(api_rate, 2),
                    "cpu_seconds_per_dossier": cpu_per_dossier,
                    "calls_per_dossier": calls,
                    "dossiers": total,
                },
            ),
            Figure("1 throughput", "lifecycles/s (absolute)", lifecycle_rate, "/s", target=">= 12"),
            Figure(
                "1 throughput",
                "lifecycles/s against the lifecycle's bare shape",
                lifecycle_rate,
                "/s",
                baseline=shape.rate,
                baseline_name=f"bare shape wf/s ({LIFECYCLE_UPDATES} updates + sync)",
                note=f"the shape: {shape.events} events, "
                f"{sum(shape.cpu_seconds.values()):.2f} CPU-s each",
                extra={"shape_events": shape.events, "cpu_seconds_per_shape": shape.cpu_seconds},
            ),
            Figure(
                "1 throughput",
                "the shape through a bare HTTP API",
                http_shape.rate,
                "/s",
                baseline=shape.rate,
                baseline_name="bare shape wf/s",
                note=f"{sum(http_shape.cpu_seconds.values()):.2f} CPU-s each: the HTTP layer alone",
                extra={"cpu_seconds_per_shape": http_shape.cpu_seconds},
            ),
            Figure(
                "1 throughput",
                "lifecycles/s against the shape through a bare HTTP API",
                lifecycle_rate,
                "/s",
                baseline=http_shape.rate,
                baseline_name="shape via bare HTTP wf/s",
                note="what the API's own work, the read model and the portal take",
            ),
            Figure(
                "1 throughput",
                "history events per dossier",
                events["total"],
                "events",
                note=f"dossier {events['dossier']} + portal sync {events['portal_sync']}",
                extra=events,
            ),
        ],
    )


def bare_http_client(base_url: str) -> httpx.AsyncClient:
    """A client of the bare HTTP API with the desk's timeout and connection pool."""
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=120,
        limits=httpx.Limits(max_connections=64, max_keepalive_connections=64),
    )


async def dossier_events(client: Client, code: str) -> dict[str, int]:
    """History events of a dossier's workflow and of every run of its portal-sync workflow."""
    dossier = await client.get_workflow_handle(workflow_id(code)).fetch_history()
    portal = 0
    async for execution in client.list_workflows(f"WorkflowId = 'portal-sync-{code}'"):
        history = await client.get_workflow_handle(
            execution.id, run_id=execution.run_id
        ).fetch_history()
        portal += len(history.events)
    total = len(dossier.events) + portal
    return {"dossier": len(dossier.events), "portal_sync": portal, "total": total}


# ---------------------------------------------------------------------------- 2. latency


async def open_loop(desk: Desk, per_second: float, stop: asyncio.Event) -> int:
    """Start a lifecycle every 1/per_second seconds until stopped (an open loop: a slow
    system is not allowed to slow the arrivals down). Returns how many were started."""
    tasks: set[asyncio.Task[str]] = set()
    interval = 1 / per_second
    next_at = time.monotonic()
    started = 0
    while not stop.is_set():
        task = asyncio.create_task(desk.lifecycle())
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        started += 1
        next_at += interval
        try:
            await asyncio.wait_for(stop.wait(), timeout=max(0.0, next_at - time.monotonic()))
        except TimeoutError:
            pass
    for task in tasks:  # the measurement is over; what is still running is not waited for
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return started


@dataclass
class Probes:
    clerk: list[float] = field(default_factory=list)
    bare: list[float] = field(default_factory=list)
    bare_activity: list[float] = field(default_factory=list)
    #: a bare update waiting for one local activity that writes one SQLite row
    floor: list[float] = field(default_factory=list)
    #: the API's `Server-Timing` of each clerk probe: seconds per phase
    server: list[dict[str, float]] = field(default_factory=list)

    def breakdown(self) -> dict[str, Latency]:
        """Each clerk probe taken apart: the API's phases, and the time outside the API
        (client, connection, uvicorn's queue) as what its total leaves of the probe's."""
        by_phase: dict[str, list[float]] = defaultdict(list)
        for seconds, phases in zip(self.clerk, self.server, strict=True):
            for name, value in phases.items():
                by_phase[name].append(value)
            if "total" in phases:
                by_phase["outside the API"].append(seconds - phases["total"])
        return {name: Latency.of(values) for name, values in by_phase.items()}


def breakdown_note(parts: dict[str, Latency]) -> str:
    return " / ".join(f"{name} {lat.p50 * 1e3:.0f}" for name, lat in parts.items()) + " ms (p50)"


async def probe_accepts(
    desk: Desk, codes: list[str], pause: float = 0.05, update_handle: Any = None
) -> Probes:
    """Accept each pre-submitted dossier in turn (the clerk action timed through the API);
    between them, when given, a bare update, one with an activity and one waiting for a local
    activity that writes a row (the floor of a clerk action)."""
    probes = Probes()
    for code in codes:
        started = time.perf_counter()
        await desk.act(CLERK, code, "accept", server=probes.server)
        probes.clerk.append(time.perf_counter() - started)
        if update_handle is not None:
            probes.bare.append(await timed_update(update_handle, "bare"))
            probes.bare_activity.append(await timed_update(update_handle, "activity"))
            probes.floor.append(await timed_update(update_handle, "local write"))
        await asyncio.sleep(pause)
    return probes


def _at(event: Any) -> float:
    return event.event_time.seconds + event.event_time.nanos / 1e9


async def update_spans(client: Client, workflow: str, name: str) -> list[tuple[float, float]]:
    """Each update `name` of a workflow's history, in order, taken apart by the server's own
    timestamps: (its workflow task waiting for a worker, from scheduled to started; the
    worker's turn, from that task's start to the completion of the task that answered it,
    the handler and its local activities included)."""
    scheduled = started = completed = 0.0
    pending: dict[str, tuple[float, float]] = {}
    spans: list[tuple[float, float]] = []
    async for event in client.get_workflow_handle(workflow).fetch_history_events():
        kind = EventType.Name(event.event_type)
        if kind == "EVENT_TYPE_WORKFLOW_TASK_SCHEDULED":
            scheduled = _at(event)
        elif kind == "EVENT_TYPE_WORKFLOW_TASK_STARTED":
            started = _at(event)
        elif kind == "EVENT_TYPE_WORKFLOW_TASK_COMPLETED":
            completed = _at(event)
        elif kind == "EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED":
            request = event.workflow_execution_update_accepted_event_attributes.accepted_request
            if request.input.name == name:
                pending[request.meta.update_id] = (scheduled, started)
        elif kind == "EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED":
            begun = pending.pop(
                event.workflow_execution_update_completed_event_attributes.meta.update_id, None
            )
            if begun is not None:
                spans.append((begun[1] - begun[0], completed - begun[1]))
    return spans


def spans_note(spans: list[tuple[float, float]], totals: list[float]) -> tuple[float, str]:
    """The p50 of each part of an update (`update_spans`) and of what its total (as its caller
    timed it) leaves to the server and the client: the total's p50, and the note."""
    if not spans or len(spans) != len(totals):
        return math.nan, "no history to take the update apart"
    parts = {
        "task waiting for the worker": [q for q, _ in spans],
        "worker (handler, local activities)": [w for _, w in spans],
        "server and client": [t - q - w for (q, w), t in zip(spans, totals, strict=True)],
    }
    note = " / ".join(f"{n} {Latency.of(v).p50 * 1e3:.0f}" for n, v in parts.items())
    return Latency.of(totals).p50, note + " ms (p50)"


async def latency(stack: Stack, desk: Desk, *, max_rate: float, probes: int) -> list[Figure]:
    """Clerk `accept` latency through the API while lifecycles arrive at half the measured
    maximum, against bare updates interleaved with it on the same server at the same load."""
    assert stack.client is not None
    handle = await start_update_target(stack.client)
    codes = await pool(8, probes, desk.submit_paid)
    await probe_accepts(desk, await pool(4, 5, desk.submit_paid), update_handle=handle)  # warm-up
    stop = asyncio.Event()
    background = asyncio.create_task(open_loop(desk, max(max_rate / 2, 0.2), stop))
    await asyncio.sleep(2)  # let the background load reach its steady state
    probes = await probe_accepts(desk, codes, update_handle=handle)
    stop.set()
    started = await background
    await handle.signal(UpdateWorkflow.finish)
    c, b, ba = Latency.of(probes.clerk), Latency.of(probes.bare), Latency.of(probes.bare_activity)
    floor = Latency.of(probes.floor)
    parts = probes.breakdown()
    accept_update = update_name(Action.ACCEPT)
    accept_spans = [
        span
        for code in codes
        for span in await update_spans(stack.client, workflow_id(code), accept_update)
    ]
    floor_name = UpdateWorkflow.with_local_write.__name__
    floor_spans = (await update_spans(stack.client, handle.id, floor_name))[-len(probes.floor) :]
    accept_total, accept_note = spans_note(
        accept_spans, [phases.get("update", math.nan) for phases in probes.server]
    )
    floor_total, floor_note = spans_note(floor_spans, probes.floor)
    load = f"{max(max_rate / 2, 0.2):.1f} lifecycles/s in the background ({started} started)"
    return [
        Figure(
            "2 latency",
            "clerk accept p99 via API",
            c.p99,
            "ms",
            baseline=b.p99,
            baseline_name="bare update p99",
            target="<= 1.5x",
            note=c.ms(),
            extra={"clerk": c.__dict__, "bare_update": b.__dict__, "load": load},
        ),
        Figure(
            "2 latency",
            "clerk accept p99 vs update+1 activity",
            c.p99,
            "ms",
            baseline=ba.p99,
            baseline_name="bare update+activity p99",
            note=ba.ms(),
            extra={"bare_update_with_activity": ba.__dict__},
        ),
        Figure(
            "2 latency",
            "floor: update + one local write, p99",
            floor.p99,
            "ms",
            baseline=b.p99,
            baseline_name="bare update p99",
            note=floor.ms(),
            extra={"update_with_local_write": floor.__dict__},
        ),
        Figure(
            "2 latency",
            "clerk accept p99 vs the floor",
            c.p99,
            "ms",
            baseline=floor.p99,
            baseline_name="update + local write p99",
        ),
        Figure(
            "2 latency",
            "clerk accept taken apart (Server-Timing)",
            parts["total"].p50 if "total" in parts else math.nan,
            "ms",
            note=breakdown_note(parts),
            extra={"phases": {name: lat.__dict__ for name, lat in parts.items()}},
        ),
        Figure(
            "2 latency",
            "accept's update taken apart (history)",
            accept_total,
            "ms",
            note=accept_note,
        ),
        Figure(
            "2 latency",
            "the floor's update taken apart (history)",
            floor_total,
            "ms",
            note=floor_note,
        ),
    ]


# ---------------------------------------------------------------------------- 5. history


def history_bytes(history: Any) -> int:
    return sum(event.ByteSize() for event in history.events)


async def history_size(client: Client, code: str, shape_id: str | None = None) -> list[Figure]:
    """The dossier workflow's history, against the history of the lifecycle's shape (the same
    updates, each recorded by a local activity, and timers, with payloads of a few bytes):
    the bytes no payload of ours can take away."""
    history = await client.get_workflow_handle(workflow_id(code)).fetch_history()
    size = history_bytes(history)
    shape_size = None
    if shape_id is not None:
        shape_size = history_bytes(await client.get_workflow_handle(shape_id).fetch_history())
    kinds: dict[str, int] = {}
    kind_bytes: dict[str, int] = {}
    for event in history.events:
        name = (
            type(event)
            .DESCRIPTOR.fields_by_name["event_type"]
            .enum_type.values_by_number[event.event_type]
            .name.removeprefix("EVENT_TYPE_")
        )
        kinds[name] = kinds.get(name, 0) + 1
        kind_bytes[name] = kind_bytes.get(name, 0) + event.ByteSize()
    return [
        Figure(
            "5 history",
            "events per typical dossier (dossier workflow)",
            len(history.events),
            "events",
            target="<= 150",
            extra={"by_type": kinds},
        ),
        Figure(
            "5 history",
            "bytes per typical dossier",
            size / 1024,
            "KiB",
            baseline=shape_size / 1024 if shape_size is not None else None,
            baseline_name="KiB, the lifecycle shape's workflow",
            target="<= 12",
            extra={"by_type": dict(sorted(kind_bytes.items(), key=lambda kv: -kv[1]))},
        ),
    ]


# ---------------------------------------------------------------------------- 4. open dossiers


async def query_latency(desk: Desk, repeats: int) -> dict[str, Latency]:
    queries = {
        "list (clerk, first page)": (CLERK, "/api/v1/dossiers?limit=20"),
        "list (admin, status filter)": (ADMIN, "/api/v1/dossiers?status=received&limit=50"),
        "list (admin, text search)": (ADMIN, "/api/v1/dossiers?q=Nhung&limit=20"),
        "overdue report (admin)": (ADMIN, "/api/v1/reports/overdue?limit=200"),
    }
    out = {}
    for name, (user, path) in queries.items():
        seconds = []
        for _ in range(repeats):
            started = time.perf_counter()
            await desk.call(user, "GET", path, "query")
            seconds.append(time.perf_counter() - started)
        out[name] = Latency.of(seconds)
    return out


async def settle(desk: Desk, within: float) -> float | None:
    """Seconds until the portal has acknowledged every record (the set-up's tail of portal
    deliveries), or None if it had not after `within` seconds."""
    started = time.monotonic()
    try:
        await desk.wait_synced(0, within=within)
    except ApiError:
        return None
    return time.monotonic() - started


def progress(what: str) -> Any:
    last = [time.monotonic()]

    def report(done: int, elapsed: float) -> None:
        if time.monotonic() - last[0] >= 30:
            last[0] = time.monotonic()
            print(f"  {what}: {done} recorded after {elapsed:.0f} s", flush=True)

    return report


#: At most this many dossiers (or bare workflows), a tenth of them, are set up before a
#: worker's memory is taken.
WARM_UP = 100


def warm_up_size(total: int) -> int:
    return max(1, min(WARM_UP, total // 10))


def too_few_for_memory(total: int) -> bool:
    """Below `WARM_UP` workflows the RSS growth is within the allocator's granularity (a
    quick run has seen it negative): memory per workflow is not measured."""
    return total < WARM_UP


async def bare_memory(stack: Stack, total: int) -> Resident | None:
    """What one more cached workflow costs the bare worker: `total` of the storm baseline's
    workflows (one local activity, then a timer two days ahead), after a tenth of them to
    warm up; the resident memory's growth per workflow. None for too few
    (`too_few_for_memory`) or when they are not all armed in time."""
    if too_few_for_memory(total):
        return None
    client = stack.client
    assert client is not None
    run = uuid.uuid4().hex[:8]
    due = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    numbers = iter(range(total))
    worker = stack.pid("bare-worker")

    async def start() -> None:
        await client.start_workflow(
            StormWorkflow.run,
            StormTimer(due),
            id=f"bench-storm-{run}-{next(numbers)}",
            task_queue=BARE_QUEUE,
        )

    async def arm(count: int, expected: int) -> Resident:
        await pool(32, count, start)
        await wait_until(
            lambda: asyncio.to_thread(storm_lines, stack.storm_log, "armed", run),
            expected,
            within=60 + total / 10,
            what="bare workflows armed",
        )
        await asyncio.sleep(1)
        return resident(worker)

    warm = warm_up_size(total)
    try:
        before = await arm(warm, warm)
        after = await arm(total - warm, total)
    except RuntimeError:
        return None
    finally:
        ends = iter(range(total))

        async def end() -> None:
            with contextlib.suppress(Exception):
                await client.get_workflow_handle(f"bench-storm-{run}-{next(ends)}").terminate()

        await pool(32, total, end)
    return (after - before).per(total - warm)


async def open_dossiers(
    stack: Stack, desk: Desk, *, total: int, repeats: int, setup: str = "bulk"
) -> list[Figure]:
    """`total` dossiers left waiting on their statutory timers: what the worker holds in
    memory, how big the databases grow, and how fast listing and reports stay. Set up in bulk
    (accepted and forwarded to step 1, started with the client: `bench.bulk`) or through the
    API (submitted, paid online and accepted: ≈ 1–2 /s)."""

    async def accepted() -> None:
        code = await desk.submit_paid()
        await desk.act(CLERK, code, "accept")

    worker = stack.pid("worker")
    sizes_before = (await database_size(stack), await temporal_size(stack))
    started = time.monotonic()
    set_up: dict[str, Any] = {"how": setup}
    # a first batch warms the worker up (imports, connections, caches, the allocator's
    # arenas) before its memory is taken: the figure is what each further dossier adds
    warm = warm_up_size(total) if setup == "bulk" else 0
    before = resident(worker)
    if setup == "bulk":

        async def bulk_set_up(count: int) -> bulk.BulkResult:
            return await bulk.set_up(
                temporal_address=stack.temporal_address,
                database_url=stack.database_url,
                at=datetime.now(UTC),
                total=count,
                progress=progress("open"),
            )

        await bulk_set_up(warm)
        await asyncio.sleep(1)
        before = resident(worker)
        set_up.update((await bulk_set_up(total - warm)).as_dict())
    else:
        await pool(32, total, accepted)
    created = rate(total, time.monotonic() - started)
    synced = await settle(desk, within=min(max(60.0, total / 20), 300.0))
    set_up["portal_synced_after_s"] = None if synced is None else round(synced, 1)
    await asyncio.sleep(1)
    after = resident(worker)
    capacity = stack.worker_cache or 1000  # 1,000: the SDK's default
    cached = min(total, capacity) - min(warm, capacity)
    measured = not too_few_for_memory(min(total, capacity))
    grown = (after - before).per(max(1, cached)) if measured else Resident(math.nan, math.nan)
    bare = await bare_memory(stack, min(total, capacity))
    sizes = (await database_size(stack), await temporal_size(stack))
    queries = await query_latency(desk, repeats)
    figures = [
        Figure(
            "4 open",
            "set-up rate (read-model rows recorded)",
            created,
            "/s",
            note=f"{total} dossiers, {setup}",
            extra=set_up,
        ),
        Figure(
            "4 open",
            "worker RSS per cached workflow",
            grown.rss / 1024,
            "KiB",
            baseline=None if bare is None else bare.rss / 1024,
            baseline_name="bare timer workflow, same runner",
            note=f"{total} open, {cached} cached after {warm} to warm up"
            + ("" if measured else f" (too few to measure: {WARM_UP} or more)"),
            extra={
                "warm_up": warm,
                "rss_before": before.rss,
                "rss_after": after.rss,
                "file_before": before.file,
                "file_after": after.file,
                "set_up_rate": created,
                "set_up": set_up,
            },
        ),
        Figure(
            "4 open",
            "worker's own memory per cached workflow",
            grown.own / 1024,
            "KiB",
            baseline=None if bare is None else bare.own / 1024,
            baseline_name="bare timer workflow, same runner",
            note="RSS less the pages of mapped files"
            + (f" ({grown.file / 1024:+.1f} KiB each)" if measured else ""),
        ),
        Figure(
            "4 open",
            "read-model database per open dossier",
            (sizes[0] - sizes_before[0]) / total / 1024,
            "KiB",
            note=f"{sizes[0] / 2**20:.0f} MiB total",
        ),
        Figure(
            "4 open",
            "Temporal database per open dossier",
            (sizes[1] - sizes_before[1]) / total / 1024,
            "KiB",
            note=f"{sizes[1] / 2**20:.0f} MiB total",
        ),
    ]
    for name, lat in queries.items():
        figures.append(Figure("4 open", f"{name} p95", lat.p95, "ms", note=lat.ms()))
    return figures


# ---------------------------------------------------------------------------- 3. storm


def after_closing(now: datetime) -> datetime:
    """18:00 Vietnam time (UTC+7) on the day of `now`, or the next day if that has passed:
    outside office hours, so every dossier accepted then starts at the same next opening."""
    local = now + timedelta(hours=7)
    evening = local.replace(hour=18, minute=0, second=0, microsecond=0)
    if evening <= local:
        evening += timedelta(days=1)
    return evening - timedelta(hours=7)


#: Longest single time jump: a jump's RPC lasts as long as the server takes to fire every
#: timer inside it, so a week over 10,000 dossiers is cut into days.
JUMP_STEP = timedelta(days=1)


async def skip(env: Any, duration: timedelta) -> None:
    """Move virtual time forward by `duration`, in steps of at most a day, each step's RPC with
    a long deadline (firing 10,000 dossiers' timers takes the test server longer than the
    default one: the first 10,000 storm failed with `RPCError: Timeout expired`). A step whose
    connection breaks under that load (the second 10,000 storm: `RPCError: transport error`) is
    retried from wherever virtual time got to."""
    from temporalio.api.testservice.v1 import SleepRequest
    from temporalio.service import RPCError

    target = await env.get_current_time() + duration
    failures = 0
    while (now := await env.get_current_time()) < target:
        request = SleepRequest()
        request.duration.FromTimedelta(min(target - now, JUMP_STEP))
        try:
            await env.client.test_service.unlock_time_skipping_with_sleep(
                request, timeout=timedelta(minutes=30)
            )
        except RPCError as exc:
            failures += 1
            if failures > 5:
                raise
            print(f"time jump interrupted ({exc}); going on from {now:%Y-%m-%d %H:%M}")
            await asyncio.sleep(2)


async def escalations(sessions: Any, kind: str) -> int:
    async with sessions() as session:
        query = select(func.count()).select_from(Escalation).where(Escalation.kind == kind)
        if kind == "escalation":
            query = query.where(Escalation.level == 1)
        return int(await session.scalar(query) or 0)


async def wait_until(
    count: Callable[[], Awaitable[int]], expected: int, within: float, what: str
) -> float:
    """Poll `count()` until it reaches `expected`; the seconds that took, or an error naming
    `what` after `within` seconds."""
    started = time.monotonic()
    while (counted := await count()) < expected:
        if time.monotonic() - started > within:
            raise RuntimeError(f"only {counted} of {expected} {what} after {within:.0f} s")
        await asyncio.sleep(0.05)
    return time.monotonic() - started


async def wait_count(sessions: Any, kind: str, expected: int, within: float) -> float:
    return await wait_until(lambda: escalations(sessions, kind), expected, within, f"{kind}s")


async def unsent(sessions: Any) -> int:
    """Level-1 escalation notifications (mail and log) not yet sent."""
    async with sessions() as session:
        query = (
            select(func.count())
            .select_from(Notification)
            .where(
                col(Notification.escalation_key).like("%escalation-1"),
                Notification.state != "sent",
            )
        )
        return int(await session.scalar(query) or 0)


async def wait_sent(sessions: Any, within: float) -> float:
    started = time.monotonic()
    while await unsent(sessions):
        if time.monotonic() - started > within:
            raise RuntimeError(f"{await unsent(sessions)} notifications unsent after {within} s")
        await asyncio.sleep(0.1)
    return time.monotonic() - started


@dataclass
class EscalationStorm:
    escalations_s: float
    mailed_s: float
    clerk: list[float]
    timed_out: int
    cpu: dict[str, float]


async def escalation_storm(
    stack: Stack,
    desk: Desk,
    sessions: Any,
    *,
    total: int,
    probe_codes: list[str],
    started: float | None,
) -> EscalationStorm:
    """Time the level-1 escalations (and then their mails) of a storm that is starting, with
    clerk accepts probed while it lasts. `started` is the wall-clock (`time.time()`) moment
    the escalations fall due, when known; otherwise the storm is timed from now."""
    cpu_before = cpu_snapshot(stack)
    begun = time.time()
    waiter = asyncio.create_task(wait_count(sessions, "escalation", total, within=1800))
    clerk: list[float] = []
    remaining = list(probe_codes)
    timed_out = 0
    while not waiter.done() and remaining:
        try:
            probe = (await probe_accepts(desk, [remaining.pop()], pause=0.02)).clerk
        except httpx.TimeoutException:  # the desk's 120 s: recorded as that, not dropped
            timed_out += 1
            probe = [desk.http.timeout.read or 120.0]
        clerk += probe
    waited = await waiter
    cpu = cpu_delta(cpu_before, cpu_snapshot(stack))
    # the mails go out from the notifier beside the worker, after the escalations are
    # recorded: timed from the same start
    mailed = waited + await wait_sent(sessions, within=1800)
    # timed from the due moment when known (the waiter started a little before it)
    offset = 0.0 if started is None else begun - started
    return EscalationStorm(waited + offset, mailed + offset, clerk, timed_out, cpu)


def storm_lines(path: Path, what: str, run: str) -> int:
    """How many of one bare storm's workflows have recorded `what` ("armed", "fired"): a C-level
    substring count over the file, so polling it costs the measured machine next to nothing
    (workflow ids hold no space, so the text only occurs at the start of a line)."""
    return path.read_bytes().count(f"{what} bench-storm-{run}-".encode()) if path.exists() else 0


@dataclass
class BareStorm:
    seconds: float  # from the due moment until every timer's firing is recorded
    cpu: dict[str, float]


async def bare_storm(
    stack: Stack, total: int, *, margin: float = 30.0, task_queue: str = BARE_QUEUE
) -> BareStorm:
    """The storm's baseline, on the same server in the same run: `total` bare workflows
    (`StormWorkflow` in bench/bare.py) whose one timer fires at the same moment and records
    that with one local activity, then waits on its next timer — a dossier's escalation
    without the dossier. Timed from that moment until every firing is recorded."""
    client = stack.client
    assert client is not None
    run = uuid.uuid4().hex[:8]
    # every workflow must be armed (its first task done) before the minute: right after a
    # storm the server arms ≈ 20 /s here (3,000 were not armed within 105 s), so allow 10 /s
    due = datetime.now(UTC) + timedelta(seconds=margin + total / 10)
    numbers = iter(range(total))

    async def start() -> None:
        await client.start_workflow(
            StormWorkflow.run,
            StormTimer(due.isoformat()),
            id=f"bench-storm-{run}-{next(numbers)}",
            task_queue=task_queue,
        )

    await pool(32, total, start)
    await wait_until(
        lambda: asyncio.to_thread(storm_lines, stack.storm_log, "armed", run),
        total,
        within=due.timestamp() - time.time() - 1,
        what="bare storm timers armed",
    )
    await asyncio.sleep(max(0.0, due.timestamp() - time.time() - 0.5))
    before = cpu_snapshot(stack)
    await wait_until(
        lambda: asyncio.to_thread(storm_lines, stack.storm_log, "fired", run),
        total,
        within=1800,
        what="bare storm timers fired",
    )
    return BareStorm(time.time() - due.timestamp(), cpu_delta(before, cpu_snapshot(stack)))


def storm_figures(
    storm: EscalationStorm,
    *,
    total: int,
    bare: BareStorm | None = None,
    quiet_clerk: list[float],
    warnings_s: float | None,
    note: str,
    extra: dict[str, Any],
) -> list[Figure]:
    quiet, during = Latency.of(quiet_clerk), Latency.of(storm.clerk)
    figures = [
        Figure(
            "3 storm",
            f"all {total} escalations recorded",
            storm.escalations_s,
            "s",
            baseline=None if bare is None else bare.seconds,
            baseline_name="" if bare is None else f"{total} bare timers fired and recorded",
            # the target is for 10,000 dossiers: a smaller storm is not judged by it
            target="<= 60" if total >= 10_000 else "",
            note=note + ("" if total >= 10_000 else "; the target (<= 60 s) is for 10,000"),
            extra={
                **extra,
                "cpu_seconds_during_escalations": storm.cpu,
                **({} if bare is None else {"cpu_seconds_during_bare_storm": bare.cpu}),
            },
        ),
        Figure(
            "3 storm",
            f"all {total} escalations mailed",
            storm.mailed_s,
            "s",
            note="every level-1 notification (mail and log) sent, from the storm's start",
        ),
    ]
    if warnings_s is not None:
        figures.append(Figure("3 storm", f"all {total} warnings recorded", warnings_s, "s"))
    figures.append(
        Figure(
            "3 storm",
            "clerk accept p99 during the storm",
            during.p99,
            "ms",
            baseline=quiet.p99,
            baseline_name="p99 without storm",
            note=f"{during.count} probes ({storm.timed_out} timed out at 120 s); {during.ms()}",
            extra={
                "during": during.__dict__,
                "without": quiet.__dict__,
                "timed_out": storm.timed_out,
            },
        )
    )
    return figures


async def settled_due_moment(
    desk: Desk, sessions: Any, total: int, how: dict[str, Any], *, bench_only: bool
) -> datetime:
    """After a storm's set-up: wait (a bounded time) for the portal to acknowledge its
    records, noting how long in `how`, and return the one moment step 1 of every storm
    dossier falls due (bulk dossiers only when `bench_only`); fail if there is not one."""
    synced = await settle(desk, within=min(max(60.0, total / 20), 300.0))
    how["portal_synced_after_s"] = None if synced is None else round(synced, 1)
    query = select(DossierStep.due_at).where(
        DossierStep.idx == 0, col(DossierStep.due_at).is_not(None)
    )
    if bench_only:
        query = query.where(col(DossierStep.dossier_code).startswith(f"{bulk.BENCH_AGENCY}-"))
    async with sessions() as session:
        dues = {as_utc(d) for d in await session.scalars(query.distinct()) if d is not None}
    if len(dues) != 1:
        raise RuntimeError(f"the storm's dossiers do not share one due moment: {sorted(dues)}")
    return dues.pop()


def live_due(now: datetime, lead: timedelta) -> tuple[datetime, timedelta]:
    """The storm's due moment, a whole minute at least `lead` after `now`, and the length of
    the working day that closes at it (up to 8 h, inside its local calendar day)."""
    due = (now + lead + timedelta(minutes=1)).replace(second=0, microsecond=0)
    local = due.astimezone(ZoneInfo(DEFAULT_TZ))
    since_midnight = timedelta(hours=local.hour, minutes=local.minute)
    if since_midnight < timedelta(minutes=30):  # just after midnight: close at 00:30 instead
        due += timedelta(minutes=30) - since_midnight
        since_midnight = timedelta(minutes=30)
    return due, min(timedelta(hours=8), since_midnight)


async def storm_live(stack: Stack, desk: Desk, *, total: int, probes: int) -> list[Figure]:
    """On the dev server `make run` runs (SQLite), in real time: `total` dossiers set up in
    bulk under a clock whose working day closes at one minute some way ahead
    (`bulk.live_storm_clock`: every day worked, one office period, no holidays), so that
    step 1 of every one of them falls due at that minute. The lead leaves room for the
    set-up (assumed ≥ 6 /s), the portal's acknowledgements, every portal-sync run idling
    out and the quiet clerk probes; the escalations are timed from the due moment itself.
    The step's warning, one working day earlier, has already passed when the workflows
    start, so warnings fire during the set-up and are not timed here."""
    engine = make_engine(stack.database_url)
    sessions = make_session_maker(engine)
    try:
        async with sessions() as session:
            procedure = await get_procedure(session, code=LAND)
            assert procedure is not None
            base = await load_clock_config(session)
        lead = (
            timedelta(seconds=total / 6 + 60 + 2 * probes) + IDLE_BEFORE_DONE + timedelta(minutes=1)
        )
        due, day = live_due(datetime.now(UTC), lead)
        config, at = bulk.live_storm_clock(base, procedure, due, day)
        print(f"  storm: due at {due:%H:%M} UTC (in {lead.total_seconds() / 60:.0f} min)")
        result = await bulk.set_up(
            temporal_address=stack.temporal_address,
            database_url=stack.database_url,
            at=at,
            total=total,
            progress=progress("storm"),
            config=config,
        )
        how: dict[str, Any] = {"how": "bulk", "server": "dev", **result.as_dict()}
        if await settled_due_moment(desk, sessions, total, how, bench_only=True) != due:
            raise RuntimeError(f"the storm's dossiers do not fall due at {due}")
        probe_codes = await pool(8, 2 * probes, desk.submit_paid)
        quiet_clerk = (await probe_accepts(desk, probe_codes[:probes])).clerk
        headroom = due.timestamp() - time.time()
        how["headroom_s"] = round(headroom, 1)
        if headroom < 2:
            raise RuntimeError(
                f"the set-up took longer than the {lead} allowed for it: the storm began "
                f"{-headroom:.0f} s before the bench was ready; run it with fewer dossiers"
            )
        await asyncio.sleep(headroom - 1)
        measured = await escalation_storm(
            stack,
            desk,
            sessions,
            total=total,
            probe_codes=probe_codes[probes:],
            started=due.timestamp(),
        )
        print(f"  storm: the baseline, {total} bare timers due in the same minute")
        try:
            bare: BareStorm | None = await bare_storm(stack, total)
        except RuntimeError as exc:  # the storm's own figures stand without it
            print(f"  storm: no baseline ({exc})")
            bare = None
        return storm_figures(
            measured,
            total=total,
            bare=bare,
            quiet_clerk=quiet_clerk,
            warnings_s=None,
            note=f"due {due:%H:%M} UTC, real time on the dev server; worker cache "
            f"{stack.worker_cache or 1000}",
            extra={"set_up_rate": result.rate, "codes": len(result.codes), "set_up": how},
        )
    finally:
        await engine.dispose()


async def storm(
    stack: Stack,
    desk: Desk,
    *,
    total: int,
    probes: int,
    setup: str = "bulk",
) -> list[Figure]:
    """On the time-skipping server with the real workers and database: `total` dossiers are
    accepted and forwarded after closing, so every first step starts at the same opening and
    falls due at the same moment (17:00, five working days later). Time jumps to a minute
    before the warnings, then to a minute before the due moment; each storm is timed by the
    wall clock until the database holds every warning / escalation."""
    env, client = stack.env, stack.client
    assert env is not None and client is not None
    engine = make_engine(stack.database_url)
    sessions = make_session_maker(engine)
    try:
        now = await env.get_current_time()
        await skip(env, after_closing(now) - now)

        async def set_up() -> str:
            code = await desk.submit_paid()
            await desk.act(CLERK, code, "accept")
            await desk.act(CLERK, code, "forward")
            return code

        started = time.monotonic()
        how: dict[str, Any] = {"how": setup}
        if setup == "bulk":
            result = await bulk.set_up(
                temporal_address=stack.temporal_address,
                database_url=stack.database_url,
                at=await env.get_current_time(),
                total=total,
                progress=progress("storm"),
            )
            codes = result.codes
            how.update(result.as_dict())
        else:
            codes = await pool(32, total, set_up)
        set_up_rate = rate(total, time.monotonic() - started)
        due = await settled_due_moment(desk, sessions, total, how, bench_only=setup == "bulk")
        async with sessions() as session:
            cal = (await load_clock_config(session)).work_calendar()
        # the step's warning: one working day before its due moment (17:00 the day before)
        warn = subtract_working_time(cal, due, working_days_to_minutes(WARNING_BEFORE_DAYS, cal))
        # every portal-sync run completes after IDLE_BEFORE_DONE without a record: let the
        # set-up's runs finish now rather than inside the jump to the warnings
        await skip(env, IDLE_BEFORE_DONE + timedelta(minutes=1))
        probe_codes = await pool(8, 2 * probes, desk.submit_paid)
        quiet_clerk = (await probe_accepts(desk, probe_codes[:probes])).clerk

        now = await env.get_current_time()
        await skip(env, warn - now - timedelta(minutes=1))
        jump = asyncio.create_task(skip(env, timedelta(minutes=2)))
        warnings_s = await wait_count(sessions, "warning", total, within=1800)
        await jump

        now = await env.get_current_time()
        await skip(env, due - now - timedelta(minutes=1))
        jump = asyncio.create_task(skip(env, timedelta(minutes=2)))
        measured = await escalation_storm(
            stack, desk, sessions, total=total, probe_codes=probe_codes[probes:], started=None
        )
        await jump
        return storm_figures(
            measured,
            total=total,
            quiet_clerk=quiet_clerk,
            warnings_s=warnings_s,
            note=f"due {due:%Y-%m-%d %H:%M} UTC (virtual); worker cache "
            f"{stack.worker_cache or 1000}",
            extra={"set_up_rate": set_up_rate, "codes": len(codes), "set_up": how},
        )
    finally:
        await engine.dispose()
