"""Money is never stranded: a CONFIRM for a dossier that has ended, or for a fee already
paid at the desk, is recorded for a refund, acknowledged, and listed for the operator; an
ended dossier shows no payment link."""

from __future__ import annotations

import asyncio

import httpx

from tests.payments.test_payments_api import (
    CLERK,
    TAX_LINES,
    act,
    callbacks_for,
    detail,
    pay_at_gateway,
    pay_fees_and_forward_to_tax,
    payable,
    payment_of,
    submit,
)


async def delivered_confirms(sim: httpx.AsyncClient, reference: str, count: int = 1) -> list:  # type: ignore[type-arg]
    for _ in range(150):
        confirms = [
            c
            for c in await callbacks_for(sim, reference)
            if c["kind"] == "confirm" and c["status_code"]
        ]
        if len(confirms) >= count:
            return confirms
        await asyncio.sleep(0.1)
    raise AssertionError(f"no CONFIRM for {reference} was delivered")


async def refunds(api: httpx.AsyncClient, admin: dict[str, str]) -> list[dict]:  # type: ignore[type-arg]
    response = await api.get("/api/v1/admin/payments/refunds", headers=admin)
    assert response.status_code == 200, response.text
    return response.json()


async def test_money_for_a_withdrawn_dossier_is_recorded_for_a_refund(
    pay_api, pay_login, sim
) -> None:  # type: ignore[no-untyped-def]
    clerk, admin = await pay_login(CLERK), await pay_login("admin")
    submitted = await submit(pay_api, clerk)
    code, secret = submitted["code"], submitted["lookup_secret"]
    fees = await payable(pay_api, clerk, code, f"{code}-P01")
    withdrawn = await act(pay_api, clerk, code, "withdraw", reason="Công dân rút hồ sơ")
    assert withdrawn["status"] == "withdrawn"
    # the applicant's look-up no longer offers the payment link
    public = (
        await pay_api.get(f"/api/v1/public/dossiers/{code}", params={"secret": secret})
    ).json()
    assert [(p["state"], p["payment_url"]) for p in public["payments"]] == [("cancelled", "")]

    await pay_at_gateway(sim, fees)  # the applicant paid on a page still open in the browser
    [confirm] = await delivered_confirms(sim, fees["reference"])
    assert confirm["status_code"] == 200
    again = await pay_api.post("/api/v1/payments/callback", json=confirm["body"])
    assert again.status_code == 200 and again.json()["MoTa"] == "refund"

    listed = [r for r in await refunds(pay_api, admin) if r["dossier_code"] == code]
    assert [(r["reference"], r["reason"], r["amount"]) for r in listed] == [
        (fees["reference"], "dossier_closed", fees["amount"])
    ]
    metrics = (await pay_api.get("/metrics")).text
    assert 'motcua_payment_refunds{state="to_refund"}' in metrics
    assert (await pay_api.get("/api/v1/admin/payments/refunds", headers=clerk)).status_code == 403


async def test_an_online_payment_after_the_desk_took_the_money_is_a_refund(  # type: ignore[no-untyped-def]
    pay_api, pay_login, sim
) -> None:
    clerk, admin = await pay_login(CLERK), await pay_login("admin")
    code = (await submit(pay_api, clerk))["code"]
    await pay_fees_and_forward_to_tax(pay_api, pay_login, sim, code)
    tax = await pay_login("cv.thue")
    asked = await act(pay_api, tax, code, "request-payment", fee_lines=TAX_LINES)
    obligation = await payable(pay_api, tax, code, payment_of(asked, f"{code}-NV01")["reference"])
    paid = await act(pay_api, clerk, code, "pay", note="nộp tiền mặt tại bộ phận một cửa")
    assert payment_of(paid, obligation["reference"])["state"] == "paid"

    await pay_at_gateway(sim, obligation)  # and the applicant paid online as well
    [confirm] = await delivered_confirms(sim, obligation["reference"])
    assert confirm["status_code"] == 200, confirm
    listed = [r for r in await refunds(pay_api, admin) if r["dossier_code"] == code]
    assert [(r["reason"], r["amount"]) for r in listed] == [("double_payment", 3_000_000)]
    shown = await detail(pay_api, clerk, code)
    assert payment_of(shown, obligation["reference"])["settled_by"] == CLERK
