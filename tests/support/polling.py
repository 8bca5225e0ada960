"""Waiting for what happens asynchronously (the projection, a callback, a delivery, a server
starting): poll until it holds, and fail with what was last seen."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

T = TypeVar("T")


async def eventually(
    probe: Callable[[], T | Awaitable[T]],
    check: Callable[[T], Any] = bool,
    *,
    within: float = 15.0,
    every: float = 0.1,
    what: str = "the condition",
) -> T:
    """The first result of `probe()` (sync or async) that `check` accepts, polled every
    `every` seconds. After `within` seconds, an AssertionError naming `what` and showing the
    last result. The deadline is on the clock, not a count of tries, so slow probes on a busy
    machine do not stretch it."""
    deadline = time.monotonic() + within
    while True:
        value = probe()
        result = cast(T, await value if inspect.isawaitable(value) else value)
        if check(result):
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what} did not happen within {within:g} s; last: {result!r}")
        await asyncio.sleep(every)
