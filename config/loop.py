"""The event loop the long-running processes run on: uvloop where it is installed (Linux and
macOS, as uvicorn already runs the API on it), asyncio's own loop elsewhere.

A worker's own work between workflow tasks is mostly the loop's: the bridge's completions
handed over from its threads, the workflow pool's and SQLite's thread hand-offs, the sockets
of the HTTP and SMTP clients. The workflows themselves do not run on it (each has the SDK's
deterministic loop)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop]:
    try:
        import uvloop
    except ImportError:  # Windows: no uvloop
        return asyncio.new_event_loop
    return uvloop.new_event_loop


def run(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)` on the loop of `loop_factory`."""
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)
