"""Adapter to the payment gateway (DESIGN §7): INIT a payment and QUERY its state.

The gateway's CONFIRM callbacks arrive at the API and are judged by
:func:`domain.payment.check_callback`; this client only speaks outward.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import aiohttp

from activities.http import JsonHttp, Unreachable
from domain.payment import (
    SUCCESS_CODE,
    CallbackRejected,
    PaymentRequest,
    PaymentState,
    state_of_status,
    verify_query,
)
from domain.text import for_log

log = logging.getLogger(__name__)


class GatewayUnavailable(Exception):
    """The gateway could not be reached or failed on its side; worth retrying."""


class GatewayRejected(Exception):
    """The gateway refused the request, or answered something we cannot trust; retrying
    the same request will not help. ``code`` is the gateway's ``MaLoi`` when it gave one."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class InitResult:
    payment_url: str
    gateway_txn: str


@dataclass(frozen=True)
class QueryResult:
    state: PaymentState
    amount: int
    txn: str


class PaymentGatewayClient:
    """INIT and QUERY against the gateway at ``base_url`` as partner ``partner_code``.

    Pass ``client`` to share an ``aiohttp.ClientSession`` (it is then not closed here).
    """

    def __init__(
        self,
        base_url: str,
        partner_code: str,
        secret: str,
        timeout_seconds: float = 10.0,
        client: aiohttp.ClientSession | None = None,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._partner_code = partner_code
        self._secret = secret
        self._http = JsonHttp(timeout_seconds, client)

    async def init(self, request: PaymentRequest, callback_url: str) -> InitResult:
        """Create (or find again: INIT is idempotent by reference) the gateway transaction."""
        body = {
            "PartnerCode": self._partner_code,
            "MaThamChieu": request.reference,
            "SoTien": request.amount,
            "MaHoSo": request.dossier_code,
            "MaTTHC": request.procedure_code,
            "DanhSachPhiLePhi": [
                {"Ma": line.code, "Ten": line.name, "SoTien": line.amount, "Loai": line.kind.value}
                for line in request.lines
            ],
            "CallbackUrl": callback_url,
        }
        answer = await self._post("/gateway/init", body)
        payment_url, txn = answer.get("PaymentUrl"), answer.get("MaGiaoDich")
        if not isinstance(payment_url, str) or not isinstance(txn, str):
            raise GatewayRejected(f"INIT answer for {request.reference} lacks a payment URL.")
        return InitResult(payment_url=payment_url, gateway_txn=txn)

    async def query(self, reference: str) -> QueryResult:
        """The gateway's state of the payment, checked against its ``MaXacThuc``."""
        answer = await self._post(
            "/gateway/query", {"PartnerCode": self._partner_code, "MaThamChieu": reference}
        )
        try:
            parsed = verify_query(answer, self._secret)
        except CallbackRejected as error:
            raise GatewayRejected(f"QUERY answer for {reference}: {error.message}") from None
        if not parsed.authentic:
            raise GatewayRejected(f"QUERY answer for {reference} has an invalid checksum.")
        if parsed.reference != reference:
            raise GatewayRejected(f"QUERY for {reference} was answered about {parsed.reference}.")
        return QueryResult(
            state=state_of_status(parsed.status), amount=parsed.amount, txn=parsed.gateway_txn
        )

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        url = f"{self._base_url}{path}"
        try:
            response = await self._http.request("POST", url, body)
        except Unreachable as error:
            raise GatewayUnavailable(f"Payment gateway unreachable at {url}: {error}") from error
        if response.status >= 500 or response.status == 429:
            raise GatewayUnavailable(f"Payment gateway answered {response.status} at {url}.")
        answer = response.json_object()
        if answer is None:
            raise GatewayRejected(
                f"Payment gateway answered {response.status} without a JSON object at {url}."
            )
        code = answer.get("MaLoi")
        if response.is_success and code == SUCCESS_CODE:
            return answer
        message = str(answer.get("MoTa") or f"error {code} (HTTP {response.status})")[:500]
        log.info("payment gateway refused %s: %s %s", path, for_log(code), for_log(message))
        raise GatewayRejected(
            f"Payment gateway refused the request: {message}",
            code=code if isinstance(code, str) else None,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> PaymentGatewayClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()
