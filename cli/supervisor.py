"""The supervisor behind `cli run`: starts the embedded stack's processes and restarts one that
dies (with back-off), so a crashed worker, API or simulator does not stop the whole stack."""

from __future__ import annotations

import logging
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

#: First wait before restarting a process that died, doubled on each further crash.
FIRST_RESTART_DELAY = 1.0
#: The longest wait between restarts of a process that keeps crashing.
MAX_RESTART_DELAY = 60.0
#: A process that ran this long before dying is restarted after the first delay again.
STABLE_AFTER = 60.0


def restart_delay(crashes_in_a_row: int) -> float:
    """Seconds to wait before the next start after `crashes_in_a_row` (≥ 1) quick crashes."""
    return min(FIRST_RESTART_DELAY * 2 ** max(crashes_in_a_row - 1, 0), MAX_RESTART_DELAY)


@dataclass
class Service:
    name: str
    command: list[str]
    port: int | None = None
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    crashes_in_a_row: int = 0
    restart_at: float | None = None
    restarts: int = field(default=0)


class StartupFailed(Exception):
    """A service did not come up during the first start of the stack."""


class Supervisor:
    def __init__(
        self,
        services: list[Service],
        *,
        logs: Path,
        env: dict[str, str],
        say: Callable[[str], None] = print,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.services = services
        self._logs = logs
        self._env = env
        self._say = say
        self._clock = clock

    def log_path(self, service: Service) -> Path:
        return self._logs / f"{service.name}.log"

    def _spawn(self, service: Service) -> None:
        with open(self.log_path(service), "ab") as out:  # the child keeps its own copy
            service.process = subprocess.Popen(
                service.command, stdout=out, stderr=subprocess.STDOUT, env=self._env
            )
        service.started_at = self._clock()
        service.restart_at = None

    def start_all(self, wait_seconds: float = 60) -> None:
        """Start every service in order, waiting for each one's port before the next."""
        for service in self.services:
            self._spawn(service)
            if service.port is not None:
                wait_for_port(service, wait_seconds)
            self._say(f"started {service.name}  (log: {self.log_path(service)})")

    def poll(self) -> None:
        """Notice services that died and restart those whose back-off has passed."""
        now = self._clock()
        for service in self.services:
            process = service.process
            if service.restart_at is None and process is not None and process.poll() is not None:
                ran = now - service.started_at
                service.crashes_in_a_row = (
                    1 if ran >= STABLE_AFTER else service.crashes_in_a_row + 1
                )
                delay = restart_delay(service.crashes_in_a_row)
                service.restart_at = now + delay
                self._say(
                    f"{service.name} exited ({process.returncode}) after {ran:.0f} s; "
                    f"restarting in {delay:.0f} s (log: {self.log_path(service)})"
                )
            if service.restart_at is not None and now >= service.restart_at:
                self._spawn(service)
                service.restarts += 1
                self._say(f"restarted {service.name} (restart {service.restarts})")

    def stop_all(self, grace_seconds: float = 15) -> None:
        running = [s for s in reversed(self.services) if s.process is not None]
        for service in running:
            assert service.process is not None
            if service.process.poll() is None:
                service.process.send_signal(signal.SIGTERM)
        for service in running:
            assert service.process is not None
            try:
                service.process.wait(timeout=grace_seconds)
            except subprocess.TimeoutExpired:
                self._say(f"{service.name} did not stop in time; killing it")
                service.process.kill()
                service.process.wait()


def wait_for_port(service: Service, seconds: float) -> None:
    assert service.process is not None and service.port is not None
    wait_for_process_port(service.port, service.process, service.name, seconds)


def wait_for_process_port(
    port: int, process: subprocess.Popen[bytes], name: str, seconds: float = 60
) -> None:
    """Return once `process` listens on `port`; StartupFailed if it dies or takes too long."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StartupFailed(f"{name} stopped during start-up (exit {process.returncode})")
        with socket.socket() as probe:
            probe.settimeout(0.5)
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise StartupFailed(f"{name} did not open port {port} within {seconds:.0f} s")
