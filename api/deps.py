"""FastAPI dependencies: settings, database session, Temporal client, the signed-in officer."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from api.audit import ACTOR_KEY
from api.errors import Problem, engine_unavailable
from api.security import token_subject
from api.storage import DocumentStore
from api.timing import phase
from config import Settings
from db.models import Officer
from db.repository import get_officer

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


# The dependencies are `async def` though they do not wait for anything: FastAPI runs a plain
# `def` dependency in its thread pool, a hand-off per dependency and request.


async def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.sessions() as session:
        yield session


def get_temporal(request: Request) -> Client:
    client: Client | None = request.app.state.temporal
    if client is None:
        raise engine_unavailable()
    return client


async def temporal_dep(request: Request) -> Client:
    return get_temporal(request)


def get_document_store(request: Request) -> DocumentStore:
    documents: DocumentStore = request.app.state.documents
    return documents


async def document_store_dep(request: Request) -> DocumentStore:
    return get_document_store(request)


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
DocumentStoreDep = Annotated[DocumentStore, Depends(document_store_dep)]
SessionDep = Annotated[AsyncSession, Depends(get_session)]
TemporalDep = Annotated[Client, Depends(temporal_dep)]


async def current_officer(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    token: Annotated[str | None, Depends(oauth2)],
) -> Officer:
    if not token:
        raise Problem(401, "sign in first: send 'Authorization: Bearer <token>'")
    with phase("signin"):
        username = token_subject(token, secret=settings.jwt_secret)
        officer = await get_officer(session, username=username) if username else None
    if officer is None:
        raise Problem(401, "the token is invalid or has expired; sign in again")
    setattr(request.state, ACTOR_KEY, (officer.username, officer.role))  # for the audit trail
    return officer


CurrentOfficer = Annotated[Officer, Depends(current_officer)]
