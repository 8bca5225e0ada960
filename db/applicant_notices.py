"""The applicant's notices in the notification outbox: one row per notice and contact channel,
written in the transaction of the event that causes it, keyed (dossier code, notice key,
channel, recipient) by the outbox's unique constraint: a retried write inserts nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from db.clock_models import Notification
from domain.applicant_notices import APPLICANT, ApplicantNotice, Contact

#: Renders a notice for a channel: (subject, body).
Render = Callable[[ApplicantNotice, str], tuple[str, str]]


async def write_applicant_notice(
    session: AsyncSession,
    code: str,
    notice: ApplicantNotice,
    reach: list[Contact],
    render: Render,
) -> int:
    """Add the notice's outbox rows not written yet; how many were added."""
    if not reach:
        return 0
    taken = set(
        await session.scalars(
            select(col(Notification.channel)).where(
                col(Notification.dossier_code) == code,
                col(Notification.escalation_key) == notice.key,
                col(Notification.recipient) == APPLICANT,
            )
        )
    )
    now = datetime.now(UTC)
    added = 0
    for contact in reach:
        if contact.channel.value in taken:
            continue
        subject, body = render(notice, contact.channel.value)
        session.add(
            Notification(
                dossier_code=code,
                escalation_key=notice.key,
                channel=contact.channel.value,
                recipient=APPLICANT,
                address=contact.address,
                subject=subject,
                body=body,
                created_at=now,
            )
        )
        added += 1
    return added
