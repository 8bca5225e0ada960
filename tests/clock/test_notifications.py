"""Warnings and escalations are recorded once and delivered over real SMTP (aiosmtpd on
loopback); a channel that is down keeps the notification pending and loses nothing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from email import message_from_string, policy
from email.message import EmailMessage

import httpx
import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select
from sqlmodel import col

from activities.clock import ClockActivities
from activities.notify import ChannelDown, EmailChannel, LogChannel
from db.clock_models import Escalation, Notification
from db.models import TimelineEntry
from domain.dossier import DossierEvent
from domain.lifecycle import Status
from domain.statutory import Timer
from messages import Notice
from tests.support.processes import free_port


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]  # noqa: N802
        self.messages.append((list(envelope.rcpt_tos), envelope.content.decode("utf8", "replace")))
        return "250 OK"


async def a_dossier(api: httpx.AsyncClient, login) -> str:  # type: ignore[no-untyped-def]
    body = {
        "procedure_code": "1.004227",
        "channel": 2,
        "pay_online": False,  # fees at the desk; online payment: tests/payments
        "applicant": {"name": "Trương Văn Đức"},
        "components": ["DDK", "NGD"],
    }
    response = await api.post("/api/v1/dossiers", json=body, headers=await login("motcua.tnmt"))
    assert response.status_code == 201, response.text
    return response.json()["code"]


def escalation_notice(code: str, level: int) -> Notice:
    now = datetime.now(UTC)
    timer = Timer(
        key=f"step0-a1-t1-escalation-{level}",
        kind="escalation",
        at=now,
        level=level,
        step_index=0,
        unit_code="H29.31.DC",
        agency_code="000.31.25.H29",
        due_at=now,
    )
    event = DossierEvent(
        seq=100 + level,
        action="escalation",
        actor="system",
        actor_name="motcua",
        at=now,
        from_status=Status.PROCESSING,
        to_status=Status.PROCESSING,
        step_index=0,
        note="step 1 overdue",
    )
    return Notice(code=code, procedure_name="Đăng ký đất đai", timer=timer, event=event)


@pytest.mark.parametrize(
    ("level", "expected"), [(1, "pct.bennghe"), (2, "ct.bennghe"), (3, "ct.tinh")]
)
async def test_ladder_reaches_the_heads_named_by_the_org_chart(  # type: ignore[no-untyped-def]
    api, login, sessions, level: int, expected: str
) -> None:
    code = await a_dossier(api, login)
    activities = ClockActivities(sessions, channels=[LogChannel()])
    notice = escalation_notice(code, level)
    first = await activities.record_notice(notice)
    again = await activities.record_notice(notice)  # a retried activity
    assert first == again and len(first) == 1
    async with sessions() as session:
        rows = list(
            await session.scalars(select(Escalation).where(Escalation.dossier_code == code))
        )
        assert [(r.level, r.recipient_username) for r in rows] == [(level, expected)]
        lines = await session.scalar(
            select(func.count())
            .select_from(TimelineEntry)
            .where(TimelineEntry.dossier_code == code, TimelineEntry.action == "escalation")
        )
        assert lines == 1


async def test_email_over_smtp_with_a_channel_down_and_back(api, login, sessions) -> None:  # type: ignore[no-untyped-def]
    code = await a_dossier(api, login)
    port = free_port()
    email = EmailChannel("127.0.0.1", port, "motcua@example.gov.vn", timeout=2)
    activities = ClockActivities(sessions, channels=[email])
    ids = await activities.record_notice(escalation_notice(code, 1))
    assert len(ids) == 1
    with pytest.raises(ChannelDown):  # nobody listens yet: the activity would retry
        await activities.send_notifications(ids)
    async with sessions() as session:
        row = await session.get(Notification, ids[0])
        assert row is not None and row.state == "pending" and row.attempts == 1
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        assert await activities.send_notifications(ids) == 1
        assert await activities.send_notifications(ids) == 0  # a retry sends nothing twice
    finally:
        controller.stop()
    assert len(inbox.messages) == 1
    recipients, content = inbox.messages[0]
    assert recipients == ["pct.bennghe@example.gov.vn"]
    mail = message_from_string(content, policy=policy.default)
    assert isinstance(mail, EmailMessage)
    assert mail["Subject"] == f"[motcua] Hồ sơ {code} quá hạn — chuyển cấp 1"
    body = mail.get_body()
    assert body is not None and f"Hồ sơ {code} (Đăng ký đất đai)" in body.get_content()
    async with sessions() as session:
        row = await session.get(Notification, ids[0])
        assert row is not None and row.state == "sent" and row.sent_at is not None


async def test_a_storm_of_notices_is_written_together_and_each_once(api, login, sessions) -> None:  # type: ignore[no-untyped-def]
    """Notices arriving at once share transactions (group commit); duplicates among them
    (retried activities) and repeats afterwards write nothing twice, and each caller gets its
    own notice's pending notifications."""
    codes = [await a_dossier(api, login) for _ in range(3)]
    activities = ClockActivities(sessions, channels=[LogChannel()])
    notices = [escalation_notice(code, level) for code in codes for level in (1, 2)]
    results = await asyncio.gather(
        *(activities.record_notice(n) for n in [*notices, notices[0], notices[3]])
    )
    assert results[-2] == results[0] and results[-1] == results[3]
    assert await activities.record_notice(notices[1]) == results[1]
    async with sessions() as session:
        escalations = (
            await session.execute(
                select(Escalation.dossier_code, Escalation.level, Escalation.recipient_username)
                .where(col(Escalation.dossier_code).in_(codes))
                .order_by(col(Escalation.dossier_code), col(Escalation.level))
            )
        ).all()
        heads = ((1, "pct.bennghe"), (2, "ct.bennghe"))
        assert [tuple(r) for r in escalations] == [
            (code, level, head) for code in codes for level, head in heads
        ]
        for notice, ids in zip(notices, results, strict=False):
            assert len(ids) == 1
            row = await session.get(Notification, ids[0])
            assert row is not None
            assert (row.dossier_code, row.escalation_key) == (notice.code, notice.timer.key)
        lines = await session.scalar(
            select(func.count())
            .select_from(TimelineEntry)
            .where(col(TimelineEntry.dossier_code).in_(codes), TimelineEntry.action == "escalation")
        )
        assert lines == len(notices)


async def test_a_bad_notice_fails_alone_not_the_batch_it_arrived_with(api, login, sessions) -> None:  # type: ignore[no-untyped-def]
    code = await a_dossier(api, login)
    activities = ClockActivities(sessions, channels=[LogChannel()])
    good, bad = escalation_notice(code, 1), escalation_notice("NO-SUCH-DOSSIER", 1)
    results = await asyncio.gather(
        activities.record_notice(good), activities.record_notice(bad), return_exceptions=True
    )
    assert isinstance(results[1], Exception)  # no such dossier: its activity fails and retries
    assert isinstance(results[0], list) and len(results[0]) == 1
    async with sessions() as session:
        assert (
            await session.scalar(
                select(func.count()).select_from(Escalation).where(Escalation.dossier_code == code)
            )
            == 1
        )


@pytest.mark.parametrize(
    ("kind", "level", "assignee", "expected"),
    [
        ("warning", 0, "cc.diachinh", {"cc.diachinh", "pct.bennghe"}),
        ("warning", 0, "", {"pct.bennghe"}),  # nobody took the step: the unit head hears of it
        ("escalation", 1, "cc.diachinh", {"cc.diachinh", "pct.bennghe"}),
        ("escalation", 2, "cc.diachinh", {"ct.bennghe"}),
    ],
)
async def test_warnings_reach_the_officer_holding_the_step_and_the_unit_head(  # type: ignore[no-untyped-def]
    api, login, sessions, kind: str, level: int, assignee: str, expected: set[str]
) -> None:
    code = await a_dossier(api, login)
    activities = ClockActivities(sessions, channels=[LogChannel()])
    notice = escalation_notice(code, level)
    timer = Timer(
        key=f"step0-a1-t1-{kind}-{level}-{assignee}",
        kind=kind,  # type: ignore[arg-type]
        at=notice.timer.at,
        level=level,
        step_index=0,
        unit_code="H29.31.DC",
        agency_code="000.31.25.H29",
        due_at=notice.timer.due_at,
        assignee=assignee,
    )
    await activities.record_notice(Notice(code, notice.procedure_name, timer, notice.event))
    async with sessions() as session:
        sent = set(
            await session.scalars(
                select(Notification.recipient).where(
                    Notification.dossier_code == code, Notification.escalation_key == timer.key
                )
            )
        )
    assert sent == expected
