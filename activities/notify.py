"""Notification channels: e-mail over SMTP and the log. A channel raises `ChannelDown` when
it cannot deliver now; the outbox keeps the message and the activity retries it."""

from __future__ import annotations

import asyncio
import logging
import smtplib
from dataclasses import dataclass
from email.charset import QP, Charset
from email.header import Header
from email.mime.text import MIMEText
from typing import Protocol

log = logging.getLogger("motcua.notifications")

#: UTF-8 text sent quoted-printable: Vietnamese mail stays readable in its raw form.
UTF8_QP = Charset("utf-8")
UTF8_QP.body_encoding = QP


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

    async def send_all(self, messages: list[Message]) -> list[ChannelDown | None]:
        """Send several messages at once; one entry per message: None, or why it failed."""
        ...


class LogChannel:
    name = "log"

    async def send_all(self, messages: list[Message]) -> list[ChannelDown | None]:
        for message in messages:
            log.warning("notify %s: %s — %s", message.recipient, message.subject, message.body)
        return [None] * len(messages)


class EmailChannel:
    name = "email"

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        timeout: float = 10.0,
        *,
        starttls: bool = False,
        username: str = "",
        password: str = "",
    ):
        self._host, self._port, self._sender, self._timeout = host, port, sender, timeout
        # a province's relay usually wants STARTTLS and a login; the local one wants neither
        self._starttls, self._username, self._password = starttls, username, password

    async def send_all(self, messages: list[Message]) -> list[ChannelDown | None]:
        """All the messages over one SMTP session (an escalation storm sends thousands)."""
        mails = [self._mail(m) for m in messages]
        try:
            return await asyncio.to_thread(self._deliver_all, mails)
        except (OSError, smtplib.SMTPException) as exc:  # no session at all
            down = ChannelDown(f"SMTP {self._host}:{self._port}: {exc}")
            return [down] * len(messages)

    def _mail(self, message: Message) -> MIMEText:
        # MIMEText and Header (the compat32 API) rather than EmailMessage: the latter parses
        # every header it is given, which was most of the cost of an escalation storm's mail
        # (typeshed types both too narrowly: MIMEText hands the charset to set_payload, which
        # takes a Charset; compat32 headers take a Header)
        mail = MIMEText(message.body, "plain", UTF8_QP)  # type: ignore[arg-type]
        mail["From"] = self._sender
        mail["To"] = message.address
        mail["Subject"] = Header(message.subject, "utf-8")  # type: ignore[assignment]
        return mail

    def _deliver_all(self, mails: list[MIMEText]) -> list[ChannelDown | None]:
        results: list[ChannelDown | None] = []
        with smtplib.SMTP(self._host, self._port, timeout=self._timeout) as smtp:
            if self._starttls:
                smtp.starttls()
            if self._username:
                smtp.login(self._username, self._password)
            for mail in mails:
                try:
                    smtp.send_message(mail)
                    results.append(None)
                except smtplib.SMTPException as exc:  # this recipient; the session goes on
                    results.append(ChannelDown(f"SMTP {self._host}:{self._port}: {exc}"))
        return results
