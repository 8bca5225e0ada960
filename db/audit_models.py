"""The audit trail: who read or changed which dossier, document, form, report or setting,
from which address and when. It names objects; it never holds their content."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import JSON, Column, Field, SQLModel

from db.models import UTCDateTime


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime, index=True)
    #: the officer's username, or `applicant` / `gateway` for the callers without an account
    actor: str = Field(max_length=60, index=True)
    role: str = Field(default="", max_length=20)
    address: str = Field(default="", max_length=64)
    #: `read` or `change`
    access: str = Field(max_length=10)
    #: dossier, document, form, report, setting, audit, payment, portal
    kind: str = Field(max_length=20, index=True)
    dossier_code: str | None = Field(default=None, max_length=60, index=True)
    #: the document id, form number, action or setting within it
    item: str | None = Field(default=None, max_length=100)
    method: str = Field(max_length=10)
    #: the route as declared (`/api/v1/dossiers/{code}`): no query string, no body
    route: str = Field(max_length=200)
    status_code: int
    #: A change to the catalogue or the org chart (db.audit.record_change): the entity
    #: (procedure, agency, unit, user, delegation), its key, and the row before and after.
    entity: str | None = Field(default=None, max_length=20, index=True)
    entity_key: str | None = Field(default=None, max_length=100, index=True)
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
