"""Payment activities of the dossier worker: INIT a payment at the gateway when the dossier
asks for money, and QUERY it when no callback came (reconciliation, DESIGN §7)."""

from __future__ import annotations

import logging
from datetime import timedelta

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.payment_client import GatewayRejected, PaymentGatewayClient
from domain.payment import PaymentRequest
from messages import PaymentInitiated, PaymentQueried

log = logging.getLogger(__name__)

CALLBACK_PATH = "/api/v1/payments/callback"


def callback_url(public_base_url: str) -> str:
    """Where the gateway sends its CONFIRM for our payments."""
    return public_base_url.rstrip("/") + CALLBACK_PATH


class PaymentActivities:
    """Speaks to the gateway through ``gateway``; the callback address and the delay before
    reconciliation come from the deployment's settings."""

    def __init__(
        self, gateway: PaymentGatewayClient, *, callback_url: str, query_after: timedelta
    ) -> None:
        self._gateway = gateway
        self._callback_url = callback_url
        self._query_after = query_after

    @activity.defn(name="init_payment")
    async def init(self, payment: PaymentRequest) -> PaymentInitiated:
        try:
            answer = await self._gateway.init(payment, self._callback_url)
        except GatewayRejected as error:
            raise ApplicationError(
                error.message, type="GatewayRejected", non_retryable=True
            ) from None
        log.info("payment %s initiated: %s", payment.reference, answer.payment_url)
        return PaymentInitiated(
            payment_url=answer.payment_url,
            gateway_txn=answer.gateway_txn,
            query_after_seconds=self._query_after.total_seconds(),
        )

    @activity.defn(name="query_payment")
    async def query(self, reference: str) -> PaymentQueried:
        try:
            answer = await self._gateway.query(reference)
        except GatewayRejected as error:
            raise ApplicationError(
                error.message, type="GatewayRejected", non_retryable=True
            ) from None
        return PaymentQueried(
            reference=reference, state=answer.state, amount=answer.amount, gateway_txn=answer.txn
        )
