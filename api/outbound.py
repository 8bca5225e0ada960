"""One httpx client for a service's calls to another, made at the first call and closed
once: an httpx client costs 10-25 ms of CPU to make (its TLS context), more than a call
through one already made (`api.identity`'s calls to the identity provider, the payment
simulator's callbacks)."""

from __future__ import annotations

from typing import Any

import httpx


class SharedClient:
    def __init__(self, **options: Any) -> None:
        self._options = options  # httpx.AsyncClient's
        self._client: httpx.AsyncClient | None = None

    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(**self._options)
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
