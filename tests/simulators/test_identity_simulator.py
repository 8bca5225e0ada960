"""Signing in at the identity provider (simulators/identity.py, a real HTTP service) over
HTTP end to end: the API's OIDC client (authorization code, PKCE, state, nonce) gets the
applicant's name, id number and phone from the ID token; with that identity the applicant
files without a one-time code and lists their own dossiers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from config import Settings
from simulators.identity import CITIZENS
from tests.api.test_applicant_online import BIRTH, files_for
from tests.support.processes import HttpService, free_port, start_http_service

SECRET = "identity-client-secret-for-the-tests-0123456789"
CITIZEN = "079190001234"


@pytest.fixture(scope="module")
def provider() -> Iterator[HttpService]:
    port = free_port()
    args = ["simulators.identity", "--port", str(port), "--client-secret", SECRET]
    with start_http_service(args, port) as service:
        yield service


@pytest.fixture(scope="module")
async def id_api(  # type: ignore[no-untyped-def]
    settings: Settings, provider: HttpService, dev_env, engine, dossier_worker
) -> AsyncIterator[httpx.AsyncClient]:
    from api.app import create_app

    configured = settings.model_copy(
        update={
            "identity_issuer_url": provider.base_url,
            "identity_client_secret": SECRET,
            "public_base_url": "http://test",
        }
    )
    app = create_app(configured, temporal=dev_env.client, engine=engine)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


async def sign_in(api: httpx.AsyncClient, citizen: str = CITIZEN) -> httpx.Response:
    """The browser's part: to the provider, pick the citizen, back to the callback."""
    start = await api.get("/api/v1/public/identity/start")
    assert start.status_code == 302, start.text
    authorize = start.headers["location"]
    async with httpx.AsyncClient() as browser:
        page = await browser.get(authorize)
        assert page.status_code == 200 and CITIZENS[citizen]["name"] in page.text
        params = {k: v[0] for k, v in parse_qs(urlsplit(authorize).query).items()}
        assert params["code_challenge_method"] == "S256" and params["state"]
        approved = await browser.post(authorize.split("?")[0], data={**params, "citizen": citizen})
    assert approved.status_code == 302
    back = urlsplit(approved.headers["location"])
    assert back.path == "/api/v1/public/identity/callback"
    return await api.get(f"{back.path}?{back.query}")


async def test_the_sign_in_gives_the_applicants_details(id_api: httpx.AsyncClient) -> None:
    answer = await sign_in(id_api)
    assert answer.status_code == 200, answer.text
    signed_in = answer.json()
    citizen = CITIZENS[CITIZEN]
    assert (signed_in["kind"], signed_in["id_number"]) == ("identity", CITIZEN)
    assert (signed_in["name"], signed_in["phone"]) == (citizen["name"], citizen["phone_number"])

    headers = {"Authorization": f"Bearer {signed_in['token']}"}
    filed = await id_api.post(
        "/api/v1/public/submissions",
        data={"procedure_code": BIRTH, "name": "someone else", "address": "Quận 1"},
        files=files_for("TK", "GCS"),
        headers=headers,
    )
    assert filed.status_code == 201, filed.text
    mine = await id_api.get("/api/v1/public/me/dossiers", headers=headers)
    assert mine.status_code == 200
    assert filed.json()["code"] in [d["code"] for d in mine.json()]
    look = await id_api.get(
        f"/api/v1/public/dossiers/{filed.json()['code']}",
        params={"secret": filed.json()["lookup_secret"]},
    )
    assert look.status_code == 200


async def approved_code(api: httpx.AsyncClient) -> tuple[dict[str, str], str, str]:
    """The authorization request's parameters, and the code and state the provider sends
    back once the citizen approved."""
    start = await api.get("/api/v1/public/identity/start")
    authorize = start.headers["location"]
    params = {k: v[0] for k, v in parse_qs(urlsplit(authorize).query).items()}
    async with httpx.AsyncClient() as browser:
        approved = await browser.post(authorize.split("?")[0], data={**params, "citizen": CITIZEN})
    query = parse_qs(urlsplit(approved.headers["location"]).query)
    return params, query["code"][0], query["state"][0]


async def test_a_forged_state_a_reused_code_or_a_wrong_verifier_is_refused(
    id_api: httpx.AsyncClient, provider: HttpService
) -> None:
    callback = "/api/v1/public/identity/callback"
    _, code, state = await approved_code(id_api)
    forged = await id_api.get(callback, params={"code": code, "state": "forged"})
    assert forged.status_code == 400 and "state" in forged.text
    assert (await id_api.get(callback, params={"code": code, "state": state})).status_code == 200
    reused = await id_api.get(callback, params={"code": code, "state": state})
    assert reused.status_code == 400 and "refused" in reused.text
    # PKCE: without the verifier the API kept, a code is worth nothing
    params, code, _ = await approved_code(id_api)
    async with httpx.AsyncClient(base_url=provider.base_url) as raw:
        stolen = await raw.post(
            "/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": params["redirect_uri"],
                "code_verifier": "not-the-verifier",
                "client_id": "motcua",
                "client_secret": SECRET,
            },
        )
    assert stolen.status_code == 400 and "PKCE" in stolen.text


async def test_an_applicant_token_lists_nothing_without_an_identity(
    id_api: httpx.AsyncClient,
) -> None:
    assert (await id_api.get("/api/v1/public/me/dossiers")).status_code == 401


async def test_signing_in_from_the_page_comes_back_to_it_signed_in(
    id_api: httpx.AsyncClient,
) -> None:
    start = await id_api.get("/api/v1/public/identity/start", params={"next": "/nop-ho-so"})
    authorize = start.headers["location"]
    params = {k: v[0] for k, v in parse_qs(urlsplit(authorize).query).items()}
    async with httpx.AsyncClient() as browser:
        approved = await browser.post(authorize.split("?")[0], data={**params, "citizen": CITIZEN})
    back = urlsplit(approved.headers["location"])
    landed = await id_api.get(f"{back.path}?{back.query}")
    assert landed.status_code == 303 and landed.headers["location"] == "/nop-ho-so"
    page = await id_api.get("/nop-ho-so", params={"procedure": BIRTH})
    assert page.status_code == 200
    assert CITIZENS[CITIZEN]["name"] in page.text and CITIZEN in page.text
    assert "đã định danh" in page.text
    # only a path of this site is a place to come back to
    from api.identity import safe_next

    assert [safe_next(n) for n in ("https://evil.example/x", "//evil.example", "/tra-cuu")] == [
        "",
        "",
        "/tra-cuu",
    ]
    id_api.cookies.clear()
