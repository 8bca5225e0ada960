"""The working calendar: Vietnamese holidays, make-up working days and admin overrides."""

import json
from datetime import date, time

import pytest

from domain.calendar import CalendarOverride, OfficeHours, WorkCalendar, build_calendar

CAL = build_calendar([2025, 2026, 2027])


def test_default_office_hours_are_eight_hours_on_weekdays() -> None:
    hours = OfficeHours()
    assert hours.minutes_per_day == 480
    assert hours.weekdays == (0, 1, 2, 3, 4)
    assert OfficeHours(periods=((time(8, 0), time(12, 0)),)).minutes_per_day == 240


@pytest.mark.parametrize(
    "periods",
    [
        (),
        ((time(11, 0), time(8, 0)),),
        ((time(7, 30), time(11, 30)), (time(11, 0), time(17, 0))),
        ((time(7, 30, 15), time(11, 30)),),
    ],
)
def test_office_hours_reject_impossible_periods(periods: tuple[tuple[time, time], ...]) -> None:
    with pytest.raises(ValueError):
        OfficeHours(periods=periods)


def test_tet_2026_is_off_from_16_to_20_february() -> None:
    for day in range(16, 21):
        assert not CAL.is_working_day(date(2026, 2, day))
    assert CAL.day_off_name(date(2026, 2, 17)) == "Lunar New Year"
    assert CAL.is_working_day(date(2026, 2, 13))
    assert CAL.is_working_day(date(2026, 2, 23))


def test_hung_kings_day_2026_on_a_sunday_is_observed_on_monday() -> None:
    assert CAL.day_off_name(date(2026, 4, 26)) == "Hung Kings' Commemoration Day"
    assert not CAL.is_working_day(date(2026, 4, 27))
    assert "Hung Kings" in (CAL.day_off_name(date(2026, 4, 27)) or "")


def test_national_day_2026_swaps_31_august_with_saturday_22_august() -> None:
    for day in (date(2026, 8, 31), date(2026, 9, 1), date(2026, 9, 2)):
        assert not CAL.is_working_day(day)
    assert CAL.is_working_day(date(2026, 8, 22))
    assert CAL.working_days[date(2026, 8, 22)] == "Make-up working day for 2026-08-31"
    assert CAL.day_off_name(date(2026, 8, 22)) is None


def test_2025_labour_day_bridge_is_worked_on_saturday_26_april() -> None:
    assert not CAL.is_working_day(date(2025, 5, 2))
    assert CAL.is_working_day(date(2025, 4, 26))
    assert CAL.working_days[date(2025, 4, 26)] == "Make-up working day for 2025-05-02"


def test_only_make_up_days_of_the_requested_years_are_kept() -> None:
    assert build_calendar([2026]).working_days == {
        date(2026, 8, 22): "Make-up working day for 2026-08-31"
    }


def test_ordinary_weekend_is_named_weekend() -> None:
    assert CAL.day_off_name(date(2026, 11, 28)) == "weekend"
    assert CAL.day_off_name(date(2026, 11, 27)) is None


def test_overrides_win_over_the_package() -> None:
    cal = build_calendar(
        [2026],
        overrides=[
            CalendarOverride(date(2026, 12, 24), "day_off", "Extra day off (Decision 1/QD)"),
            CalendarOverride(date(2026, 12, 19), "working_day", "Make-up for 2026-12-24"),
            CalendarOverride(date(2026, 11, 24), "working_day", "Cultural Day worked"),
            CalendarOverride(date(2026, 8, 22), "day_off", "Make-up day cancelled"),
        ],
    )
    assert not cal.is_working_day(date(2026, 12, 24))
    assert cal.day_off_name(date(2026, 12, 24)) == "Extra day off (Decision 1/QD)"
    assert cal.is_working_day(date(2026, 12, 19))
    assert cal.is_working_day(date(2026, 11, 24))
    assert not cal.is_working_day(date(2026, 8, 22))
    assert cal.day_off_name(date(2026, 8, 22)) == "Make-up day cancelled"


def test_later_override_for_the_same_day_wins() -> None:
    cal = CAL.with_overrides(
        [
            CalendarOverride(date(2026, 12, 24), "day_off", "off"),
            CalendarOverride(date(2026, 12, 24), "working_day", "on after all"),
        ]
    )
    assert cal.is_working_day(date(2026, 12, 24))
    assert CAL.is_working_day(date(2026, 12, 24))  # the original is untouched


def test_working_days_win_over_days_off_in_hand_made_data() -> None:
    day = date(2026, 12, 24)
    cal = WorkCalendar(days_off={day: "off"}, working_days={day: "on"})
    assert cal.is_working_day(day)


def test_calendar_survives_json() -> None:
    cal = build_calendar(
        [2026],
        overrides=[CalendarOverride(date(2026, 12, 19), "working_day", "Make-up")],
        office_hours=OfficeHours(
            periods=((time(8, 0), time(12, 0)), (time(13, 30), time(17, 30))),
            weekdays=(0, 1, 2, 3, 4, 5),
        ),
    )
    again = WorkCalendar.from_dict(json.loads(json.dumps(cal.to_dict())))
    assert again == cal
    assert again.tz == "Asia/Ho_Chi_Minh"
    assert again.covers(date(2026, 5, 1)) and not again.covers(date(2027, 5, 1))


def test_unknown_override_kind_is_rejected() -> None:
    with pytest.raises(ValueError):
        CalendarOverride(date(2026, 1, 2), "holiday", "x")  # type: ignore[arg-type]
