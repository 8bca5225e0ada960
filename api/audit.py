"""The audit trail, written by the API: one row per request an officer, an applicant or the
gateway made about a dossier, document, form, report or setting. Rows name the object and
the route, never a body, a query string or a file's content."""

from __future__ import annotations

import asyncio
import logging
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.throttle import client_address_of
from db.audit import record_change
from db.audit_models import AuditEvent
from db.engine import writing
from db.models import Officer
from db.rows import table_of

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"
#: Where the signed-in officer is left for the audit (set by `api.deps.current_officer`).
ACTOR_KEY = "audit_actor"
#: Where a route that creates a dossier leaves its new code.
DOSSIER_KEY = "audit_dossier"


@dataclass(frozen=True)
class Audited:
    kind: str
    dossier_code: str | None
    item: str | None


def classify(route: str, method: str, path_params: dict[str, str]) -> Audited | None:
    """What a route (as declared, without the API prefix) touches; None for the routes not
    audited (sign-in, the public catalogue, health)."""
    code = path_params.get("code")
    if route.startswith("/admin/audit"):
        return Audited("audit", None, None)
    if route.startswith("/admin/payments"):
        return Audited("payment", None, route.removeprefix("/admin/payments/"))
    if route.startswith("/admin/"):
        return Audited("setting", None, path_params.get("day") or route.removeprefix("/admin/"))
    if route.startswith("/reports"):
        return Audited("report", None, route.removeprefix("/reports/"))
    if route.startswith("/portal"):
        return Audited("portal", code, None)
    if route.startswith("/payments"):
        return Audited("payment", None, None)
    if route.startswith("/public/dossiers"):
        kind = "document" if route.endswith("/result") else "dossier"
        return Audited(kind, code, "result" if kind == "document" else None)
    if not route.startswith("/dossiers"):
        return None
    if "/documents" in route:
        return Audited("document", code, path_params.get("document_id"))
    if "/forms/" in route:
        return Audited("form", code, path_params.get("number"))
    if "/actions/" in route:
        return Audited("dossier", code, path_params.get("action"))
    if route.endswith("/deadline"):
        return Audited("dossier", code, "deadline")
    if code:
        return Audited("dossier", code, None)
    return Audited("dossier", None, "search" if method in ("GET", "HEAD") else "submit")


def _actor(scope: Scope, route: str) -> tuple[str, str] | None:
    signed_in = (scope.get("state") or {}).get(ACTOR_KEY)
    if signed_in is not None:
        return (str(signed_in[0]), str(signed_in[1]))
    if route.startswith("/public/"):
        return ("applicant", "")
    if route.startswith("/payments/"):
        return ("gateway", "")
    return None


class AuditMiddleware:
    """Pure ASGI: the row is written once the response has gone out."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._writers = AuditWriters()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})
        status: list[int] = []

        async def send_and_note(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        await self.app(scope, receive, send_and_note)
        route = getattr(scope.get("route"), "path", None)
        if not status or route is None:
            return
        audited = classify(route, scope["method"], scope.get("path_params") or {})
        actor = _actor(scope, route)
        if audited is None or actor is None:
            return
        event = AuditEvent(
            at=datetime.now(UTC),
            actor=actor[0][:60],
            role=actor[1][:20],
            address=client_address_of(scope)[:64],
            access="read" if scope["method"] in ("GET", "HEAD") else "change",
            kind=audited.kind,
            dossier_code=(audited.dossier_code or scope["state"].get(DOSSIER_KEY) or "")[:60]
            or None,
            item=audited.item[:100] if audited.item else None,
            method=scope["method"][:10],
            route=(API_PREFIX + route)[:200],
            status_code=status[0],
        )
        try:
            await self._writers.write(scope["app"].state.sessions, event)
        except Exception:  # the answer has gone; say loudly that its trace has not
            log.exception("audit event not written: %s %s by %s", event.method, route, actor[0])


class AuditWriters:
    """Group commit of the audit rows, per event loop: the rows of the requests that end while
    one batch is being written go in the next batch, one Core INSERT in one writer's turn.
    Each request still waits for its own row to be committed (nothing is held back for a
    batch to fill), but under load the API takes the database's write lock once per batch
    instead of once per request, and the clerks' actions wait less for it."""

    def __init__(self) -> None:
        self._queues: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, list[tuple[dict[str, Any], asyncio.Future[None]]]
        ] = weakref.WeakKeyDictionary()
        self._drains: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Task[None]] = (
            weakref.WeakKeyDictionary()
        )

    async def write(self, sessions: async_sessionmaker[AsyncSession], event: AuditEvent) -> None:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        self._queues.setdefault(loop, []).append((event.model_dump(exclude={"id"}), done))
        drain = self._drains.get(loop)
        if drain is None or drain.done():
            self._drains[loop] = loop.create_task(self._drain(loop, sessions))
        await asyncio.shield(done)

    async def _drain(
        self, loop: asyncio.AbstractEventLoop, sessions: async_sessionmaker[AsyncSession]
    ) -> None:
        queue = self._queues[loop]
        while queue:
            batch = queue[:]
            del queue[:]
            try:
                async with writing(sessions) as session:
                    conn = await session.connection()
                    await conn.execute(insert(table_of(AuditEvent)), [row for row, _ in batch])
            except BaseException as exc:  # the batch's requests learn of it, even cancelled
                for _, done in batch:
                    if not done.done():
                        if isinstance(exc, Exception):
                            done.set_exception(exc)
                        else:
                            done.cancel()
                if not isinstance(exc, Exception):
                    raise
            else:
                for _, done in batch:
                    if not done.done():
                        done.set_result(None)


def record(
    request: Request,
    session: AsyncSession,
    officer: Officer,
    entity: str,
    key: str,
    what: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    """A change an admin made to the catalogue or the org chart, into the audit trail in the
    change's own transaction (`db.audit.record_change`), named by the route it came through."""
    route = request.scope.get("route")
    record_change(
        session,
        actor=officer.username,
        role=officer.role,
        entity=entity,
        key=key,
        what=what,
        before=before,
        after=after,
        route=getattr(route, "path", request.url.path),
        method=request.method,
    )
