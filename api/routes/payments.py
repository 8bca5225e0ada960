"""The payment gateway's CONFIRM callback (DESIGN §7). No bearer token: the gateway proves
itself with the checksum (MaXacThuc) over the fields and our shared secret."""

from __future__ import annotations

import json
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel

from api import payments
from api.deps import CurrentOfficer, SessionDep, SettingsDep, TemporalDep
from api.errors import Problem
from api.timeutil import UTCDateTime

router = APIRouter(prefix="/payments", tags=["payments"])
admin_router = APIRouter(prefix="/admin/payments", tags=["payments"])

#: A CONFIRM is a dozen short fields; anything longer is not one (and is not read whole).
MAX_CALLBACK_BYTES = 16 * 1024


async def _bounded_body(request: Request) -> bytes:
    received = bytearray()
    async for chunk in request.stream():
        received += chunk
        if len(received) > MAX_CALLBACK_BYTES:
            raise Problem(413, f"a callback body is at most {MAX_CALLBACK_BYTES} bytes")
    return bytes(received)


@router.post("/callback")
async def callback(
    request: Request, session: SessionDep, client: TemporalDep, settings: SettingsDep
) -> dict[str, Any]:
    """Record a payment the gateway confirms; refused (400/404/409, logged) when the checksum,
    the reference, the currency or the amount is wrong; a duplicate changes nothing."""
    raw = await _bounded_body(request)
    try:
        body = json.loads(raw)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise Problem(400, "the callback body must be a JSON object", reason="malformed")
    outcome = await payments.receive_callback(
        session=session,
        sessions=request.app.state.sessions,
        client=client,
        body=body,
        secret=settings.payment_secret,
    )
    return {"MaLoi": "00", "MoTa": outcome.outcome, "MaThamChieu": outcome.reference}


class RefundOut(BaseModel):
    gateway_txn: str
    reference: str
    dossier_code: str
    amount: int
    reason: str
    state: str
    gateway_paid_at: str
    received_at: UTCDateTime


@admin_router.get("/refunds", response_model=list[RefundOut])
async def refunds(
    officer: CurrentOfficer,
    session: SessionDep,
    state: Literal["to_refund", "refunded"] | None = "to_refund",
) -> list[RefundOut]:
    """Money the gateway took for a dossier already closed, or twice (once at the desk):
    what the operator must send back, newest first."""
    if officer.role != "admin":
        raise Problem(403, "only a system administrator sees the refunds to make")
    return [
        RefundOut.model_validate(r, from_attributes=True)
        for r in await payments.refunds(session, state=state)
    ]
