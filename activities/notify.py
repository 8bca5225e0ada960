"""Notification channels: e-mail over SMTP, SMS over the gateway's HTTP API, and the log. A
channel answers `ChannelDown` for a message it cannot deliver now; the outbox keeps the
message and the sender tries it again after a back-off."""

from __future__ import annotations

import asyncio
import logging
import smtplib
from dataclasses import dataclass
from email.charset import QP, Charset
from email.header import Header
from email.mime.text import MIMEText
from pathlib import Path
from typing import Protocol

import jinja2

from activities.http import JsonHttp, Unreachable
from domain.applicant_notices import ApplicantNotice, ContactChannel

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


class SmsChannel:
    """The SMS gateway: one `POST {base_url}/sms/send` per message, `{"to", "text"}` with the
    key in `X-Api-Key`; the gateway answers 2xx when it has taken the message. A gateway that
    cannot be reached, answers 5xx or refuses the key is down for now (retried later)."""

    name = "sms"

    def __init__(self, base_url: str, api_key: str, timeout: float = 5.0):
        self._base_url, self._api_key, self._timeout = base_url.rstrip("/"), api_key, timeout

    async def send_all(self, messages: list[Message]) -> list[ChannelDown | None]:
        http = JsonHttp(self._timeout)
        try:
            return [await self._send(http, message) for message in messages]
        finally:
            await http.aclose()

    async def _send(self, http: JsonHttp, message: Message) -> ChannelDown | None:
        try:
            answer = await http.request(
                "POST",
                self._base_url + "/sms/send",
                {"to": message.address, "text": message.body},
                {"X-Api-Key": self._api_key},
            )
        except Unreachable as exc:
            return ChannelDown(f"SMS gateway {self._base_url}: {exc}")
        if answer.is_success:
            return None
        return ChannelDown(
            f"SMS gateway {self._base_url} answered {answer.status}: {answer.text(200)}"
        )


class NoticeTemplates:
    """The applicant notices' texts, from the operator's template files (Jinja2, plain text):
    `<kind>.email.txt` (its first line is the subject) and `<kind>.sms.txt`. An edited file
    is read again at its next use; a missing or broken one fails the write (and is retried),
    never sends a half-made message."""

    def __init__(self, directory: Path | str):
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(directory)),
            undefined=jinja2.StrictUndefined,
            autoescape=False,  # plain text: mail bodies and SMS, not HTML
            auto_reload=True,
            keep_trailing_newline=False,
        )

    def render(self, notice: ApplicantNotice, channel: str) -> tuple[str, str]:
        """The subject (empty for SMS) and the body of `notice` on `channel`."""
        template = self._env.get_template(f"{notice.kind.value}.{channel}.txt")
        text = template.render(**notice.values, items=notice.items).strip()
        if channel == ContactChannel.SMS:
            return "", " ".join(text.split())
        subject, _, body = text.partition("\n")
        return subject.strip(), body.strip() + "\n"
