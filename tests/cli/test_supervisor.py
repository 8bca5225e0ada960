"""`cli run`'s supervisor restarts a process that died, with back-off, and leaves the others."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

from cli.supervisor import MAX_RESTART_DELAY, Service, Supervisor, restart_delay

SLEEPER = [sys.executable, "-c", "import time; time.sleep(600)"]


def test_back_off_grows_and_is_capped() -> None:
    delays = [restart_delay(n) for n in range(1, 12)]
    assert delays == sorted(delays)
    assert delays[1] > delays[0]
    assert delays[-1] == MAX_RESTART_DELAY


def test_a_killed_child_is_restarted_and_the_others_keep_running(tmp_path: Path) -> None:
    worker, api = Service("worker", SLEEPER), Service("api", SLEEPER)
    messages: list[str] = []
    supervisor = Supervisor([worker, api], logs=tmp_path, env=dict(os.environ), say=messages.append)
    supervisor.start_all()
    try:
        assert worker.process is not None and api.process is not None
        first_worker, first_api = worker.process.pid, api.process.pid
        os.kill(first_worker, signal.SIGKILL)
        worker.process.wait()
        deadline = time.monotonic() + 30
        while worker.restarts == 0 and time.monotonic() < deadline:
            supervisor.poll()
            time.sleep(0.1)
        assert worker.restarts == 1
        assert worker.process.pid != first_worker
        assert worker.process.poll() is None
        assert api.process.pid == first_api and api.process.poll() is None
        assert any("worker exited" in m for m in messages)
    finally:
        supervisor.stop_all()
    assert worker.process.poll() is not None and api.process.poll() is not None


def test_a_child_crashing_again_waits_longer(tmp_path: Path) -> None:
    now = [1000.0]
    crasher = Service("simulator", [sys.executable, "-c", "raise SystemExit(3)"])
    supervisor = Supervisor(
        [crasher], logs=tmp_path, env=dict(os.environ), say=lambda _: None, clock=lambda: now[0]
    )
    supervisor.start_all()
    waits = []
    for _ in range(3):
        assert crasher.process is not None
        crasher.process.wait()
        supervisor.poll()  # notices the exit, schedules the restart
        assert crasher.restart_at is not None
        waits.append(crasher.restart_at - now[0])
        now[0] = crasher.restart_at
        supervisor.poll()  # restarts it
    assert waits == [restart_delay(1), restart_delay(2), restart_delay(3)]
    supervisor.stop_all()
