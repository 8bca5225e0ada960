"""A small real HTTP server that answers pages, not JSON: a proxy or gateway in front of the
portal or the payment gateway, or one that is slow to answer."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web

from tests.support.processes import free_port

PAGE = "<html>Bad Gateway</html>"


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    """Serve `app` on a free port and yield its base URL."""
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def page_server(delay_seconds: float = 0.0) -> AsyncIterator[str]:
    """Serve pages on a free port and yield its base URL. A request's status is the number its
    path starts with (`/502/...`), else 200; each answer waits `delay_seconds` first."""

    async def page(request: web.Request) -> web.Response:
        first = request.path.split("/")[1]
        await asyncio.sleep(delay_seconds)
        return web.Response(
            status=int(first) if first.isdigit() else 200, text=PAGE, content_type="text/html"
        )

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", page)
    async with serving(app) as url:
        yield url
