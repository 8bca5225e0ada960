"""The province's targets (chỉ tiêu) and how a scorecard stands against them: met or not, the
gap, and how many more dossiers would have met it (`assess`); and, for a period still running,
which open dossiers decide whether the on-time target is met (`forecast`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from fractions import Fraction
from math import ceil

from domain.calendar import WorkCalendar
from domain.clock import add_working_time, working_days_to_minutes
from domain.indicators import (
    Metric,
    Scorecard,
    closed_at,
    judged_due,
    late_at,
    open_at,
)
from domain.outcomes import AgencyLevel, OutcomeRecord, Verdict
from domain.period import Period
from domain.scorecard import (
    DIGITIZED,
    ON_TIME,
    ONLINE_PAYMENT,
    ONLINE_SUBMISSION,
    SATISFACTION,
    SYNCED,
    exact,
)

#: A dossier due within this span of `now` is in its warning window. Wall-clock by default;
#: `working_day_window` gives the working-time window (1 working day) from a calendar.
DEFAULT_WARNING = timedelta(days=1)


def working_day_window(calendar: WorkCalendar, now: datetime, days: float = 1) -> datetime:
    """The end of a warning window of `days` working days from `now` (cảnh báo trước hạn
    1 ngày làm việc): pass it as `forecast(..., warning=...)`."""
    return add_working_time(calendar, now, working_days_to_minutes(days, calendar))


@dataclass(frozen=True)
class Target:
    """A minimum ratio for one indicator. `level` None applies to every agency level, `sector`
    None to every field (lĩnh vực) and to the whole; `valid_from`/`valid_to` bound a
    half-open span of validity, None for open-ended."""

    indicator: str
    minimum: float
    source: str
    level: AgencyLevel | None = None
    sector: str | None = None
    valid_from: datetime | None = None
    valid_to: datetime | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.minimum <= 1:
            raise ValueError(f"target for {self.indicator}: minimum must be in [0, 1]")

    def applies(self, period: Period, level: AgencyLevel, sector: str | None) -> bool:
        """In force at some moment of `period`, for this level and field."""
        in_force = (self.valid_from is None or self.valid_from < period.end) and (
            self.valid_to is None or period.start < self.valid_to
        )
        right_level = self.level is None or self.level == level
        right_sector = self.sector is None or self.sector == sector
        return in_force and right_level and right_sector


def _vn_day(year: int, month: int = 1, day: int = 1) -> datetime:
    return Period.between(date(year, month, day), date(year, month, day)).start


_PLAN_3372 = "Ho Chi Minh City, Plan 3372/KH-UBND (2024)"
_DECISION_1191 = "Ho Chi Minh City, Decision 1191 (2021–2025): on time ≥ 98 % in every field"
_FROM_2024 = _vn_day(2024)


def _plan_3372(indicator: str, minimum: float, level: AgencyLevel | None = None) -> Target:
    return Target(indicator, minimum, _PLAN_3372, level=level, valid_from=_FROM_2024)


DEFAULT_TARGETS: tuple[Target, ...] = (
    _plan_3372(SYNCED, 1.00),
    _plan_3372(ON_TIME, 0.995),
    _plan_3372(DIGITIZED, 0.80),
    _plan_3372(ONLINE_SUBMISSION, 0.60, AgencyLevel.DEPARTMENT),
    _plan_3372(ONLINE_SUBMISSION, 0.50, AgencyLevel.DISTRICT),
    _plan_3372(ONLINE_PAYMENT, 0.50, AgencyLevel.DEPARTMENT),
    _plan_3372(ONLINE_PAYMENT, 0.45, AgencyLevel.DISTRICT),
    _plan_3372(SATISFACTION, 0.95),
    Target(ON_TIME, 0.98, _DECISION_1191, valid_from=_vn_day(2021), valid_to=_vn_day(2026)),
)


# --- assessment -----------------------------------------------------------------------------


def more_needed(numerator: int, denominator: int, minimum: float) -> int:
    """The smallest k ≥ 0 with (numerator + k) ÷ denominator ≥ minimum: how many more of the
    counted dossiers would have had to be on time (online, digitized...). Capped at
    denominator − numerator; 0 when nothing was counted."""
    if denominator == 0:
        return 0
    needed = ceil(exact(minimum) * denominator) - numerator
    return min(max(needed, 0), denominator - numerator)


@dataclass(frozen=True)
class Assessment:
    """One indicator against one target. For a metric with nothing counted, `met`, `gap` and
    `more_needed` are None: there is nothing to judge."""

    indicator: str
    name: str
    target: Target
    ratio: float | None
    numerator: int
    denominator: int
    met: bool | None
    gap: float | None  # target − ratio, 0 when met
    more_needed: int | None

    @property
    def minimum(self) -> float:
        return self.target.minimum


def _assess_one(metric: Metric, target: Target) -> Assessment:
    if metric.denominator == 0:
        met, gap, extra = None, None, None
    else:
        achieved = Fraction(metric.numerator, metric.denominator)
        met = achieved >= exact(target.minimum)
        gap = 0.0 if met else float(exact(target.minimum) - achieved)
        extra = more_needed(metric.numerator, metric.denominator, target.minimum)
    return Assessment(
        indicator=metric.code,
        name=metric.name,
        target=target,
        ratio=metric.ratio,
        numerator=metric.numerator,
        denominator=metric.denominator,
        met=met,
        gap=gap,
        more_needed=extra,
    )


def assess(
    scorecard: Scorecard,
    targets: Iterable[Target],
    level: AgencyLevel,
    sector: str | None = None,
) -> list[Assessment]:
    """Every metric of `scorecard` against every target that applies to its period, `level`
    and `sector` (None: the scorecard covers every field, so only field-independent targets
    apply). When several targets apply to one indicator (Plan 3372's 99.5 % and Decision
    1191's 98 %), each is assessed, strictest first; metrics keep the scorecard's order."""
    applicable = [t for t in targets if t.applies(scorecard.period, level, sector)]
    assessments: list[Assessment] = []
    for metric in scorecard.metrics:
        mine = sorted(
            (t for t in applicable if t.indicator == metric.code), key=lambda t: -t.minimum
        )
        assessments.extend(_assess_one(metric, target) for target in mine)
    return assessments


# --- forecast for a running period --------------------------------------------------------


@dataclass(frozen=True)
class AtRisk:
    """An open dossier that decides the period: due within the warning window, or already
    overdue (lost for this period whatever happens). `hours_left` is wall-clock time to the
    judged appointment, negative when past it."""

    code: str
    due_at: datetime | None
    overdue: bool
    hours_left: float | None
    agency_code: str
    unit_codes: tuple[str, ...]
    officers: tuple[str, ...]


@dataclass(frozen=True)
class Forecast:
    """What 2.1 (on time) becomes at the end of a running period, from the dossiers known at
    `now`. The denominator is the dossiers ended so far plus every open one (each will end in
    the period or be open at its end); dossiers not yet received are not forecast. Open ones
    outside the warning window are assumed to stay within their appointment."""

    period: Period
    now: datetime
    ended: int
    ended_on_time: int
    open_safe: int
    at_risk: tuple[AtRisk, ...]

    @property
    def denominator(self) -> int:
        return self.ended + self.open_safe + len(self.at_risk)

    @property
    def deciding(self) -> tuple[str, ...]:
        """Codes of the dossiers in their warning window: still winnable."""
        return tuple(r.code for r in self.at_risk if not r.overdue)

    @property
    def lost(self) -> tuple[str, ...]:
        """Codes of the open dossiers already overdue: late for this period."""
        return tuple(r.code for r in self.at_risk if r.overdue)

    @property
    def on_time_if_all_late(self) -> int:
        return self.ended_on_time + self.open_safe

    @property
    def on_time_if_all_on_time(self) -> int:
        """Overdue ones cannot end on time: only the deciding ones are won."""
        return self.on_time_if_all_late + len(self.deciding)

    @property
    def ratio_if_all_late(self) -> float | None:
        return self._ratio(self.on_time_if_all_late)

    @property
    def ratio_if_all_on_time(self) -> float | None:
        return self._ratio(self.on_time_if_all_on_time)

    def late_allowed(self, minimum: float) -> int | None:
        """How many of the deciding dossiers may still end late with the period meeting
        `minimum`; None when it cannot be met even if all end on time."""
        spare = self.on_time_if_all_on_time - ceil(exact(minimum) * self.denominator)
        return None if spare < 0 else min(spare, len(self.deciding))

    def _ratio(self, on_time: int) -> float | None:
        return on_time / self.denominator if self.denominator else None


def _hours_between(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 3600


def _at_risk(record: OutcomeRecord, now: datetime, overdue: bool) -> AtRisk:
    due = judged_due(record)
    return AtRisk(
        code=record.code,
        due_at=due,
        overdue=overdue,
        hours_left=None if due is None else _hours_between(now, due),
        agency_code=record.agency_code,
        unit_codes=record.unit_codes,
        officers=record.officers,
    )


def _in_warning(record: OutcomeRecord, now: datetime, period: Period, until: datetime) -> bool:
    """Due from now to the end of the warning window, and before the period ends (a dossier
    due after the end counts on time this period whether it ends or stays open)."""
    due = judged_due(record)
    return due is not None and now <= due <= until and due < period.end


def forecast(
    records: Iterable[OutcomeRecord],
    period: Period,
    now: datetime,
    warning: timedelta | datetime = DEFAULT_WARNING,
) -> Forecast:
    """The on-time forecast of `period` at `now` (clipped to the period's end: a closed
    period's forecast is its actual 2.1, with nothing at risk). `warning` is the window's
    length, or the moment it ends (e.g. `working_day_window(calendar, now)`)."""
    moment = min(now, period.end)
    until = moment + warning if isinstance(warning, timedelta) else warning
    so_far = Period(period.start, moment) if moment > period.start else None
    judged = [r for r in records if r.verdict is not Verdict.NOT_JUDGED]
    ended = [r for r in judged if so_far is not None and closed_at(r) in so_far]
    risky: list[AtRisk] = []
    safe = 0
    for record in (r for r in judged if open_at(r, moment)):
        if late_at(record, moment):
            risky.append(_at_risk(record, moment, overdue=True))
        elif _in_warning(record, moment, period, until):
            risky.append(_at_risk(record, moment, overdue=False))
        else:
            safe += 1
    return Forecast(
        period=period,
        now=moment,
        ended=len(ended),
        ended_on_time=sum(1 for r in ended if r.verdict.counts_on_time),
        open_safe=safe,
        at_risk=tuple(sorted(risky, key=_due_order)),
    )


def _due_order(risk: AtRisk) -> tuple[bool, float, str]:
    return (risk.hours_left is None, risk.hours_left or 0.0, risk.code)
