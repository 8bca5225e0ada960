"""Side effects of the statutory clock: the calendar and escalation settings as data for
workflows, recording each warning/escalation once (org chart resolved when it fires), and
delivering the notification outbox through its channels."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection, async_sessionmaker
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio import activity

from activities.notifier import Notifier
from activities.notify import Channel, ChannelDown
from db.calendar import load_clock_config
from db.clock_models import Escalation, Notification
from db.engine import writing
from db.models import Agency, Officer, TimelineEntry, Unit
from db.projection import timeline_line
from db.repository import active_officers, unit_head_at
from db.rows import table_of
from domain.clock import format_local
from domain.statutory import ClockConfig, Timer
from messages import Notice

log = logging.getLogger(__name__)

#: Most notices written by one transaction (group commit, see `record_notice`).
NOTICE_BATCH = 200


def settle(
    done: asyncio.Future[list[int]], ids: list[int] | None = None, error: Exception | None = None
) -> None:
    """Answer a waiting `record_notice` (unless its activity was cancelled meanwhile)."""
    if done.done():
        return
    if error is not None:
        done.set_exception(error)
    else:
        done.set_result(ids or [])


@dataclass(slots=True)
class NoticeRows:
    """The rows of one batch of notices, written in one INSERT per table (Core, not the ORM:
    a deadline storm writes thousands, and an ORM instance per row cost most of the write)."""

    keys: set[tuple[str, str]] = field(default_factory=set)
    escalations: list[dict[str, Any]] = field(default_factory=list)
    timeline: list[dict[str, Any]] = field(default_factory=list)
    notifications: list[dict[str, Any]] = field(default_factory=list)

    async def insert(self, conn: AsyncConnection) -> None:
        for model, rows in (
            (Escalation, self.escalations),
            (TimelineEntry, self.timeline),
            (Notification, self.notifications),
        ):
            if rows:  # the columns left out take the model's defaults (state "pending", …)
                await conn.execute(insert(table_of(model)), rows)


class ClockActivities:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        channels: Sequence[Channel] = (),
        notifier: Notifier | None = None,
    ):
        self._sessions = sessions
        #: sends the outbox; the worker runs it (`async with notifier`), and each recorded
        #: notice wakes it
        self.notifier = notifier or Notifier(sessions, channels)
        self._notices: list[tuple[Notice, asyncio.Future[list[int]]]] = []
        self._writer: asyncio.Task[None] | None = None

    @activity.defn(name="load_clock_config")
    async def load_config(self) -> ClockConfig:
        async with self._sessions() as session:
            return await load_clock_config(session)

    @activity.defn(name="record_notice")
    async def record_notice(self, notice: Notice) -> list[int]:
        """Write the escalation, its timeline line and its notifications once; return the
        ids of notifications still to send.

        Group commit: notices that arrive together (a deadline storm fires thousands in the
        same minute) are written by one transaction, the org chart resolved once per batch.
        Each batch is all-or-nothing, so an escalation already recorded means a retry: only
        its pending notification ids are looked up."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[list[int]] = loop.create_future()
        self._notices.append((notice, done))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_batches())
        return await asyncio.shield(done)

    async def _write_batches(self) -> None:
        while self._notices:
            batch, self._notices = self._notices[:NOTICE_BATCH], self._notices[NOTICE_BATCH:]
            try:
                results = await self._write_batch([notice for notice, _ in batch])
            except Exception as exc:
                if len(batch) == 1:
                    settle(batch[0][1], error=exc)
                    continue
                # one bad notice must not fail the others (nor their retries, batched with
                # it again): write each on its own, so that only its own activity fails
                log.warning("notice batch of %d failed (%s); writing one by one", len(batch), exc)
                for notice, done in batch:
                    try:
                        (ids,) = await self._write_batch([notice])
                    except Exception as own:
                        settle(done, error=own)
                    else:
                        settle(done, ids)
                        self.notifier.poke()
                continue
            for (_, done), ids in zip(batch, results, strict=True):
                settle(done, ids)
            if any(results):
                self.notifier.poke()

    async def _write_batch(self, notices: list[Notice]) -> list[list[int]]:
        keys = [(n.code, n.timer.key) for n in notices]
        async with writing(self._sessions) as session:
            found = await session.execute(
                select(col(Escalation.dossier_code), col(Escalation.key)).where(
                    tuple_(col(Escalation.dossier_code), col(Escalation.key)).in_(keys)
                )
            )
            recorded = {(code, key) for code, key in found}
            rows = NoticeRows()
            recipients: dict[tuple[object, ...], list[Officer]] = {}
            for notice in notices:
                key = (notice.code, notice.timer.key)
                if key in recorded or key in rows.keys:
                    continue
                timer = notice.timer
                chart = (
                    notice.code if timer.step_index is None else "",
                    timer.kind,
                    timer.level,
                    timer.unit_code,
                    timer.agency_code,
                    timer.assignee,
                )
                if chart not in recipients:
                    recipients[chart] = await self._recipients(
                        session, notice.code, timer, notice.event.at
                    )
                self._write_notice(rows, notice, recipients[chart])
            await rows.insert(await session.connection())
            pending: dict[tuple[str, str], list[int]] = {}
            found = await session.execute(
                select(
                    col(Notification.dossier_code),
                    col(Notification.escalation_key),
                    col(Notification.id),
                )
                .where(
                    tuple_(col(Notification.dossier_code), col(Notification.escalation_key)).in_(
                        keys
                    ),
                    col(Notification.state) == "pending",
                )
                .order_by(col(Notification.id))
            )
            for code, escalation_key, notification_id in found:
                if notification_id is not None:
                    pending.setdefault((code, escalation_key), []).append(notification_id)
        return [pending.get(key, []) for key in keys]

    def _write_notice(self, rows: NoticeRows, notice: Notice, recipients: list[Officer]) -> None:
        """A new escalation, its timeline line and one notification per recipient and channel
        (none of them can exist yet: they are written in the escalation's transaction)."""
        timer, event = notice.timer, notice.event
        rows.keys.add((notice.code, timer.key))
        first = recipients[0] if recipients else None
        names = ", ".join(r.full_name for r in recipients) or "nobody (no head named)"
        rows.escalations.append(
            {
                "dossier_code": notice.code,
                "key": timer.key,
                "kind": timer.kind,
                "level": timer.level,
                "step_index": timer.step_index,
                "unit_code": timer.unit_code,
                "agency_code": timer.agency_code,
                "recipient_username": first.username if first else "",
                "recipient_name": first.full_name if first else "",
                "due_at": timer.due_at,
                "fired_at": event.at,
                "note": event.note,
            }
        )
        rows.timeline.append(timeline_line(notice.code, event, f"{event.note} → {names}"))
        subject = self._subject(notice)
        now = datetime.now(UTC)
        for officer in recipients:
            for channel in self.notifier.channels:
                if channel == "email" and not officer.email:
                    continue
                if channel == "sms":
                    continue  # the org chart has no officer's phone: SMS is the applicant's
                rows.notifications.append(
                    {
                        "dossier_code": notice.code,
                        "escalation_key": timer.key,
                        "channel": channel,
                        "recipient": officer.username,
                        "address": officer.email,
                        "subject": subject,
                        "body": self._body(notice, officer),
                        "created_at": now,
                    }
                )

    @activity.defn(name="send_notifications")
    async def send_notifications(self, ids: list[int]) -> int:
        """Send what is still pending of `ids`; a channel that is down raises and the activity
        is retried (messages already sent are not sent again). Dossier workflows that issued
        their notices before the notifier sent the outbox by itself still call this."""
        swept = await self.notifier.sweep(ids, due_only=False)
        if swept.failures:
            raise ChannelDown(
                f"{len(swept.failures)} notification(s) not delivered: {swept.failures[0]}"
            )
        return swept.sent

    # ------------------------------------------------------------------ org chart

    async def _recipients(
        self, session: AsyncSession, code: str, timer: Timer, at: datetime
    ) -> list[Officer]:
        """Who the timer reaches, from the org chart as it is when it fires (`at`): a unit's
        head is its acting head while a delegation runs."""
        usernames: list[str] = []
        unit = await session.get(Unit, timer.unit_code) if timer.unit_code else None
        agency = await session.get(Agency, timer.agency_code) if timer.agency_code else None
        if timer.kind == "warning":
            if unit is not None:
                # the officer holding the step and the unit head, not every officer of the
                # unit; a step nobody took is the unit's, and its head hears of it
                if timer.assignee:
                    usernames.append(timer.assignee)
                head = await unit_head_at(session, unit, at)
                if head:
                    usernames.append(head)
            elif timer.step_index is None:
                from db.models import Dossier

                dossier = await session.get(Dossier, code)
                owner = await session.get(Agency, dossier.agency_code) if dossier else None
                if dossier is not None and dossier.current_unit_code:
                    current = await session.get(Unit, dossier.current_unit_code)
                    head = await unit_head_at(session, current, at) if current else None
                    if head:
                        usernames.append(head)
                elif owner is not None and owner.head_username:
                    usernames.append(owner.head_username)
        elif timer.level == 1 and unit is not None:
            if timer.assignee:
                usernames.append(timer.assignee)
            head = await unit_head_at(session, unit, at)
            if head:
                usernames.append(head)
        elif timer.level == 2 and agency is not None and agency.head_username:
            usernames.append(agency.head_username)
        elif timer.level >= 3 and agency is not None:
            parent = await session.get(Agency, agency.parent_code) if agency.parent_code else None
            head = (parent or agency).head_username
            if head:
                usernames.append(head)
        return await active_officers(session, usernames)

    @staticmethod
    def _subject(notice: Notice) -> str:
        timer = notice.timer
        if timer.kind == "warning":
            return f"[motcua] Hồ sơ {notice.code}: còn 1 ngày làm việc"
        return f"[motcua] Hồ sơ {notice.code} quá hạn — chuyển cấp {timer.level}"

    @staticmethod
    def _body(notice: Notice, officer: Officer) -> str:
        due = format_local(notice.timer.due_at) if notice.timer.due_at else "-"
        return (
            f"Kính gửi {officer.full_name},\n\n"
            f"Hồ sơ {notice.code} ({notice.procedure_name}).\n"
            f"{notice.event.note}\nHạn xử lý: {due}\n"
        )
