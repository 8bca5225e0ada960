"""Keeps the read model in step with each dossier workflow: the dossier row, its steps and
its timeline, written in one transaction. Idempotent: a retried or replayed write of an
event already recorded changes nothing, and an older snapshot never overwrites a newer one."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio import activity

from activities.notifier import Notifier
from activities.notify import NoticeTemplates
from config import NOTIFICATION_TEMPLATES
from db.applicant_notices import write_applicant_notice
from db.document_repository import write_digitization
from db.engine import writing
from db.payment_repository import write_payments
from db.portal_outbox import enqueue_event
from db.projection import new_row, record_timeline, update_row, write_steps
from db.rows import LastWritten
from domain.applicant_notices import contacts, notice_for
from messages import Projection


class ProjectionActivities:
    """Writes the read model and, in the same transaction, the dossier's portal outbox records;
    then tells `on_enqueued` (the worker's `PortalWaker`) that the dossier has records to send.
    It never talks to the portal, nor to Temporal, so neither can slow a clerk's action."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        on_enqueued: Callable[[str, str], None] | None = None,
        templates: NoticeTemplates | None = None,
        notifier: Notifier | None = None,
        remembered: int = LastWritten.CAPACITY,
    ):
        self._sessions = sessions
        self._on_enqueued = on_enqueued
        #: the child rows this worker wrote at each dossier's last event (`db.rows.LastWritten`),
        #: for the `remembered` dossiers it projected last
        self._written = LastWritten(capacity=remembered)
        #: the applicant's notices are rendered from these and written to the outbox with
        #: the event; the notifier (when this process runs one) is woken to send them
        self._templates = templates or NoticeTemplates(NOTIFICATION_TEMPLATES)
        self._notifier = notifier

    @activity.defn(name="project_dossier")
    async def record(self, projection: Projection) -> None:
        state, event = projection.state, projection.event
        sections = self._written.sections(state.code, state.seq)
        async with writing(self._sessions) as session:
            written = await update_row(session, state)  # False: the row holds a newer state
            if written is None:
                session.add(new_row(state))
                await session.flush()  # the dossier row before the rows that refer to it
            if written is not False:
                await write_steps(session, state, sections)
                await write_digitization(session, state, sections)
                await write_payments(session, state, sections)
            await record_timeline(session, state.code, event)
            await enqueue_event(session, state, event)
            notice = notice_for(state, event)
            noticed = 0
            if notice is not None:
                noticed = await write_applicant_notice(
                    session, state.code, notice, contacts(state.applicant), self._templates.render
                )
        if written is not False:
            self._written.remember(state.code, state.seq, sections)
        if noticed and self._notifier is not None:
            self._notifier.poke()
        if self._on_enqueued is not None:
            # after the commit: the records the sync workflow will look for are visible
            self._on_enqueued(state.code, event.action)
