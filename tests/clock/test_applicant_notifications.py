"""The applicant's notices go through the outbox to the real SMTP server (aiosmtpd on
loopback) and the SMS gateway simulator (a real HTTP process): each arrives once, also after
both channels were down, and a retried projection of the same event writes nothing twice."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from sqlmodel import col, select

from activities.notifier import Notifier, backoff
from activities.notify import EmailChannel, SmsChannel
from activities.projection import ProjectionActivities
from db.clock_models import Notification
from db.models import TimelineEntry
from domain.codes import workflow_id
from domain.dossier import DossierEvent
from domain.lifecycle import Status
from messages import Projection
from tests.clock.test_notifier import mails_about, rows_of, smtp_sink
from tests.support.polling import eventually
from tests.support.processes import free_port, start_http_service
from workflows.dossier import DossierWorkflow

SMS_KEY = "test-sms-key"
PHONE = "0903123456"


async def a_dossier_with_contacts(api: httpx.AsyncClient, login) -> tuple[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    clerk = await login("motcua.tnmt")
    body = {
        "procedure_code": "1.004227",
        "channel": 2,
        "pay_online": False,
        "applicant": {"name": "Lê Thị Thu", "email": "thu@example.vn", "phone": PHONE},
        "components": ["DDK", "NGD", "TKTS"],
    }
    response = await api.post("/api/v1/dossiers", json=body, headers=clerk)
    assert response.status_code == 201, response.text
    return response.json()["code"], clerk


async def applicant_rows(sessions, code: str) -> list[Notification]:  # type: ignore[no-untyped-def]
    return [r for r in await rows_of(sessions, code) if r.recipient == "applicant"]


async def test_reception_reaches_the_applicant_once_by_mail_and_sms_after_an_outage(  # type: ignore[no-untyped-def]
    api, login, sessions, temporal_client
) -> None:
    code, clerk = await a_dossier_with_contacts(api, login)
    accepted = await api.post(f"/api/v1/dossiers/{code}/actions/accept", json={}, headers=clerk)
    assert accepted.status_code == 200, accepted.text
    rows = await eventually(
        lambda: applicant_rows(sessions, code), within=20, every=0.1, what="the notices"
    )
    assert sorted(r.channel for r in rows) == ["email", "sms"]
    assert {r.escalation_key for r in rows} == {rows[0].escalation_key}
    ids = [r.id for r in rows if r.id is not None]

    sms_port, smtp_port = free_port(), free_port()
    with start_http_service(
        ["simulators.sms", "--port", str(sms_port), "--api-key", SMS_KEY], sms_port
    ) as sms:
        async with httpx.AsyncClient(base_url=sms.base_url) as gateway:
            assert (await gateway.post("/_sim/down", json={"down": True})).status_code == 200
            clock = [datetime.now(UTC)]
            notifier = Notifier(
                sessions,
                [
                    EmailChannel("127.0.0.1", smtp_port, "motcua@example.gov.vn", timeout=2),
                    SmsChannel(sms.base_url, SMS_KEY, timeout=2),
                ],
                now=lambda: clock[0],
            )
            down = await notifier.sweep(ids)  # no SMTP server, the SMS gateway down
            assert down.sent == 0 and down.failures and len(down.failures) == 2
            assert all(r.state == "pending" for r in await applicant_rows(sessions, code))

            await gateway.post("/_sim/down", json={"down": False})
            with smtp_sink(smtp_port) as inbox:
                clock[0] += backoff(1)
                assert (await notifier.sweep(ids)).sent == 2

                # the projection of the same event again (an activity retry): nothing new
                state = await temporal_client.get_workflow_handle(workflow_id(code)).query(
                    DossierWorkflow.current
                )
                event = await accept_event(sessions, code)
                await ProjectionActivities(sessions).record(Projection(state=state, event=event))
                after = await applicant_rows(sessions, code)
                assert [r.id for r in after] == ids
                clock[0] += backoff(5)
                # (other tests' dossiers share the outbox: sweep this dossier's rows only)
                assert (await notifier.sweep(ids)).sent == 0

            texts = (await gateway.get("/_sim/inbox", params={"to": PHONE})).json()
    mails = mails_about(inbox, code)
    assert len(mails) == 1 and "Ngày hẹn trả kết quả" in mails[0]
    about = [t for t in texts if code in t["text"]]
    assert len(about) == 1 and "da duoc tiep nhan" in about[0]["text"]


async def accept_event(sessions, code: str) -> DossierEvent:  # type: ignore[no-untyped-def]
    async with sessions() as session:
        line = await session.scalar(
            select(TimelineEntry).where(
                col(TimelineEntry.dossier_code) == code, col(TimelineEntry.action) == "accept"
            )
        )
    assert line is not None
    return DossierEvent(
        seq=line.seq,
        action=line.action,
        actor=line.actor,
        actor_name=line.actor_name,
        at=line.at,
        from_status=Status(line.from_status),
        to_status=Status(line.to_status),
        step_index=line.step_index,
        note=line.note,
    )


async def test_officers_escalations_do_not_go_by_sms(  # type: ignore[no-untyped-def]
    api, login, sessions, settings
) -> None:
    from activities.clock import ClockActivities
    from tests.clock.test_notifications import a_dossier, escalation_notice
    from worker import build_notifier

    code = await a_dossier(api, login)
    notifier = build_notifier(settings, sessions)
    assert "sms" in notifier.channels
    await ClockActivities(sessions, notifier=notifier).record_notice(escalation_notice(code, 2))
    rows = await rows_of(sessions, code)
    assert rows and "sms" not in {r.channel for r in rows}
