"""Start project processes (simulators, the API, workers) as real children for tests, and
wait until they are ready."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ChildProcess:
    """A running child process and its combined output file."""

    process: subprocess.Popen[bytes]
    log_path: Path

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


@dataclass
class HttpService(ChildProcess):
    """A running service: where it listens, besides its process and output."""

    base_url: str
    port: int


def _stop(process: subprocess.Popen[bytes], grace_seconds: float = 5.0) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=grace_seconds)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=grace_seconds)


@contextmanager
def start_process(
    args: list[str],
    ready: Callable[[ChildProcess], bool],
    *,
    name: str,
    startup_timeout: float = 20.0,
    env: dict[str, str] | None = None,
    grace_seconds: float = 5.0,
) -> Iterator[ChildProcess]:
    """Run ``python <args...>`` from the repo root until ``ready(child)`` holds (polled; an
    exit or the timeout first raises with the output's tail). ``env`` is the whole
    environment (default: ours, unbuffered). The process is terminated (then killed) on exit,
    whatever happened inside the block."""
    log_file = tempfile.NamedTemporaryFile(prefix=f"{name}-", suffix=".log", delete=False)
    process = subprocess.Popen(
        [sys.executable, *args],
        cwd=REPO_ROOT,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        env=env if env is not None else {**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    child = ChildProcess(process, Path(log_file.name))
    try:
        deadline = time.monotonic() + startup_timeout
        while not ready(child):
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{child.log_tail()}")
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"{name} not ready after {startup_timeout}s:\n{child.log_tail()}"
                )
            time.sleep(0.05)
        yield child
    finally:
        _stop(process, grace_seconds)
        log_file.close()
        os.unlink(log_file.name)


@contextmanager
def start_http_service(
    module_args: list[str],
    port: int,
    health_path: str = "/healthz",
    *,
    startup_timeout: float = 20.0,
    env: dict[str, str] | None = None,
    host: str = "127.0.0.1",
) -> Iterator[HttpService]:
    """Run ``python -m <module_args...>`` from the repo root until it answers ``health_path``.

    ``module_args`` is everything after ``-m``, including the module and its own ``--port``
    (e.g. ``["simulators.portal", "--port", str(port)]``); ``port`` is where to poll; ``env``
    is added to ours.
    """
    base_url = f"http://{host}:{port}"

    def healthy(_: ChildProcess) -> bool:
        try:
            return httpx.get(base_url + health_path, timeout=0.5).status_code == 200
        except httpx.TransportError:
            return False

    with start_process(
        ["-m", *module_args],
        healthy,
        name=module_args[0],
        startup_timeout=startup_timeout,
        env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
    ) as child:
        yield HttpService(child.process, child.log_path, base_url, port)


@contextmanager
def start_portal_simulator(
    state_file: Path | str, *, api_key: str = "demo-portal-key", extra_args: tuple[str, ...] = ()
) -> Iterator[HttpService]:
    """The DVCQG portal simulator on a free port, keeping its state in ``state_file``."""
    port = free_port()
    args = ["simulators.portal", "--port", str(port), "--state-file", str(state_file)]
    with start_http_service([*args, "--api-key", api_key, *extra_args], port) as service:
        yield service
