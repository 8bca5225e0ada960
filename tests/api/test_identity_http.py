"""The API's one HTTP client for the identity provider: made at the first call, the same for
every call after it, closed with the app."""

from __future__ import annotations

from api.identity import ProviderHttp


async def test_one_client_for_every_call_closed_with_the_app() -> None:
    http = ProviderHttp()
    first = http.client()
    assert http.client() is first, "each call would pay for a new client's TLS context"
    await http.aclose()
    assert first.is_closed
    assert http.client() is not first and not http.client().is_closed
    await http.aclose()
