"""The Decision 766 indicators and the provincial report's counts, as a pure function of
dossier outcome records and a period (`compute_indicators`), with drill-down by agency, unit,
officer, field, procedure or level (`group_by`, `drill_down`).

Which dossiers a period holds (the same words are used in every docstring below):

- **received in the period**: `received_at` in [start, end) (NgayTiepNhan);
- **ended in the period**: its closing moment in [start, end) — `ended_at` (NgayKetThucXuLy:
  first of resolved > returned > stopped/refused) or, for a withdrawn dossier, `withdrawn_at`;
- **resolved in the period**: ended in the period with a verdict (early, on time or late) and
  neither refused, stopped nor withdrawn — it has a result;
- **open at a moment**: received before it and not closed before it (a terminal status without
  a closing moment is taken as closed long ago, never open);
- **judged**: verdict other than NOT_JUDGED (withdrawn, refused at reception).

A metric whose denominator is 0 has `ratio` and `score` None ("no data", as the portal shows
it), never 0: an agency that received nothing has not failed, and has not scored either."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TypeVar

from domain.feedback import FeedbackRecord
from domain.feedback import on_time as feedback_on_time
from domain.lifecycle import TERMINAL
from domain.outcomes import OutcomeRecord, Verdict
from domain.period import Period
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
    IndicatorDefinition,
    IndicatorGroup,
    Scoring,
)

__all__ = [
    "Dimension",
    "Metric",
    "Period",
    "ReportCounts",
    "Scorecard",
    "closed_at",
    "compute_feedback_indicators",
    "compute_indicators",
    "drill_down",
    "group_by",
    "judged_due",
    "on_time_when_open",
    "late_at",
    "open_at",
]

CHANNEL_IN_PERSON = 1  # KenhThucHien: trực tiếp
CHANNEL_ONLINE = 2  # trực tuyến
CHANNEL_POST = 3  # dịch vụ bưu chính công ích

_TERMINAL_STATUSES = frozenset(status.value for status in TERMINAL)


# --- where a record stands in time -------------------------------------------------------


def closed_at(record: OutcomeRecord) -> datetime | None:
    """When the dossier closed: its processing end, or the withdrawal moment."""
    return record.ended_at or record.withdrawn_at


def open_at(record: OutcomeRecord, moment: datetime) -> bool:
    """Received before `moment` and still open at it (đang giải quyết)."""
    if record.received_at is None or record.received_at >= moment:
        return False
    closed = closed_at(record)
    if closed is None:
        return record.status not in _TERMINAL_STATUSES
    return closed >= moment


def judged_due(record: OutcomeRecord) -> datetime | None:
    """The appointment the verdict is judged against: the original one (NgayHenTra) when an
    apology set a new one, else the one in force."""
    return record.original_due_at or record.due_at


def late_at(record: OutcomeRecord, moment: datetime) -> bool:
    """For a dossier open at `moment`: already counted late then (quá hạn, trễ hạn)?

    - open now and judged late: yes — only the second supplement request makes an open
      dossier late before its appointment (the portal's rule), and it stays late;
    - late or overdue: only if its judged appointment had passed by `moment` (a dossier
      that ended late next month was within its appointment this month if that appointment
      falls next month; when its second supplement request came is not known);
    - in progress now: only if its appointment has passed by `moment` since it was judged,
      unless it is waiting for the applicant (the clock is paused, and the portal takes the
      request date as its end);
    - early or on time (ended later): never, since appointments never move earlier."""
    due = judged_due(record)
    if record.verdict is Verdict.LATE and closed_at(record) is None:
        return True
    if record.verdict in (Verdict.LATE, Verdict.OVERDUE):
        return due is None or due < moment
    if record.verdict is Verdict.IN_PROGRESS:
        return not record.waiting_for_applicant and due is not None and due < moment
    return False


def on_time_when_open(record: OutcomeRecord, moment: datetime) -> bool:
    """For a judged dossier open at `moment`: within its appointment then (đang xử lý trong
    hạn), which the portal's 2.1 counts on time."""
    return not late_at(record, moment)


def _received_in(record: OutcomeRecord, period: Period) -> bool:
    return record.received_at in period


def _ended_in(record: OutcomeRecord, period: Period) -> bool:
    return closed_at(record) in period


def _has_result(record: OutcomeRecord) -> bool:
    return record.verdict.finished and not (record.refused or record.stopped or record.withdrawn)


def _resolved_in(record: OutcomeRecord, period: Period) -> bool:
    return _has_result(record) and _ended_in(record, period)


def _judged(record: OutcomeRecord) -> bool:
    return record.verdict is not Verdict.NOT_JUDGED


# --- the indicators: which dossiers are counted, which of them score ------------------------


Population = Callable[[OutcomeRecord, Period], bool]
Counted = Callable[[OutcomeRecord, Period, Scoring], bool]


def _on_time_population(record: OutcomeRecord, period: Period) -> bool:
    """2.1's denominator: judged, and ended in the period or open at its end."""
    return _judged(record) and (_ended_in(record, period) or open_at(record, period.end))


def _counted_on_time(record: OutcomeRecord, period: Period, _: Scoring) -> bool:
    if _ended_in(record, period):
        return record.verdict.counts_on_time
    return on_time_when_open(record, period.end)


def _result_population(record: OutcomeRecord, period: Period) -> bool:
    return record.result_required and _resolved_in(record, period)


def _digitized(record: OutcomeRecord) -> bool:
    return record.components_digitized and (record.electronic_result or not record.result_required)


def _rated_population(record: OutcomeRecord, period: Period) -> bool:
    return record.rating is not None and _ended_in(record, period)


def _satisfied(record: OutcomeRecord, _: Period, scoring: Scoring) -> bool:
    return record.rating is not None and scoring.satisfaction.satisfied(record.rating)


def _fee_population(record: OutcomeRecord, period: Period) -> bool:
    return record.fee_bearing and _received_in(record, period)


def _fact(fact: Callable[[OutcomeRecord], bool]) -> Counted:
    return lambda record, _period, _scoring: fact(record)


#: code → (denominator's dossiers, which of them are in the numerator). Documented in
#: `compute_indicators`.
_DOSSIER_INDICATORS: dict[str, tuple[Population, Counted]] = {
    SYNCED: (_received_in, _fact(lambda r: r.synced)),
    ON_TIME: (_on_time_population, _counted_on_time),
    ONLINE_SUBMISSION: (_received_in, _fact(lambda r: r.channel == CHANNEL_ONLINE)),
    ONLINE_PAYMENT: (_fee_population, _fact(lambda r: r.paid_online)),
    ELECTRONIC_RESULT: (_result_population, _fact(lambda r: r.electronic_result)),
    DIGITIZED: (_resolved_in, _fact(_digitized)),
    REUSED: (_received_in, _fact(lambda r: r.reused)),
    SATISFACTION: (_rated_population, _satisfied),
}


@dataclass(frozen=True)
class Metric:
    """One indicator in the national scorecard's shape, with the dossiers behind both numbers
    so it can be drilled into and reconciled. `ratio` is in [0, 1], None when nothing counted."""

    code: str
    name: str
    name_en: str
    group: IndicatorGroup
    numerator: int
    denominator: int
    ratio: float | None
    score: float | None
    max_score: float
    full_score_ratio: float
    numerator_codes: tuple[str, ...]
    denominator_codes: tuple[str, ...]


def _bound(counted: Counted, period: Period, scoring: Scoring) -> Callable[[OutcomeRecord], bool]:
    return lambda record: counted(record, period, scoring)


#: What a metric counts: dossiers, or feedback (phản ánh, kiến nghị).
Counted_ = TypeVar("Counted_", OutcomeRecord, FeedbackRecord)


def _metric(
    definition: IndicatorDefinition,
    counted: Sequence[Counted_],
    scoring_in: Callable[[Counted_], bool],
) -> Metric:
    denominator_codes = tuple(r.code for r in counted)
    numerator_codes = tuple(r.code for r in counted if scoring_in(r))
    numerator, denominator = len(numerator_codes), len(denominator_codes)
    return Metric(
        code=definition.code,
        name=definition.name_vi,
        name_en=definition.name_en,
        group=definition.group,
        numerator=numerator,
        denominator=denominator,
        ratio=numerator / denominator if denominator else None,
        score=definition.score(numerator, denominator),
        max_score=definition.max_score,
        full_score_ratio=definition.full_score_ratio,
        numerator_codes=numerator_codes,
        denominator_codes=denominator_codes,
    )


# --- the provincial report's counts ---------------------------------------------------------


@dataclass(frozen=True)
class ReportCounts:
    """The counts provincial reports use (tình hình tiếp nhận, giải quyết hồ sơ).

    - `received*`: received in the period, by channel (online 2; post 3; in person 1 or any
      other code); `carried_over` (kỳ trước chuyển qua): open at the period's start;
    - `resolved_early/on_time/late` (trước hạn / đúng hạn / trễ hạn): judged dossiers ended in
      the period by their verdict — refusals as the result and stopped dossiers included, as
      the portal judges them; `late_apologised + late_silent == resolved_late`;
    - `in_progress_not_due / in_progress_overdue` (trong hạn / quá hạn): judged, open at the
      period's end, by `on_time_when_open` (overdue includes open dossiers already late by a
      second supplement request); `waiting_for_applicant`: open at the end and
      waiting for a supplement or a payment (the record's current flag);
    - `refused / withdrawn / stopped`: ended in the period with that flag; refusals at
      reception and withdrawals are not judged, so they are in none of the verdict counts."""

    received: int
    received_online: int
    received_in_person: int
    received_by_post: int
    carried_over: int
    resolved_early: int
    resolved_on_time: int
    resolved_late: int
    late_apologised: int
    late_silent: int
    in_progress_not_due: int
    in_progress_overdue: int
    waiting_for_applicant: int
    refused: int
    withdrawn: int
    stopped: int

    @property
    def to_handle(self) -> int:
        """Tổng số hồ sơ phải giải quyết: carried over plus received."""
        return self.carried_over + self.received

    @property
    def resolved(self) -> int:
        return self.resolved_early + self.resolved_on_time + self.resolved_late

    @property
    def in_progress(self) -> int:
        return self.in_progress_not_due + self.in_progress_overdue


def _count(records: Iterable[OutcomeRecord], test: Callable[[OutcomeRecord], bool]) -> int:
    return sum(1 for r in records if test(r))


def _report_counts(records: Sequence[OutcomeRecord], period: Period) -> ReportCounts:
    received = [r for r in records if _received_in(r, period)]
    ended = [r for r in records if _ended_in(r, period)]
    judged_ended = [r for r in ended if _judged(r)]
    late = [r for r in judged_ended if r.verdict is Verdict.LATE]
    open_at_end = [r for r in records if open_at(r, period.end)]
    judged_open = [r for r in open_at_end if _judged(r)]
    not_due = _count(judged_open, lambda r: on_time_when_open(r, period.end))
    return ReportCounts(
        received=len(received),
        received_online=_count(received, lambda r: r.channel == CHANNEL_ONLINE),
        received_in_person=_count(
            received, lambda r: r.channel not in (CHANNEL_ONLINE, CHANNEL_POST)
        ),
        received_by_post=_count(received, lambda r: r.channel == CHANNEL_POST),
        carried_over=_count(records, lambda r: open_at(r, period.start)),
        resolved_early=_count(judged_ended, lambda r: r.verdict is Verdict.EARLY),
        resolved_on_time=_count(judged_ended, lambda r: r.verdict is Verdict.ON_TIME),
        resolved_late=len(late),
        late_apologised=_count(late, lambda r: r.apologised),
        late_silent=_count(late, lambda r: not r.apologised),
        in_progress_not_due=not_due,
        in_progress_overdue=len(judged_open) - not_due,
        waiting_for_applicant=_count(open_at_end, lambda r: r.waiting_for_applicant),
        refused=_count(ended, lambda r: r.refused),
        withdrawn=_count(ended, lambda r: r.withdrawn),
        stopped=_count(ended, lambda r: r.stopped),
    )


# --- the scorecard ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Scorecard:
    """The indicators and counts of one population over one period."""

    period: Period
    metrics: tuple[Metric, ...]
    counts: ReportCounts

    def metric(self, code: str) -> Metric:
        for metric in self.metrics:
            if metric.code == code:
                return metric
        raise KeyError(code)

    @property
    def total_score(self) -> float:
        """Points earned over the metrics that could be scored."""
        return sum(m.score for m in self.metrics if m.score is not None)

    @property
    def max_total(self) -> float:
        """Points available over the same metrics (those with a denominator)."""
        return sum(m.max_score for m in self.metrics if m.score is not None)

    def group_scores(self) -> dict[IndicatorGroup, float]:
        """Points earned per group (nhóm chỉ số), over the metrics that could be scored."""
        scores: dict[IndicatorGroup, float] = {}
        for metric in self.metrics:
            if metric.score is not None:
                scores[metric.group] = scores.get(metric.group, 0.0) + metric.score
        return scores


def compute_indicators(
    records: Iterable[OutcomeRecord], period: Period, scoring: Scoring = DEFAULT_SCORING
) -> Scorecard:
    """The Decision 766 indicators of `records` over `period`, one per row of `scoring` that
    is computed from dossiers (rows for catalogue facts, e.g. procedures published, are not):

    - 1.4 synced: received in the period; numerator `synced`. Additive over a split period.
    - 2.1 on time (the portal's rule): judged dossiers ended in the period or open at its end;
      numerator: ended ones whose verdict counts on time (early, on time), open ones still
      within their appointment at the period's end (`on_time_when_open`). The ended part is
      additive over a split; the open-at-end part is not (a dossier open at the cut is in the
      first half's denominator and again in the second's).
    - 3.3 online submission: received in the period; numerator channel 2 (KenhThucHien). The
      portal also multiplies by its sync rate, since it sees only synced dossiers; we see all.
    - 3.6 online payment: fee-bearing, received in the period; numerator `paid_online`.
    - 4.1 electronic result: resolved in the period, of procedures returning a document;
      numerator `electronic_result`.
    - 4.2 digitized: resolved in the period; numerator every component digitized and, if the
      procedure returns a document, the result electronic.
    - 4.3 reused: received in the period; numerator `reused`.
    - 5.4 satisfaction: rated, ended in the period; numerator rating counted satisfied by
      `scoring.satisfaction` (4 or 5 of 5 by default).

    Every metric but 2.1 is additive: the halves' numerators and denominators sum to the
    whole's."""
    population = list(records)
    metrics = []
    for definition in scoring.indicators:
        rule = _DOSSIER_INDICATORS.get(definition.code)
        if rule is None:
            continue
        in_denominator, in_numerator = rule
        counted = [r for r in population if in_denominator(r, period)]
        metrics.append(_metric(definition, counted, _bound(in_numerator, period, scoring)))
    return Scorecard(period, tuple(metrics), _report_counts(population, period))


def _feedback_counted(record: FeedbackRecord, period: Period) -> bool:
    """Answered in the period, or unanswered at its end with its due moment passed."""
    if record.answered_at in period:
        return True
    unanswered_at_end = record.answered_at is None or record.answered_at >= period.end
    return unanswered_at_end and record.received_at < period.end and record.due_at < period.end


def compute_feedback_indicators(
    records: Iterable[FeedbackRecord], period: Period, scoring: Scoring = DEFAULT_SCORING
) -> tuple[Metric, ...]:
    """The feedback indicators (phản ánh, kiến nghị) of `records` over `period`, in the
    dossier metrics' shape, for the rows of `scoring` that have them:

    - feedback handled on time: answered in the period, or still unanswered at its end with
      its due moment passed (overdue counts against the period it ran out in, and again
      while unanswered); numerator: answered by the due moment;
    - complaint satisfaction: answered in the period and judged by the applicant; numerator:
      satisfied with the answer."""
    population = list(records)
    metrics = []
    for definition in scoring.indicators:
        if definition.code == FEEDBACK_ON_TIME:
            counted = [r for r in population if _feedback_counted(r, period)]
            metrics.append(
                _metric(definition, counted, lambda r: feedback_on_time(r.answered_at, r.due_at))
            )
        elif definition.code == COMPLAINT_SATISFACTION:
            judged = [r for r in population if r.answered_at in period and r.satisfied is not None]
            metrics.append(_metric(definition, judged, lambda r: bool(r.satisfied)))
    return tuple(metrics)


# --- drill-down -------------------------------------------------------------------------------


class Dimension(StrEnum):
    """What a scorecard can be broken down by. A dossier handled by several units or officers
    is in each of their groups; one whose steps nobody took is under "" (the unit's)."""

    AGENCY = "agency"
    UNIT = "unit"
    OFFICER = "officer"
    SECTOR = "sector"  # lĩnh vực
    PROCEDURE = "procedure"
    LEVEL = "level"

    def keys(self, record: OutcomeRecord) -> tuple[str, ...]:
        return _DIMENSION_KEYS[self](record)


def _or_unassigned(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values)) or ("",)


_DIMENSION_KEYS: dict[Dimension, Callable[[OutcomeRecord], tuple[str, ...]]] = {
    Dimension.AGENCY: lambda r: (r.agency_code,),
    Dimension.UNIT: lambda r: _or_unassigned(r.unit_codes),
    Dimension.OFFICER: lambda r: _or_unassigned(r.officers),
    Dimension.SECTOR: lambda r: (r.sector,),
    Dimension.PROCEDURE: lambda r: (r.procedure_code,),
    Dimension.LEVEL: lambda r: (r.agency_level.value,),
}

Key = Dimension | Callable[[OutcomeRecord], str | tuple[str, ...]]


def _keys_of(key: Key, record: OutcomeRecord) -> tuple[str, ...]:
    if isinstance(key, Dimension):
        return key.keys(record)
    found = key(record)
    return (found,) if isinstance(found, str) else tuple(dict.fromkeys(found))


def group_by(records: Iterable[OutcomeRecord], key: Key) -> dict[str, list[OutcomeRecord]]:
    """Records grouped by a dimension (or any function giving one key or several), keys in
    sorted order. A record with several keys (units, officers) is in each group once."""
    groups: dict[str, list[OutcomeRecord]] = {}
    for record in records:
        for value in _keys_of(key, record):
            groups.setdefault(value, []).append(record)
    return dict(sorted(groups.items()))


def drill_down(
    records: Iterable[OutcomeRecord],
    period: Period,
    key: Key,
    scoring: Scoring = DEFAULT_SCORING,
) -> dict[str, Scorecard]:
    """One scorecard per group of `group_by(records, key)`."""
    return {
        value: compute_indicators(members, period, scoring)
        for value, members in group_by(records, key).items()
    }
