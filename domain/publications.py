"""What an agency publishes each month, as plain data: the list of late dossiers with the
officers and units responsible (Hanoi's Directive 15; a public version carries no applicant
data) and the monthly scorecard report against the province's targets. Rendered to PDF by
`reports.render`, to JSON and CSV by the API."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from domain.indicators import Scorecard
from domain.outcomes import OutcomeRecord, StepAttribution, Verdict
from domain.period import Period
from domain.targets import Assessment, Forecast


@dataclass(frozen=True)
class LateEntry:
    """One late (or overdue) dossier and who made it late."""

    code: str
    procedure_code: str
    procedure_name: str
    sector: str
    agency_code: str
    agency_name: str
    applicant_name: str  # "" in the public version
    received_at: datetime | None
    due_at: datetime | None  # the original appointment
    ended_at: datetime | None  # None while still open (overdue in progress)
    status: str
    verdict: Verdict
    late_hours: float
    apologised: bool
    responsible: tuple[StepAttribution, ...] = ()

    @property
    def late_days(self) -> float:
        return self.late_hours / 8


@dataclass(frozen=True)
class LateList:
    """The month's late dossiers of an agency (or the province), worst first."""

    title: str
    agency_name: str
    period: Period
    generated_at: datetime
    entries: tuple[LateEntry, ...]
    public: bool = False


@dataclass(frozen=True)
class MonthlyReport:
    """An agency's scorecard for a month against its targets, with the figures its charts
    draw: the on-time rate by month (`trend`, oldest first: label and ratio, None for no
    data), the agencies ranked by on-time rate (`ranking`: name, ratio, denominator) and the
    late list."""

    agency_code: str
    agency_name: str
    level: str
    period: Period
    generated_at: datetime
    scorecard: Scorecard
    assessments: tuple[Assessment, ...]
    late: LateList
    forecast: Forecast | None = None
    trend: tuple[tuple[str, float | None], ...] = ()
    ranking: tuple[tuple[str, float | None, int], ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)


def late_entries(
    records: list[OutcomeRecord], *, applicant_names: dict[str, str] | None = None
) -> tuple[LateEntry, ...]:
    """The late and overdue dossiers among `records`, most working hours late first. Without
    `applicant_names` the entries carry no applicant (the public list)."""
    names = applicant_names or {}
    late = [r for r in records if r.verdict in (Verdict.LATE, Verdict.OVERDUE)]
    late.sort(key=lambda r: (-r.late_hours, r.code))
    return tuple(
        LateEntry(
            code=r.code,
            procedure_code=r.procedure_code,
            procedure_name=r.procedure_name,
            sector=r.sector,
            agency_code=r.agency_code,
            agency_name=r.agency_name,
            applicant_name=names.get(r.code, ""),
            received_at=r.received_at,
            due_at=r.original_due_at,
            ended_at=r.ended_at,
            status=r.status,
            verdict=r.verdict,
            late_hours=r.late_hours,
            apologised=r.apologised,
            responsible=r.attribution,
        )
        for r in late
    )


@dataclass(frozen=True)
class Responsible:
    """An official (or a unit, when nobody took its steps) who caused delays: how many late
    dossiers and how much working time overrun, summed over their steps (Directive 15)."""

    unit_code: str
    unit_name: str
    agency_code: str
    agency_name: str
    officer: str  # "" for the unit itself
    officer_name: str
    dossiers: int
    overrun_hours: float

    @property
    def overrun_days(self) -> float:
        return self.overrun_hours / 8


def responsible_for(entries: tuple[LateEntry, ...]) -> tuple[Responsible, ...]:
    """The officials and units behind `entries`, the most dossiers (then hours) first. A
    dossier counts once for each official whose step overran, whatever the attempts."""
    totals: dict[tuple[str, str], list[float]] = {}
    names: dict[tuple[str, str], StepAttribution] = {}
    for entry in entries:
        seen: set[tuple[str, str]] = set()
        for blame in entry.responsible:
            key = (blame.unit_code, blame.officer)
            names.setdefault(key, blame)
            total = totals.setdefault(key, [0, 0.0])
            total[1] += blame.overrun_hours
            if key not in seen:
                total[0] += 1
                seen.add(key)
    ranked = sorted(totals.items(), key=lambda kv: (-kv[1][0], -kv[1][1], kv[0]))
    return tuple(
        Responsible(
            unit_code=names[key].unit_code,
            unit_name=names[key].unit_name,
            agency_code=names[key].agency_code,
            agency_name=names[key].agency_name,
            officer=names[key].officer,
            officer_name=names[key].officer_name,
            dossiers=int(count),
            overrun_hours=round(hours, 2),
        )
        for key, (count, hours) in ranked
    )


def late_in(records: list[OutcomeRecord], period: Period) -> list[OutcomeRecord]:
    """The period's late dossiers (Directive 15): ended late within it, or still open and
    overdue."""
    return [
        r
        for r in records
        if (r.verdict == Verdict.LATE and r.ended_at is not None and r.ended_at in period)
        or (r.verdict == Verdict.OVERDUE and r.ended_at is None)
    ]
