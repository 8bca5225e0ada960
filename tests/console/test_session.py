"""The console's session without a browser: an expired or foreign cookie signs nobody in,
and a console cookie and an API token are never taken for each other."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import jwt
import pytest

from api.security import ALGORITHM, create_token
from config import Settings
from console.session import AUDIENCE, COOKIE


@pytest.fixture
async def api(settings: Settings, dev_env, engine) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    """The application without a shared cookie jar: each request sends only its cookie."""
    from api.app import create_app

    app = create_app(settings, temporal=dev_env.client, engine=engine)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


def cookie(settings: Settings, **claims: object) -> str:
    now = datetime.now(UTC)
    base = {"sub": "motcua.tnmt", "csrf": "t", "aud": AUDIENCE, "iat": now}
    return jwt.encode(
        {**base, "exp": now + timedelta(hours=1), **claims}, settings.jwt_secret, ALGORITHM
    )


async def page_for(api: httpx.AsyncClient, value: str) -> httpx.Response:
    return await api.get("/console/", headers={"Cookie": f"{COOKIE}={value}"})


async def test_a_valid_cookie_opens_the_queue(api: httpx.AsyncClient, settings: Settings) -> None:
    answer = await page_for(api, cookie(settings))
    assert answer.status_code == 200
    assert "Chờ tiếp nhận" in answer.text


async def test_an_expired_cookie_sends_the_officer_to_sign_in(
    api: httpx.AsyncClient, settings: Settings
) -> None:
    stale = cookie(settings, exp=datetime.now(UTC) - timedelta(minutes=1))
    answer = await page_for(api, stale)
    assert (answer.status_code, answer.headers["location"]) == (303, "/console/login")


async def test_a_cookie_signed_with_another_secret_is_not_a_session(
    api: httpx.AsyncClient, settings: Settings
) -> None:
    forged = jwt.encode(
        {
            "sub": "admin",
            "csrf": "t",
            "aud": AUDIENCE,
            "iat": datetime.now(UTC),
            "exp": datetime.now(UTC) + timedelta(hours=1),
        },
        "another-secret-of-at-least-thirty-two-bytes",
        ALGORITHM,
    )
    assert (await page_for(api, forged)).status_code == 303


async def test_an_api_token_is_not_a_console_session_nor_the_reverse(
    api: httpx.AsyncClient, settings: Settings
) -> None:
    token = create_token("motcua.tnmt", secret=settings.jwt_secret, ttl_minutes=60)
    assert (await page_for(api, token)).status_code == 303
    me = await api.get("/api/v1/auth/me", headers={"Authorization": f"Bearer {cookie(settings)}"})
    assert me.status_code == 401


async def test_a_used_session_is_renewed_so_that_expiry_counts_from_the_last_page(
    api: httpx.AsyncClient, settings: Settings
) -> None:
    older = cookie(settings, iat=datetime.now(UTC) - timedelta(hours=2))
    answer = await page_for(api, older)
    assert answer.status_code == 200
    renewed = answer.cookies.get(COOKIE)
    assert renewed is not None
    claims = jwt.decode(renewed, settings.jwt_secret, [ALGORITHM], audience=AUDIENCE)
    assert claims["exp"] > datetime.now(UTC).timestamp() + 7.9 * 3600
    assert claims["csrf"] == "t"  # the open forms stay valid


async def test_while_the_engine_is_away_pages_still_read_and_actions_say_why(
    settings: Settings,
    engine,
    sessions,  # type: ignore[no-untyped-def]
) -> None:
    from api.app import create_app
    from db.models import Dossier

    code = "000.00.14.H29-991231-9001"
    async with sessions() as session, session.begin():
        if await session.get(Dossier, code) is None:
            session.add(
                Dossier(
                    code=code,
                    procedure_code="1.004227",
                    agency_code="000.00.14.H29",
                    channel=1,
                    applicant_name="Lý Thị Lan",
                    status="received",
                    portal_code=2,
                    submitted_at=datetime.now(UTC),
                    allowed_actions=["forward"],
                )
            )
    away = settings.model_copy(update={"temporal_address": "127.0.0.1:1"})
    app = create_app(away, engine=engine)  # nothing listens on port 1
    try:
        await _read_but_not_act(app, settings, code)
    finally:  # a row no workflow stands behind must not reach the later tests' reports
        async with sessions() as session, session.begin():
            await session.delete(await session.get(Dossier, code))


async def _read_but_not_act(app, settings: Settings, code: str) -> None:  # type: ignore[no-untyped-def]
    async with app.router.lifespan_context(app):
        assert app.state.temporal is None
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            headers = {"Cookie": f"{COOKIE}={cookie(settings)}"}
            shown = await client.get(f"/console/dossiers/{code}", headers=headers)
            assert shown.status_code == 200
            assert "Lý Thị Lan" in shown.text and "Chuyển xử lý" in shown.text
            refused = await client.post(
                f"/console/dossiers/{code}/actions/forward", data={"csrf": "t"}, headers=headers
            )
            assert refused.status_code == 503
            assert "the workflow engine is not reachable" in refused.text


def test_cookies_are_secure_in_production_only() -> None:
    from types import SimpleNamespace

    from console.session import secure_cookies

    production = SimpleNamespace(environment="production")
    assert secure_cookies(production) is True  # type: ignore[arg-type]
    assert secure_cookies(SimpleNamespace(environment="development")) is False  # type: ignore[arg-type]
    assert secure_cookies(Settings()) is (getattr(Settings(), "environment", "") == "production")
