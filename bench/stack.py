"""The benchmark's own stack, in a temporary directory on free ports (never those of
`make run`): a Temporal server (the dev server on SQLite with WAL, as `make run` starts it, or
the time-skipping test server), the simulators, an SMTP sink, the dossier and portal-sync
workers, the bare baseline worker and the API — each a real child process."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import AsyncExitStack, closing
from dataclasses import dataclass, field
from pathlib import Path

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from bench.bare import QUEUE as BARE_QUEUE
from cli.__main__ import BIN, dev_server_command
from cli.supervisor import wait_for_process_port
from workflows.client import data_converter

REPO_ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def uvicorn(app: str, port: int, workers: int = 1) -> list[str]:
    """An app factory served as the stack serves motcua's API."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
        "--workers",
        str(workers),
    ]  # fmt: skip


@dataclass(frozen=True)
class Resident:
    """A process's resident memory in bytes (Linux /proc): `rss` all of it, `file` the pages
    of the files it maps, which are the OS's page cache, shared with every process mapping the
    same file and dropped by the kernel when memory runs short: its libraries and the SQLite
    files it reads memory-mapped (`db.engine.SQLITE_MMAP_BYTES`)."""

    rss: float = 0
    file: float = 0

    @property
    def own(self) -> float:
        """What the process itself holds: its heap and the memory it alone maps."""
        return self.rss - self.file

    def __sub__(self, other: Resident) -> Resident:
        return Resident(self.rss - other.rss, self.file - other.file)

    def per(self, count: int) -> Resident:
        """A growth shared out over `count` workflows."""
        return Resident(self.rss / count, self.file / count)


def resident(pid: int) -> Resident:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "RssFile"):
            fields[name] = int(value.split()[0]) * 1024
    return Resident(fields.get("VmRSS", 0), fields.get("RssFile", 0))


async def database_size(stack: Stack) -> int:
    """The read model's size: the SQLite database's pages in use, or the PostgreSQL
    database."""
    if not stack.database_url.startswith("postgresql"):
        return await asyncio.to_thread(sqlite_used_bytes, stack.database_file)
    from sqlalchemy import text

    from db.engine import make_engine

    engine = make_engine(stack.database_url)
    try:
        async with engine.connect() as connection:
            size = await connection.scalar(text("SELECT pg_database_size(current_database())"))
            return int(size or 0)
    finally:
        await engine.dispose()


async def temporal_size(stack: Stack) -> int:
    """The Temporal dev server's SQLite database: its pages in use."""
    return await asyncio.to_thread(sqlite_used_bytes, stack.temporal_file)


def sqlite_used_bytes(path: Path) -> int:
    """The pages a SQLite database uses, committed WAL content included (a reader sees it),
    free pages not: unlike the files' size, it does not stay flat while new rows fill pages
    freed earlier, nor jump with the WAL's checkpoints."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)) as db:
        page_size, pages, free = (
            db.execute(f"PRAGMA {pragma}").fetchone()[0]
            for pragma in ("page_size", "page_count", "freelist_count")
        )
    return int((pages - free) * page_size)


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def tail(self, chars: int = 3000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


@dataclass
class Stack:
    """Where everything of one benchmark stack lives."""

    root: Path
    server: str  # "dev" or "time-skipping"
    temporal_address: str = ""
    api_url: str = ""
    bare_api_url: str = ""  # the lifecycle's shape behind a bare HTTP API (bench/bare_api.py)
    portal_url: str = ""
    database_url: str = ""
    worker_cache: int | None = None  # the dossier worker's max_cached_workflows (None: 1,000)
    processes: dict[str, Process] = field(default_factory=dict)
    client: Client | None = None
    env: WorkflowEnvironment | None = None  # the time-skipping environment, when used

    @property
    def database_file(self) -> Path:
        return self.root / "motcua.sqlite3"

    @property
    def storm_log(self) -> Path:
        """The bare storm baseline's record of firings (bench/bare.py)."""
        return self.root / "bare-storm.log"

    @property
    def temporal_file(self) -> Path:
        return self.root / "temporal.db"

    def pid(self, name: str) -> int:
        return self.processes[name].pid

    def check_alive(self) -> None:
        for process in self.processes.values():
            if process.popen.poll() is not None:
                raise RuntimeError(
                    f"{process.name} exited ({process.popen.returncode}):\n{process.tail()}"
                )


class StackRunner:
    """Starts a stack and stops every process it started, in reverse order."""

    def __init__(
        self,
        server: str = "dev",
        *,
        keep: bool = False,
        api_workers: int = 1,
        worker_cache: int | None = None,
        dossier_workers: int = 1,
        postgres: str | None = None,
    ):
        self.server = server
        self.keep = keep
        self.api_workers = api_workers
        #: the dossier worker's `max_cached_workflows` (None: the project's default, 1,000)
        self.worker_cache = worker_cache
        #: dossier worker processes on the same task queue ("worker", "worker-2", ...)
        self.dossier_workers = dossier_workers
        #: a PostgreSQL server URL (postgresql+asyncpg://…/db): the read model goes into a
        #: database created for this stack on that server and dropped afterwards
        self.postgres = postgres
        self._tmp: Path | None = None
        self._exit = AsyncExitStack()
        self.stack: Stack | None = None

    async def __aenter__(self) -> Stack:
        # mkdtemp, not TemporaryDirectory: the latter's finalizer would delete a kept directory
        root = self._tmp = Path(tempfile.mkdtemp(prefix=f"motcua-bench-{self.server}-"))
        stack = self.stack = Stack(root=root, server=self.server)
        try:
            await self._start(stack)
        except BaseException:
            await self.__aexit__(None, None, None)
            raise
        return stack

    async def __aexit__(self, *exc: object) -> None:
        stack = self.stack
        if stack is not None:
            for process in reversed(list(stack.processes.values())):
                if process.popen.poll() is None:
                    process.popen.send_signal(signal.SIGTERM)
            for process in reversed(list(stack.processes.values())):
                try:
                    process.popen.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.popen.kill()
                    process.popen.wait(timeout=5)
        await self._exit.aclose()
        if self._tmp is not None:
            if self.keep:
                print(f"kept {self._tmp}", file=sys.stderr)
            else:
                shutil.rmtree(self._tmp, ignore_errors=True)

    # ------------------------------------------------------------------ start-up

    async def _create_database(self, server_url: str) -> str:
        import asyncpg  # type: ignore[import-untyped]
        from sqlalchemy.engine import make_url

        url = make_url(server_url)
        name = f"motcua_bench_{uuid.uuid4().hex[:8]}"
        dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)

        async def admin(sql: str) -> None:
            connection = await asyncpg.connect(dsn)
            try:
                await connection.execute(sql)
            finally:
                await connection.close()

        await admin(f'CREATE DATABASE "{name}"')
        if not self.keep:
            self._exit.push_async_callback(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return url.set(database=name).render_as_string(hide_password=False)

    def _spawn(self, stack: Stack, name: str, command: list[str], env: dict[str, str]) -> Process:
        log = stack.root / f"{name}.log"
        with open(log, "ab") as out:
            popen = subprocess.Popen(
                command, cwd=REPO_ROOT, stdout=out, stderr=subprocess.STDOUT, env=env
            )
        process = Process(name, popen, log)
        stack.processes[name] = process
        return process

    async def _wait_port(self, port: int, process: Process, seconds: float = 60) -> None:
        try:
            await asyncio.to_thread(
                wait_for_process_port, port, process.popen, process.name, seconds
            )
        except Exception as exc:
            raise RuntimeError(f"{process.name} did not start:\n{process.tail()}") from exc

    async def _start(self, stack: Stack) -> None:
        stack.worker_cache = self.worker_cache
        if self.postgres:
            stack.database_url = await self._create_database(self.postgres)
        else:
            stack.database_url = f"sqlite+aiosqlite:///{stack.database_file}"
        # a long run signs in once: tokens last the whole run
        base_env = {
            "MOTCUA_ENVIRONMENT": "development",
            "MOTCUA_JWT_TTL_MINUTES": str(24 * 60),
            **os.environ,
            "PYTHONUNBUFFERED": "1",
        }
        # `python -m cli seed` in a child: the seed's rows are module-level objects, so a
        # second stack in this process could not seed its own database
        seeded = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "cli", "seed", "--demo"],
            cwd=REPO_ROOT,
            env={**base_env, "DATABASE_URL": stack.database_url},
            capture_output=True,
            text=True,
        )
        if seeded.returncode != 0:
            output = seeded.stdout + seeded.stderr
            raise RuntimeError(f"seeding the bench database failed:\n{output}")
        if self.server == "dev":
            port = free_port()
            temporal = self._spawn(
                stack,
                "temporal",
                [*dev_server_command(stack.temporal_file, port, free_port()), "--headless"],
                base_env,
            )
            await self._wait_port(port, temporal)
            stack.temporal_address = f"127.0.0.1:{port}"
            stack.client = await Client.connect(
                stack.temporal_address, data_converter=data_converter
            )
        else:
            env = await WorkflowEnvironment.start_time_skipping(
                test_server_existing_path=str(BIN / "temporal-test-server"),
                data_converter=data_converter,
            )
            self._exit.push_async_callback(env.shutdown)
            stack.env = env
            stack.client = env.client
            stack.temporal_address = env.client.service_client.config.target_host

        ports = {name: free_port() for name in ("api", "bare-api", "portal", "payment", "smtp")}
        stack.api_url = f"http://127.0.0.1:{ports['api']}"
        stack.bare_api_url = f"http://127.0.0.1:{ports['bare-api']}"
        stack.portal_url = f"http://127.0.0.1:{ports['portal']}"
        env = {
            **base_env,
            "DATABASE_URL": stack.database_url,
            "MOTCUA_TEMPORAL_ADDRESS": stack.temporal_address,
            "MOTCUA_PORTAL_BASE_URL": stack.portal_url,
            "MOTCUA_PAYMENT_BASE_URL": f"http://127.0.0.1:{ports['payment']}",
            "MOTCUA_PUBLIC_BASE_URL": stack.api_url,
            "MOTCUA_STORAGE_ROOT": str(stack.root / "documents"),
            "MOTCUA_SMTP_PORT": str(ports["smtp"]),
        }
        if self.worker_cache is not None:
            env["MOTCUA_WORKER_MAX_CACHED_WORKFLOWS"] = str(self.worker_cache)
        py = sys.executable
        children: list[tuple[str, list[str], int | None]] = [
            (
                "portal-simulator",
                [
                    py,
                    "-m",
                    "simulators.portal",
                    "--port",
                    str(ports["portal"]),
                    "--state-file",
                    str(stack.root / "portal.sqlite3"),
                ],  # fmt: skip
                ports["portal"],
            ),
            (
                "payment-simulator",
                [py, "-m", "simulators.payment", "--port", str(ports["payment"])],
                ports["payment"],
            ),
            (
                "smtp-sink",
                [
                    py,
                    "-m",
                    "aiosmtpd",
                    "-n",
                    "-c",
                    "aiosmtpd.handlers.Sink",
                    "-l",
                    f"127.0.0.1:{ports['smtp']}",
                ],  # fmt: skip
                ports["smtp"],
            ),
            *[
                (name, [py, "worker.py", "--queue", "dossiers"], None)
                for name in ["worker", *(f"worker-{i}" for i in range(2, self.dossier_workers + 1))]
            ],
            (
                "portal-worker",
                [py, "worker.py", "--queue", "portal-sync"]
                if self.server == "dev"
                else [py, "-m", "bench.portal_worker"],  # the test server has no Schedules
                None,
            ),
            (
                "bare-worker",
                [
                    py,
                    "-m",
                    "bench.bare",
                    "--queue",
                    BARE_QUEUE,
                    "--storm-log",
                    str(stack.storm_log),
                    "--floor-db",
                    str(stack.root / "floor.sqlite3"),
                ],
                None,
            ),
            ("api", uvicorn("api.app:create_app", ports["api"], self.api_workers), ports["api"]),
            (
                "bare-api",
                uvicorn("bench.bare_api:create_app", ports["bare-api"]),
                ports["bare-api"],
            ),
        ]
        for name, command, port in children:
            process = self._spawn(stack, name, command, env)
            if port is not None:
                await self._wait_port(port, process)
        # the workers announce themselves once polling; give them a moment to connect
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            stack.check_alive()
            logs = [p.tail() for n, p in stack.processes.items() if "worker" in n]
            if all("task queue" in text for text in logs):
                break
            await asyncio.sleep(0.2)
        else:
            raise RuntimeError("the workers did not start within 30 s")
