"""Sign-in tokens carry `exp` and are refused without it or after it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import jwt

from api.security import ALGORITHM


async def test_issued_tokens_are_short_lived(api: httpx.AsyncClient, login, settings) -> None:  # type: ignore[no-untyped-def]
    headers = await login("motcua.tnmt")
    claims = jwt.decode(
        headers["Authorization"].removeprefix("Bearer "),
        settings.jwt_secret,
        algorithms=[ALGORITHM],
    )
    assert claims["exp"] - claims["iat"] == settings.jwt_ttl_minutes * 60
    assert settings.jwt_ttl_minutes <= 60


async def test_a_token_without_exp_or_past_it_is_refused(api: httpx.AsyncClient, settings) -> None:  # type: ignore[no-untyped-def]
    now = datetime.now(UTC)
    forever = jwt.encode({"sub": "admin", "iat": now}, settings.jwt_secret, algorithm=ALGORITHM)
    expired = jwt.encode(
        {"sub": "admin", "iat": now - timedelta(hours=2), "exp": now - timedelta(hours=1)},
        settings.jwt_secret,
        algorithm=ALGORITHM,
    )
    for token in (forever, expired):
        response = await api.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, response.text
