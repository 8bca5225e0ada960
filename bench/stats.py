"""The pure arithmetic and presentation of the benchmark: percentiles, rates, ratios against
a baseline, target checks and the summary table. No I/O, so a test can run it in milliseconds."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from rich.table import Table


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100) by linear interpolation between closest ranks; NaN if empty."""
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} is outside 0..100")
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class Latency:
    """Seconds of a series of calls, summarised."""

    count: int
    p50: float
    p95: float
    p99: float
    max: float

    @classmethod
    def of(cls, seconds: Sequence[float]) -> Latency:
        return cls(
            count=len(seconds),
            p50=percentile(seconds, 50),
            p95=percentile(seconds, 95),
            p99=percentile(seconds, 99),
            max=max(seconds) if seconds else math.nan,
        )

    def ms(self) -> str:
        return f"p50 {self.p50 * 1e3:.0f} / p95 {self.p95 * 1e3:.0f} / p99 {self.p99 * 1e3:.0f} ms"


def rate(count: int, seconds: float) -> float:
    """Items per second; 0 when nothing was timed."""
    return count / seconds if seconds > 0 else 0.0


def ratio(value: float, baseline: float) -> float:
    """value / baseline; NaN when the baseline is missing or zero (never a fake 0 or ∞)."""
    if not baseline or math.isnan(baseline) or math.isnan(value):
        return math.nan
    return value / baseline


@dataclass
class Figure:
    """One line of the result table: a measurement, its baseline, and the issue's target."""

    scenario: str
    name: str
    value: float
    unit: str
    baseline: float | None = None
    baseline_name: str = ""
    target: str = ""  # e.g. ">= 12", "<= 1.5x", "<= 60"
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        return math.nan if self.baseline is None else ratio(self.value, self.baseline)

    @property
    def met(self) -> bool | None:
        """Whether the target holds; None when there is no target or nothing to compare."""
        return target_met(self.target, self.value, self.ratio)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["value"] = None if math.isnan(self.value) else self.value  # NaN: not measured
        data["ratio"] = None if math.isnan(self.ratio) else self.ratio
        data["met"] = self.met
        return data


def target_met(target: str, value: float, ratio_: float = math.nan) -> bool | None:
    """`">= 12"` compares the value, `"<= 1.5x"` / `">= 0.3x"` the ratio to the baseline."""
    if not target:
        return None
    op, _, bound = target.partition(" ")
    against = ratio_ if bound.endswith("x") else value
    limit = float(bound.rstrip("x"))
    if math.isnan(against):
        return None
    if op == ">=":
        return against >= limit
    if op == "<=":
        return against <= limit
    raise ValueError(f"unknown target operator in {target!r}")


def fmt(value: float | None, unit: str = "") -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if unit == "ms":
        return f"{value * 1e3:,.0f} ms"
    if abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return f"{text} {unit}".strip()


def table(figures: Sequence[Figure], title: str = "motcua benchmark") -> Table:
    """The figures as a rich table: value, baseline, ratio, target and whether it is met."""
    out = Table(title=title)
    for column in ("scenario", "figure", "value", "baseline", "ratio", "target", "met", "detail"):
        out.add_column(column, justify="right" if column in ("value", "ratio") else "left")
    marks = {True: "[green]yes[/]", False: "[red]no[/]", None: ""}
    for f in figures:
        baseline = f"{fmt(f.baseline, f.unit)} ({f.baseline_name})" if f.baseline_name else ""
        out.add_row(
            f.scenario,
            f.name,
            fmt(f.value, f.unit),
            baseline,
            "" if math.isnan(f.ratio) else f"{f.ratio:.2f}x",
            f.target,
            marks[f.met],
            f.note,
        )
    return out
