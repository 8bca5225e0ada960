"""Online payment through the API and the real gateway simulator: the simulator's callbacks
reach the API over HTTP. Forged and mismatched callbacks are refused and change nothing, a
duplicate is recorded once, a dropped callback is recovered through QUERY, and a land
dossier crosses three agencies with its fee and a tax obligation paid online."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.polling import eventually

LAND = "1.004227"  # 100 000 đồng at submission; ward → land office → tax → land department
CLERK = "motcua.tnmt"
TAX_LINES = [
    {"code": "TNCN", "name": "Thuế thu nhập cá nhân", "amount": 2_500_000},
    {"code": "LPTB", "name": "Lệ phí trước bạ", "amount": 500_000},
]
Json = dict[str, Any]


async def submit(api: httpx.AsyncClient, headers: dict[str, str], **extra: Any) -> Json:
    body = {
        "procedure_code": LAND,
        "channel": 2,  # online: every component handed in electronically, fees paid online
        "applicant": {"name": "Lê Thị Thu", "id_number": "079190007777"},
        "components": ["DDK", "NGD", "TKTS"],
        **extra,
    }
    response = await api.post("/api/v1/dossiers", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def detail(api: httpx.AsyncClient, headers: dict[str, str], code: str) -> Json:
    response = await api.get(f"/api/v1/dossiers/{code}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def shown_when(api, headers, code, check, what: str) -> Json:  # type: ignore[no-untyped-def]
    """The dossier's detail once `check` accepts it."""
    return await eventually(lambda: detail(api, headers, code), check, what=f"{code}: {what}")


def payment_of(shown: Json, reference: str) -> Json:
    return next(p for p in shown["payments"] if p["reference"] == reference)


async def payable(api, headers, code, reference: str) -> Json:  # type: ignore[no-untyped-def]
    """The payment once the gateway has given it an address."""
    shown = await shown_when(
        api, headers, code, lambda d: payment_of(d, reference)["payment_url"], "INIT"
    )
    return payment_of(shown, reference)


async def act(api, headers, code, action, expect=200, **body):  # type: ignore[no-untyped-def]
    response = await api.post(
        f"/api/v1/dossiers/{code}/actions/{action}", json=body, headers=headers
    )
    assert response.status_code == expect, response.text
    return response.json()


async def pay_at_gateway(sim: httpx.AsyncClient, payment: Json, outcome: str = "paid") -> None:
    txn = payment["payment_url"].rsplit("/", 1)[1]
    response = await sim.post(f"/gateway/pay/{txn}/complete", params={"outcome": outcome})
    assert response.status_code == 200, response.text


async def callbacks_for(sim: httpx.AsyncClient, reference: str) -> list[Json]:
    log = (await sim.get("/_sim/callbacks")).json()
    return [entry for entry in log if entry["MaThamChieu"] == reference]


async def pay_fees_and_forward_to_tax(pay_api, pay_login, sim, code: str) -> None:  # type: ignore[no-untyped-def]
    """Pay the submission fee online, accept, and forward the land dossier to the tax step."""
    clerk = await pay_login(CLERK)
    fees = await payable(pay_api, clerk, code, f"{code}-P01")
    await pay_at_gateway(sim, fees)
    await shown_when(
        pay_api, clerk, code, lambda d: d["payments"][0]["state"] == "paid", "fee payment"
    )
    await act(pay_api, clerk, code, "accept")
    await act(pay_api, clerk, code, "forward")
    for username in ("cc.diachinh", "cv.vpdk"):
        await act(pay_api, await pay_login(username), code, "forward")


async def test_land_dossier_with_a_tax_obligation_paid_online(pay_api, pay_login, sim) -> None:  # type: ignore[no-untyped-def]
    clerk = await pay_login(CLERK)
    submitted = await submit(pay_api, clerk)
    code = submitted["code"]
    [fees] = submitted["payments"]
    assert (fees["amount"], fees["purpose"], fees["online"]) == (100_000, "submission", True)
    assert fees["reference"] == f"{code}-P01"
    fees = await payable(pay_api, clerk, code, fees["reference"])

    public = (
        await pay_api.get(
            f"/api/v1/public/dossiers/{code}", params={"secret": submitted["lookup_secret"]}
        )
    ).json()
    assert public["payments"][0]["payment_url"] == fees["payment_url"]
    assert public["payments"][0]["amount"] == 100_000

    refused = await act(pay_api, clerk, code, "accept", expect=409)
    assert "not paid yet" in refused["detail"]

    await pay_fees_and_forward_to_tax(pay_api, pay_login, sim, code)

    tax = await pay_login("cv.thue")
    before = await detail(pay_api, tax, code)
    assert before["steps"][2]["current"] and before["steps"][2]["unit_code"] == "H29.22.TB"
    asked = await act(pay_api, tax, code, "request-payment", fee_lines=TAX_LINES)
    assert (asked["status"], asked["portal_code"]) == ("awaiting_payment", 6)
    obligation = payment_of(asked, f"{code}-NV01")
    assert obligation["amount"] == 3_000_000 and obligation["state"] == "pending"
    assert [line["kind"] for line in obligation["lines"]] == ["obligation", "obligation"]
    obligation = await payable(pay_api, tax, code, obligation["reference"])

    await pay_at_gateway(sim, obligation)
    back = await shown_when(pay_api, tax, code, lambda d: d["status"] == "processing", "pay")
    assert payment_of(back, obligation["reference"])["state"] == "paid"
    # the applicant's waiting time is not counted (its exact size: tests/workflows)
    assert back["due_at"] >= before["due_at"]
    clock = (await pay_api.get(f"/api/v1/dossiers/{code}/deadline", headers=tax)).json()
    assert [e["kind"] for e in clock["ledger"]][-2:] == ["pause", "resume"]

    await act(pay_api, tax, code, "forward")
    resolved = await act(
        pay_api,
        await pay_login("cv.qldd"),
        code,
        "resolve",
        result_kind="approval",
        result_summary="Cấp Giấy chứng nhận số CS 000777",
    )
    assert resolved["status"] == "resolved"
    returned = await act(pay_api, clerk, code, "deliver")
    assert returned["status"] == "returned"
    assert [p["state"] for p in returned["payments"]] == ["paid", "paid"]
    assert all(p["online"] for p in returned["payments"])
    actions = [t["action"] for t in returned["timeline"]]
    assert actions.count("payment") == 1 and actions.count("pay") == 1
    assert "request-payment" in actions


async def test_forged_and_mismatched_callbacks_are_refused_and_change_nothing(
    pay_api, pay_login, sim
) -> None:  # type: ignore[no-untyped-def]
    clerk = await pay_login(CLERK)
    code = (await submit(pay_api, clerk))["code"]
    fees = await payable(pay_api, clerk, code, f"{code}-P01")
    before = await detail(pay_api, clerk, code)

    expected = {"checksum": 400, "amount": 409, "reference": 404, "currency": 400}
    for tamper, status in expected.items():
        sent = await sim.post(
            "/_sim/forge", json={"MaThamChieu": fees["reference"], "tamper": tamper}
        )
        assert sent.status_code == 200, sent.text
        assert sent.json()["status_code"] == status, (tamper, sent.json())

    # the refusal is a problem document with the reason, straight from the endpoint too
    forged = (
        await sim.post("/_sim/forge", json={"MaThamChieu": fees["reference"], "tamper": "amount"})
    ).json()["body"]
    response = await pay_api.post("/api/v1/payments/callback", json=forged)
    assert response.status_code == 409
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["reason"] == "amount_mismatch"
    garbage = await pay_api.post("/api/v1/payments/callback", content=b"not json")
    assert garbage.status_code == 400

    after = await detail(pay_api, clerk, code)
    assert after["payments"] == before["payments"]
    assert after["timeline"] == before["timeline"]
    assert after["status"] == "submitted"


async def test_duplicate_callback_is_recorded_once(pay_api, pay_login, sim) -> None:  # type: ignore[no-untyped-def]
    clerk = await pay_login(CLERK)
    code = (await submit(pay_api, clerk))["code"]
    fees = await payable(pay_api, clerk, code, f"{code}-P01")
    await sim.post("/_sim/callbacks", json={"mode": "duplicate", "count": 1})
    await pay_at_gateway(sim, fees)

    async def confirms() -> list[Json]:
        return [c for c in await callbacks_for(sim, fees["reference"]) if c["kind"] == "confirm"]

    delivered = await eventually(
        confirms,
        lambda shown: len(shown) == 2 and all(c["status_code"] for c in shown),
        what="both callbacks answered",
    )
    assert [c["status_code"] for c in delivered] == [200, 200]
    shown = await shown_when(
        pay_api, clerk, code, lambda d: d["payments"][0]["state"] == "paid", "payment"
    )
    again = await pay_api.post("/api/v1/payments/callback", json=delivered[0]["body"])
    assert again.status_code == 200 and again.json()["MoTa"] == "duplicate"
    shown = await detail(pay_api, clerk, code)
    assert [t["action"] for t in shown["timeline"]].count("payment") == 1
    assert (
        len(shown["payments"]) == 1
        and shown["payments"][0]["gateway_txn"] == delivered[0]["MaGiaoDich"]
    )


async def test_lost_callback_is_recovered_through_query(pay_api, pay_login, sim) -> None:  # type: ignore[no-untyped-def]
    clerk = await pay_login(CLERK)
    code = (await submit(pay_api, clerk))["code"]
    fees = await payable(pay_api, clerk, code, f"{code}-P01")
    await sim.post("/_sim/callbacks", json={"mode": "drop"})
    await pay_at_gateway(sim, fees)
    assert [c["delivery"] for c in await callbacks_for(sim, fees["reference"])] == ["dropped"]
    shown = await shown_when(
        pay_api, clerk, code, lambda d: d["payments"][0]["state"] == "paid", "reconciliation"
    )
    assert shown["payments"][0]["settled_by"] == "query"
    accepted = await act(pay_api, clerk, code, "accept")
    assert accepted["status"] == "received"


async def test_obligation_amounts_are_checked(pay_api, pay_login) -> None:  # type: ignore[no-untyped-def]
    clerk = await pay_login(CLERK)
    code = (await submit(pay_api, clerk, pay_online=False))["code"]
    await act(pay_api, clerk, code, "accept")
    await act(pay_api, clerk, code, "forward")
    ward = await pay_login("cc.diachinh")
    for lines, field in (
        ([], "fee_lines"),
        ([{"code": "X", "name": "Thuế", "amount": 0}], "fee_lines.0.amount"),
        ([{"code": "X", "name": "Thuế", "amount": 1.5}], "fee_lines.0.amount"),
        ([{"code": "X", "name": "Thuế", "amount": 10, "kind": "tip"}], "fee_lines.0.kind"),
        (
            [{"code": "X", "name": "A", "amount": 1}, {"code": "X", "name": "B", "amount": 2}],
            "fee_lines",
        ),
    ):
        problem = await act(pay_api, ward, code, "request-payment", expect=422, fee_lines=lines)
        assert problem["errors"][0]["field"] == field, (lines, problem)
    assert (await detail(pay_api, ward, code))["status"] == "processing"
