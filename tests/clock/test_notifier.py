"""The notifier sends the notification outbox by itself, outside the dossier workflow: woken by
each recorded notice, over real SMTP (aiosmtpd on loopback), each message once even with two
senders sweeping together, retried with back-off while the channel is down, and taken over
from a sender that died holding a claim."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email import message_from_string, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import col, select

from activities.clock import ClockActivities
from activities.notifier import LEASE, Notifier, backoff
from activities.notify import ChannelDown, EmailChannel, Message
from api.timeutil import as_utc
from db.clock_models import Notification
from tests.clock.test_notifications import Inbox, a_dossier, escalation_notice
from tests.support.polling import eventually
from tests.support.processes import free_port


@contextmanager
def smtp_sink(port: int) -> Iterator[Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


def mails_about(inbox: Inbox, code: str) -> list[str]:
    """The bodies, decoded as a mail reader would, of the mails about dossier `code`."""
    bodies = []
    for _, content in inbox.messages:
        mail = message_from_string(content, policy=policy.default)
        assert isinstance(mail, EmailMessage)
        part = mail.get_body()
        body = part.get_content() if part is not None else ""
        if code in body:
            bodies.append(body)
    return bodies


async def rows_of(sessions, code: str) -> list[Notification]:  # type: ignore[no-untyped-def]
    async with sessions() as session:
        return list(
            await session.scalars(
                select(Notification)
                .where(Notification.dossier_code == code)
                .order_by(col(Notification.id))
            )
        )


async def test_a_recorded_escalation_is_mailed_without_the_workflow_asking(  # type: ignore[no-untyped-def]
    api, login, sessions
) -> None:
    code = await a_dossier(api, login)
    port = free_port()
    # a poll of an hour: only the recorded notice's wake-up can make it send in time
    notifier = Notifier(
        sessions,
        [EmailChannel("127.0.0.1", port, "motcua@example.gov.vn", timeout=5)],
        poll=timedelta(hours=1),
    )
    activities = ClockActivities(sessions, notifier=notifier)
    with smtp_sink(port) as inbox:
        async with notifier:
            await asyncio.sleep(0.2)  # the first sweep (of whatever was pending) is over
            ids = await activities.record_notice(escalation_notice(code, 1))
            assert len(ids) == 1
            await eventually(
                lambda: mails_about(inbox, code), within=10, every=0.05, what="the mail"
            )
        # leaving the context stops the notifier after the sweep under way: what it sent is
        # marked sent, not left to go out again when its claim expires
    assert len(mails_about(inbox, code)) == 1
    (row,) = await rows_of(sessions, code)
    assert row.state == "sent" and row.attempts == 1 and row.sent_at is not None
    assert row.claimed_by.startswith(notifier.name)


async def test_a_channel_down_is_retried_after_its_back_off_and_sends_once(  # type: ignore[no-untyped-def]
    api, login, sessions
) -> None:
    code = await a_dossier(api, login)
    port = free_port()
    clock = [datetime.now(UTC)]
    email = EmailChannel("127.0.0.1", port, "motcua@example.gov.vn", timeout=2)
    notifier = Notifier(sessions, [email], now=lambda: clock[0])
    ids = await ClockActivities(sessions, notifier=notifier).record_notice(
        escalation_notice(code, 2)
    )
    swept = await notifier.sweep(ids)  # nobody listens yet
    assert swept.sent == 0 and swept.failures
    (row,) = await rows_of(sessions, code)
    assert row.state == "pending" and row.attempts == 1 and "SMTP" in row.last_error
    assert row.next_attempt_at is not None
    assert as_utc(row.next_attempt_at) == clock[0] + backoff(1)
    with smtp_sink(port) as inbox:
        assert (await notifier.sweep(ids)).sent == 0  # its back-off has not run out
        clock[0] += backoff(1)
        assert (await notifier.sweep(ids)).sent == 1
        assert (await notifier.sweep(ids)).sent == 0  # sent: never again
    assert len(mails_about(inbox, code)) == 1
    (row,) = await rows_of(sessions, code)
    assert row.state == "sent" and row.attempts == 2


async def test_two_senders_sweeping_together_send_each_message_once(  # type: ignore[no-untyped-def]
    api, login, sessions
) -> None:
    codes = [await a_dossier(api, login) for _ in range(3)]
    port = free_port()
    senders = [
        Notifier(sessions, [EmailChannel("127.0.0.1", port, "motcua@example.gov.vn")], batch=2)
        for _ in range(2)
    ]
    activities = ClockActivities(sessions, notifier=senders[0])
    ids = [
        i
        for code in codes
        for level in (1, 2)
        for i in await activities.record_notice(escalation_notice(code, level))
    ]
    assert len(ids) == 6
    with smtp_sink(port) as inbox:
        for _ in range(4):  # batches of 2, each sender racing the other for the same rows
            await asyncio.gather(*(s.sweep(ids) for s in senders))
    assert sorted(len(mails_about(inbox, code)) for code in codes) == [2, 2, 2]
    for code in codes:
        assert all(r.state == "sent" and r.attempts == 1 for r in await rows_of(sessions, code))


async def test_a_claim_left_by_a_dead_sender_is_taken_over_when_it_expires(  # type: ignore[no-untyped-def]
    api, login, sessions
) -> None:
    code = await a_dossier(api, login)
    port = free_port()
    clock = [datetime.now(UTC)]
    channels = [EmailChannel("127.0.0.1", port, "motcua@example.gov.vn")]
    dead = Notifier(sessions, channels, now=lambda: clock[0])
    ids = await ClockActivities(sessions, notifier=dead).record_notice(escalation_notice(code, 3))
    claimed = await dead._claim(ids, due_only=True)  # ... and the process dies before sending
    assert [r.id for r in claimed] == ids
    other = Notifier(sessions, channels, now=lambda: clock[0])
    with smtp_sink(port) as inbox:
        assert (await other.sweep(ids)).claimed == 0  # still held
        clock[0] += LEASE + timedelta(seconds=1)
        assert (await other.sweep(ids)).sent == 1
    assert len(mails_about(inbox, code)) == 1


class BrokenChannel:
    """A channel whose code raises (not a delivery failure it reports)."""

    name = "email"

    async def send_all(self, messages: list[Message]) -> list[ChannelDown | None]:
        raise UnicodeEncodeError("ascii", "Hồ sơ", 1, 2, "no ascii for ồ")


async def test_a_channel_that_raises_backs_off_instead_of_holding_its_claim(  # type: ignore[no-untyped-def]
    api, login, sessions
) -> None:
    code = await a_dossier(api, login)
    notifier = Notifier(sessions, [BrokenChannel()])
    ids = await ClockActivities(sessions, notifier=notifier).record_notice(
        escalation_notice(code, 1)
    )
    swept = await notifier.sweep(ids)
    assert swept.sent == 0 and swept.failures and "UnicodeEncodeError" in swept.failures[0]
    (row,) = await rows_of(sessions, code)
    assert row.state == "pending" and row.attempts == 1 and row.claimed_until is None
    assert row.next_attempt_at is not None and "UnicodeEncodeError" in row.last_error


@pytest.mark.parametrize("attempts", [1, 2, 5, 30])
def test_back_off_doubles_up_to_its_ceiling(attempts: int) -> None:
    waits = [backoff(n) for n in range(1, attempts + 1)]
    assert waits == sorted(waits) and waits[-1] <= timedelta(minutes=10)
    assert backoff(1) == timedelta(seconds=5) and backoff(2) == timedelta(seconds=10)
