"""What one more cached workflow holds in the worker's memory, taken apart: live Python objects
(pymalloc's allocated blocks), native allocations (glibc's bytes in use: the SDK core's state
machines, protobuf arenas, Python objects over 512 bytes) and RSS, with the Python containers
it added by type. One process runs the Temporal dev server (a child), the worker and the
workflows' starts, so the figures come from the allocator itself rather than from RSS alone.

    .venv/bin/python bench/heap.py --total 300

First `--total` bare timer workflows (the open scenario's baseline, `bench.bare.StormWorkflow`),
then as many dossiers set up in bulk (`bench.bulk`, accepted and forwarded to step 1), each on
the production worker's lean unsandboxed runner, with a warm-up of a tenth before each. With
`--evictions N` the dossier worker caches only those (`worker_max_cached_workflows` = total
and warm-up) and N more dossiers are set up, each evicting one: what stays behind per evicted
dossier, live and in RSS, then RSS once `malloc_trim(0)` has given glibc's free memory back. Not
part of `make bench`: tracemalloc would slow the worker past its task timeouts, so the probe
counts what the allocators hold instead, which costs nothing while the workflows run."""

from __future__ import annotations

import argparse
import asyncio
import collections
import ctypes
import gc
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()
        )
    ]


@dataclass(frozen=True)
class Heap:
    rss_kib: float
    python_kib: float  # pymalloc's allocated blocks
    native_kib: float  # glibc's bytes in use (small and mmapped)
    containers: collections.Counter[str]  # bytes of gc-tracked objects by type (shallow)
    counts: collections.Counter[str]

    def per(self, before: Heap, n: int) -> dict[str, float]:
        return {
            "rss": (self.rss_kib - before.rss_kib) / n,
            "python": (self.python_kib - before.python_kib) / n,
            "native": (self.native_kib - before.native_kib) / n,
            "containers": (sum(self.containers.values()) - sum(before.containers.values()))
            / n
            / 1024,
        }


def _rss_kib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return float(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def _pymalloc_kib() -> float:
    """pymalloc's `# bytes in allocated blocks`, from `sys._debugmallocstats` (it writes to
    the C stderr, so fd 2 is pointed at a temporary file meanwhile)."""
    with tempfile.TemporaryFile() as out:
        saved = os.dup(2)
        try:
            os.dup2(out.fileno(), 2)
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        out.seek(0)
        text = out.read().decode()
    found = re.search(r"# bytes in allocated blocks\s*=\s*([\d,]+)", text)
    assert found, "sys._debugmallocstats printed no allocated blocks"
    return int(found.group(1).replace(",", "")) / 1024


def _glibc_kib() -> float:
    libc = ctypes.CDLL("libc.so.6")
    libc.mallinfo2.restype = _MallInfo2
    info = libc.mallinfo2()
    return float(info.uordblks + info.hblkhd) / 1024


def heap() -> Heap:
    gc.collect()
    sizes: collections.Counter[str] = collections.Counter()
    counts: collections.Counter[str] = collections.Counter()
    for obj in gc.get_objects():
        kind = type(obj)
        name = f"{kind.__module__}.{kind.__qualname__}"
        sizes[name] += sys.getsizeof(obj)
        counts[name] += 1
    return Heap(_rss_kib(), _pymalloc_kib(), _glibc_kib(), sizes, counts)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def warm_up(total: int) -> int:
    """The workflows started before memory is first taken."""
    return max(1, total // 10)


async def measure(
    label: str, total: int, start: Callable[[int], Awaitable[None]], top: int
) -> dict[str, float]:
    warm = warm_up(total)
    await start(warm)
    await asyncio.sleep(2)
    before = heap()
    await start(total)
    await asyncio.sleep(3)
    after = heap()
    figures = after.per(before, total)
    print(
        f"{label}: per cached workflow RSS {figures['rss']:.1f} KiB = Python "
        f"{figures['python']:.1f} + native {figures['native']:.1f} + allocator slack; "
        f"gc-tracked containers {figures['containers']:.1f} KiB"
    )
    grown = sorted(
        ((after.containers[k] - before.containers[k], k) for k in after.containers),
        reverse=True,
    )[:top]
    for size, name in grown:
        count = (after.counts[name] - before.counts[name]) / total
        print(f"  {size / total:7.0f} B  {count:5.1f} objects  {name}")
    return figures


async def evict(evictions: int, step: int, start: Callable[[int], Awaitable[None]]) -> None:
    """`evictions` more dossiers into a full cache, `step` at a time, each evicting one."""
    from config.memory import libc_trim

    full = heap()
    done = 0
    while done < evictions:
        count = min(step, evictions - done)
        await start(count)
        done += count
        await asyncio.sleep(3)
        now = heap()
        print(
            f"after {done} evictions: per evicted dossier RSS "
            f"{(now.rss_kib - full.rss_kib) / done:+.2f} KiB, Python "
            f"{(now.python_kib - full.python_kib) / done:+.2f}, native "
            f"{(now.native_kib - full.native_kib) / done:+.2f}"
        )
    trim = libc_trim()
    assert trim is not None, "no malloc_trim in this C library"
    began = time.perf_counter()
    trim()  # what the worker's MemoryTrimmer runs (this probe's worker runs none)
    took = time.perf_counter() - began
    trimmed = heap()
    print(
        f"after malloc_trim(0) ({took * 1000:.1f} ms): RSS "
        f"{(trimmed.rss_kib - full.rss_kib) / done:+.2f} KiB per evicted dossier"
    )


def main(total: int, top: int, evictions: int) -> None:
    root = Path(tempfile.mkdtemp(prefix="motcua-heap-"))
    database = f"sqlite+aiosqlite:///{root}/motcua.db"
    port = _free_port()
    os.environ.update(
        MOTCUA_DATABASE_URL=database,
        MOTCUA_ENVIRONMENT="development",
        MOTCUA_TEMPORAL_ADDRESS=f"127.0.0.1:{port}",
    )
    if evictions:
        os.environ["MOTCUA_WORKER_MAX_CACHED_WORKFLOWS"] = str(total + warm_up(total))
    from cli.__main__ import dev_server_command

    server = subprocess.Popen(
        dev_server_command(root / "temporal.db", port, _free_port()),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        seeded = subprocess.run(
            [sys.executable, "-m", "cli", "seed", "--demo"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if seeded.returncode != 0:
            raise RuntimeError(f"seeding failed:\n{seeded.stderr}")
        asyncio.run(_probe(database, total, top, evictions))
    finally:
        server.terminate()
        server.wait(10)


async def _probe(database: str, total: int, top: int, evictions: int) -> None:
    from temporalio.worker import Worker

    from bench import bulk
    from bench.bare import StormTimer, StormWorkflow, storm_record
    from config import get_settings
    from db.engine import make_engine, make_session_maker
    from worker import build_dossier_worker
    from workflows.client import connect
    from workflows.sandbox import workflow_runner

    settings = get_settings()
    for _ in range(100):
        try:
            client = await connect(settings)
            break
        except RuntimeError:
            await asyncio.sleep(0.3)
    else:
        raise RuntimeError("the dev server did not start")
    queue = f"heap-bare-{uuid.uuid4().hex[:6]}"
    due = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    started = 0

    async def bare(count: int) -> None:
        nonlocal started
        first, started = started, started + count
        await asyncio.gather(
            *(
                client.start_workflow(
                    StormWorkflow.run, StormTimer(due), id=f"{queue}-{i}", task_queue=queue
                )
                for i in range(first, started)
            )
        )
        while True:  # each is cached once its first task (the armed record) is done
            done = 0
            for i in range(first, started):
                described = await client.get_workflow_handle(f"{queue}-{i}").describe()
                done += not described.raw_description.HasField("pending_workflow_task")
            if done == count:
                return
            await asyncio.sleep(0.5)

    async with Worker(
        client,
        task_queue=queue,
        workflows=[StormWorkflow],
        activities=[storm_record],
        workflow_runner=workflow_runner(sandboxed=False),
    ):
        base = await measure("bare timer workflow", total, bare, top)

    sessions = make_session_maker(make_engine(database, pool_size=1, max_overflow=0))

    async def dossiers(count: int) -> None:
        await bulk.set_up(
            temporal_address=settings.temporal_address,
            database_url=database,
            at=datetime.now(UTC),
            total=count,
            concurrency=32,
        )

    async with build_dossier_worker(client, settings, sessions):
        ours = await measure("dossier workflow", total, dossiers, top)
        if evictions:
            await evict(evictions, total, dossiers)
    print(
        "dossier / bare: "
        + ", ".join(f"{k} {ours[k]:.1f} / {base[k]:.1f} KiB" for k in ("rss", "python", "native"))
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--total", type=int, default=300, help="workflows of each kind")
    parser.add_argument("--top", type=int, default=12, help="container types to list")
    parser.add_argument(
        "--evictions", type=int, default=0, help="dossiers set up into a full cache afterwards"
    )
    args = parser.parse_args()
    main(args.total, args.top, args.evictions)
