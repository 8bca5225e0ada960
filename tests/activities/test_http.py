"""The workers' outbound JSON over HTTP, against real servers on real ports."""

from __future__ import annotations

import json

import aiohttp
import pytest
from aiohttp import web

from activities.http import Answer, JsonHttp, Unreachable
from tests.support.pages import PAGE, page_server, serving
from tests.support.processes import free_port


async def test_the_body_goes_as_compact_utf8_json_and_the_answer_is_read_whole() -> None:
    seen: list[tuple[str, str | None, bytes]] = []

    async def echo(request: web.Request) -> web.Response:
        body = await request.read()
        seen.append((request.headers["Content-Type"], request.headers.get("X-Key"), body))
        return web.json_response({"got": json.loads(body)}, status=201)

    app = web.Application()
    app.router.add_post("/echo", echo)
    body = {"TenNguoiNop": "Lê Văn Cường", "SoTien": 50000}
    async with serving(app) as url:
        http = JsonHttp(2.0)
        answer = await http.request("POST", url + "/echo", body, {"X-Key": "k"})
        await http.aclose()
    assert answer.status == 201 and answer.is_success
    assert answer.json_object() == {"got": body}
    assert seen == [
        (
            "application/json",
            "k",
            '{"TenNguoiNop":"Lê Văn Cường","SoTien":50000}'.encode(),
        )
    ]


def test_an_answer_that_is_not_a_json_object_has_none() -> None:
    assert Answer(200, PAGE.encode()).json_object() is None
    assert Answer(200, b"[1, 2]").json_object() is None
    assert Answer(200, b"\xff\xfe").json_object() is None
    assert Answer(502, b"\xffBad").text() == "\ufffdBad"
    assert not Answer(302, b"").is_success


async def test_nobody_listening_is_unreachable_not_timed_out() -> None:
    http = JsonHttp(2.0)
    with pytest.raises(Unreachable) as caught:
        await http.request("GET", f"http://127.0.0.1:{free_port()}/")
    assert not caught.value.timed_out
    await http.aclose()


async def test_a_slow_server_times_out_and_the_next_request_goes_through() -> None:
    async with page_server(delay_seconds=1.0) as slow:
        http = JsonHttp(0.2)
        with pytest.raises(Unreachable, match="no answer within 0.2 s") as caught:
            await http.request("POST", slow + "/503", {"a": 1})
        assert caught.value.timed_out
        patient = JsonHttp(5.0)
        assert (await patient.request("GET", slow + "/503")).status == 503
        await http.aclose()
        await patient.aclose()


async def test_a_shared_session_is_used_and_left_open() -> None:
    async with page_server() as url, aiohttp.ClientSession() as session:
        http = JsonHttp(2.0, session)
        assert (await http.request("GET", url + "/404")).status == 404
        await http.aclose()
        assert not session.closed
        assert (await http.request("GET", url)).text() == PAGE


async def test_a_redirect_is_the_answer_not_followed() -> None:
    followed: list[str] = []

    async def moved(request: web.Request) -> web.Response:
        raise web.HTTPFound("/login")

    async def login(request: web.Request) -> web.Response:
        followed.append(request.method)
        return web.json_response({"error_code": 0})

    app = web.Application()
    app.router.add_post("/dvcqg/hoso", moved)
    app.router.add_route("*", "/login", login)
    async with serving(app) as url:
        http = JsonHttp(2.0)
        answer = await http.request("POST", url + "/dvcqg/hoso", {"seq": 1})
        await http.aclose()
    assert answer.status == 302 and not answer.is_success
    assert followed == []
