"""A lost payment callback is reconciled soon (the applicant is waiting), then less often."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from config import Settings
from domain.payment import FeeKind, FeeLine, PaymentPurpose, new_dossier_payment

T0 = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def test_the_gateway_is_asked_within_a_minute_then_with_back_off() -> None:
    payment = new_dossier_payment(
        dossier_code="D-1",
        purpose=PaymentPurpose.SUBMISSION,
        lines=[FeeLine("P01", "Phí thẩm định", 50_000, FeeKind.FEE)],
        attempt=1,
        now=T0,
        requested_by="motcua.tnmt",
        online=True,
    )
    every = timedelta(seconds=Settings().payment_query_after_seconds)
    payment.initiated(payment_url="http://gw/pay/1", gateway_txn="GD1", now=T0, query_every=every)
    assert payment.next_attempt_at is not None
    assert payment.next_attempt_at - T0 <= timedelta(minutes=1)
    gaps = []
    now = payment.next_attempt_at
    for _ in range(8):
        payment.still_pending(now)
        gaps.append(payment.next_attempt_at - now)
        now = payment.next_attempt_at
    assert gaps == sorted(gaps) and gaps[-1] > gaps[0]
    assert gaps[-1] <= timedelta(hours=1)
