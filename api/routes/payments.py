"""The payment gateway's CONFIRM callback (DESIGN §7). No bearer token: the gateway proves
itself with the checksum (MaXacThuc) over the fields and our shared secret."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request

from api import payments
from api.deps import SessionDep, SettingsDep, TemporalDep
from api.errors import Problem

router = APIRouter(prefix="/payments", tags=["payments"])

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
        session=session, client=client, body=body, secret=settings.payment_secret
    )
    return {"MaLoi": "00", "MoTa": outcome.outcome, "MaThamChieu": outcome.reference}
