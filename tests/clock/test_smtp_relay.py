"""The e-mail channel signs in to the province's relay when a username is set."""

from __future__ import annotations

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from activities.notify import ChannelDown, EmailChannel, Message
from tests.clock.test_notifications import Inbox
from tests.support.processes import free_port


class Relay:
    def __init__(self) -> None:
        self.logins: list[tuple[str, str]] = []

    def __call__(self, server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
        assert isinstance(auth_data, LoginPassword)
        login = (auth_data.login.decode(), auth_data.password.decode())
        self.logins.append(login)
        return AuthResult(success=login == ("motcua", "relay-password"))


def mail() -> Message:
    return Message(
        recipient="pct.bennghe",
        address="pct.bennghe@example.gov.vn",
        subject="Cảnh báo",
        body="Hồ sơ sắp đến hạn",
    )


# a loopback test relay: no TLS to negotiate, on purpose
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")
async def test_the_relay_login_is_used_and_a_refused_one_keeps_mail_pending() -> None:
    port = free_port()
    inbox, relay = Inbox(), Relay()
    controller = Controller(
        inbox,
        hostname="127.0.0.1",
        port=port,
        authenticator=relay,
        auth_require_tls=False,
        auth_required=True,
    )
    controller.start()
    try:
        signed_in = EmailChannel(
            "127.0.0.1", port, "motcua@example.gov.vn", username="motcua", password="relay-password"
        )
        assert await signed_in.send_all([mail()]) == [None]
        wrong = EmailChannel(
            "127.0.0.1", port, "motcua@example.gov.vn", username="motcua", password="nope"
        )
        [refused] = await wrong.send_all([mail()])
        anonymous = EmailChannel("127.0.0.1", port, "motcua@example.gov.vn", timeout=2)
        [not_signed_in] = await anonymous.send_all([mail()])
    finally:
        controller.stop()
    assert relay.logins == [("motcua", "relay-password"), ("motcua", "nope")]
    assert len(inbox.messages) == 1
    assert isinstance(refused, ChannelDown) and isinstance(not_signed_in, ChannelDown)
