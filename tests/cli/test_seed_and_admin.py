"""`cli seed` adds no account; demo officers only on request in development; `cli
create-admin` makes an administrator from a password it never prints."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import select

from api.security import verify_password
from db.engine import make_engine, make_session_maker
from db.models import Officer, ProcedureRecord

REPO_ROOT = Path(__file__).resolve().parents[2]


def cli(database_url: str, *args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cli", *args],
        cwd=REPO_ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, "DATABASE_URL": database_url, **env},
        timeout=90,
    )


@pytest.fixture
def fresh_database(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'fresh.sqlite3'}"


async def officers_and_procedures(database_url: str) -> tuple[list[Officer], int]:
    engine = make_engine(database_url)
    try:
        async with make_session_maker(engine)() as session:
            officers = list((await session.exec(select(Officer))).all())
            procedures = (
                await session.exec(select(func.count()).select_from(ProcedureRecord))
            ).one()
        return officers, procedures
    finally:
        await engine.dispose()


async def test_seed_adds_the_catalogue_and_no_account(fresh_database: str) -> None:
    done = cli(fresh_database, "seed", MOTCUA_ENVIRONMENT="production")
    assert done.returncode == 0, done.stdout + done.stderr
    officers, procedures = await officers_and_procedures(fresh_database)
    assert officers == []
    assert procedures > 0


async def test_demo_officers_are_refused_outside_development(fresh_database: str) -> None:
    done = cli(fresh_database, "seed", "--demo", MOTCUA_ENVIRONMENT="production")
    assert done.returncode != 0
    assert "development" in done.stdout + done.stderr


async def test_demo_officers_on_request_in_development(fresh_database: str) -> None:
    done = cli(fresh_database, "seed", "--demo", MOTCUA_ENVIRONMENT="development")
    assert done.returncode == 0, done.stdout + done.stderr
    officers, _ = await officers_and_procedures(fresh_database)
    assert "admin" in {o.username for o in officers}


async def test_create_admin_reads_the_password_and_never_prints_it(fresh_database: str) -> None:
    password = "a-long-operator-chosen-passphrase-7"
    done = cli(
        fresh_database,
        "create-admin",
        "qt.tinh",
        "--password-stdin",
        stdin=password + "\n",
        MOTCUA_ENVIRONMENT="production",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert password not in done.stdout + done.stderr
    officers, _ = await officers_and_procedures(fresh_database)
    (admin,) = officers
    assert (admin.username, admin.role) == ("qt.tinh", "admin")
    assert verify_password(password, admin.password_hash)
    assert password not in admin.password_hash


async def test_create_admin_refuses_a_short_password(fresh_database: str) -> None:
    done = cli(fresh_database, "create-admin", "qt.tinh", "--password-stdin", stdin="short\n")
    assert done.returncode != 0
    officers, _ = await officers_and_procedures(fresh_database)
    assert officers == []
