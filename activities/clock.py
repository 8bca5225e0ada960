"""Side effects of the statutory clock: the calendar and escalation settings as data for
workflows, recording each warning/escalation once (org chart resolved when it fires), and
delivering the notification outbox through its channels."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio import activity

from activities.notify import Channel, ChannelDown, Message
from activities.projection import record_timeline
from db.clock_models import CalendarOverrideRecord, Escalation, Notification
from db.models import Agency, Officer, Unit
from domain.calendar import CalendarOverride, build_calendar
from domain.clock import format_local
from domain.statutory import ClockConfig, Timer
from workflows.shared import Notice

log = logging.getLogger(__name__)

#: Holiday data is loaded for this many years around today: terms of 60 working days that
#: start late in a year end early in the next.
YEARS_BACK, YEARS_AHEAD = 1, 3


async def load_clock_config(session: AsyncSession, today: date | None = None) -> ClockConfig:
    """Calendar (holidays + admin overrides) and escalation settings, as workflow data."""
    today = today or datetime.now(UTC).date()
    overrides = [
        CalendarOverride(day=o.day, kind=o.kind, name=o.name)  # type: ignore[arg-type]
        for o in await session.scalars(
            select(CalendarOverrideRecord).order_by(CalendarOverrideRecord.day)
        )
    ]
    years = range(today.year - YEARS_BACK, today.year + YEARS_AHEAD + 1)
    calendar = build_calendar(years, overrides)
    every = {a.code: a.escalation_every_days for a in await session.scalars(select(Agency))}
    version = ";".join(f"{o.day}:{o.kind}" for o in overrides) + f"|{years.start}-{years.stop}"
    return ClockConfig(calendar=calendar.to_dict(), escalation_every_days=every, version=version)


class ClockActivities:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], channels: Sequence[Channel]):
        self._sessions = sessions
        self._channels = {c.name: c for c in channels}

    @activity.defn(name="load_clock_config")
    async def load_config(self) -> ClockConfig:
        async with self._sessions() as session:
            return await load_clock_config(session)

    @activity.defn(name="record_notice")
    async def record_notice(self, notice: Notice) -> list[int]:
        """Write the escalation, its timeline line and its notifications once; return the
        ids of notifications still to send."""
        timer, event = notice.timer, notice.event
        async with self._sessions() as session, session.begin():
            recipients = await self._recipients(session, notice.code, timer)
            existing = await session.scalar(
                select(Escalation).where(
                    Escalation.dossier_code == notice.code, Escalation.key == timer.key
                )
            )
            first = recipients[0] if recipients else None
            if existing is None:
                session.add(
                    Escalation(
                        dossier_code=notice.code,
                        key=timer.key,
                        kind=timer.kind,
                        level=timer.level,
                        step_index=timer.step_index,
                        unit_code=timer.unit_code,
                        agency_code=timer.agency_code,
                        recipient_username=first.username if first else "",
                        recipient_name=first.full_name if first else "",
                        due_at=timer.due_at,
                        fired_at=event.at,
                        note=event.note,
                    )
                )
            names = ", ".join(r.full_name for r in recipients) or "nobody (no head named)"
            await record_timeline(session, notice.code, event, f"{event.note} → {names}")
            await session.flush()
            subject = self._subject(notice)
            for officer in recipients:
                for channel in self._channels:
                    if channel == "email" and not officer.email:
                        continue
                    row = await session.scalar(
                        select(Notification).where(
                            Notification.dossier_code == notice.code,
                            Notification.escalation_key == timer.key,
                            Notification.channel == channel,
                            Notification.recipient == officer.username,
                        )
                    )
                    if row is None:
                        session.add(
                            Notification(
                                dossier_code=notice.code,
                                escalation_key=timer.key,
                                channel=channel,
                                recipient=officer.username,
                                address=officer.email,
                                subject=subject,
                                body=self._body(notice, officer),
                                created_at=datetime.now(UTC),
                            )
                        )
            await session.flush()
            pending = await session.scalars(
                select(Notification.id).where(
                    Notification.dossier_code == notice.code,
                    Notification.escalation_key == timer.key,
                    Notification.state == "pending",
                )
            )
            return [i for i in pending if i is not None]

    @activity.defn(name="send_notifications")
    async def send_notifications(self, ids: list[int]) -> int:
        """Send what is still pending; a channel that is down raises and is retried."""
        sent, failures = 0, []
        for notification_id in ids:
            async with self._sessions() as session, session.begin():
                row = await session.get(Notification, notification_id, with_for_update=True)
                if row is None or row.state == "sent":
                    continue
                channel = self._channels.get(row.channel)
                if channel is None:
                    continue
                message = Message(row.recipient, row.address, row.subject, row.body)
                try:
                    await channel.send(message)
                except ChannelDown as exc:
                    row.attempts += 1
                    row.last_error = str(exc)[:500]
                    failures.append(str(exc))
                    continue
                row.state = "sent"
                row.attempts += 1
                row.sent_at = datetime.now(UTC)
                sent += 1
        if failures:
            raise ChannelDown(f"{len(failures)} notification(s) not delivered: {failures[0]}")
        return sent

    # ------------------------------------------------------------------ org chart

    async def _recipients(self, session: AsyncSession, code: str, timer: Timer) -> list[Officer]:
        """Who the timer reaches, from the org chart as it is now."""
        usernames: list[str] = []
        unit = await session.get(Unit, timer.unit_code) if timer.unit_code else None
        agency = await session.get(Agency, timer.agency_code) if timer.agency_code else None
        if timer.kind == "warning":
            if unit is not None:
                officers = await session.scalars(
                    select(Officer.username).where(
                        Officer.unit_code == unit.code, Officer.role == "officer", Officer.active
                    )
                )
                usernames += list(officers)
                if unit.head_username:
                    usernames.append(unit.head_username)
            elif timer.step_index is None:
                from db.models import Dossier

                dossier = await session.get(Dossier, code)
                owner = await session.get(Agency, dossier.agency_code) if dossier else None
                if dossier is not None and dossier.current_unit_code:
                    current = await session.get(Unit, dossier.current_unit_code)
                    if current is not None and current.head_username:
                        usernames.append(current.head_username)
                elif owner is not None and owner.head_username:
                    usernames.append(owner.head_username)
        elif timer.level == 1 and unit is not None and unit.head_username:
            usernames.append(unit.head_username)
        elif timer.level == 2 and agency is not None and agency.head_username:
            usernames.append(agency.head_username)
        elif timer.level >= 3 and agency is not None:
            parent = await session.get(Agency, agency.parent_code) if agency.parent_code else None
            head = (parent or agency).head_username
            if head:
                usernames.append(head)
        officers = []
        for username in dict.fromkeys(usernames):
            officer = await session.get(Officer, username)
            if officer is not None and officer.active:
                officers.append(officer)
        return officers

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
