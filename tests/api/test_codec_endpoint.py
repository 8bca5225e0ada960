"""The API's codec endpoint (Codec Server Protocol) lets the Temporal UI and the CLI show the
compressed payloads of a history, answers the UI's origin only, and turns bad input away."""

from __future__ import annotations

import base64
import zlib
from collections.abc import AsyncIterator

import httpx
import pytest

from workflows.client import data_converter
from workflows.codec import DICTIONARY_ENCODING, ENCODING, MAX_DECODED

UI = "http://127.0.0.1:8233"


@pytest.fixture
async def api(settings, dev_env, engine) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    from api.app import create_app

    app = create_app(settings, temporal=dev_env.client, engine=engine)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


def as_json(payload) -> dict:  # type: ignore[no-untyped-def]
    return {
        "metadata": {k: base64.b64encode(v).decode() for k, v in payload.metadata.items()},
        "data": base64.b64encode(payload.data).decode(),
    }


@pytest.mark.parametrize("path", ["/temporal-codec/decode", "/temporal-codec/default/decode"])
async def test_decode_gives_back_what_the_worker_wrote(api: httpx.AsyncClient, path: str) -> None:
    value = {"days_off": {f"2026-01-{d:02}": "Nghỉ Tết Nguyên đán" for d in range(1, 29)}}
    [plain] = data_converter.payload_converter.to_payloads([value])
    [stored] = await data_converter.encode([value])
    assert stored.metadata["encoding"] == DICTIONARY_ENCODING
    answer = await api.post(path, json={"payloads": [as_json(stored)]})
    assert answer.status_code == 200
    assert answer.json()["payloads"] == [as_json(plain)]


async def test_encode_leaves_a_small_payload_readable(api: httpx.AsyncClient) -> None:
    [small] = await data_converter.encode(["accept"])
    answer = await api.post("/temporal-codec/encode", json={"payloads": [as_json(small)]})
    assert answer.status_code == 200
    assert answer.json()["payloads"] == [as_json(small)]


async def test_the_ui_origin_may_call_it_others_may_not(api: httpx.AsyncClient) -> None:
    def preflight(origin: str) -> dict[str, str]:
        return {
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-namespace",
        }

    allowed = await api.options("/temporal-codec/decode", headers=preflight(UI))
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == UI
    refused = await api.options("/temporal-codec/decode", headers=preflight("https://evil.example"))
    assert "access-control-allow-origin" not in refused.headers


async def test_bad_input_is_turned_away_with_a_reason(api: httpx.AsyncClient) -> None:
    not_base64 = {"payloads": [{"metadata": {"encoding": "!!"}, "data": ""}]}
    answer = await api.post("/temporal-codec/decode", json=not_base64)
    assert answer.status_code == 400
    assert "base64" in answer.json()["detail"]

    broken = {"metadata": {"encoding": base64.b64encode(ENCODING).decode()}, "data": "AAAA"}
    answer = await api.post("/temporal-codec/decode", json={"payloads": [broken]})
    assert answer.status_code == 400
    assert "does not decompress" in answer.json()["detail"]

    bomb = {
        "metadata": {"encoding": base64.b64encode(ENCODING).decode()},
        "data": base64.b64encode(zlib.compress(b"\0" * (MAX_DECODED + 1))).decode(),
    }
    answer = await api.post("/temporal-codec/decode", json={"payloads": [bomb]})
    assert answer.status_code == 413
