"""The one writer of catalogue and org-chart changes to the audit trail: who changed which
procedure, agency, unit, user or delegation, when, with the row before and after, added to
the session of the change itself (committed, or rolled back, with it)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import Enum
from typing import Any

from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from db.audit_models import AuditEvent

#: What a change names (the `entity` of its audit row).
ENTITIES = ("procedure", "agency", "unit", "user", "delegation")
#: Never written to the trail, before or after.
SECRET_FIELDS = frozenset({"password_hash", "password"})


def snapshot(row: SQLModel | dict[str, Any] | None) -> dict[str, Any] | None:
    """A row as JSON-able data, without secrets (None for a row that did not exist)."""
    if row is None:
        return None
    data = row if isinstance(row, dict) else row.model_dump()
    return {k: _plain(v) for k, v in data.items() if k not in SECRET_FIELDS}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def record_change(
    session: AsyncSession,
    *,
    actor: str,
    role: str,
    entity: str,
    key: str,
    what: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    route: str = "",
    method: str = "",
) -> AuditEvent:
    """Add the audit row of a change to `session` (the caller's transaction commits it)."""
    assert entity in ENTITIES, entity
    row = AuditEvent(
        at=datetime.now(UTC),
        actor=actor,
        role=role,
        access="change",
        kind="setting",
        item=what[:100],
        method=method,
        route=route,
        status_code=0,
        entity=entity,
        entity_key=key[:100],
        before=before,
        after=after,
    )
    session.add(row)
    return row
