"""The API with its document store in a temporary directory (one per session), and a second
app whose upload limit is 1 MB; both share the database, Temporal and the worker of
tests/conftest.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from config import Settings


async def _client(settings: Settings, dev_env, engine) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    from api.app import create_app

    app = create_app(settings, temporal=dev_env.client, engine=engine)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


@pytest.fixture(scope="session")
def storage_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("documents")


@pytest.fixture(scope="session")
async def docs_api(  # type: ignore[no-untyped-def]
    settings: Settings, storage_root: Path, dev_env: WorkflowEnvironment, engine, dossier_worker
) -> AsyncIterator[httpx.AsyncClient]:
    async for client in _client(
        settings.model_copy(update={"storage_root": storage_root}), dev_env, engine
    ):
        yield client


@pytest.fixture(scope="session")
async def small_api(  # type: ignore[no-untyped-def]
    settings: Settings, storage_root: Path, dev_env: WorkflowEnvironment, engine, dossier_worker
) -> AsyncIterator[httpx.AsyncClient]:
    limited = settings.model_copy(update={"storage_root": storage_root, "max_upload_mb": 1})
    async for client in _client(limited, dev_env, engine):
        yield client
