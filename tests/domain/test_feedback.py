"""Feedback and petitions: who handles one, by when, and how the scorecard counts them."""

from datetime import UTC, datetime, timedelta

import pytest

from domain.clock import working_days_to_minutes, working_time_between
from domain.feedback import (
    FeedbackInvalid,
    FeedbackRecord,
    on_time,
    plan,
    responsible_agency,
    term_days,
)
from domain.indicators import compute_feedback_indicators
from domain.period import Period
from domain.scorecard import COMPLAINT_SATISFACTION, FEEDBACK_ON_TIME
from tests.domain.test_verdict import CAL

MONDAY_9 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 09:00 in Hà Nội


def test_the_term_is_working_time_and_the_warning_comes_before_it() -> None:
    planned = plan(MONDAY_9, 10, CAL)
    assert planned.due_at > MONDAY_9 + timedelta(days=13)  # two weekends in between
    assert MONDAY_9 < planned.warn_at < planned.due_at
    full = working_time_between(CAL, MONDAY_9, planned.due_at)
    assert full == timedelta(minutes=working_days_to_minutes(10, CAL))
    warned = working_time_between(CAL, MONDAY_9, planned.warn_at)
    assert warned == timedelta(minutes=int(full.total_seconds() / 60 * 0.8))


def test_an_agency_may_have_its_own_term_and_the_handler_follows_the_dossier() -> None:
    assert term_days("A", {"A": 5}, 10) == 5 and term_days("B", {"A": 5}, 10) == 10
    with pytest.raises(FeedbackInvalid):
        term_days("A", {"A": 0}, 10)
    assert (
        responsible_agency(dossier_step_agency="W", dossier_agency="D", procedure_agency="P") == "W"
    )
    assert (
        responsible_agency(dossier_step_agency=None, dossier_agency=None, procedure_agency="P")
        == "P"
    )
    with pytest.raises(FeedbackInvalid):
        responsible_agency(dossier_step_agency=None, dossier_agency=None, procedure_agency=None)


def test_the_scorecard_counts_feedback_handled_on_time_and_satisfaction() -> None:
    period = Period.month(2026, 11)
    due = datetime(2026, 11, 20, 10, tzinfo=UTC)
    received = datetime(2026, 11, 5, 3, tzinfo=UTC)
    records = [
        FeedbackRecord("F1", "A", received, due, due - timedelta(hours=1), satisfied=True),
        FeedbackRecord("F2", "A", received, due, due + timedelta(hours=1), satisfied=False),
        FeedbackRecord("F3", "A", received, due),  # overdue, unanswered at the month's end
        FeedbackRecord("F4", "A", received, datetime(2026, 12, 10, tzinfo=UTC)),  # not yet due
    ]
    handled, satisfaction = compute_feedback_indicators(records, period)
    assert handled.code == FEEDBACK_ON_TIME
    assert (handled.numerator_codes, handled.denominator_codes) == (("F1",), ("F1", "F2", "F3"))
    assert handled.score == pytest.approx(2 / 3)
    assert satisfaction.code == COMPLAINT_SATISFACTION
    assert (satisfaction.numerator, satisfaction.denominator) == (1, 2)
    assert on_time(due, due) and not on_time(None, due)
    empty = compute_feedback_indicators([], period)
    assert all(m.ratio is None and m.score is None for m in empty)
