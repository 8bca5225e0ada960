"""The working time a queue row shows, and its colour: on track, within one working day, or
overdue — counted by the statutory clock's calendar, not by the wall clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from console.queues import TimeLeft, time_left
from domain.calendar import WorkCalendar

DAY = 8 * 60  # office hours 07:30–11:30 and 13:00–17:00


@pytest.mark.parametrize(
    ("minutes", "state", "label"),
    [
        (3 * DAY + 120, "ok", "còn 3 ngày 2 giờ"),
        (DAY + 1, "ok", "còn 1 ngày"),
        (DAY, "warn", "còn 1 ngày"),
        (90, "warn", "còn 1 giờ 30 phút"),
        (0, "warn", "còn 0 phút"),
        (-1, "late", "quá hạn 1 phút"),
        (-(2 * DAY + 180), "late", "quá hạn 2 ngày 3 giờ"),
    ],
)
def test_the_colour_and_the_words(minutes: int, state: str, label: str) -> None:
    left = TimeLeft(minutes, DAY)
    assert (left.state, left.label) == (state, label)


def test_a_dossier_waiting_for_the_applicant_is_paused_whatever_the_time() -> None:
    left = TimeLeft(-DAY, DAY, paused=True)
    assert (left.state, left.label) == ("paused", "tạm dừng (còn 1 ngày)")


def test_a_weekend_does_not_count() -> None:
    cal = WorkCalendar()
    friday_4pm = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)  # 16:00 in Vietnam
    monday_830 = datetime(2026, 12, 7, 1, 30, tzinfo=UTC)  # 08:30 in Vietnam
    left = time_left(cal, friday_4pm, monday_830)
    assert left is not None
    assert (left.minutes, left.state, left.label) == (120, "warn", "còn 2 giờ")
    assert time_left(cal, monday_830, friday_4pm).state == "late"  # type: ignore[union-attr]
    assert time_left(cal, friday_4pm, None) is None
