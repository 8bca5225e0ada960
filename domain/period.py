"""A reporting period (kỳ báo cáo): a half-open span [start, end) of aware moments, whose
calendar constructors (month, quarter, year, from–to dates) are read in Vietnam's local time,
as the portal's reports are."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from domain.portal import VIETNAM_TZ

__all__ = ["VIETNAM_TZ", "Period", "months_to"]


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=VIETNAM_TZ)


@dataclass(frozen=True)
class Period:
    """[start, end): a moment `m` is in the period when start <= m < end."""

    start: datetime
    end: datetime
    label: str = ""

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("a period's bounds must be timezone-aware")
        if self.end <= self.start:
            raise ValueError("a period must end after it starts")

    @classmethod
    def month(cls, year: int, month: int) -> Period:
        """The calendar month (tháng) in Vietnam local time."""
        following = date(year + month // 12, month % 12 + 1, 1)
        return cls.between(
            date(year, month, 1), following - timedelta(days=1), f"{year}-{month:02d}"
        )

    @classmethod
    def quarter(cls, year: int, quarter: int) -> Period:
        """Quarter (quý) 1..4: January–March, April–June, July–September, October–December."""
        if not 1 <= quarter <= 4:
            raise ValueError("a quarter is 1..4")
        first = cls.month(year, 3 * quarter - 2)
        last = cls.month(year, 3 * quarter)
        return cls(first.start, last.end, f"{year}-Q{quarter}")

    @classmethod
    def year(cls, year: int) -> Period:
        return cls.between(date(year, 1, 1), date(year, 12, 31), str(year))

    @classmethod
    def between(cls, from_date: date, to_date: date, label: str = "") -> Period:
        """From the start of `from_date` to the end of `to_date`, both days included, local
        time: the `from`/`to` filter of a report."""
        if to_date < from_date:
            raise ValueError("to_date is before from_date")
        start = _local_midnight(from_date)
        end = _local_midnight(to_date + timedelta(days=1))
        return cls(start, end, label or f"{from_date.isoformat()}..{to_date.isoformat()}")

    def __contains__(self, moment: object) -> bool:
        return isinstance(moment, datetime) and self.start <= moment < self.end

    def split_at(self, moment: datetime) -> tuple[Period, Period]:
        """The period cut in two at `moment`: [start, moment) and [moment, end)."""
        if not self.start < moment < self.end:
            raise ValueError("the cut must fall strictly inside the period")
        return Period(self.start, moment, f"{self.label}<"), Period(
            moment, self.end, f"{self.label}>"
        )

    def halves(self) -> tuple[Period, Period]:
        """Cut at the middle moment (a month at its 16th, say, for a mid-month review)."""
        return self.split_at(self.start + (self.end - self.start) / 2)


def months_to(period: Period, count: int) -> list[Period]:
    """The `count` calendar months ending with the one `period` starts in, oldest first."""
    local = period.start.astimezone(VIETNAM_TZ)
    year, month = local.year, local.month
    months = []
    for _ in range(count):
        months.append(Period.month(year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]
