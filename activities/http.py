"""The workers' outbound HTTP to the national portal, the payment gateway and the SMS
gateway: JSON over one aiohttp session per adapter, each answer read whole, every way of
getting no answer one error. The adapters sort the answers into their own errors.

aiohttp rather than httpx: a portal delivery costs the calling process 0.27-0.34 ms of CPU
against 1.02-1.42 ms (`bench/http_client.py`, BENCHMARKS.md), and the portal's deliveries are
the portal-sync worker's busiest call.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aiohttp


class Unreachable(Exception):
    """No answer: nobody listening, the connection broken, or no answer in time."""

    def __init__(self, message: str, *, timed_out: bool) -> None:
        super().__init__(message)
        self.timed_out = timed_out


@dataclass(frozen=True, slots=True)
class Answer:
    """An HTTP answer, read whole (its connection is already free for the next request)."""

    status: int
    body: bytes

    @property
    def is_success(self) -> bool:
        return 200 <= self.status < 300

    def json_object(self) -> dict[str, Any] | None:
        """The body as a JSON object; None if it is not one (a proxy's page, a list, junk)."""
        try:
            value = json.loads(self.body)
        except ValueError:  # not JSON, or not UTF-8
            return None
        return value if isinstance(value, dict) else None

    def text(self, limit: int = 500) -> str:
        return self.body[:limit].decode(errors="replace")


class JsonHttp:
    """Requests with a JSON body, compact and with the Vietnamese text as UTF-8 (not ``\\u``
    escapes). Pass ``session`` to share an ``aiohttp.ClientSession`` (it is then not closed
    here); otherwise one is made at the first request, in the running event loop it belongs
    to, and closed by :meth:`aclose`."""

    def __init__(self, timeout_seconds: float, session: aiohttp.ClientSession | None = None):
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._owns_session = session is None
        self._session = session

    async def request(
        self,
        method: str,
        url: str,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        data = None
        if body is not None:
            data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
            headers = {**(headers or {}), "Content-Type": "application/json"}
        if self._session is None:
            # trust_env: HTTP(S)_PROXY and NO_PROXY apply, as they did through httpx
            self._session = aiohttp.ClientSession(timeout=self._timeout, trust_env=True)
        try:
            async with self._session.request(
                method,
                url,
                data=data,
                headers=headers,
                timeout=self._timeout,
                allow_redirects=False,  # a redirect is an answer the adapter judges (not JSON)
            ) as response:
                return Answer(response.status, await response.read())
        # the message is the cause alone: each adapter says what it was calling
        except TimeoutError as exc:  # aiohttp's own timeouts are TimeoutErrors too
            raise Unreachable(f"no answer within {self._timeout.total} s", timed_out=True) from exc
        except aiohttp.ClientError as exc:
            raise Unreachable(repr(exc), timed_out=False) from exc

    async def aclose(self) -> None:
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None
