"""The payment-gateway simulator in-process (ASGI); callbacks go to a mock transport."""

import asyncio
import json
from datetime import UTC, datetime

import httpx
import pytest
from aiohttp import web

from domain.payment import (
    CallbackOutcome,
    FeeKind,
    FeeLine,
    PaymentState,
    check_callback,
    verify_query,
)
from simulators.payment import create_app
from tests.support.pages import serving
from tests.support.payments import new_payment_request
from tests.support.polling import eventually

SECRET = "sim-secret"
BASE = "http://gateway.test"
CALLBACK_URL = "http://motcua.test/api/v1/payments/callback"


def init_body(**overrides):
    body = {
        "PartnerCode": "MOTCUA",
        "MaThamChieu": "D-1-P01",
        "SoTien": 150_000,
        "MaHoSo": "D-1",
        "MaTTHC": "1.004227",
        "DanhSachPhiLePhi": [
            {"Ma": "LP01", "Ten": "Lệ phí cấp phép", "SoTien": 100_000, "Loai": "charge"},
            {"Ma": "P01", "Ten": "Phí thẩm định", "SoTien": 50_000, "Loai": "fee"},
        ],
        "CallbackUrl": CALLBACK_URL,
    }
    body.update(overrides)
    return body


EXPECTED = new_payment_request(
    dossier_code="D-1",
    procedure_code="1.004227",
    purpose="submission",
    lines=[
        FeeLine("LP01", "Lệ phí cấp phép", 100_000, FeeKind.CHARGE),
        FeeLine("P01", "Phí thẩm định", 50_000, FeeKind.FEE),
    ],
)


class Inbox(list):
    """Callbacks received, with a way to wait for them."""

    def __init__(self):
        super().__init__()
        self.changed = asyncio.Condition()

    async def add(self, item):
        async with self.changed:
            self.append(item)
            self.changed.notify_all()

    async def wait_for(self, count):
        async with asyncio.timeout(2), self.changed:
            await self.changed.wait_for(lambda: len(self) >= count)


@pytest.fixture
async def received():
    return Inbox()


@pytest.fixture
async def gateway(received):
    async def callback(request: httpx.Request) -> httpx.Response:
        await received.add(json.loads(request.content))
        return httpx.Response(200, json={"MaLoi": "00"})

    app = create_app(
        secret=SECRET,
        public_base_url=BASE,
        clock=lambda: datetime(2024, 1, 2, 2, 30, tzinfo=UTC),
        callback_transport=httpx.MockTransport(callback),
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        yield client


async def query(gateway, reference="D-1-P01"):
    return await gateway.post(
        "/gateway/query", json={"PartnerCode": "MOTCUA", "MaThamChieu": reference}
    )


async def test_init_answers_a_payment_url_and_is_idempotent(gateway):
    first = (await gateway.post("/gateway/init", json=init_body())).json()
    assert first["MaLoi"] == "00"
    assert first["PaymentUrl"] == f"{BASE}/gateway/pay/{first['MaGiaoDich']}"

    again = await gateway.post("/gateway/init", json=init_body(CallbackUrl="http://new.test/cb"))
    assert again.json() == first
    transactions = (await gateway.get("/_sim/transactions")).json()
    assert [t["callback_url"] for t in transactions] == ["http://new.test/cb"]


@pytest.mark.parametrize(
    ("overrides", "status", "code"),
    [
        ({"SoTien": 140_000}, 422, "03"),
        ({"PartnerCode": "STRANGER"}, 403, "02"),
        ({"SoTien": "150000"}, 422, "01"),
        ({"SoTien": 150_000.0}, 422, "01"),
        ({"SoTien": 0}, 422, "01"),
        ({"DanhSachPhiLePhi": []}, 422, "01"),
        ({"MaThamChieu": "D|1"}, 422, "01"),
        ({"CallbackUrl": "ftp://x"}, 422, "01"),
        (
            {
                "SoTien": 100,
                "DanhSachPhiLePhi": [
                    {"Ma": "P01", "Ten": "a", "SoTien": 50, "Loai": "fee"},
                    {"Ma": "P01", "Ten": "b", "SoTien": 50, "Loai": "fee"},
                ],
            },
            422,
            "01",
        ),
        (
            {"DanhSachPhiLePhi": [{"Ma": "X", "Ten": "x", "SoTien": 150_000, "Loai": "tax"}]},
            422,
            "01",
        ),
    ],
)
async def test_init_refuses_invalid_requests(gateway, overrides, status, code):
    response = await gateway.post("/gateway/init", json=init_body(**overrides))
    assert (response.status_code, response.json()["MaLoi"]) == (status, code)
    assert response.json()["MoTa"]
    assert (await gateway.get("/_sim/transactions")).json() == []


async def test_reinit_with_other_details_is_a_conflict(gateway):
    await gateway.post("/gateway/init", json=init_body())
    lines = [{"Ma": "LP01", "Ten": "Lệ phí", "SoTien": 90_000, "Loai": "charge"}]
    response = await gateway.post(
        "/gateway/init", json=init_body(SoTien=90_000, DanhSachPhiLePhi=lines)
    )
    assert (response.status_code, response.json()["MaLoi"]) == (409, "05")


async def test_payment_page_shows_the_lines_and_both_buttons(gateway):
    txn = (await gateway.post("/gateway/init", json=init_body())).json()["MaGiaoDich"]
    page = await gateway.get(f"/gateway/pay/{txn}")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    assert "150.000 ₫" in page.text and "Phí thẩm định" in page.text
    assert f'action="/gateway/pay/{txn}/complete?outcome=paid"' in page.text
    assert f'action="/gateway/pay/{txn}/complete?outcome=failed"' in page.text
    assert (await gateway.get("/gateway/pay/GD404")).status_code == 404


async def test_paying_sends_a_signed_confirm_and_query_says_success(gateway, received):
    txn = (await gateway.post("/gateway/init", json=init_body())).json()["MaGiaoDich"]
    assert (await query(gateway)).json()["TrangThai"] == "pending"

    done = await gateway.post(f"/gateway/pay/{txn}/complete", params={"outcome": "paid"})
    assert done.json()["TrangThai"] == "success"
    await received.wait_for(1)
    assert received[0]["ThoiGianThanhToan"] == "20240102093000"  # Vietnam time
    decision = check_callback(received[0], EXPECTED, SECRET)
    assert (decision.outcome, decision.gateway_txn) == (CallbackOutcome.PAID, txn)

    answer = verify_query((await query(gateway)).json(), SECRET)
    assert answer.authentic and answer.status == "success" and answer.amount == 150_000

    again = await gateway.post(f"/gateway/pay/{txn}/complete", params={"outcome": "paid"})
    assert (again.status_code, again.json()["MaLoi"]) == (409, "06")


async def test_failing_sends_a_failure_code(gateway, received):
    txn = (await gateway.post("/gateway/init", json=init_body())).json()["MaGiaoDich"]
    await gateway.post(f"/gateway/pay/{txn}/complete?outcome=failed&code=51")
    await received.wait_for(1)
    assert received[0]["MaKetQua"] == "51"
    decision = check_callback(received[0], EXPECTED, SECRET)
    assert decision.new_state is PaymentState.FAILED
    assert (await query(gateway)).json()["TrangThai"] == "failed"


async def test_callbacks_share_one_connection_closed_with_the_gateway():
    peers: list[tuple[str, int]] = []
    transports: list[asyncio.BaseTransport] = []

    async def callback(request: web.Request) -> web.Response:
        assert request.transport is not None
        peers.append(request.transport.get_extra_info("peername"))
        transports.append(request.transport)
        return web.json_response({"MaLoi": "00"})

    server = web.Application()
    server.router.add_post("/cb", callback)
    app = create_app(secret=SECRET, public_base_url=BASE)
    async with (
        serving(server) as url,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as desk,
    ):
        for count, reference in enumerate(("D-1-P01", "D-1-P02"), start=1):
            body = init_body(MaThamChieu=reference, CallbackUrl=f"{url}/cb")
            txn = (await desk.post("/gateway/init", json=body)).json()["MaGiaoDich"]
            await desk.post(f"/gateway/pay/{txn}/complete?outcome=paid")
            await eventually(lambda: len(peers), lambda n, count=count: n == count)
        assert peers[0] == peers[1], "the second callback should reuse the first's connection"
        await app.state.gateway.aclose()
        await eventually(transports[-1].is_closing, what="the connection closing")


async def test_browser_form_gets_an_html_answer(gateway):
    txn = (await gateway.post("/gateway/init", json=init_body())).json()["MaGiaoDich"]
    response = await gateway.post(
        f"/gateway/pay/{txn}/complete?outcome=paid", headers={"Accept": "text/html"}
    )
    assert "Thanh toán thành công" in response.text


async def test_forced_query_answers_are_signed_and_can_be_cleared(gateway):
    await gateway.post("/gateway/init", json=init_body())
    for forced in ("success", "failed", "pending"):
        await gateway.post("/_sim/query", json={"force": forced})
        answer = verify_query((await query(gateway)).json(), SECRET)
        assert answer.authentic and answer.status == forced
    await gateway.post("/_sim/query", json={"force": None})
    assert (await query(gateway)).json()["TrangThai"] == "pending"


async def test_query_of_unknown_reference_or_partner_is_refused(gateway):
    missing = await query(gateway, "NOPE")
    assert (missing.status_code, missing.json()["MaLoi"]) == (404, "04")
    stranger = await gateway.post(
        "/gateway/query", json={"PartnerCode": "X", "MaThamChieu": "D-1-P01"}
    )
    assert (stranger.status_code, stranger.json()["MaLoi"]) == (403, "02")


async def test_callback_fault_with_a_count_reverts_to_normal(gateway, received):
    await gateway.post("/_sim/callbacks", json={"mode": "drop", "count": 1})
    first = (await gateway.post("/gateway/init", json=init_body())).json()["MaGiaoDich"]
    second = (await gateway.post("/gateway/init", json=init_body(MaThamChieu="D-1-P02"))).json()[
        "MaGiaoDich"
    ]
    await gateway.post(f"/gateway/pay/{first}/complete?outcome=paid")
    await gateway.post(f"/gateway/pay/{second}/complete?outcome=paid")
    await received.wait_for(1)
    assert received[0]["MaGiaoDich"] == second
    log = (await gateway.get("/_sim/callbacks")).json()
    assert [(e["MaGiaoDich"], e["delivery"], e["status_code"]) for e in log] == [
        (first, "dropped", None),
        (second, "normal", 200),
    ]


async def test_transactions_survive_a_restart_with_a_state_file(received, tmp_path):
    """`make run` keeps the simulator's transactions under .data: a restart strands nothing."""
    state = tmp_path / "payment.json"

    async def callback(request: httpx.Request) -> httpx.Response:
        await received.add(json.loads(request.content))
        return httpx.Response(200, json={"MaLoi": "00"})

    def restarted() -> httpx.AsyncClient:
        app = create_app(
            secret=SECRET,
            public_base_url=BASE,
            callback_transport=httpx.MockTransport(callback),
            state_file=state,
        )
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE)

    async with restarted() as first:
        txn = (await first.post("/gateway/init", json=init_body())).json()["MaGiaoDich"]
    async with restarted() as second:
        assert (await query(second)).json()["TrangThai"] == "pending"
        paid = await second.post(f"/gateway/pay/{txn}/complete", params={"outcome": "paid"})
        assert paid.status_code < 400, paid.text
        await received.wait_for(1)
        other = await second.post("/gateway/init", json=init_body(MaThamChieu="D-2-P01"))
        assert other.json()["MaGiaoDich"] != txn
    async with restarted() as third:
        assert (await query(third)).json()["TrangThai"] == "success"
