"""Side effects of the feedback clock: a warning or an escalation recorded once on the
feedback and written to the notification outbox for the heads who hear of it."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio import activity

from activities.notifier import Notifier
from db.clock_models import Notification
from db.engine import writing
from db.feedback_models import Feedback
from db.models import Agency, Officer
from db.repository import active_officers
from domain.clock import format_local
from domain.feedback import FeedbackStatus
from messages import FeedbackNotice


class FeedbackActivities:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], notifier: Notifier):
        self._sessions = sessions
        self._notifier = notifier

    @activity.defn(name="record_feedback_notice")
    async def record_notice(self, notice: FeedbackNotice) -> int:
        """Record the warning or escalation of feedback `notice.code` once, with one outbox
        row per head and channel; how many rows were added (0 on a retry or once answered)."""
        now = datetime.now(UTC)
        async with writing(self._sessions) as session:
            feedback = await session.get(Feedback, notice.code, with_for_update=True)
            if feedback is None or feedback.status == FeedbackStatus.ANSWERED.value:
                return 0
            if notice.kind == "warning":
                feedback.warned_at = feedback.warned_at or now
            else:
                feedback.escalated_at = feedback.escalated_at or now
            key = f"feedback-{notice.kind}"
            taken = set(
                await session.execute(
                    select(col(Notification.channel), col(Notification.recipient)).where(
                        col(Notification.dossier_code) == feedback.code,
                        col(Notification.escalation_key) == key,
                    )
                )
            )
            added = 0
            for officer in await self._recipients(session, feedback, notice.kind):
                for channel in self._notifier.channels:
                    if channel not in ("email", "log") or (
                        channel == "email" and not officer.email
                    ):
                        continue
                    if (channel, officer.username) in taken:
                        continue
                    session.add(
                        Notification(
                            dossier_code=feedback.code,
                            escalation_key=key,
                            channel=channel,
                            recipient=officer.username,
                            address=officer.email,
                            subject=self._subject(feedback, notice.kind),
                            body=self._body(feedback, notice.kind, officer),
                            created_at=now,
                        )
                    )
                    added += 1
        if added:
            self._notifier.poke()
        return added

    async def _recipients(
        self, session: AsyncSession, feedback: Feedback, kind: str
    ) -> list[Officer]:
        """A warning reaches the head of the handling agency; an escalation also the head
        of the agency above it."""
        agency = await session.get(Agency, feedback.agency_code)
        usernames = [agency.head_username] if agency and agency.head_username else []
        if kind == "escalation" and agency is not None and agency.parent_code:
            parent = await session.get(Agency, agency.parent_code)
            if parent is not None and parent.head_username:
                usernames.append(parent.head_username)
        return await active_officers(session, usernames)

    @staticmethod
    def _subject(feedback: Feedback, kind: str) -> str:
        what = "sắp hết hạn" if kind == "warning" else "đã quá hạn"
        return f"[Một cửa] Phản ánh, kiến nghị {feedback.code} {what} trả lời"

    @staticmethod
    def _body(feedback: Feedback, kind: str, officer: Officer) -> str:
        what = "sắp hết hạn" if kind == "warning" else "đã quá hạn"
        about = f" về hồ sơ {feedback.dossier_code}" if feedback.dossier_code else ""
        return (
            f"Kính gửi {officer.full_name},\n\n"
            f"Phản ánh, kiến nghị {feedback.code}{about} ({feedback.subject}) {what} trả lời: "
            f"hạn {format_local(feedback.due_at)}.\n"
        )
