"""Feedback and petitions through the API: the applicant files one about their dossier with
the receipt's secret, it goes to the agency at work on the dossier, an officer of that agency
answers, the applicant is notified through the outbox, judges the answer, and the scorecard
counts it handled on time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlmodel import col, select

from db.clock_models import Notification
from db.feedback_models import feedback_records
from domain.indicators import compute_feedback_indicators
from domain.period import Period
from tests.api.test_lifecycle_api import COMPONENTS, LAND, act
from workflows.feedback import FeedbackWorkflow, feedback_workflow_id

WARD = "000.31.25.H29"  # the ward at work on the land dossier; DONRE received it


async def test_feedback_is_routed_answered_notified_and_counted_on_time(  # type: ignore[no-untyped-def]
    api: httpx.AsyncClient, login, sessions, temporal_client
) -> None:
    clerk = await login("motcua.tnmt")
    body = {
        "procedure_code": LAND,
        "channel": 2,
        "pay_online": False,
        "applicant": {"name": "Vũ Thị Hoa", "email": "hoa@example.vn", "phone": "0912345678"},
        "components": COMPONENTS[LAND],
    }
    created = await api.post("/api/v1/dossiers", json=body, headers=clerk)
    assert created.status_code == 201, created.text
    code, secret = created.json()["code"], created.json()["lookup_secret"]
    await act(api, clerk, code, "accept")
    await act(api, clerk, code, "forward")

    filed_body = {"dossier_code": code, "subject": "Chậm trả lời", "content": "Đã quá lâu"}
    wrong = await api.post("/api/v1/public/feedback", params={"secret": "x"}, json=filed_body)
    assert wrong.status_code == 404
    empty = await api.post(
        "/api/v1/public/feedback", params={"secret": secret}, json={**filed_body, "content": " "}
    )
    assert empty.status_code == 422
    filed = await api.post("/api/v1/public/feedback", params={"secret": secret}, json=filed_body)
    assert filed.status_code == 201, filed.text
    feedback = filed.json()
    number = feedback["code"]
    assert feedback["agency_code"] == WARD and feedback["status"] == "open"
    due = datetime.fromisoformat(feedback["due_at"])
    assert due > datetime.fromisoformat(feedback["received_at"]) + timedelta(days=9)

    officer = await login("cc.diachinh")
    listed = await api.get("/api/v1/feedback", headers=officer)
    assert number in [f["code"] for f in listed.json()]
    other = await api.get(
        f"/api/v1/feedback/{number}", headers=clerk
    )  # DONRE received it, does not handle it
    assert other.status_code == 404
    early = await api.post(
        f"/api/v1/public/feedback/{number}/satisfaction",
        params={"secret": secret},
        json={"satisfied": True},
    )
    assert early.status_code == 409

    answered = await api.post(
        f"/api/v1/feedback/{number}/answer",
        json={"answer": "Hồ sơ đã được xử lý, mời ông/bà nhận kết quả."},
        headers=officer,
    )
    assert answered.status_code == 200, answered.text
    assert answered.json()["status"] == "answered" and answered.json()["on_time"] is True
    again = await api.post(
        f"/api/v1/feedback/{number}/answer", json={"answer": "lần hai"}, headers=officer
    )
    assert again.status_code == 409
    handle = temporal_client.get_workflow_handle(feedback_workflow_id(number))
    assert await handle.result() == "on_time"
    assert await handle.query(FeedbackWorkflow.notices) == []

    async with sessions() as session:
        rows = list(
            await session.scalars(
                select(Notification).where(
                    col(Notification.escalation_key) == f"feedback-{number}-answered"
                )
            )
        )
    assert sorted((r.channel, r.address) for r in rows) == [
        ("email", "hoa@example.vn"),
        ("sms", "0912345678"),
    ]
    assert all(r.recipient == "applicant" and r.state == "pending" for r in rows)
    assert "mời ông/bà nhận kết quả" in next(r.body for r in rows if r.channel == "email")

    judged = await api.post(
        f"/api/v1/public/feedback/{number}/satisfaction",
        params={"secret": secret},
        json={"satisfied": True},
    )
    assert judged.status_code == 200 and judged.json()["satisfied"] is True

    now = datetime.now(UTC)
    async with sessions() as session:
        records = await feedback_records(session, agency_codes=[WARD])
    handled, satisfaction = compute_feedback_indicators(
        records, Period(now - timedelta(days=1), now + timedelta(days=1))
    )
    assert number in handled.numerator_codes and number in handled.denominator_codes
    assert number in satisfaction.numerator_codes
