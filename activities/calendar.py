"""Handing a changed working calendar to every open dossier: each re-derives its due moments
(`DossierWorkflow.calendar_changed`). Runs as an activity of `CalendarChangeWorkflow`, not in
the admin's request, so that a restart of the API loses no dossier; on a retry it resumes
after the last dossier its heartbeat recorded."""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio import activity
from temporalio.client import Client

from db.calendar import load_clock_config
from db.models import Dossier
from db.repository import OPEN_STATUSES
from domain.codes import workflow_id
from messages import CalendarBroadcast

log = logging.getLogger(__name__)

#: Dossiers signalled at once, and per heartbeat.
BATCH = 50


class CalendarActivities:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], client: Client):
        self._sessions = sessions
        self._client = client

    @activity.defn(name="broadcast_calendar")
    async def broadcast(self) -> CalendarBroadcast:
        """Tell every open dossier the calendar as it is now (a dossier ignores a version it
        already has, so a repeat changes nothing)."""
        async with self._sessions() as session:
            config = await load_clock_config(session)
            codes = list(
                await session.scalars(
                    select(col(Dossier.code))
                    .where(col(Dossier.status).in_(OPEN_STATUSES))
                    .order_by(col(Dossier.code))
                )
            )
        done = CalendarBroadcast()
        info = activity.info()
        if info.heartbeat_details:  # a retry: the dossiers before this one were told
            done = CalendarBroadcast(**info.heartbeat_details[0])
        start = done.notified + len(done.failed)

        async def one(code: str) -> str | None:
            try:
                await self._client.get_workflow_handle(workflow_id(code)).signal(
                    "calendar_changed", config
                )
            except Exception as exc:  # a closed workflow has nothing to re-derive
                log.info("calendar change not delivered to %s: %s", code, exc)
                return code
            return None

        for at in range(start, len(codes), BATCH):
            missed = [c for c in await asyncio.gather(*map(one, codes[at : at + BATCH])) if c]
            done.failed.extend(missed)
            done.notified += len(codes[at : at + BATCH]) - len(missed)
            activity.heartbeat({"notified": done.notified, "failed": done.failed})
        return done
