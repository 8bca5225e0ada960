"""Giving the memory of evicted workflows back to the system.

A worker whose workflow cache is full evicts one workflow for each one it takes in. What the
evicted workflow held is freed, but glibc keeps freed memory in the arenas of the threads that
allocated it (the workflow pool's, the bridge's) and reuses little of it across them: each
dossier evicted from a full cache left +13.58 KiB of RSS against +0.79 KiB still allocated, and
+1.42 once `malloc_trim(0)` had run in 2.2 ms (`bench/heap.py --total 300 --evictions 900`).
The worker runs `MemoryTrimmer`: at most once per interval, and only when a workflow has
been evicted since the last time (`workflows.sandbox.EVICTED`), it calls `malloc_trim(0)` in a
thread (ctypes lets go of the GIL for the call). Where the C library has no `malloc_trim`
(musl, macOS) it does nothing."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger("motcua.memory")


def libc_trim() -> Callable[[], int] | None:
    """glibc's `malloc_trim(0)`, or None where the C library has none."""
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        trim = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return lambda: int(trim(0))


class MemoryTrimmer:
    """Runs `trim` in a thread every `interval` seconds in which `pending` was set, clearing it
    first (run it with `async with`; an interval of 0 or no `trim` runs nothing)."""

    def __init__(
        self,
        pending: threading.Event,
        *,
        interval: float,
        trim: Callable[[], int] | None = None,
    ) -> None:
        self.pending, self.interval = pending, interval
        self.trim = trim if trim is not None else libc_trim()
        self.trims = 0  # how many ran
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> MemoryTrimmer:
        if self.interval > 0 and self.trim is not None:
            self._task = asyncio.create_task(self._run(), name="memory-trimmer")
        elif self.interval > 0:
            log.info("no malloc_trim in this C library: evicted workflows' memory stays held")
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            if self.pending.is_set():
                await self.run_once()

    async def run_once(self) -> None:
        assert self.trim is not None
        self.pending.clear()  # an eviction from here on waits for the next round
        started = time.perf_counter()
        released = await asyncio.to_thread(self.trim)
        took = time.perf_counter() - started
        self.trims += 1
        log.debug(
            "malloc_trim(0) in %.1f ms: %s",
            took * 1000,
            "memory released" if released else "nothing to release",
        )
