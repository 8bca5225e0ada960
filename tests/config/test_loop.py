"""The long-running processes' event loop: uvloop where it is installed, asyncio's otherwise.
(That a Temporal worker runs on it is what `tests/portal/test_portal_worker_kill.py` does:
it starts `worker.py` as a process, kills it and starts it again.)"""

from __future__ import annotations

import asyncio
import sys

import pytest
import uvloop

from config import loop


async def _running_loop() -> type[asyncio.AbstractEventLoop]:
    await asyncio.sleep(0)
    return type(asyncio.get_running_loop())


def test_a_process_runs_on_uvloop_where_it_is_installed() -> None:
    assert loop.run(_running_loop()) is uvloop.Loop


def test_without_uvloop_it_runs_on_asyncios_own_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "uvloop", None)  # `import uvloop` raises ImportError
    ran_on = loop.run(_running_loop())
    assert ran_on is not uvloop.Loop
    assert issubclass(ran_on, asyncio.BaseEventLoop)


def test_the_coroutines_result_and_error_come_back() -> None:
    async def fails() -> None:
        raise LookupError("no such dossier")

    async def answers() -> str:
        return "ok"

    assert loop.run(answers()) == "ok"
    with pytest.raises(LookupError, match="no such dossier"):
        loop.run(fails())
