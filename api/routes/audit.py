"""The audit trail for a system administrator (or an inspection): who read or changed what."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlalchemy import func
from sqlmodel import col, select

from api.deps import CurrentOfficer, SessionDep
from api.errors import Problem
from api.routes.dossiers import MAX_OFFSET
from api.timeutil import UTCDateTime
from db.audit_models import AuditEvent

router = APIRouter(prefix="/admin/audit", tags=["audit"])

Entity = Literal["procedure", "agency", "unit", "user", "delegation"]
Kind = Literal["dossier", "document", "form", "report", "setting", "audit", "payment", "portal"]


class AuditEventOut(BaseModel):
    id: int
    at: UTCDateTime
    actor: str
    role: str
    address: str
    access: str
    kind: str
    dossier_code: str | None
    item: str | None
    method: str
    route: str
    status_code: int
    entity: str | None = None
    entity_key: str | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


class AuditPage(BaseModel):
    items: list[AuditEventOut]
    total: int
    limit: int
    offset: int


@router.get("", response_model=AuditPage)
async def audit_trail(
    officer: CurrentOfficer,
    session: SessionDep,
    actor: Annotated[str | None, Query(max_length=60)] = None,
    dossier: Annotated[str | None, Query(max_length=60)] = None,
    kind: Kind | None = None,
    entity: Entity | None = None,
    key: Annotated[str | None, Query(max_length=100)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> AuditPage:
    """Newest first. Filters: the officer (`actor`), the dossier, the kind of object, a
    changed entity of the catalogue or org chart (`entity`, with its `key`: the rows carry
    the entity before and after), a period (`since` ≤ at < `until`)."""
    if officer.role != "admin":
        raise Problem(403, "only a system administrator reads the audit trail")
    query = select(AuditEvent)
    if actor:
        query = query.where(AuditEvent.actor == actor)
    if dossier:
        query = query.where(AuditEvent.dossier_code == dossier)
    if kind:
        query = query.where(AuditEvent.kind == kind)
    if entity:
        query = query.where(AuditEvent.entity == entity)
    if key:
        query = query.where(AuditEvent.entity_key == key)
    if since:
        query = query.where(AuditEvent.at >= since)
    if until:
        query = query.where(AuditEvent.at < until)
    total = (await session.exec(select(func.count()).select_from(query.subquery()))).one()
    rows = await session.exec(
        query.order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
        .offset(offset)
        .limit(limit)
    )
    return AuditPage(
        items=[AuditEventOut.model_validate(r, from_attributes=True) for r in rows],
        total=total,
        limit=limit,
        offset=offset,
    )
