"""Browser fixtures: the application served by uvicorn on a free port inside the test
session's event loop (so it shares the session's database engine, the Temporal dev server and
the dossier worker), and Debian's Chromium driven by Playwright — never a downloaded browser."""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from config import Settings
from db.seed import DEMO_PASSWORD
from tests.support.processes import free_port

CHROMIUM = Path(os.environ.get("MOTCUA_CHROMIUM", "/usr/bin/chromium"))
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
SCREENSHOTS = Path(__file__).resolve().parents[2] / ".artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
DESK = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: `apt-get install -y chromium` to run the browser tests"
        if IN_CI:
            pytest.fail(f"CI requires the browser tests: {reason}")
        pytest.skip(reason)
    return CHROMIUM


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield  # pytest owns the signals; the server is stopped by the fixture


@pytest.fixture(scope="session")
async def console_url(  # type: ignore[no-untyped-def]
    chromium: Path, settings: Settings, dev_env, engine, dossier_worker
) -> AsyncIterator[str]:
    from api.app import create_app

    app = create_app(settings, temporal=dev_env.client, engine=engine)
    port = free_port()
    server = _Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        if serving.done():
            serving.result()
        await asyncio.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    await serving


@pytest.fixture(scope="session")
async def browser(chromium: Path) -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        await browser.close()


class Desk:
    """A signed-in officer's browser tab."""

    def __init__(self, page: Any, base: str):
        self.page = page
        self.base = base

    async def goto(self, path: str) -> Any:
        return await self.page.goto(self.base + path)

    async def shot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        await self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
async def open_as(browser: Any, console_url: str) -> AsyncIterator[Any]:
    """`await open_as("cc.diachinh")`: a fresh browser context signed in as that officer."""
    contexts = []

    async def open_as(username: str | None, viewport: dict[str, int] = DESK) -> Desk:
        context = await browser.new_context(viewport=viewport, locale="vi-VN")
        contexts.append(context)
        desk = Desk(await context.new_page(), console_url)
        if username is not None:
            await desk.goto("/console/login")
            await desk.page.get_by_label("Tên đăng nhập").fill(username)
            await desk.page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
            await desk.page.get_by_role("button", name="Đăng nhập").click()
            await desk.page.wait_for_url(f"{console_url}/console/")
        return desk

    yield open_as
    for context in contexts:
        await context.close()
