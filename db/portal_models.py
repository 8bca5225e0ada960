"""The national-portal outbox (PortalSyncOutbox) and per-dossier sync state, in the read-model
database: records are written in the same transaction as the dossier's projection, and the
portal-sync worker delivers them in order."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Column, Field, SQLModel

from db.models import UTCDateTime


class RecordState(StrEnum):
    PENDING = "pending"  # waiting for delivery (or re-delivery after reconciliation)
    SENT = "sent"  # the portal acknowledged it
    PARKED = "parked"  # the portal refused it as invalid; an operator must re-drive it


class PortalOutboxRecord(SQLModel, table=True):
    """One numbered message of a dossier's portal outbox (đồng bộ DVCQG)."""

    __tablename__ = "portal_outbox"
    __table_args__ = (
        sa.UniqueConstraint("dossier_code", "seq", name="uq_portal_outbox_seq"),
        sa.UniqueConstraint("dossier_code", "event_seq", "kind", name="uq_portal_outbox_event"),
        sa.Index("ix_portal_outbox_state", "state", "dossier_code", "seq"),
    )

    id: int | None = Field(default=None, primary_key=True)
    dossier_code: str = Field(max_length=60, index=True)
    seq: int
    #: the dossier event this record reports; NULL for a record enqueued by reconciliation
    event_seq: int | None = None
    kind: str = Field(max_length=20)  # dossier | progress
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    state: str = Field(default=RecordState.PENDING.value, max_length=20)
    attempts: int = 0
    last_error: str = ""
    created_at: datetime = Field(sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PortalSyncState(SQLModel, table=True):
    """Where one dossier stands with the portal: the last record enqueued, sent and
    acknowledged, and whether delivery is parked on an invalid record."""

    __tablename__ = "portal_sync_state"

    dossier_code: str = Field(primary_key=True, max_length=60)
    status_code: int = 0  # our latest TrangThaiHoSo, as enqueued
    last_enqueued_seq: int = 0
    last_sent_seq: int = 0  # handed to the portal (it may not have answered yet)
    last_acked_seq: int = 0  # the portal acknowledged everything up to here
    parked: bool = Field(default=False, index=True)  # the index 0002 created
    parked_seq: int | None = None
    parked_reason: str = ""
    parked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reconciled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    #: the delivery round sending this dossier's records now, and until when its claim holds:
    #: the relay beside the dossier worker and the sync workflow never send one dossier's
    #: records at the same time (`db.portal_outbox.next_deliveries`; migration 0021)
    delivery_holder: str = Field(default="", max_length=40)
    delivery_lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @property
    def in_sync(self) -> bool:
        return not self.parked and self.last_acked_seq >= self.last_enqueued_seq


class PortalReconciliation(SQLModel, table=True):
    """One reconciliation run: what it compared, what it re-sent, and the sync rate."""

    __tablename__ = "portal_reconciliation"

    id: int | None = Field(default=None, primary_key=True)
    started_at: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    dossiers: int = 0
    in_sync: int = 0
    pending: int = 0
    parked: int = 0
    resent: int = 0
    unreachable: int = 0
    rate: float = 1.0
