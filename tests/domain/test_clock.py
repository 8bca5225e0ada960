"""The statutory clock: working-time arithmetic, the ledger and its explanation."""

import time as stopwatch
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.calendar import CalendarOverride, WorkCalendar, build_calendar
from domain.clock import (
    LedgerEntry,
    LedgerError,
    add_working_time,
    clock_start,
    derive,
    explain,
    format_local,
    next_opening,
    subtract_working_time,
    working_days_to_minutes,
    working_time_between,
)

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
CAL = build_calendar(range(2024, 2029))
DAY = 480  # working minutes in a default working day
PROPERTY = settings(max_examples=150, deadline=None)


def vn(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=HCM)


def start(at: datetime) -> LedgerEntry:
    return LedgerEntry("start", at)


def due_of(
    at: datetime, days: float, cal: WorkCalendar = CAL, cutoff: time | None = None
) -> datetime:
    return derive([start(at)], working_days_to_minutes(days, cal), cal, cutoff).due or at


# --- an independent reference: fixed UTC+7 offset, hard-coded office hours --------------------

PLUS7 = timezone(timedelta(hours=7))
REF_PERIODS = ((7 * 60 + 30, 11 * 60 + 30), (13 * 60, 17 * 60))


def ref_working_day(cal: WorkCalendar, d: date) -> bool:
    if d in cal.working_days:
        return True
    return d.weekday() < 5 and d not in cal.days_off


def ref_add(cal: WorkCalendar, at: datetime, minutes: int) -> datetime:
    """Collect every office period from `at` on and spend the minutes period by period."""
    local = at.astimezone(PLUS7)
    left = timedelta(minutes=minutes)
    day = local.date()
    while True:
        if ref_working_day(cal, day):
            midnight = datetime(day.year, day.month, day.day, tzinfo=PLUS7)
            for open_min, close_min in REF_PERIODS:
                lo = max(midnight + timedelta(minutes=open_min), local)
                hi = midnight + timedelta(minutes=close_min)
                if lo >= hi:
                    continue
                if left == timedelta(0):
                    return lo.astimezone(UTC)
                if left <= hi - lo:
                    return (lo + left).astimezone(UTC)
                left -= hi - lo
        day += timedelta(days=1)


def ref_minute_walk(cal: WorkCalendar, at: datetime, minutes: int) -> datetime:
    """Step one minute at a time (from a whole-minute start) and count office minutes."""
    t = at.astimezone(PLUS7)
    used = 0
    while True:
        if not ref_working_day(cal, t.date()):
            t = datetime(t.year, t.month, t.day, tzinfo=PLUS7) + timedelta(days=1)
            continue
        of_day = t.hour * 60 + t.minute
        if any(lo <= of_day < hi for lo, hi in REF_PERIODS):
            used += 1
            if used == minutes:
                return (t + timedelta(minutes=1)).astimezone(UTC)
        t += timedelta(minutes=1)


# --- strategies ---------------------------------------------------------------------------------

BOUNDARIES = [time(0), time(7, 29), time(7, 30), time(11, 30), time(12), time(13), time(17)]
days_2025_2027 = st.dates(date(2025, 1, 1), date(2027, 9, 30))
moments = st.builds(
    lambda d, t: datetime.combine(d, t, HCM).astimezone(UTC),
    days_2025_2027,
    st.one_of(st.sampled_from(BOUNDARIES), st.times()),
)
minute_moments = st.builds(
    lambda d, h, m: datetime.combine(d, time(h, m), HCM),
    days_2025_2027,
    st.integers(0, 23),
    st.integers(0, 59),
)
terms = st.integers(1, 120).map(lambda halves: halves * DAY // 2)  # 0.5 to 60 working days
work_minutes = st.integers(0, 60 * DAY)
cutoffs = st.none() | st.builds(time, st.integers(8, 16), st.sampled_from([0, 15, 30, 45]))
gaps = st.timedeltas(timedelta(0), timedelta(days=40))


def in_office_hours_or_at_closing(cal: WorkCalendar, moment: datetime) -> bool:
    local = moment.astimezone(HCM)
    return cal.is_working_day(local.date()) and any(
        s < local.time().replace(tzinfo=None) <= e for s, e in cal.office_hours.periods
    )


# --- exact cases --------------------------------------------------------------------------------


def test_tet_2026_three_day_term_from_friday_before_tet() -> None:
    # Fri 13 Feb 10:00-17:00 gives 5.5 h; 14-22 Feb are weekend and Tết; Mon 23 and Tue 24
    # give 16 h; the last 2.5 h end on Wed 25 Feb at 10:00.
    due = due_of(vn(2026, 2, 13, 10), 3)
    assert due == vn(2026, 2, 25, 10)
    assert due.tzinfo is UTC


def test_hung_kings_day_2026_observed_on_monday() -> None:
    # Fri 24 Apr 09:00 gives 6.5 h, Mon 27 Apr is the observed day off, 1.5 h on Tue 28.
    assert due_of(vn(2026, 4, 24, 9), 1) == vn(2026, 4, 28, 9)


def test_national_day_2026_counts_saturday_22_august_and_skips_31_august() -> None:
    # Fri 21 Aug 14:00 gives 3 h, Sat 22 Aug and 24-28 Aug six days, 31 Aug-2 Sep are off,
    # and the last 5 h end on Thu 3 Sep at 14:00.
    assert due_of(vn(2026, 8, 21, 14), 7) == vn(2026, 9, 3, 14)


def test_saturday_26_april_2025_is_worked_for_2_may() -> None:
    assert due_of(vn(2025, 4, 25, 13), 1.5) == vn(2025, 4, 26, 17)
    # Tue 29 Apr is the only working day before Mon 5 May.
    assert due_of(vn(2025, 4, 29, 7, 30), 2) == vn(2025, 5, 5, 17)


def test_admin_extra_day_off_and_make_up_saturday_override_the_package() -> None:
    cal = CAL.with_overrides(
        [
            CalendarOverride(date(2026, 12, 24), "day_off", "Extra day off"),
            CalendarOverride(date(2026, 12, 19), "working_day", "Make-up for 2026-12-24"),
            CalendarOverride(date(2026, 11, 24), "working_day", "Cultural Day worked"),
            CalendarOverride(date(2026, 8, 22), "day_off", "Make-up day cancelled"),
        ]
    )
    assert due_of(vn(2026, 12, 23, 13), 1) == vn(2026, 12, 24, 11, 30)
    assert due_of(vn(2026, 12, 23, 13), 1, cal) == vn(2026, 12, 25, 11, 30)
    assert due_of(vn(2026, 12, 18, 15), 0.5) == vn(2026, 12, 21, 9, 30)
    assert due_of(vn(2026, 12, 18, 15), 0.5, cal) == vn(2026, 12, 19, 9, 30)
    assert due_of(vn(2026, 11, 23, 13), 1) == vn(2026, 11, 25, 11, 30)
    assert due_of(vn(2026, 11, 23, 13), 1, cal) == vn(2026, 11, 24, 11, 30)
    assert due_of(vn(2026, 8, 21, 14), 7, cal) == vn(2026, 9, 4, 14)


def test_receipt_after_the_cutoff_starts_next_working_day() -> None:
    # Tue 24 Nov 2026 is Vietnam Cultural Day, so the next working day is Wed 25 Nov.
    cutoff = time(15)
    assert clock_start(CAL, vn(2026, 11, 23, 15, 10), cutoff) == vn(2026, 11, 25, 7, 30)
    assert due_of(vn(2026, 11, 23, 15, 10), 1, cutoff=cutoff) == vn(2026, 11, 25, 17)
    assert due_of(vn(2026, 11, 23, 15, 10), 1) == vn(2026, 11, 25, 15, 10)
    assert clock_start(CAL, vn(2026, 11, 23, 14, 59), cutoff) == vn(2026, 11, 23, 14, 59)
    assert clock_start(CAL, vn(2026, 11, 23, 15), cutoff) == vn(2026, 11, 25, 7, 30)
    # Before opening on a working day the cut-off has not passed yet.
    assert clock_start(CAL, vn(2026, 11, 23, 6), cutoff) == vn(2026, 11, 23, 7, 30)


def test_receipt_after_closing_on_a_friday_before_holidays() -> None:
    # 31 Aug-2 Sep 2026 off: the clock starts Thursday 3 September.
    assert clock_start(CAL, vn(2026, 8, 28, 17, 30)) == vn(2026, 9, 3, 7, 30)
    assert due_of(vn(2026, 8, 28, 17, 30), 1) == vn(2026, 9, 3, 17)
    # New Year's Day 2027 is a Friday.
    assert clock_start(CAL, vn(2026, 12, 31, 17, 30), time(15)) == vn(2027, 1, 4, 7, 30)


def test_term_used_up_at_closing_is_due_at_closing() -> None:
    assert add_working_time(CAL, vn(2026, 11, 23, 7, 30), 240) == vn(2026, 11, 23, 11, 30)
    assert add_working_time(CAL, vn(2026, 11, 23, 7, 30), DAY) == vn(2026, 11, 23, 17)
    assert add_working_time(CAL, vn(2026, 11, 23, 7, 30), 241) == vn(2026, 11, 23, 13, 1)


def test_half_day_terms() -> None:
    assert working_days_to_minutes(0.5, CAL) == 240
    assert due_of(vn(2026, 11, 23, 9, 30), 0.5) == vn(2026, 11, 23, 15)
    assert due_of(vn(2026, 11, 23, 16), 1.5) == vn(2026, 11, 26, 10, 30)


def test_half_day_procedure_is_done_the_same_day() -> None:
    assert due_of(vn(2026, 11, 23, 7, 30), 0.5) == vn(2026, 11, 23, 11, 30)
    assert due_of(vn(2026, 11, 23, 13), 0.5) == vn(2026, 11, 23, 17)
    assert due_of(vn(2026, 11, 23, 12, 10), 0.5) == vn(2026, 11, 23, 17)


def test_zero_working_time_normalises_to_the_next_opening() -> None:
    assert add_working_time(CAL, vn(2026, 11, 23, 10), 0) == vn(2026, 11, 23, 10)
    assert add_working_time(CAL, vn(2026, 11, 23, 11, 30), 0) == vn(2026, 11, 23, 13)
    assert add_working_time(CAL, vn(2026, 11, 27, 17), 0) == vn(2026, 11, 30, 7, 30)
    assert next_opening(CAL, vn(2026, 11, 23, 7, 30)) == vn(2026, 11, 23, 7, 30)


def test_one_working_day_before_is_the_previous_closing() -> None:
    assert subtract_working_time(CAL, vn(2026, 11, 30, 17), DAY) == vn(2026, 11, 27, 17)
    assert subtract_working_time(CAL, vn(2026, 2, 25, 10), DAY) == vn(2026, 2, 24, 10)
    assert subtract_working_time(CAL, vn(2026, 2, 23, 9, 30), 240) == vn(2026, 2, 13, 15)
    assert subtract_working_time(CAL, vn(2026, 11, 23, 13), 0) == vn(2026, 11, 23, 11, 30)


def test_working_time_between_is_signed() -> None:
    a, b = vn(2026, 2, 13, 10), vn(2026, 2, 25, 10)
    assert working_time_between(CAL, a, b) == timedelta(hours=24)
    assert working_time_between(CAL, b, a) == -timedelta(hours=24)
    assert working_time_between(CAL, vn(2026, 2, 14), vn(2026, 2, 22)) == timedelta(0)


def test_working_days_to_minutes_accepts_half_day_steps_only() -> None:
    assert working_days_to_minutes(15, CAL) == 7200
    assert working_days_to_minutes(Decimal("1.5"), CAL) == 720
    for bad in (0.3, -1, Decimal("NaN")):
        with pytest.raises(ValueError):
            working_days_to_minutes(bad, CAL)


def test_naive_datetimes_are_rejected() -> None:
    with pytest.raises(ValueError):
        add_working_time(CAL, datetime(2026, 11, 23, 9), 60)
    with pytest.raises(LedgerError):
        LedgerEntry("start", datetime(2026, 11, 23, 9))


def test_format_local_is_vietnam_time() -> None:
    assert format_local(datetime(2026, 11, 23, 0, 30, tzinfo=UTC)) == "2026-11-23 07:30"


def test_sixty_working_days_are_computed_quickly() -> None:
    begin = stopwatch.perf_counter()
    for day in range(200):
        add_working_time(CAL, vn(2026, 1, 1) + timedelta(days=day), 60 * DAY)
    assert (stopwatch.perf_counter() - begin) / 200 < 0.002


# --- properties ---------------------------------------------------------------------------------


@PROPERTY
@given(moments, terms, cutoffs)
def test_due_is_inside_office_hours_or_at_closing(
    accepted: datetime, term: int, cutoff: time | None
) -> None:
    started = clock_start(CAL, accepted, cutoff)
    due = add_working_time(CAL, started, term)
    assert started >= accepted
    assert in_office_hours_or_at_closing(CAL, due)
    assert working_time_between(CAL, started, due) == timedelta(minutes=term)


@PROPERTY
@given(moments, work_minutes, work_minutes, gaps)
def test_more_working_time_or_a_later_start_never_gives_an_earlier_due(
    at: datetime, m1: int, m2: int, later: timedelta
) -> None:
    low, high = sorted((m1, m2))
    assert add_working_time(CAL, at, low) <= add_working_time(CAL, at, high)
    assert add_working_time(CAL, at, low) <= add_working_time(CAL, at + later, low)


@settings(max_examples=300, deadline=None)
@given(moments, work_minutes)
def test_add_matches_the_period_walk_reference(at: datetime, minutes: int) -> None:
    assert add_working_time(CAL, at, minutes) == ref_add(CAL, at, minutes)


@settings(max_examples=60, deadline=None)
@given(minute_moments, st.integers(1, 2 * DAY))
def test_add_matches_the_minute_by_minute_reference(at: datetime, minutes: int) -> None:
    assert add_working_time(CAL, at, minutes) == ref_minute_walk(CAL, at, minutes)


@PROPERTY
@given(moments, terms, cutoffs, gaps, gaps)
def test_a_pause_delays_the_due_moment_by_its_working_time(
    accepted: datetime, term: int, cutoff: time | None, until_pause: timedelta, length: timedelta
) -> None:
    paused, resumed = accepted + until_pause, accepted + until_pause + length
    before = derive([start(accepted)], term, CAL, cutoff)
    after = derive(
        [start(accepted), LedgerEntry("pause", paused), LedgerEntry("resume", resumed)],
        term,
        CAL,
        cutoff,
    )
    assert before.due is not None and after.due is not None
    # Only working time after the clock began counts (a dossier received after the cut-off
    # may be paused before its clock starts).
    waited = max(timedelta(0), working_time_between(CAL, max(paused, before.started_at), resumed))
    assert after.paused_working_time == waited
    if paused >= before.due or not waited:
        assert after.due == before.due
    else:
        assert after.due == add_working_time(CAL, before.due, waited)
        assert after.consumed + after.remaining == timedelta(minutes=term)


@PROPERTY
@given(moments, terms, cutoffs, gaps, gaps, st.booleans())
def test_restart_equals_a_fresh_start_at_the_resumption(
    accepted: datetime,
    term: int,
    cutoff: time | None,
    until_pause: timedelta,
    length: timedelta,
    pause_first: bool,
) -> None:
    paused, restarted = accepted + until_pause, accepted + until_pause + length
    ledger = [start(accepted)]
    ledger += [LedgerEntry("pause", paused)] if pause_first else []
    ledger += [LedgerEntry("restart", restarted, basis="Decree 61/2018 Art. 19.4")]
    again = derive(ledger, term, CAL, cutoff)
    fresh = derive([start(restarted)], term, CAL, cutoff)
    assert (again.due, again.started_at, again.remaining) == (
        fresh.due,
        fresh.started_at,
        fresh.remaining,
    )
    assert again.consumed == timedelta(0)


@PROPERTY
@given(moments, st.integers(1, 60 * DAY), st.integers(0, 60 * DAY))
def test_subtract_inverts_add(at: datetime, term: int, back: int) -> None:
    due = add_working_time(CAL, at, term)
    assert subtract_working_time(CAL, due, term) <= at
    assert working_time_between(CAL, subtract_working_time(CAL, due, term), at) == timedelta(0)
    earlier = subtract_working_time(CAL, due, back)
    assert working_time_between(CAL, earlier, due) == timedelta(minutes=back)
    if back:
        assert add_working_time(CAL, earlier, back) == due


@PROPERTY
@given(moments, st.integers(0, 60 * DAY))
def test_subtract_gives_the_earliest_such_instant(end: datetime, minutes: int) -> None:
    earliest = subtract_working_time(CAL, end, minutes)
    assert working_time_between(CAL, earliest, end) == timedelta(minutes=minutes)
    just_before = earliest - timedelta(microseconds=1)
    assert working_time_between(CAL, just_before, end) > timedelta(minutes=minutes)


@PROPERTY
@given(moments, gaps, gaps)
def test_working_time_adds_up_over_consecutive_spans(
    a: datetime, first: timedelta, second: timedelta
) -> None:
    b, c = a + first, a + first + second
    assert working_time_between(CAL, a, b) + working_time_between(CAL, b, c) == (
        working_time_between(CAL, a, c)
    )
    assert working_time_between(CAL, c, a) == -working_time_between(CAL, a, c)


# --- the ledger -------------------------------------------------------------------------------

TERM_15 = 15 * DAY
ACCEPTED = vn(2026, 11, 23, 7, 30)


def test_explanation_names_the_skipped_days() -> None:
    reading = derive([start(ACCEPTED)], TERM_15, CAL)
    assert reading.due == vn(2026, 12, 14, 17)
    assert reading.explanation[0] == "15 working days (120 working hours) from 2026-11-23 07:30"
    assert "skipped 2026-11-24 (Vietnam Cultural Day)" in reading.explanation
    assert "skipped 2026-11-28 and 2026-11-29 (weekend)" in reading.explanation
    assert reading.explanation[-1] == "due 2026-12-14 17:00"


def test_explanation_over_new_year_and_tet() -> None:
    lines = explain([start(vn(2026, 12, 30, 9))], 30 * DAY, CAL, time(15))
    assert "skipped 2027-01-01 (New Year's Day)" in lines
    assert "skipped 2027-02-06 (Lunar New Year)" in lines
    assert "skipped 2027-01-02 and 2027-01-03 (weekend)" in lines


def test_explanation_mentions_late_receipt_and_make_up_day() -> None:
    lines = explain([start(vn(2026, 8, 20, 16))], 8 * DAY, CAL, time(15))
    assert lines[0] == (
        "8 working days (64 working hours) from 2026-08-21 07:30 "
        "(received 2026-08-20 16:00, after the 15:00 cut-off)"
    )
    assert "counted 2026-08-22 as a working day (Make-up working day for 2026-08-31)" in lines
    assert "skipped 2026-08-29 and 2026-08-30 (weekend)" in lines
    assert "skipped 2026-08-31 (Day off (substituted from 08/22/2026))" in lines
    assert "skipped 2026-09-01 and 2026-09-02 (National Day)" in lines
    assert lines[-1] == "due 2026-09-03 17:00"


def test_pause_for_supplement_is_explained_and_moves_the_due_moment() -> None:
    ledger = [
        start(ACCEPTED),
        LedgerEntry("pause", vn(2026, 11, 25, 9), "waiting for supplement", "clerk01"),
        LedgerEntry("resume", vn(2026, 11, 28, 11), actor="clerk01"),
    ]
    reading = derive(ledger, TERM_15, CAL)
    # 2026-11-25 09:00 to the end of Friday 27 is 2 d 6 h 30 min of working time.
    assert reading.paused_working_time == timedelta(minutes=2 * DAY + 390)
    assert reading.due == vn(2026, 12, 17, 15, 30)
    assert reading.original_due == reading.due and reading.rescheduled_due is None
    assert (
        "paused 3 d 2 h (working time 2 d 6 h 30 min) waiting for supplement, by clerk01, "
        "from 2026-11-25 09:00 to 2026-11-28 11:00"
    ) in reading.explanation
    assert reading.explanation[-1] == "due 2026-12-17 15:30"


def test_reading_while_paused_has_no_due_moment() -> None:
    ledger = [start(ACCEPTED), LedgerEntry("pause", vn(2026, 11, 25, 9), "waiting for payment")]
    reading = derive(ledger, TERM_15, CAL, as_of=vn(2026, 11, 26, 9))
    assert reading.paused and reading.due is None and reading.original_due is None
    assert reading.paused_since == vn(2026, 11, 25, 9)
    # Mon 23 (8 h) and Wed 25 07:30-09:00 were used before the pause.
    assert reading.consumed == timedelta(minutes=DAY + 90)
    assert reading.remaining == timedelta(minutes=TERM_15 - DAY - 90)
    assert reading.paused_working_time == timedelta(minutes=DAY)
    assert "paused since 2026-11-25 09:00 waiting for payment" in reading.explanation


def test_pause_after_the_due_moment_does_not_move_it() -> None:
    ledger = [
        start(ACCEPTED),
        LedgerEntry("pause", vn(2026, 12, 15, 9)),
        LedgerEntry("resume", vn(2026, 12, 20, 9)),
    ]
    reading = derive(ledger, TERM_15, CAL, as_of=vn(2026, 12, 21, 7, 30))
    assert reading.due == vn(2026, 12, 14, 17)
    assert reading.remaining == -timedelta(minutes=4 * DAY)


def test_pause_before_the_clock_starts_uses_no_working_time() -> None:
    # Received Thursday 11:30 after an 08:00 cut-off: the clock starts Friday 07:30, so a
    # pause from receipt to Friday 11:30 holds it for 4 working hours, not 8.
    ledger = [
        start(vn(2025, 1, 2, 11, 30)),
        LedgerEntry("pause", vn(2025, 1, 2, 11, 30)),
        LedgerEntry("resume", vn(2025, 1, 3, 11, 30)),
    ]
    reading = derive(ledger, 240, CAL, time(8))
    assert reading.paused_working_time == timedelta(hours=4)
    assert reading.due == vn(2025, 1, 3, 17)
    # Paused and resumed before the clock starts: the cut-off still holds.
    ledger[2] = LedgerEntry("resume", vn(2025, 1, 2, 14))
    reading = derive(ledger, 240, CAL, time(8))
    assert reading.paused_working_time == timedelta(0)
    assert reading.due == vn(2025, 1, 3, 11, 30)


def test_restart_is_explained_with_its_legal_basis() -> None:
    ledger = [
        start(ACCEPTED),
        LedgerEntry("pause", vn(2026, 11, 25, 9), "waiting for supplement", "clerk01"),
        LedgerEntry("restart", vn(2026, 12, 1, 9), basis="Decree 61/2018 Art. 19.4"),
    ]
    reading = derive(ledger, TERM_15, CAL)
    assert reading.started_at == vn(2026, 12, 1, 9)
    assert "restarted from zero on 2026-12-01 09:00 (Decree 61/2018 Art. 19.4)" in (
        reading.explanation
    )
    assert "15 working days (120 working hours) from 2026-12-01 09:00" in reading.explanation
    assert reading.due == add_working_time(CAL, vn(2026, 12, 1, 9), TERM_15)


def test_apology_reschedules_but_keeps_the_original_due_moment() -> None:
    ledger = [
        start(ACCEPTED),
        LedgerEntry(
            "reschedule",
            vn(2026, 12, 10, 10),
            reason="awaiting land survey",
            actor="head01",
            new_due=vn(2026, 12, 18, 17),
        ),
    ]
    reading = derive(ledger, TERM_15, CAL)
    assert reading.due == reading.rescheduled_due == vn(2026, 12, 18, 17)
    assert reading.original_due == vn(2026, 12, 14, 17)
    assert reading.reschedules == 1
    assert any(
        line.startswith("rescheduled by apology to 2026-12-18 17:00")
        for line in (reading.explanation)
    )
    assert reading.explanation[-1] == (
        "due 2026-12-18 17:00 (new appointment; original due 2026-12-14 17:00)"
    )


def test_a_pause_after_an_apology_moves_both_due_moments() -> None:
    ledger = [
        start(ACCEPTED),
        LedgerEntry("reschedule", vn(2026, 12, 10, 10), new_due=vn(2026, 12, 18, 17)),
        LedgerEntry("pause", vn(2026, 12, 11, 7, 30), "waiting for payment"),
        LedgerEntry("resume", vn(2026, 12, 14, 7, 30)),
    ]
    reading = derive(ledger, TERM_15, CAL)
    assert reading.original_due == vn(2026, 12, 15, 17)
    assert reading.due == vn(2026, 12, 21, 17)


@pytest.mark.parametrize(
    "ledger",
    [
        [],
        [LedgerEntry("pause", ACCEPTED)],
        [start(ACCEPTED), start(vn(2026, 11, 24))],
        [
            start(ACCEPTED),
            LedgerEntry("pause", vn(2026, 11, 25)),
            LedgerEntry("pause", vn(2026, 11, 26)),
        ],
        [start(ACCEPTED), LedgerEntry("resume", vn(2026, 11, 25))],
        [start(ACCEPTED), LedgerEntry("pause", vn(2026, 11, 22))],
        [start(ACCEPTED), LedgerEntry("reschedule", vn(2026, 12, 1), new_due=vn(2026, 12, 14, 17))],
        [
            start(ACCEPTED),
            LedgerEntry("reschedule", vn(2026, 12, 1), new_due=vn(2026, 12, 18, 17)),
            LedgerEntry("reschedule", vn(2026, 12, 2), new_due=vn(2026, 12, 25, 17)),
        ],
        [
            start(ACCEPTED),
            LedgerEntry("pause", vn(2026, 11, 25)),
            LedgerEntry("reschedule", vn(2026, 12, 1), new_due=vn(2026, 12, 25, 17)),
        ],
    ],
    ids=[
        "empty",
        "no-start",
        "second-start",
        "pause-while-paused",
        "resume-while-running",
        "out-of-order",
        "reschedule-not-later",
        "second-apology",
        "reschedule-while-paused",
    ],
)
def test_impossible_ledgers_are_rejected(ledger: list[LedgerEntry]) -> None:
    with pytest.raises(LedgerError):
        derive(ledger, TERM_15, CAL)


def test_reschedule_needs_a_new_due_moment() -> None:
    with pytest.raises(LedgerError):
        LedgerEntry("reschedule", ACCEPTED)


def test_ledger_entries_survive_json_shaped_dicts() -> None:
    entry = LedgerEntry("reschedule", ACCEPTED, "r", "a", "b", new_due=vn(2026, 12, 18, 17))
    assert LedgerEntry.from_dict(entry.to_dict()) == entry


def test_explanation_names_holidays_between_a_resumption_and_the_next_opening() -> None:
    from domain.calendar import build_calendar
    from domain.clock import LedgerEntry, explain

    cal = build_calendar([2026])
    start = datetime(2026, 2, 12, 2, 0, tzinfo=UTC)  # Thursday 09:00 local
    entries = [
        LedgerEntry("start", start),
        LedgerEntry("pause", start + timedelta(days=1), "waiting for supplement"),
        LedgerEntry("resume", start + timedelta(days=4)),  # Monday 16 Feb: Tết
    ]
    lines = explain(entries, 15 * 480, cal)
    assert "skipped 2026-02-17 (Lunar New Year)" in lines
