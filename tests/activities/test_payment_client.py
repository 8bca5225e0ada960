"""The gateway adapter against the simulator running as a real process, with callbacks
delivered over HTTP to a small receiver that judges them like our API would."""

import asyncio
import socket
import time
from dataclasses import dataclass

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from activities.payment_client import (
    GatewayRejected,
    GatewayUnavailable,
    PaymentGatewayClient,
)
from domain.payment import (
    CallbackDecision,
    CallbackOutcome,
    CallbackRejected,
    FeeKind,
    FeeLine,
    PaymentRequest,
    PaymentState,
    RejectReason,
    check_callback,
)
from tests.support.pages import page_server
from tests.support.payments import new_payment_request, with_decision
from tests.support.polling import eventually
from tests.support.processes import free_port, start_http_service

SECRET = "test-payment-secret"
PARTNER = "MOTCUA"


@pytest.fixture(scope="module")
def gateway_url():
    port = free_port()
    args = ["simulators.payment", "--port", str(port), "--secret", SECRET]
    with start_http_service([*args, "--log-level", "warning"], port) as service:
        yield service.base_url


@dataclass
class Delivery:
    body: dict
    decision: CallbackDecision | None
    rejected: RejectReason | None


class Receiver:
    """Our side of CONFIRM: judges each callback against the requests it knows."""

    def __init__(self) -> None:
        self.expected: dict[str, PaymentRequest] = {}
        self.deliveries: list[Delivery] = []
        self.changed = asyncio.Condition()
        self.url = ""
        self.app = FastAPI()
        self.app.post("/callback")(self.callback)

    async def callback(self, request: Request) -> JSONResponse:
        body = await request.json()
        reference = body.get("MaThamChieu")
        try:
            decision = check_callback(body, self.expected.get(reference), SECRET)
        except CallbackRejected as error:
            await self.record(Delivery(body, None, error.reason_code))
            return JSONResponse({"MaLoi": "01", "MoTa": error.message}, status_code=400)
        self.expected[reference] = with_decision(self.expected[reference], decision)
        await self.record(Delivery(body, decision, None))
        return JSONResponse({"MaLoi": "00"})

    async def record(self, delivery: Delivery) -> None:
        async with self.changed:
            self.deliveries.append(delivery)
            self.changed.notify_all()

    def for_reference(self, reference: str) -> list[Delivery]:
        return [d for d in self.deliveries if d.body.get("MaThamChieu", "").startswith(reference)]

    async def wait_for(self, reference: str, count: int, seconds: float = 5) -> list[Delivery]:
        async with asyncio.timeout(seconds), self.changed:
            await self.changed.wait_for(lambda: len(self.for_reference(reference)) >= count)
        return self.for_reference(reference)


@pytest.fixture(scope="module")
async def receiver():
    receiver = Receiver()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    receiver.url = f"http://127.0.0.1:{sock.getsockname()[1]}/callback"
    server = uvicorn.Server(
        uvicorn.Config(receiver.app, log_level="warning", lifespan="off", access_log=False)
    )
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        await eventually(lambda: server.started, every=0.02, what="the receiver serving")
        yield receiver
    finally:
        server.should_exit = True
        await task
        sock.close()


@pytest.fixture
async def sim(gateway_url):
    async with httpx.AsyncClient(base_url=gateway_url, timeout=5) as client:
        await client.post("/_sim/callbacks", json={"mode": "normal"})
        await client.post("/_sim/query", json={"force": None})
        yield client


@pytest.fixture
async def gateway(gateway_url):
    async with PaymentGatewayClient(gateway_url, PARTNER, SECRET, timeout_seconds=5) as client:
        yield client


def payment(dossier: str) -> PaymentRequest:
    return new_payment_request(
        dossier_code=dossier,
        procedure_code="1.004227",
        purpose="submission",
        lines=[
            FeeLine("LP01", "Lệ phí cấp giấy phép", 100_000, FeeKind.CHARGE),
            FeeLine("P01", "Phí thẩm định hồ sơ", 50_000, FeeKind.FEE),
        ],
    )


async def initiated(gateway, receiver, dossier: str) -> tuple[PaymentRequest, str]:
    request = payment(dossier)
    receiver.expected[request.reference] = request
    result = await gateway.init(request, receiver.url)
    return request, result.gateway_txn


async def test_init_pay_and_the_callback_is_accepted(gateway, receiver, sim):
    request = payment("D-PAY")
    receiver.expected[request.reference] = request
    result = await gateway.init(request, receiver.url)
    page = await sim.get(result.payment_url)
    assert "150.000 ₫" in page.text

    assert (await gateway.query(request.reference)).state is PaymentState.PENDING
    await sim.post(f"/gateway/pay/{result.gateway_txn}/complete", params={"outcome": "paid"})

    [delivery] = await receiver.wait_for(request.reference, 1)
    assert delivery.decision.outcome is CallbackOutcome.PAID
    assert receiver.expected[request.reference].state is PaymentState.PAID
    answer = await gateway.query(request.reference)
    assert (answer.state, answer.amount, answer.txn) == (
        PaymentState.PAID,
        150_000,
        result.gateway_txn,
    )


async def test_init_again_gives_the_same_transaction(gateway, receiver):
    request, txn = await initiated(gateway, receiver, "D-AGAIN")
    assert (await gateway.init(request, receiver.url)).gateway_txn == txn


async def test_failed_payment_is_reported_as_failed(gateway, receiver, sim):
    request, txn = await initiated(gateway, receiver, "D-FAIL")
    await sim.post(f"/gateway/pay/{txn}/complete", params={"outcome": "failed"})
    [delivery] = await receiver.wait_for(request.reference, 1)
    assert delivery.decision.outcome is CallbackOutcome.FAILED
    assert (await gateway.query(request.reference)).state is PaymentState.FAILED


async def test_duplicate_mode_delivers_the_same_callback_twice(gateway, receiver, sim):
    await sim.post("/_sim/callbacks", json={"mode": "duplicate"})
    request, txn = await initiated(gateway, receiver, "D-DUP")
    await sim.post(f"/gateway/pay/{txn}/complete", params={"outcome": "paid"})
    first, second = await receiver.wait_for(request.reference, 2)
    assert first.body == second.body
    assert [first.decision.outcome, second.decision.outcome] == [
        CallbackOutcome.PAID,
        CallbackOutcome.DUPLICATE,
    ]


async def test_drop_mode_sends_nothing_and_query_reconciles(gateway, receiver, sim):
    await sim.post("/_sim/callbacks", json={"mode": "drop"})
    request, txn = await initiated(gateway, receiver, "D-DROP")
    await sim.post(f"/gateway/pay/{txn}/complete", params={"outcome": "paid"})

    async def attempts():
        return [e for e in (await sim.get("/_sim/callbacks")).json() if e["MaGiaoDich"] == txn]

    [entry] = await eventually(attempts, every=0.02, what="the callback attempt")
    assert entry["delivery"] == "dropped"
    assert receiver.for_reference(request.reference) == []
    assert (await gateway.query(request.reference)).state is PaymentState.PAID


async def test_delay_mode_answers_the_page_at_once_and_calls_back_later(gateway, receiver, sim):
    await sim.post("/_sim/callbacks", json={"mode": "delay", "delay_seconds": 0.6})
    request, txn = await initiated(gateway, receiver, "D-DELAY")
    started = time.monotonic()
    await sim.post(f"/gateway/pay/{txn}/complete", params={"outcome": "paid"})
    assert time.monotonic() - started < 0.5
    assert receiver.for_reference(request.reference) == []
    [delivery] = await receiver.wait_for(request.reference, 1)
    assert time.monotonic() - started >= 0.6
    assert delivery.decision.outcome is CallbackOutcome.PAID


@pytest.mark.parametrize(
    ("tamper", "reason"),
    [
        ("checksum", RejectReason.BAD_CHECKSUM),
        ("amount", RejectReason.AMOUNT_MISMATCH),
        ("reference", RejectReason.UNKNOWN_REFERENCE),
        ("currency", RejectReason.CURRENCY),
    ],
)
async def test_forged_callbacks_are_refused(gateway, receiver, sim, tamper, reason):
    request, txn = await initiated(gateway, receiver, f"D-FORGE-{tamper}")
    answer = (await sim.post("/_sim/forge", json={"txn": txn, "tamper": tamper})).json()
    assert answer["status_code"] == 400
    [delivery] = receiver.for_reference(request.reference)
    assert delivery.rejected is reason
    assert receiver.expected[request.reference].state is PaymentState.PENDING


async def test_forced_query_answer_is_what_the_adapter_reports(gateway, receiver, sim):
    request, _ = await initiated(gateway, receiver, "D-FORCED")
    await sim.post("/_sim/query", json={"force": "success"})
    assert (await gateway.query(request.reference)).state is PaymentState.PAID


async def test_gateway_refusals_carry_its_code(gateway, gateway_url):
    with pytest.raises(GatewayRejected) as unknown:
        await gateway.query("NO-SUCH-P01")
    assert unknown.value.code == "04"
    async with PaymentGatewayClient(gateway_url, "STRANGER", SECRET) as stranger:
        with pytest.raises(GatewayRejected) as refused:
            await stranger.init(payment("D-STRANGER"), "http://127.0.0.1:1/callback")
    assert refused.value.code == "02"


async def test_query_signed_with_another_secret_is_not_trusted(gateway, receiver, gateway_url):
    request, _ = await initiated(gateway, receiver, "D-SECRET")
    async with PaymentGatewayClient(gateway_url, PARTNER, "wrong-secret") as client:
        with pytest.raises(GatewayRejected, match="invalid checksum"):
            await client.query(request.reference)


async def test_unreachable_or_failing_gateway_is_unavailable():
    async with PaymentGatewayClient(f"http://127.0.0.1:{free_port()}", PARTNER, SECRET) as client:
        with pytest.raises(GatewayUnavailable):
            await client.query("D-1-P01")

    async with page_server() as proxy:
        async with PaymentGatewayClient(proxy + "/503", PARTNER, SECRET) as failing:
            with pytest.raises(GatewayUnavailable, match="answered 503"):
                await failing.init(payment("D-503"), "http://127.0.0.1:1/callback")
        async with PaymentGatewayClient(proxy, PARTNER, SECRET) as not_the_gateway:
            with pytest.raises(GatewayRejected, match="answered 200 without a JSON object"):
                await not_the_gateway.query("D-1-P01")
