"""The Decision 766 indicators over outcome records: periods, scoring, which dossiers each
denominator holds, the properties every scorecard keeps, and a population of 4,150 records
with known counts giving exactly the expected rates and scores."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.indicators import (
    Dimension,
    Scorecard,
    compute_indicators,
    drill_down,
    group_by,
    on_time_when_open,
)
from domain.outcomes import AgencyLevel, OutcomeRecord, Verdict
from domain.period import VIETNAM_TZ, Period
from domain.scorecard import (
    COMPLAINT_SATISFACTION,
    DEFAULT_SCORING,
    DIGITIZED,
    ELECTRONIC_RESULT,
    FEEDBACK_ON_TIME,
    ON_TIME,
    ONLINE_PAYMENT,
    ONLINE_SUBMISSION,
    REUSED,
    SATISFACTION,
    SYNCED,
    Confidence,
    IndicatorDefinition,
    IndicatorGroup,
    ScoringRule,
)
from tests.support.outcome_records import (
    NOVEMBER,
    POPULATION_MONTH,
    known_population,
    make_record,
    outcome_records,
    populations,
)

PROPERTY = settings(max_examples=150, deadline=None)
ADDITIVE = (SYNCED, ONLINE_SUBMISSION, ONLINE_PAYMENT, ELECTRONIC_RESULT, DIGITIZED, REUSED)
ADDITIVE += (SATISFACTION,)
DAY = timedelta(days=1)


def _ratio(card: Scorecard, code: str) -> float | None:
    return card.metric(code).ratio


# --- periods -------------------------------------------------------------------------------


def test_a_month_runs_from_local_midnight_to_local_midnight() -> None:
    november = Period.month(2026, 11)
    assert november.start == datetime(2026, 10, 31, 17, tzinfo=UTC)
    assert november.end == datetime(2026, 11, 30, 17, tzinfo=UTC)
    assert november.label == "2026-11"
    assert datetime(2026, 11, 30, 23, 59, tzinfo=VIETNAM_TZ) in november
    assert datetime(2026, 12, 1, tzinfo=VIETNAM_TZ) not in november


def test_december_ends_at_the_new_year() -> None:
    assert Period.month(2026, 12).end == datetime(2027, 1, 1, tzinfo=VIETNAM_TZ)


def test_a_quarter_is_its_three_months_and_a_year_its_four_quarters() -> None:
    assert Period.quarter(2026, 4).start == Period.month(2026, 10).start
    assert Period.quarter(2026, 4).end == Period.month(2026, 12).end
    assert Period.year(2026).start == Period.quarter(2026, 1).start
    assert Period.year(2026).end == Period.quarter(2026, 4).end
    with pytest.raises(ValueError):
        Period.quarter(2026, 5)


def test_between_includes_both_days() -> None:
    span = Period.between(date(2026, 11, 3), date(2026, 11, 3))
    assert span.end - span.start == DAY
    assert datetime(2026, 11, 3, 16, 59, tzinfo=VIETNAM_TZ) in span
    with pytest.raises(ValueError):
        Period.between(date(2026, 11, 4), date(2026, 11, 3))


def test_a_split_period_covers_the_whole_without_overlap() -> None:
    first, second = NOVEMBER.halves()
    assert (first.start, first.end, second.end) == (NOVEMBER.start, second.start, NOVEMBER.end)
    with pytest.raises(ValueError):
        NOVEMBER.split_at(NOVEMBER.end)


def test_a_period_needs_aware_bounds() -> None:
    with pytest.raises(ValueError):
        Period(datetime(2026, 11, 1), datetime(2026, 12, 1))


# --- the scoring table -------------------------------------------------------------------------


def _row(threshold: float, rule: ScoringRule = ScoringRule.PROPORTIONAL_TO_THRESHOLD) -> object:
    return IndicatorDefinition(
        "x", "x", "x", IndicatorGroup.PROGRESS, 20, threshold, rule, "test", Confidence.SECONDARY
    )


@pytest.mark.parametrize(
    ("threshold", "rule", "numerator", "denominator", "score"),
    [
        (1.0, ScoringRule.PROPORTIONAL_TO_THRESHOLD, 10, 10, 20.0),
        (1.0, ScoringRule.PROPORTIONAL_TO_THRESHOLD, 9, 10, 18.0),
        (0.5, ScoringRule.PROPORTIONAL_TO_THRESHOLD, 5, 10, 20.0),  # exactly at the threshold
        (0.5, ScoringRule.PROPORTIONAL_TO_THRESHOLD, 9, 10, 20.0),  # above it: no bonus
        (0.5, ScoringRule.PROPORTIONAL_TO_THRESHOLD, 2, 10, 8.0),  # 0.2 × 20 ÷ 0.5
        (0.8, ScoringRule.PROPORTIONAL_TO_THRESHOLD, 0, 10, 0.0),
        (0.995, ScoringRule.PROPORTIONAL_TO_THRESHOLD, 995, 1000, 20.0),  # no float slip
        (0.5, ScoringRule.ALL_OR_NOTHING, 5, 10, 20.0),
        (0.5, ScoringRule.ALL_OR_NOTHING, 4, 10, 0.0),
        (0.5, ScoringRule.PROPORTIONAL_TO_THRESHOLD, 0, 0, None),  # nothing to score
    ],
)
def test_full_points_at_the_threshold_else_ratio_times_max_over_threshold(
    threshold: float, rule: ScoringRule, numerator: int, denominator: int, score: float | None
) -> None:
    row = _row(threshold, rule)
    assert isinstance(row, IndicatorDefinition)
    assert row.score(numerator, denominator) == pytest.approx(score)


def test_the_default_table_has_every_dossier_indicator_within_its_groups_maxima() -> None:
    assert DEFAULT_SCORING.codes == (
        SYNCED,
        ON_TIME,
        ONLINE_SUBMISSION,
        ONLINE_PAYMENT,
        ELECTRONIC_RESULT,
        DIGITIZED,
        REUSED,
        SATISFACTION,
        FEEDBACK_ON_TIME,
        COMPLAINT_SATISFACTION,
    )
    group_max = dict(DEFAULT_SCORING.group_max)
    assert sum(group_max.values()) == 100
    for group, maximum in group_max.items():
        rows = [r for r in DEFAULT_SCORING.indicators if r.group is group]
        assert sum(r.max_score for r in rows) <= maximum
    assert all(r.source and r.confidence in Confidence for r in DEFAULT_SCORING.indicators)
    assert DEFAULT_SCORING.satisfaction.satisfied(4)
    assert not DEFAULT_SCORING.satisfaction.satisfied(3)


def test_a_threshold_outside_zero_to_one_is_refused() -> None:
    with pytest.raises(ValueError):
        _row(1.5)


# --- which dossiers each denominator holds ------------------------------------------------------


def test_synced_online_and_reused_count_dossiers_received_in_the_period() -> None:
    before = NOVEMBER.start - DAY
    records = [
        make_record("A", synced=True, channel=2, reused=True),
        make_record("B", synced=False, channel=3),
        make_record("C", synced=True, channel=2, received_at=before, submitted_at=before),
    ]
    card = compute_indicators(records, NOVEMBER)
    synced = card.metric(SYNCED)
    assert (synced.numerator_codes, synced.denominator_codes) == (("A",), ("A", "B"))
    assert card.metric(ONLINE_SUBMISSION).numerator_codes == ("A",)
    assert card.metric(REUSED).ratio == 0.5
    assert (card.counts.received_online, card.counts.received_by_post) == (1, 1)
    assert card.counts.carried_over == 1


def test_online_payment_counts_only_fee_bearing_dossiers() -> None:
    records = [
        make_record("A", fee_bearing=True, paid_online=True),
        make_record("B", fee_bearing=True),
        make_record("C"),
    ]
    metric = compute_indicators(records, NOVEMBER).metric(ONLINE_PAYMENT)
    assert (metric.numerator, metric.denominator, metric.ratio) == (1, 2, 0.5)


def _ended(code: str, verdict: Verdict, days: int = 10, **fields: object) -> OutcomeRecord:
    ended = {"ended_at": NOVEMBER.start + days * DAY, "verdict": verdict, "status": "returned"}
    return make_record(code, **(ended | fields))


def test_results_and_digitization_count_dossiers_resolved_in_the_period() -> None:
    records = [
        _ended("A", Verdict.EARLY, electronic_result=True, components_digitized=True),
        _ended("B", Verdict.LATE, electronic_result=False, components_digitized=True),
        _ended("C", Verdict.ON_TIME, result_required=False, components_digitized=True),
        _ended("D", Verdict.ON_TIME, refused=True, status="refused"),  # refusal: no result
        make_record("E", electronic_result=True),  # still open
    ]
    card = compute_indicators(records, NOVEMBER)
    assert card.metric(ELECTRONIC_RESULT).denominator_codes == ("A", "B")
    assert card.metric(ELECTRONIC_RESULT).numerator_codes == ("A",)
    assert card.metric(DIGITIZED).denominator_codes == ("A", "B", "C")
    assert card.metric(DIGITIZED).numerator_codes == ("A", "C")


def test_satisfaction_counts_rated_dossiers_ended_in_the_period() -> None:
    records = [
        _ended("A", Verdict.EARLY, rating=5),
        _ended("B", Verdict.LATE, rating=4),
        _ended("C", Verdict.LATE, rating=3),
        _ended("D", Verdict.EARLY),  # not rated
        make_record("E", rating=1),  # open: not yet
    ]
    metric = compute_indicators(records, NOVEMBER).metric(SATISFACTION)
    assert (metric.numerator_codes, metric.denominator_codes) == (("A", "B"), ("A", "B", "C"))


def test_on_time_holds_dossiers_ended_in_the_period_or_open_at_its_end() -> None:
    after = NOVEMBER.end + DAY
    records = [
        _ended("early", Verdict.EARLY),
        _ended("late", Verdict.LATE),
        make_record("open", verdict=Verdict.IN_PROGRESS, due_at=after),
        make_record("overdue", verdict=Verdict.OVERDUE, due_at=NOVEMBER.start + 5 * DAY),
        # ended late in December, but its appointment was in December: in time in November
        make_record("late-next-month", verdict=Verdict.LATE, due_at=after, ended_at=after + DAY),
        _ended("withdrawn", Verdict.NOT_JUDGED, withdrawn=True, status="withdrawn"),
        _ended("last-month", Verdict.EARLY, days=-3),
    ]
    metric = compute_indicators(records, NOVEMBER).metric(ON_TIME)
    assert metric.denominator_codes == ("early", "late", "open", "overdue", "late-next-month")
    assert metric.numerator_codes == ("early", "open", "late-next-month")
    assert metric.score == pytest.approx(20 * 3 / 5)


def test_a_dossier_due_exactly_at_the_period_end_is_still_within_it_then() -> None:
    later = NOVEMBER.end + DAY
    due_at_end = make_record("A", verdict=Verdict.LATE, due_at=NOVEMBER.end, ended_at=later)
    due_before = make_record(
        "B", verdict=Verdict.LATE, due_at=NOVEMBER.end - timedelta(seconds=1), ended_at=later
    )
    metric = compute_indicators([due_at_end, due_before], NOVEMBER).metric(ON_TIME)
    assert (metric.numerator_codes, metric.denominator_codes) == (("A",), ("A", "B"))


def test_received_means_received_by_the_agency_not_submitted() -> None:
    october = NOVEMBER.start - 2 * DAY
    records = [
        make_record("A", submitted_at=october),  # submitted online in October, received 2 Nov
        make_record("B", received_at=None, due_at=None),  # submitted, not yet received
    ]
    card = compute_indicators(records, NOVEMBER)
    assert card.metric(SYNCED).denominator_codes == ("A",)
    assert (card.counts.received, card.counts.in_progress) == (1, 1)


def test_an_apology_does_not_move_the_appointment_judged_at_the_period_end() -> None:
    apologised = make_record(
        "A",
        verdict=Verdict.OVERDUE,
        original_due_at=NOVEMBER.start + 5 * DAY,
        due_at=NOVEMBER.end + 5 * DAY,
        apologised=True,
    )
    assert not on_time_when_open(apologised, NOVEMBER.end)


def test_an_open_dossier_late_by_a_second_supplement_request_is_late_at_the_period_end() -> None:
    twice = make_record("A", verdict=Verdict.LATE, supplement_rounds=2, due_at=NOVEMBER.end + DAY)
    card = compute_indicators([twice], NOVEMBER)
    assert card.metric(ON_TIME).numerator == 0
    assert card.counts.in_progress_overdue == 1


def test_a_dossier_waiting_for_the_applicant_is_not_overdue_while_its_clock_is_paused() -> None:
    waiting = make_record("A", due_at=NOVEMBER.start + 2 * DAY, waiting_for_applicant=True)
    stale = make_record("B", due_at=NOVEMBER.start + 2 * DAY)
    assert on_time_when_open(waiting, NOVEMBER.end)
    assert not on_time_when_open(stale, NOVEMBER.end)


def test_a_withdrawn_dossier_is_counted_in_the_period_it_was_withdrawn_and_is_not_open() -> None:
    withdrawn = make_record(
        "A",
        verdict=Verdict.NOT_JUDGED,
        status="withdrawn",
        withdrawn=True,
        withdrawn_at=NOVEMBER.start + 3 * DAY,
    )
    card = compute_indicators([withdrawn], NOVEMBER)
    assert card.counts.withdrawn == 1
    assert card.counts.in_progress == 0
    assert card.metric(ON_TIME).denominator == 0
    assert card.metric(ON_TIME).ratio is None and card.metric(ON_TIME).score is None


def test_an_empty_population_scores_nothing() -> None:
    card = compute_indicators([], NOVEMBER)
    assert all(m.ratio is None and m.score is None for m in card.metrics)
    assert (card.total_score, card.max_total) == (0, 0)


# --- properties --------------------------------------------------------------------------------


@PROPERTY
@given(populations)
def test_every_ratio_is_in_zero_to_one_and_numerators_never_exceed_denominators(
    records: list[OutcomeRecord],
) -> None:
    card = compute_indicators(records, NOVEMBER)
    for metric in card.metrics:
        assert 0 <= metric.numerator <= metric.denominator
        assert metric.numerator == len(metric.numerator_codes)
        assert metric.denominator == len(metric.denominator_codes)
        assert set(metric.numerator_codes) <= set(metric.denominator_codes)
        if metric.denominator == 0:
            assert metric.ratio is None and metric.score is None
        else:
            assert metric.ratio is not None and 0 <= metric.ratio <= 1
            assert metric.score is not None and 0 <= metric.score <= metric.max_score
    assert 0 <= card.total_score <= card.max_total <= 100


@PROPERTY
@given(populations)
def test_the_on_time_metric_agrees_with_the_report_counts(records: list[OutcomeRecord]) -> None:
    card = compute_indicators(records, NOVEMBER)
    on_time, counts = card.metric(ON_TIME), card.counts
    assert on_time.denominator == counts.resolved + counts.in_progress
    assert on_time.numerator == counts.resolved_early + counts.resolved_on_time + (
        counts.in_progress_not_due
    )
    assert counts.late_apologised + counts.late_silent == counts.resolved_late
    assert counts.received == (
        counts.received_online + counts.received_in_person + counts.received_by_post
    )


_ON_TIME_ADDITIONS = st.sampled_from(
    [
        {"verdict": Verdict.EARLY, "ended_at": NOVEMBER.start + 2 * DAY, "status": "returned"},
        {"verdict": Verdict.ON_TIME, "ended_at": NOVEMBER.end - DAY, "status": "resolved"},
        {"verdict": Verdict.IN_PROGRESS, "due_at": NOVEMBER.end + DAY},
    ]
)


@PROPERTY
@given(populations, _ON_TIME_ADDITIONS)
def test_adding_an_on_time_dossier_never_lowers_the_on_time_rate(
    records: list[OutcomeRecord], addition: dict[str, object]
) -> None:
    before = _ratio(compute_indicators(records, NOVEMBER), ON_TIME)
    after = _ratio(
        compute_indicators([*records, make_record("NEW", **addition)], NOVEMBER), ON_TIME
    )
    assert after is not None
    assert before is None or after >= before


@PROPERTY
@given(populations, st.integers(1, 30 * 24 - 1))
def test_splitting_a_period_sums_to_the_whole(records: list[OutcomeRecord], cut_hour: int) -> None:
    halves = NOVEMBER.split_at(NOVEMBER.start + timedelta(hours=cut_hour))
    whole = compute_indicators(records, NOVEMBER)
    first, second = (compute_indicators(records, half) for half in halves)
    for code in ADDITIVE:
        parts = first.metric(code), second.metric(code)
        assert whole.metric(code).numerator == sum(m.numerator for m in parts), code
        assert whole.metric(code).denominator == sum(m.denominator for m in parts), code
        assert sorted(whole.metric(code).denominator_codes) == sorted(
            parts[0].denominator_codes + parts[1].denominator_codes
        ), code
    for count in ("received", "resolved_early", "resolved_on_time", "resolved_late", "refused"):
        assert getattr(whole.counts, count) == (
            getattr(first.counts, count) + getattr(second.counts, count)
        ), count


@PROPERTY
@given(populations, st.integers(1, 30 * 24 - 1))
def test_on_time_is_not_additive_but_the_whole_is_the_first_halfs_ended_part_and_the_second(
    records: list[OutcomeRecord], cut_hour: int
) -> None:
    """A dossier open at the cut is in the first half's denominator (open at its end) and again
    in the second's (ended in it or open at its end), so halves do not sum to the whole."""
    first, second = (
        compute_indicators(records, half)
        for half in NOVEMBER.split_at(NOVEMBER.start + timedelta(hours=cut_hour))
    )
    whole = compute_indicators(records, NOVEMBER).metric(ON_TIME)
    first_ended_on_time = first.counts.resolved_early + first.counts.resolved_on_time
    assert whole.denominator == first.counts.resolved + second.metric(ON_TIME).denominator
    assert whole.numerator == first_ended_on_time + second.metric(ON_TIME).numerator


@PROPERTY
@given(outcome_records())
def test_a_record_counts_once_per_period_of_a_year_of_months(record: OutcomeRecord) -> None:
    months = [Period.month(2026, m) for m in range(10, 13)]
    quarter = Period.quarter(2026, 4)
    cards = [compute_indicators([record], m) for m in months]
    whole = compute_indicators([record], quarter)
    for code in ADDITIVE:
        assert whole.metric(code).denominator == sum(c.metric(code).denominator for c in cards)


# --- drill-down --------------------------------------------------------------------------------


def test_group_by_puts_a_dossier_in_each_of_its_units_and_unassigned_ones_under_blank() -> None:
    records = [
        make_record("A", unit_codes=("P1", "P2", "P1"), officers=("an",)),
        make_record("B", unit_codes=("P2",)),
        make_record("C", agency_level=AgencyLevel.DEPARTMENT, sector="dat-dai"),
    ]
    by_unit = group_by(records, Dimension.UNIT)
    assert {k: [r.code for r in v] for k, v in by_unit.items()} == {
        "": ["C"],
        "P1": ["A"],
        "P2": ["A", "B"],
    }
    assert list(group_by(records, Dimension.OFFICER)) == ["", "an"]
    assert list(group_by(records, Dimension.LEVEL)) == ["department", "district"]
    assert list(group_by(records, Dimension.SECTOR)) == ["dat-dai", "xay-dung"]
    assert list(group_by(records, lambda r: r.code.lower())) == ["a", "b", "c"]


def test_drill_down_gives_each_group_its_own_scorecard() -> None:
    records = [
        make_record("A", agency_code="Q1", synced=True),
        make_record("B", agency_code="Q3", synced=False),
        make_record("C", agency_code="Q3", synced=True),
    ]
    cards = drill_down(records, NOVEMBER, Dimension.AGENCY)
    assert {k: c.metric(SYNCED).numerator_codes for k, c in cards.items()} == {
        "Q1": ("A",),
        "Q3": ("C",),
    }
    assert cards["Q3"].metric(SYNCED).ratio == 0.5


# --- a population with known counts -------------------------------------------------------------


@pytest.fixture(scope="module")
def population_card() -> Scorecard:
    records = known_population()
    assert len(records) == 4150
    return compute_indicators(records, POPULATION_MONTH)


EXPECTED_METRICS = {
    # code: (numerator, denominator, score)
    SYNCED: (3960, 4000, 6 * 3960 / 4000),
    ON_TIME: (2000 + 1010 + 880, 3050 + 900, 20 * 3890 / 3950),
    ONLINE_SUBMISSION: (2200, 4000, 6.0),  # 55 % ≥ 50 %: full points
    ONLINE_PAYMENT: (400, 1000, 6.0),  # 40 % ≥ 30 %: full points
    ELECTRONIC_RESULT: (1830, 2440, 6 * 0.75),
    DIGITIZED: (1525 + 610, 3050, 4 * 0.7 / 0.8),
    REUSED: (1000, 4000, 2 * 0.25 / 0.8),
    SATISFACTION: (549, 610, 6.0),  # exactly 90 %: the threshold
}


@pytest.mark.parametrize("code", list(EXPECTED_METRICS))
def test_the_population_gives_exactly_the_expected_rates_and_scores(
    population_card: Scorecard, code: str
) -> None:
    numerator, denominator, score = EXPECTED_METRICS[code]
    metric = population_card.metric(code)
    assert (metric.numerator, metric.denominator) == (numerator, denominator)
    assert metric.ratio == numerator / denominator
    assert metric.score == pytest.approx(score, abs=1e-12)


def test_the_population_gives_exactly_the_expected_report_counts(
    population_card: Scorecard,
) -> None:
    counts = dataclasses.asdict(population_card.counts)
    assert counts == {
        "received": 4000,
        "received_online": 2200,
        "received_in_person": 1700,
        "received_by_post": 100,
        "carried_over": 50,
        "resolved_early": 2000,
        "resolved_on_time": 1010,
        "resolved_late": 40,
        "late_apologised": 25,
        "late_silent": 15,
        "in_progress_not_due": 880,
        "in_progress_overdue": 20,
        "waiting_for_applicant": 30,
        "refused": 40,
        "withdrawn": 60,
        "stopped": 0,
    }
    assert population_card.counts.to_handle == 4050
    expected_total = sum(score for _, _, score in EXPECTED_METRICS.values())
    assert population_card.total_score == pytest.approx(expected_total)
    assert population_card.max_total == 56
    groups = population_card.group_scores()
    assert groups[IndicatorGroup.DIGITIZATION] == pytest.approx(6 * 0.75 + 3.5 + 0.625)
    assert groups[IndicatorGroup.ONLINE_PAYMENT] == 6.0
    assert sum(groups.values()) == pytest.approx(population_card.total_score)
