"""The applicant files the land dossier online (code by e-mail, no clerk), pays the
submission fee at the gateway simulator through the link the self-service shows, and the
desk accepts it as any other; Form 01 then prints the look-up code, secret and QR code."""

from __future__ import annotations

import io
import re

import pypdf
from sqlmodel import select

from db.clock_models import Notification
from tests.api.test_applicant_online import files_for
from tests.payments.test_payments_api import CLERK, LAND, act, pay_at_gateway, shown_when
from tests.support.polling import eventually


async def test_the_applicant_files_and_pays_online_and_the_desk_accepts(  # type: ignore[no-untyped-def]
    pay_api, pay_login, sim, sessions
) -> None:
    base = "/api/v1/public/submissions"
    asked = (await pay_api.post(f"{base}/verification", json={"contact": "thu@example.vn"})).json()
    async with sessions() as session:
        row = (
            await session.scalars(
                select(Notification).where(
                    Notification.dossier_code == f"otp-{asked['challenge_id']}"
                )
            )
        ).one()
    code = re.search(r"(\d{6})", row.body)
    assert code
    token = (
        await pay_api.post(
            f"{base}/verification/{asked['challenge_id']}/confirm", json={"code": code.group(1)}
        )
    ).json()["token"]
    filed = await pay_api.post(
        base,
        data={"procedure_code": LAND, "name": "Lê Thị Thu", "id_number": "079190007777"},
        files=files_for("DDK", "NGD", "TKTS"),
        headers={"Authorization": f"Bearer {token}"},
    )
    assert filed.status_code == 201, filed.text
    dossier, secret = filed.json()["code"], filed.json()["lookup_secret"]
    look_up = f"/api/v1/public/dossiers/{dossier}"

    async def public() -> dict:  # type: ignore[type-arg]
        return (await pay_api.get(look_up, params={"secret": secret})).json()

    shown = await eventually(public, lambda d: d["payments"] and d["payments"][0]["payment_url"])
    (fee,) = shown["payments"]
    assert fee["amount"] == 100_000 and fee["state"] == "pending"

    clerk = await pay_login(CLERK)
    refused = await act(pay_api, clerk, dossier, "accept", expect=409)
    assert "not paid yet" in refused["detail"]
    await pay_at_gateway(sim, fee)
    await eventually(public, lambda d: d["payments"][0]["state"] == "paid", what="paid")
    accepted = await act(pay_api, clerk, dossier, "accept")
    assert accepted["status"] == "received"
    await shown_when(pay_api, clerk, dossier, lambda d: d["status"] == "received", "accepted")

    receipt = await pay_api.get(f"/api/v1/dossiers/{dossier}/forms/1.pdf", headers=clerk)
    assert receipt.status_code == 200
    reader = pypdf.PdfReader(io.BytesIO(receipt.content))
    text = re.sub(r"\s+", " ", " ".join(p.extract_text() for p in reader.pages))
    assert dossier in text and secret in text and "tra-cuu" in text
    assert [i for p in reader.pages for i in p.images]  # the QR code of the look-up address
