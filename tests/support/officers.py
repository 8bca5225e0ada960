"""Bearer headers for the demo officers, fetched once per API client."""

from __future__ import annotations

import httpx

from db.seed import DEMO_PASSWORD


class Officers:
    def __init__(self, client: httpx.AsyncClient):
        self._client = client
        self._cache: dict[str, dict[str, str]] = {}

    async def __call__(self, username: str) -> dict[str, str]:
        if username not in self._cache:
            response = await self._client.post(
                "/api/v1/auth/token", data={"username": username, "password": DEMO_PASSWORD}
            )
            assert response.status_code == 200, response.text
            self._cache[username] = {"Authorization": f"Bearer {response.json()['access_token']}"}
        return self._cache[username]
