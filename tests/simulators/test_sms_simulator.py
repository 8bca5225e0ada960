"""The SMS gateway simulator in-process (ASGI): it takes messages with the right key into its
inbox, refuses a wrong key and a malformed number, and answers 503 while switched down; the
SMS channel reports each of those as ChannelDown (retried later) and a taken message as sent."""

from __future__ import annotations

import httpx

from activities.notify import ChannelDown, Message, SmsChannel
from simulators.sms import create_app

KEY = "sms-test-key"


async def test_the_gateway_takes_checks_and_goes_down_on_demand() -> None:
    transport = httpx.ASGITransport(app=create_app(KEY))
    async with httpx.AsyncClient(transport=transport, base_url="http://sms.test") as sms:
        sent = await sms.post(
            "/sms/send", json={"to": "0903 123 456", "text": "xin chào"}, headers={"X-Api-Key": KEY}
        )
        assert sent.status_code == 200 and sent.json()["status"] == "accepted"
        wrong = await sms.post("/sms/send", json={"to": "0903123456", "text": "x"})
        assert wrong.status_code == 401
        bad = await sms.post(
            "/sms/send", json={"to": "12ab", "text": "x"}, headers={"X-Api-Key": KEY}
        )
        assert bad.status_code == 422
        await sms.post("/_sim/down", json={"down": True})
        down = await sms.post(
            "/sms/send", json={"to": "0903123456", "text": "x"}, headers={"X-Api-Key": KEY}
        )
        assert down.status_code == 503
        inbox = (await sms.get("/_sim/inbox", params={"to": "0903123456"})).json()
        assert [m["text"] for m in inbox] == ["xin chào"]


async def test_the_channel_reports_a_gateway_that_cannot_take_the_message() -> None:
    message = Message("applicant", "0903123456", "", "Ho so da duoc tiep nhan")
    unreachable = SmsChannel("http://127.0.0.1:9", KEY, timeout=1)
    (result,) = await unreachable.send_all([message])
    assert isinstance(result, ChannelDown)
