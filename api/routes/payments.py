"""The payment gateway's CONFIRM callback (DESIGN §7). No bearer token: the gateway proves
itself with the checksum (MaXacThuc) over the fields and our shared secret."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from api import payments
from api.deps import SessionDep, SettingsDep, TemporalDep
from api.errors import Problem

router = APIRouter(prefix="/payments", tags=["payments"])


@router.post("/callback")
async def callback(
    request: Request, session: SessionDep, client: TemporalDep, settings: SettingsDep
) -> dict[str, Any]:
    """Record a payment the gateway confirms; refused (400/404/409, logged) when the checksum,
    the reference, the currency or the amount is wrong; a duplicate changes nothing."""
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise Problem(400, "the callback body must be a JSON object", reason="malformed")
    outcome = await payments.receive_callback(
        session=session, client=client, body=body, secret=settings.payment_secret
    )
    return {"MaLoi": "00", "MoTa": outcome.outcome, "MaThamChieu": outcome.reference}
