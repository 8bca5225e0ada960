"""The worker's memory trimmer: glibc's `malloc_trim(0)` in a thread, and only in an interval
in which a workflow was evicted (`workflows.sandbox.EVICTED`; the lean runner sets it, as
tests/workflows/test_lean_runner.py checks)."""

from __future__ import annotations

import asyncio
import ctypes.util
import threading

import pytest

from config.memory import MemoryTrimmer, libc_trim


class Trim:
    def __init__(self) -> None:
        self.calls, self.threads = 0, set[int]()
        self.ran = threading.Event()

    def __call__(self) -> int:
        self.calls += 1
        self.threads.add(threading.get_ident())
        self.ran.set()
        return 1


async def test_it_trims_once_after_an_eviction_off_the_event_loop() -> None:
    pending, trim = threading.Event(), Trim()
    async with MemoryTrimmer(pending, interval=0.01, trim=trim) as trimmer:
        pending.set()
        assert await asyncio.to_thread(trim.ran.wait, 10)
        await asyncio.sleep(0.1)  # ten more intervals, no eviction in them
    assert trim.calls == 1 and trimmer.trims == 1
    assert not pending.is_set()
    assert threading.get_ident() not in trim.threads


async def test_without_an_eviction_it_does_not_trim() -> None:
    pending, trim = threading.Event(), Trim()
    async with MemoryTrimmer(pending, interval=0.01, trim=trim):
        await asyncio.sleep(0.1)
    assert trim.calls == 0


async def test_an_eviction_during_a_trim_is_trimmed_in_the_next_round() -> None:
    pending = threading.Event()
    calls = 0

    def trim_while_evicting() -> int:
        nonlocal calls
        calls += 1
        if calls == 1:
            pending.set()  # evicted while the first trim runs
        return 0

    trimmer = MemoryTrimmer(pending, interval=60, trim=trim_while_evicting)
    pending.set()
    await trimmer.run_once()
    assert pending.is_set(), "the eviction during the trim was forgotten"
    await trimmer.run_once()
    assert calls == 2 and not pending.is_set()


async def test_an_interval_of_zero_runs_nothing() -> None:
    pending, trim = threading.Event(), Trim()
    pending.set()
    async with MemoryTrimmer(pending, interval=0, trim=trim) as trimmer:
        await asyncio.sleep(0.05)
    assert trim.calls == 0 and trimmer.trims == 0


async def test_without_malloc_trim_in_the_c_library_it_does_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: None)
    assert libc_trim() is None
    pending = threading.Event()
    pending.set()
    async with MemoryTrimmer(pending, interval=0.01) as trimmer:
        await asyncio.sleep(0.05)
    assert trimmer.trim is None and trimmer.trims == 0 and pending.is_set()


def test_glibc_trims_freed_memory() -> None:
    trim = libc_trim()
    assert trim is not None, "this machine's C library is glibc: malloc_trim should be found"
    chunks = [bytearray(64 * 1024) for _ in range(256)]  # 16 MiB, then freed
    del chunks
    assert trim() in (0, 1)
