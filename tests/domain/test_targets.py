"""The province's targets: the seeded table, which targets apply, the assessment (met, gap,
how many more dossiers), and the forecast of a running month's on-time rate."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.calendar import build_calendar
from domain.indicators import Scorecard, compute_indicators, open_at
from domain.outcomes import AgencyLevel, OutcomeRecord, Verdict
from domain.period import VIETNAM_TZ, Period
from domain.scorecard import (
    DIGITIZED,
    ELECTRONIC_RESULT,
    ON_TIME,
    ONLINE_PAYMENT,
    ONLINE_SUBMISSION,
    REUSED,
    SATISFACTION,
    SYNCED,
)
from domain.targets import (
    DEFAULT_TARGETS,
    Assessment,
    Target,
    assess,
    forecast,
    more_needed,
    working_day_window,
)
from tests.support.outcome_records import (
    NOVEMBER,
    POPULATION_MONTH,
    known_population,
    make_record,
    populations,
)

PROPERTY = settings(max_examples=150, deadline=None)
DAY = timedelta(days=1)
HOUR = timedelta(hours=1)


# --- the seeded table ----------------------------------------------------------------------


def _seeded(indicator: str, level: AgencyLevel | None) -> list[float]:
    return sorted(
        t.minimum for t in DEFAULT_TARGETS if t.indicator == indicator and t.level == level
    )


@pytest.mark.parametrize(
    ("indicator", "level", "minimums"),
    [
        (SYNCED, None, [1.0]),
        (ON_TIME, None, [0.98, 0.995]),  # Decision 1191's floor and Plan 3372
        (DIGITIZED, None, [0.8]),
        (ONLINE_SUBMISSION, AgencyLevel.DEPARTMENT, [0.6]),
        (ONLINE_SUBMISSION, AgencyLevel.DISTRICT, [0.5]),
        (ONLINE_PAYMENT, AgencyLevel.DEPARTMENT, [0.5]),
        (ONLINE_PAYMENT, AgencyLevel.DISTRICT, [0.45]),
        (SATISFACTION, None, [0.95]),
        (ELECTRONIC_RESULT, None, []),
        (REUSED, None, []),
    ],
)
def test_the_seeded_targets_are_ho_chi_minh_citys(
    indicator: str, level: AgencyLevel | None, minimums: list[float]
) -> None:
    assert _seeded(indicator, level) == minimums


def test_every_seeded_target_says_where_it_comes_from() -> None:
    assert all("3372" in t.source or "1191" in t.source for t in DEFAULT_TARGETS)
    floor = next(t for t in DEFAULT_TARGETS if "1191" in t.source)
    assert floor.sector is None  # in every field
    assert floor.applies(Period.year(2025), AgencyLevel.COMMUNE, "dat-dai")
    assert not floor.applies(Period.year(2026), AgencyLevel.COMMUNE, "dat-dai")
    plan = next(t for t in DEFAULT_TARGETS if "3372" in t.source)
    assert not plan.applies(Period.year(2023), AgencyLevel.DISTRICT, None)


def test_a_target_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(ValueError):
        Target(ON_TIME, 99.5, "percent by mistake")


@pytest.mark.parametrize(
    ("target", "level", "sector", "applies"),
    [
        (Target(ON_TIME, 0.9, "all"), AgencyLevel.COMMUNE, None, True),
        (Target(ON_TIME, 0.9, "d", level=AgencyLevel.DISTRICT), AgencyLevel.DISTRICT, None, True),
        (Target(ON_TIME, 0.9, "d", level=AgencyLevel.DISTRICT), AgencyLevel.COMMUNE, None, False),
        (Target(ON_TIME, 0.9, "field", sector="dat-dai"), AgencyLevel.DISTRICT, "dat-dai", True),
        (Target(ON_TIME, 0.9, "field", sector="dat-dai"), AgencyLevel.DISTRICT, "ho-tich", False),
        (Target(ON_TIME, 0.9, "field", sector="dat-dai"), AgencyLevel.DISTRICT, None, False),
        (Target(ON_TIME, 0.9, "any field"), AgencyLevel.DISTRICT, "ho-tich", True),
        (Target(ON_TIME, 0.9, "later", valid_from=NOVEMBER.end), AgencyLevel.DISTRICT, None, False),
        (
            Target(ON_TIME, 0.9, "from mid-month", valid_from=NOVEMBER.start + 14 * DAY),
            AgencyLevel.DISTRICT,
            None,
            True,
        ),
        (Target(ON_TIME, 0.9, "ended", valid_to=NOVEMBER.start), AgencyLevel.DISTRICT, None, False),
    ],
)
def test_which_targets_apply(
    target: Target, level: AgencyLevel, sector: str | None, applies: bool
) -> None:
    assert target.applies(NOVEMBER, level, sector) is applies


# --- how many more dossiers ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("numerator", "denominator", "minimum", "more"),
    [
        (0, 10, 1.0, 10),  # a 100 % target: every missing one
        (9, 10, 1.0, 1),
        (9, 10, 0.95, 1),  # 9.5 rounds up to 10
        (995, 1000, 0.995, 0),  # exactly at the target, no float slip
        (994, 1000, 0.995, 1),
        (3890, 3950, 0.995, 41),  # 3,930.25 → 3,931
        (3, 4, 0.5, 0),  # above the target
        (1, 3, 0.667, 2),
        (0, 0, 0.9, 0),
    ],
)
def test_more_needed_is_the_smallest_number_that_meets_the_target(
    numerator: int, denominator: int, minimum: float, more: int
) -> None:
    assert more_needed(numerator, denominator, minimum) == more


@PROPERTY
@given(st.integers(1, 5000), st.data(), st.integers(0, 1000))
def test_more_needed_is_enough_and_one_fewer_is_not(
    denominator: int, data: st.DataObject, per_mille: int
) -> None:
    numerator = data.draw(st.integers(0, denominator))
    minimum = per_mille / 1000
    k = more_needed(numerator, denominator, minimum)
    target = Fraction(per_mille, 1000)
    assert 0 <= k <= denominator - numerator
    assert Fraction(numerator + k, denominator) >= target
    if k > 0:
        assert Fraction(numerator + k - 1, denominator) < target


# --- assessment ------------------------------------------------------------------------------


def _card(on_time: int, late: int) -> Scorecard:
    records = [
        make_record(f"ok-{i}", verdict=Verdict.EARLY, ended_at=NOVEMBER.start + DAY)
        for i in range(on_time)
    ] + [
        make_record(f"late-{i}", verdict=Verdict.LATE, ended_at=NOVEMBER.start + DAY)
        for i in range(late)
    ]
    return compute_indicators(records, NOVEMBER)


def _on_time_assessments(on_time: int, late: int, targets: list[Target]) -> list[Assessment]:
    card = _card(on_time, late)
    return [a for a in assess(card, targets, AgencyLevel.DISTRICT) if a.indicator == ON_TIME]


@pytest.mark.parametrize(
    ("on_time", "late", "minimum", "met", "gap", "more"),
    [
        (199, 1, 0.995, True, 0.0, 0),  # 99.5 % exactly
        (198, 2, 0.995, False, 0.005, 1),
        (90, 10, 0.98, False, 0.08, 8),
        (0, 5, 1.0, False, 1.0, 5),
        (5, 0, 1.0, True, 0.0, 0),
    ],
)
def test_assess_says_met_the_gap_and_how_many_more(
    on_time: int, late: int, minimum: float, met: bool, gap: float, more: int
) -> None:
    [assessment] = _on_time_assessments(on_time, late, [Target(ON_TIME, minimum, "test")])
    assert (assessment.met, assessment.more_needed) == (met, more)
    assert assessment.gap == pytest.approx(gap)
    assert assessment.minimum == minimum


def test_a_metric_with_nothing_counted_is_not_judged() -> None:
    [assessment] = _on_time_assessments(0, 0, [Target(ON_TIME, 0.9, "test")])
    assert (assessment.met, assessment.gap, assessment.more_needed) == (None, None, None)


def test_several_targets_of_one_indicator_are_each_assessed_strictest_first() -> None:
    year = [Target(ON_TIME, 0.98, "floor"), Target(ON_TIME, 0.995, "plan")]
    floor_then_plan = _on_time_assessments(99, 1, year)
    assert [(a.target.source, a.met) for a in floor_then_plan] == [
        ("plan", False),
        ("floor", True),
    ]


def test_targets_for_another_level_or_field_are_left_out() -> None:
    card = _card(9, 1)
    targets = [
        Target(ON_TIME, 0.9, "department", level=AgencyLevel.DEPARTMENT),
        Target(ON_TIME, 0.9, "land", sector="dat-dai"),
    ]
    assert assess(card, targets, AgencyLevel.DISTRICT) == []
    [land] = assess(card, targets, AgencyLevel.DISTRICT, "dat-dai")
    assert land.target.source == "land" and land.met


#: (indicator, minimum): (met, gap, more) for the known population, a district, November 2025.
EXPECTED_DISTRICT = {
    (SYNCED, 1.0): (False, 40 / 4000, 40),
    (ON_TIME, 0.995): (False, 0.995 - 3890 / 3950, 41),
    (ON_TIME, 0.98): (True, 0.0, 0),
    (ONLINE_SUBMISSION, 0.5): (True, 0.0, 0),
    (ONLINE_PAYMENT, 0.45): (False, 0.05, 50),
    (DIGITIZED, 0.8): (False, 0.1, 305),
    (SATISFACTION, 0.95): (False, 0.05, 31),
}


def test_the_population_gives_exactly_the_expected_target_gaps_for_a_district() -> None:
    card = compute_indicators(known_population(), POPULATION_MONTH)
    assessments = assess(card, DEFAULT_TARGETS, AgencyLevel.DISTRICT)
    assert [(a.indicator, a.minimum) for a in assessments] == list(EXPECTED_DISTRICT)
    for a in assessments:
        met, gap, more = EXPECTED_DISTRICT[(a.indicator, a.minimum)]
        assert (a.met, a.more_needed) == (met, more), a.indicator
        assert a.gap == pytest.approx(gap, abs=1e-12), a.indicator


def test_a_department_is_held_to_the_higher_online_targets() -> None:
    card = compute_indicators(known_population(), POPULATION_MONTH)
    online = {
        a.indicator: (a.minimum, a.met, a.more_needed)
        for a in assess(card, DEFAULT_TARGETS, AgencyLevel.DEPARTMENT)
        if a.indicator in (ONLINE_SUBMISSION, ONLINE_PAYMENT)
    }
    assert online == {ONLINE_SUBMISSION: (0.6, False, 200), ONLINE_PAYMENT: (0.5, False, 100)}


def test_after_decision_1191_ends_only_plan_3372_judges_on_time() -> None:
    a_year_later = Period.between(date(2026, 11, 1), date(2026, 11, 30))
    card = compute_indicators(known_population(), a_year_later)
    minimums = [a.minimum for a in assess(card, DEFAULT_TARGETS, AgencyLevel.DISTRICT)]
    assert 0.98 not in minimums


# --- forecast --------------------------------------------------------------------------------

NOW = NOVEMBER.start + 15 * DAY


def _open(code: str, due: datetime, verdict: Verdict = Verdict.IN_PROGRESS) -> OutcomeRecord:
    return make_record(code, due_at=due, verdict=verdict, unit_codes=("P1",), officers=("an",))


def _month_so_far() -> list[OutcomeRecord]:
    return [
        make_record("done-early", verdict=Verdict.EARLY, ended_at=NOVEMBER.start + 5 * DAY),
        make_record("done-late", verdict=Verdict.LATE, ended_at=NOVEMBER.start + 6 * DAY),
        _open("safe", NOVEMBER.start + 25 * DAY),
        _open("due-in-20h", NOW + 20 * HOUR),
        _open("due-in-10h", NOW + 10 * HOUR),
        _open("overdue", NOVEMBER.start + 12 * DAY, Verdict.OVERDUE),
        make_record("withdrawn", verdict=Verdict.NOT_JUDGED, withdrawn=True, status="withdrawn"),
        make_record("last-month", verdict=Verdict.EARLY, ended_at=NOVEMBER.start - DAY),
    ]


def test_the_forecast_lists_the_dossiers_that_decide_the_month() -> None:
    outlook = forecast(_month_so_far(), NOVEMBER, NOW)
    assert [r.code for r in outlook.at_risk] == ["overdue", "due-in-10h", "due-in-20h"]
    assert outlook.deciding == ("due-in-10h", "due-in-20h")
    assert outlook.lost == ("overdue",)
    assert outlook.at_risk[1].hours_left == pytest.approx(10)
    assert outlook.at_risk[0].officers == ("an",)
    assert (outlook.ended, outlook.ended_on_time, outlook.open_safe) == (2, 1, 1)
    assert outlook.ratio_if_all_late == pytest.approx(2 / 6)
    assert outlook.ratio_if_all_on_time == pytest.approx(4 / 6)


@pytest.mark.parametrize(("minimum", "allowed"), [(0.3, 2), (0.5, 1), (0.6, 0), (0.9, None)])
def test_the_forecast_says_how_many_may_still_end_late(minimum: float, allowed: int | None) -> None:
    assert forecast(_month_so_far(), NOVEMBER, NOW).late_allowed(minimum) == allowed


def test_the_warning_window_is_a_parameter() -> None:
    outlook = forecast(_month_so_far(), NOVEMBER, NOW, warning=12 * HOUR)
    assert outlook.deciding == ("due-in-10h",)
    assert outlook.open_safe == 2


def test_the_warning_window_can_be_one_working_day_on_the_calendar() -> None:
    calendar = build_calendar([2026])
    friday_afternoon = datetime(2026, 11, 13, 15, tzinfo=VIETNAM_TZ)
    monday_morning = datetime(2026, 11, 16, 9, tzinfo=VIETNAM_TZ)  # 66 h away, 1 working day
    tuesday_noon = datetime(2026, 11, 17, 12, tzinfo=VIETNAM_TZ)
    records = [_open("monday", monday_morning), _open("tuesday", tuesday_noon)]
    window = working_day_window(calendar, friday_afternoon)
    assert forecast(records, NOVEMBER, friday_afternoon, warning=window).deciding == ("monday",)
    assert forecast(records, NOVEMBER, friday_afternoon).deciding == ()


def test_a_dossier_due_after_the_period_ends_does_not_decide_it() -> None:
    near_end = NOVEMBER.end - 6 * HOUR
    outlook = forecast([_open("next-month", NOVEMBER.end + 2 * HOUR)], NOVEMBER, near_end)
    assert (outlook.at_risk, outlook.open_safe) == ((), 1)


@PROPERTY
@given(populations, st.integers(0, 30 * 24))
def test_the_forecast_brackets_the_outcome(records: list[OutcomeRecord], hour: int) -> None:
    now = NOVEMBER.start + timedelta(hours=hour)
    outlook = forecast(records, NOVEMBER, now)
    if outlook.denominator:
        assert outlook.ratio_if_all_late is not None and outlook.ratio_if_all_on_time is not None
        assert 0 <= outlook.ratio_if_all_late <= outlook.ratio_if_all_on_time <= 1
    assert all(open_at(r, outlook.now) for r in records if r.code in outlook.deciding)
    allowed = [outlook.late_allowed(m / 10) for m in range(11)]
    numbers = [a for a in allowed if a is not None]
    assert numbers == sorted(numbers, reverse=True)
    assert allowed[0] == len(outlook.deciding)


@PROPERTY
@given(populations, st.integers(0, 100))
def test_a_closed_periods_forecast_is_its_on_time_rate(
    records: list[OutcomeRecord], hours_after: int
) -> None:
    outlook = forecast(records, NOVEMBER, NOVEMBER.end + timedelta(hours=hours_after))
    on_time = compute_indicators(records, NOVEMBER).metric(ON_TIME)
    assert outlook.deciding == ()
    assert outlook.denominator == on_time.denominator
    assert outlook.on_time_if_all_late == on_time.numerator
    assert outlook.ratio_if_all_on_time == on_time.ratio
