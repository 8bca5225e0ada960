"""National-portal sync (đồng bộ DVCQG) for operators: sync rate, parked records and their
re-drive, one dossier's sync state, and reconciliation on demand; and the portal's own call
to us: a dossier submitted on the portal, forwarded to be filed here."""

from __future__ import annotations

import asyncio
import secrets
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Request, Response, status
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import IntegrityError

from api import services
from api.deps import CurrentOfficer, SessionDep, SettingsDep, TemporalDep
from api.errors import Problem
from api.schemas import ApplicantIn, SubmitIn
from db import portal_outbox as outbox
from db.models import Dossier, Officer
from db.portal_models import PortalOutboxRecord, PortalReconciliation, PortalSyncState
from db.repository import dossier_agencies
from domain.dossier import Actor, Role
from domain.portal_inbound import ONLINE, ForwardInvalid, read_forwarded
from workflows.portal_sync_client import start_reconciliation, wake_portal_sync

router = APIRouter(prefix="/portal", tags=["portal sync"])

#: How long POST /portal/reconcile waits for the run before answering 202 with its id.
RECONCILE_WAIT_SECONDS = 20.0


class OutboxRecordOut(BaseModel):
    dossier_code: str
    seq: int
    kind: str
    state: str
    attempts: int
    last_error: str
    created_at: datetime
    sent_at: datetime | None


class ParkedRecordOut(OutboxRecordOut):
    reason: str
    payload: dict[str, Any]


class DossierSyncOut(BaseModel):
    dossier_code: str
    status_code: int
    last_enqueued_seq: int
    last_sent_seq: int
    last_acked_seq: int
    in_sync: bool
    parked: bool
    parked_seq: int | None
    parked_reason: str
    parked_at: datetime | None
    reconciled_at: datetime | None
    records: list[OutboxRecordOut]


class ReconciliationOut(BaseModel):
    id: int | None = None
    started_at: datetime
    dossiers: int
    in_sync: int
    pending: int
    parked: int
    resent: int
    unreachable: int
    rate: float


class SyncStatusOut(BaseModel):
    dossiers: int
    in_sync: int
    pending: int
    parked: int
    rate: float
    last_reconciliation: ReconciliationOut | None


class ReconcileStartedOut(BaseModel):
    workflow_id: str
    detail: str


def _require_admin(officer: Officer) -> None:
    if officer.role != Role.ADMIN.value:
        raise Problem(403, "only a system administrator manages the portal sync")


def _record_out(record: PortalOutboxRecord) -> OutboxRecordOut:
    return OutboxRecordOut.model_validate(record, from_attributes=True)


async def _dossier_sync(session: SessionDep, code: str) -> DossierSyncOut:
    state = await session.get(PortalSyncState, code)
    if state is None:
        state = PortalSyncState(dossier_code=code)  # nothing enqueued yet
    records = await outbox.dossier_records(session, code)
    return DossierSyncOut(
        **state.model_dump(exclude={"updated_at"}),
        in_sync=state.in_sync,
        records=[_record_out(r) for r in records],
    )


@router.get("/sync-status", response_model=SyncStatusOut)
async def sync_status(session: SessionDep, officer: CurrentOfficer) -> SyncStatusOut:
    summary = await outbox.sync_summary(session)
    last = await outbox.latest_reconciliation(session)
    return SyncStatusOut(
        dossiers=summary.dossiers,
        in_sync=summary.in_sync,
        pending=summary.pending,
        parked=summary.parked,
        rate=summary.rate,
        last_reconciliation=None
        if last is None
        else ReconciliationOut.model_validate(last, from_attributes=True),
    )


@router.get("/parked", response_model=list[ParkedRecordOut])
async def parked(session: SessionDep, officer: CurrentOfficer) -> list[ParkedRecordOut]:
    _require_admin(officer)
    return [
        ParkedRecordOut(**_record_out(r).model_dump(), reason=r.last_error, payload=dict(r.payload))
        for r in await outbox.parked_records(session)
    ]


@router.post("/parked/{code}/redrive", response_model=DossierSyncOut)
async def redrive(
    code: str,
    session: SessionDep,
    officer: CurrentOfficer,
    temporal: TemporalDep,
    settings: SettingsDep,
) -> DossierSyncOut:
    _require_admin(officer)
    if await session.get(PortalSyncState, code) is None:
        raise Problem(404, f"no portal records for dossier {code!r}")
    redriven = await outbox.redrive(session, code)
    await session.commit()
    if not redriven:
        raise Problem(409, f"dossier {code} is not parked; nothing to re-drive")
    await wake_portal_sync(
        temporal,
        code,
        task_queue=settings.portal_task_queue,
        reason="redrive by " + officer.username,
    )
    return await _dossier_sync(session, code)


@router.get("/dossiers/{code}", response_model=DossierSyncOut)
async def dossier_sync(code: str, session: SessionDep, officer: CurrentOfficer) -> DossierSyncOut:
    if await session.get(Dossier, code) is None:
        raise Problem(404, f"there is no dossier {code!r}")
    if officer.role != Role.ADMIN.value and officer.agency_code not in await dossier_agencies(
        session, code=code
    ):
        raise Problem(403, "this dossier does not pass through your agency")
    return await _dossier_sync(session, code)


@router.post(
    "/reconcile",
    response_model=ReconciliationOut | ReconcileStartedOut,
    responses={202: {"model": ReconcileStartedOut}},
)
async def reconcile(
    response: Response,
    session: SessionDep,
    officer: CurrentOfficer,
    temporal: TemporalDep,
    settings: SettingsDep,
) -> ReconciliationOut | ReconcileStartedOut:
    _require_admin(officer)
    handle = await start_reconciliation(temporal, task_queue=settings.portal_task_queue)
    try:
        report = await asyncio.wait_for(handle.result(), timeout=RECONCILE_WAIT_SECONDS)
    except TimeoutError:
        response.status_code = status.HTTP_202_ACCEPTED
        return ReconcileStartedOut(
            workflow_id=handle.id, detail="reconciliation is running; see /portal/sync-status"
        )
    return ReconciliationOut.model_validate(
        await session.get(PortalReconciliation, report.id), from_attributes=True
    )


#: Who registers a dossier the portal forwards.
PORTAL_ACTOR = Actor(username="dvcqg", full_name="Cổng Dịch vụ công quốc gia", role=Role.SYSTEM)


class ForwardedOut(BaseModel):
    MaHoSo: str
    created: bool
    status: str


@router.post(
    "/inbound/dossiers",
    response_model=ForwardedOut,
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"description": "this delivery was filed before: the same dossier"},
        401: {"description": "wrong portal key"},
        409: {"description": "another payload was already filed under this MaHoSo"},
    },
)
async def forwarded_dossier(
    request: Request,
    response: Response,
    session: SessionDep,
    temporal: TemporalDep,
    settings: SettingsDep,
    x_api_key: Annotated[str, Header(max_length=500)] = "",
) -> ForwardedOut:
    """A dossier submitted on the national portal (its field names: MaHoSo, MaTTHC, ChuHoSo,
    TaiLieuNop …), filed here as an online (channel 2) dossier under the portal's MaHoSo;
    its statuses go back to the portal like any dossier's. The same delivery again answers
    200 with the same dossier; another payload under a MaHoSo already filed is a 409."""
    if not secrets.compare_digest(x_api_key.encode(), settings.portal_api_key.encode()):
        raise Problem(401, "wrong or missing portal key (X-API-Key)")
    try:
        data = await request.json()
    except ValueError:
        raise Problem(422, "the body is not JSON") from None
    if not isinstance(data, dict):
        raise Problem(422, "the body must be a JSON object (the portal's dossier)")
    try:
        dossier = read_forwarded(data)
        body = SubmitIn(
            procedure_code=dossier.procedure_code,
            channel=ONLINE,
            pay_online=False,
            applicant=ApplicantIn(
                name=dossier.applicant_name,
                id_number=dossier.applicant_id_number,
                phone=dossier.applicant_phone,
                email=dossier.applicant_email,
                address=dossier.applicant_address,
            ),
            components=list(dossier.components),
        )
    except ForwardInvalid as error:
        raise Problem(422, str(error)) from None
    except ValidationError as error:
        first = error.errors()[0]
        raise Problem(422, f"{'.'.join(map(str, first['loc']))}: {first['msg']}") from None
    conflict = Problem(
        409,
        f"dossier {dossier.portal_code} was already forwarded with different content; "
        "send a change through the portal's update, not a new forwarding",
    )
    existing = await session.get(Dossier, dossier.portal_code)
    if existing is not None and existing.idempotency_key != dossier.idempotency_key:
        raise conflict
    try:
        submitted = await services.submit(
            session=session,
            client=temporal,
            body=body,
            actor=PORTAL_ACTOR,
            task_queue=settings.task_queue,
            idempotency_key=dossier.idempotency_key,
            rating_window_days=settings.rating_window_days,
            portal_code=dossier.portal_code,
        )
    except IntegrityError:  # a different payload under the same code won a race
        raise conflict from None
    if not submitted.created:
        response.status_code = status.HTTP_200_OK
    row = await session.get(Dossier, submitted.code)
    return ForwardedOut(
        MaHoSo=submitted.code, created=submitted.created, status=row.status if row else "submitted"
    )
