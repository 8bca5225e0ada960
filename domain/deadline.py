"""Due moments of a dossier and of its steps. The one place the workflow asks for them.

Placeholder until the statutory clock lands: counts Monday–Friday working days of 8 hours
(07:30–11:30, 13:00–17:00, Asia/Ho_Chi_Minh) with no holidays."""

from __future__ import annotations

from datetime import datetime, timedelta

LOCAL_OFFSET = timedelta(hours=7)


def due_moment(start: datetime, term_days: float) -> datetime:
    """The moment `term_days` Monday–Friday working days after `start` (UTC in, UTC out)."""
    local = start + LOCAL_OFFSET
    day = local.date()
    while day.weekday() >= 5:
        day += timedelta(days=1)
    remaining = int(term_days * 2)  # half days
    while remaining > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            remaining -= 2
    end = datetime.combine(day, local.time(), tzinfo=start.tzinfo)
    if remaining < 0:  # a half day left over
        end -= timedelta(hours=4)
    return end - LOCAL_OFFSET
