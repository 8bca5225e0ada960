"""HTTP adapter to the national portal (Cổng DVCQG) sync services, or to its simulator.

Sorts every failure into one of two kinds the outbox acts on: ``PortalUnavailable`` (retry
with back-off) and ``PortalRejected`` (the payload is invalid; park it for an operator).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp

from activities.http import Answer, JsonHttp, Unreachable
from domain.portal import SyncRecord

DOSSIER_PATH = "/dvcqg/hoso"
PROGRESS_PATH = "/dvcqg/tiendo"

# 400 and 422 say "this payload is wrong": sending it again cannot help.
_PERMANENT_STATUSES = frozenset({400, 422})


class PortalError(Exception):
    """Base of the adapter's errors."""


class PortalUnavailable(PortalError):
    """The portal could not take the record now (5xx, timeout, connection, auth); retry."""


class PortalRejected(PortalError):
    """The portal refused the payload as invalid; retrying the same record cannot succeed."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class PortalAck:
    """The portal accepted the record, or had already applied it (``duplicate``)."""

    duplicate: bool
    message: str
    already_exists: bool = False


class PortalClient:
    """Sends outbox records to the portal and looks dossiers up for reconciliation."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        timeout_seconds: float = 10.0,
        *,
        http_client: aiohttp.ClientSession | None = None,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {api_key}"}
        self.timeout_seconds = timeout_seconds
        self._http = JsonHttp(timeout_seconds, http_client)

    async def __aenter__(self) -> PortalClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP client if this adapter created it."""
        await self._http.aclose()

    async def send(self, record: SyncRecord) -> PortalAck:
        """Deliver one record: a dossier create-or-update, or a progress entry."""
        if record.kind == "dossier":
            path = DOSSIER_PATH
            body: dict[str, Any] = {"seq": record.seq, "data": record.payload}
        else:
            path = PROGRESS_PATH
            body = {"seq": record.seq, "MaHoSo": record.dossier_code, "data": record.payload}
        response = await self._request("POST", path, body)
        answer = self._answer(response)
        self._raise_for_status(response, answer)
        return PortalAck(
            duplicate=bool(answer.get("duplicate", False)),
            message=str(answer.get("message", "")),
            already_exists=bool(answer.get("already_exists", False)),
        )

    async def lookup(self, code: str) -> dict[str, Any] | None:
        """What the portal holds for a dossier, or None if it has never heard of it."""
        response = await self._request("GET", f"{DOSSIER_PATH}/{code}")
        if response.status == 404:
            return None
        answer = self._answer(response)
        self._raise_for_status(response, answer)
        return answer

    async def _request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Answer:
        try:
            return await self._http.request(method, self._base_url + path, body, self._headers)
        except Unreachable as exc:
            if exc.timed_out:
                raise PortalUnavailable(f"portal timed out on {method} {path}") from exc
            raise PortalUnavailable(f"portal unreachable on {method} {path}: {exc}") from exc

    @staticmethod
    def _answer(response: Answer) -> dict[str, Any]:
        answer = response.json_object()
        if answer is None:
            if response.is_success:
                # A 200 that is not the portal's JSON is a proxy or gateway page: try later.
                raise PortalUnavailable(f"portal answered {response.status} without JSON")
            return {"message": response.text()}
        return answer

    @staticmethod
    def _raise_for_status(response: Answer, answer: dict[str, Any]) -> None:
        status = response.status
        message = str(answer.get("message") or f"HTTP {status}")
        if status in _PERMANENT_STATUSES:
            raise PortalRejected(message)
        if not response.is_success:
            # 5xx, and also 401/403/404/429: configuration or load, not the record's fault.
            raise PortalUnavailable(f"portal answered HTTP {status}: {message}")
        error_code = answer.get("error_code", 0)
        if error_code not in (0, "0"):
            raise PortalRejected(message)
