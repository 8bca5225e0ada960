"""Notification channels: e-mail over SMTP and the log. A channel raises `ChannelDown` when
it cannot deliver now; the outbox keeps the message and the activity retries it."""

from __future__ import annotations

import asyncio
import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

log = logging.getLogger("motcua.notifications")


class ChannelDown(Exception):
    """The channel cannot deliver right now (transient)."""


@dataclass(frozen=True)
class Message:
    recipient: str
    address: str
    subject: str
    body: str


class Channel(Protocol):
    name: str

    async def send(self, message: Message) -> None: ...


class LogChannel:
    name = "log"

    async def send(self, message: Message) -> None:
        log.warning("notify %s: %s — %s", message.recipient, message.subject, message.body)


class EmailChannel:
    name = "email"

    def __init__(self, host: str, port: int, sender: str, timeout: float = 10.0):
        self._host, self._port, self._sender, self._timeout = host, port, sender, timeout

    async def send(self, message: Message) -> None:
        mail = EmailMessage()
        mail["From"] = self._sender
        mail["To"] = message.address
        mail["Subject"] = message.subject
        mail.set_content(message.body)
        try:
            await asyncio.to_thread(self._deliver, mail)
        except (OSError, smtplib.SMTPException) as exc:
            raise ChannelDown(f"SMTP {self._host}:{self._port}: {exc}") from exc

    def _deliver(self, mail: EmailMessage) -> None:
        with smtplib.SMTP(self._host, self._port, timeout=self._timeout) as smtp:
            smtp.send_message(mail)
