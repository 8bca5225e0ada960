"""Sign-in and the applicant's look-up are throttled per account/dossier and per address."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from api.security import hash_password
from db.models import Officer
from domain.throttle import ACCOUNT, ADDRESS, DOSSIER_LOOKUP

PASSWORD = "the-right-password-42"


@pytest.fixture
async def from_address(settings, dev_env, engine):  # type: ignore[no-untyped-def]
    """A client of the API from an address of its own (counters are per address)."""
    from api.app import create_app

    app = create_app(settings, temporal=dev_env.client, engine=engine)

    async def client(address: str) -> AsyncIterator[httpx.AsyncClient]:
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            yield c

    async with app.router.lifespan_context(app):
        yield client


@pytest.fixture
async def officer(sessions) -> str:  # type: ignore[no-untyped-def]
    username = f"cv.throttle.{uuid.uuid4().hex[:6]}"
    async with sessions() as session, session.begin():
        session.add(
            Officer(
                username=username,
                full_name="Cán bộ thử",
                role="officer",
                password_hash=hash_password(PASSWORD),
            )
        )
    return username


def address() -> str:
    return f"198.51.100.{uuid.uuid4().int % 250 + 1}-{uuid.uuid4().hex[:4]}"


async def sign_in(client: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await client.post(
        "/api/v1/auth/token", data={"username": username, "password": password}
    )


async def test_wrong_passwords_lock_the_account_even_for_the_right_one(  # type: ignore[no-untyped-def]
    from_address, officer
) -> None:
    async for client in from_address(address()):
        for _ in range(ACCOUNT.free_failures):
            assert (await sign_in(client, officer, "guess")).status_code == 401
        locked = await sign_in(client, officer, PASSWORD)
    assert locked.status_code == 429, locked.text
    assert int(locked.headers["Retry-After"]) >= ACCOUNT.first_lock.total_seconds() - 1
    # from another address too: the lock is the account's
    async for other in from_address(address()):
        assert (await sign_in(other, officer, PASSWORD)).status_code == 429


async def test_a_right_password_before_the_lock_clears_the_count(  # type: ignore[no-untyped-def]
    from_address, officer
) -> None:
    async for client in from_address(address()):
        for _ in range(ACCOUNT.free_failures - 1):
            assert (await sign_in(client, officer, "guess")).status_code == 401
        assert (await sign_in(client, officer, PASSWORD)).status_code == 200
        for _ in range(ACCOUNT.free_failures - 1):
            assert (await sign_in(client, officer, "guess")).status_code == 401
        assert (await sign_in(client, officer, PASSWORD)).status_code == 200


async def test_one_address_guessing_many_accounts_is_locked(from_address) -> None:  # type: ignore[no-untyped-def]
    async for client in from_address(address()):
        for n in range(ADDRESS.free_failures):
            response = await sign_in(client, f"nobody-{n}-{uuid.uuid4().hex[:4]}", "guess")
            assert response.status_code == 401
        locked = await sign_in(client, f"nobody-else-{uuid.uuid4().hex[:4]}", "guess")
    assert locked.status_code == 429 and "Retry-After" in locked.headers


async def test_unknown_users_are_checked_against_a_hash(monkeypatch, from_address) -> None:  # type: ignore[no-untyped-def]
    """Constant time: an unknown username costs a bcrypt check, like a wrong password."""
    import api.security as security

    checked: list[str] = []
    real = security.verify_password

    def counting(password: str, password_hash: str) -> bool:
        checked.append(password_hash)
        return real(password, password_hash)

    monkeypatch.setattr(security, "verify_password", counting)
    async for client in from_address(address()):
        response = await sign_in(client, f"ghost-{uuid.uuid4().hex[:6]}", "guess")
    assert response.status_code == 401
    assert len(checked) == 1 and checked[0].startswith("$2")


async def test_guessing_a_dossier_secret_is_locked(api, login, from_address) -> None:  # type: ignore[no-untyped-def]
    from tests.api.test_lifecycle_api import submit

    submitted = await submit(api, await login("motcua.tnmt"))
    code, secret = submitted["code"], submitted["lookup_secret"]
    path = f"/api/v1/public/dossiers/{code}"
    for _ in range(DOSSIER_LOOKUP.free_failures):
        async for client in from_address(address()):
            assert (await client.get(path, params={"secret": "guess"})).status_code == 404
    async for client in from_address(address()):
        locked = await client.get(path, params={"secret": secret})
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
