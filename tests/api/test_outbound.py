"""One httpx client for a service's outbound calls: made at the first call, the same for every
call after it, closed once (the identity provider's client, the payment simulator's)."""

from __future__ import annotations

from api.outbound import SharedClient


async def test_one_client_for_every_call_closed_once() -> None:
    http = SharedClient(timeout=5)
    first = http.client()
    assert http.client() is first, "each call would pay for a new client's TLS context"
    await http.aclose()
    assert first.is_closed
    assert http.client() is not first and not http.client().is_closed
    await http.aclose()
