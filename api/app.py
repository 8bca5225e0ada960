"""The FastAPI application: `create_app()` for uvicorn (`--factory`) and for tests."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client

import console
from api import errors, identity, logsafe
from api.audit import AuditMiddleware
from api.codec import codec_app
from api.routes import (
    admin_org,
    admin_procedures,
    applicant,
    audit,
    auth,
    documents,
    dossiers,
    forms,
    ops,
    payments,
    procedures,
    public,
    reports,
)
from api.routes.clock import router as clock_router
from api.routes.feedback import public_router as public_feedback_router
from api.routes.feedback import router as feedback_router
from api.routes.portal import router as portal_router
from api.storage import LocalDocumentStore
from api.timing import ServerTimingMiddleware
from config import Settings, get_settings
from db.engine import make_engine, make_session_maker
from workflows.client import connect

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"


def create_app(
    settings: Settings | None = None,
    *,
    temporal: Client | None = None,
    engine: AsyncEngine | None = None,
) -> FastAPI:
    settings = settings or get_settings()
    settings.require_safe_secrets()
    logsafe.install()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own_engine = engine is None
        app.state.engine = engine or make_engine(settings.database_url)
        app.state.sessions = make_session_maker(app.state.engine)
        app.state.documents = LocalDocumentStore(
            settings.storage_root, max_bytes=settings.max_upload_bytes
        )
        app.state.temporal = temporal
        if app.state.temporal is None:
            try:
                app.state.temporal = await connect(settings)
            except Exception as exc:  # /readyz tells; actions answer 503 until it is back
                log.error("cannot reach Temporal at %s: %s", settings.temporal_address, exc)
        yield
        await app.state.identity.aclose()
        if own_engine:
            await app.state.engine.dispose()

    app = FastAPI(
        title="motcua",
        version="0.1.0",
        summary="One-stop office (một cửa) dossier engine on Temporal",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.identity = identity.provider_http()
    errors.install(app)
    app.add_middleware(AuditMiddleware)
    if settings.server_timing:
        app.add_middleware(ServerTimingMiddleware)
    for router in (
        audit.router,
        auth.router,
        procedures.router,
        dossiers.router,
        documents.router,
        forms.router,
        public.router,
        applicant.router,
        payments.router,
        reports.router,
        admin_procedures.router,
        admin_org.router,
        payments.admin_router,
    ):
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(portal_router, prefix=API_PREFIX)
    app.include_router(clock_router, prefix=API_PREFIX)
    app.include_router(feedback_router, prefix=API_PREFIX)
    app.include_router(public_feedback_router, prefix=API_PREFIX)
    app.include_router(ops.router)
    app.include_router(ops.router, prefix=API_PREFIX)
    app.mount("/temporal-codec", codec_app(settings.temporal_ui_origins))
    console.install(app)  # the web console under /console, over the same services
    return app
