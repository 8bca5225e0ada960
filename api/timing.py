"""`Server-Timing` on every response: where a request spent its time (the whole request, and
the phases a route marks with `phase`), for browsers' developer tools and the benchmarks."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_phases: ContextVar[list[tuple[str, float]] | None] = ContextVar("server_timing", default=None)


@contextmanager
def phase(name: str) -> Iterator[None]:
    """Time the block as one `Server-Timing` entry of the current request (no-op outside one)."""
    started = time.perf_counter()
    try:
        yield
    finally:
        phases = _phases.get()
        if phases is not None:
            phases.append((name, time.perf_counter() - started))


def header(phases: list[tuple[str, float]], total: float) -> str:
    entries = [("total", total), *phases]
    return ", ".join(f"{name};dur={seconds * 1000:.1f}" for name, seconds in entries)


class ServerTimingMiddleware:
    """Pure ASGI, not `BaseHTTPMiddleware`, so it costs no extra task per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        phases: list[tuple[str, float]] = []
        token = _phases.set(phases)

        async def send_with_timing(message: Message) -> None:
            if message["type"] == "http.response.start":
                value = header(phases, time.perf_counter() - started)
                message["headers"] = [
                    *message.get("headers", []),
                    (b"server-timing", value.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_timing)
        finally:
            _phases.reset(token)
