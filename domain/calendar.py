"""The working calendar (lịch làm việc): office hours, days off and make-up working days.

A `WorkCalendar` is plain data so it can be handed to a workflow; only `build_calendar`
consults the `holidays` package, and it is meant to run outside workflows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

DEFAULT_TZ = "Asia/Ho_Chi_Minh"
WEEKEND = "weekend"

OverrideKind = Literal["day_off", "working_day"]


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


@dataclass(frozen=True)
class OfficeHours:
    """Daily office periods (giờ làm việc) and the weekdays they apply to (Monday = 0)."""

    periods: tuple[tuple[time, time], ...] = (
        (time(7, 30), time(11, 30)),
        (time(13, 0), time(17, 0)),
    )
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)

    def __post_init__(self) -> None:
        if not self.periods:
            raise ValueError("office hours need at least one period")
        previous_end: time | None = None
        for start, end in self.periods:
            if start.tzinfo is not None or end.tzinfo is not None:
                raise ValueError("office hours are local wall-clock times without tzinfo")
            if (start.second, start.microsecond, end.second, end.microsecond) != (0, 0, 0, 0):
                raise ValueError("office hours are whole minutes")
            if not start < end:
                raise ValueError(f"period {start}-{end} must start before it ends")
            if previous_end is not None and start < previous_end:
                raise ValueError("periods must be in order and must not overlap")
            previous_end = end
        if any(not 0 <= d <= 6 for d in self.weekdays):
            raise ValueError("weekdays are 0 (Monday) to 6 (Sunday)")

    @property
    def minutes_per_day(self) -> int:
        return sum(_minutes(end) - _minutes(start) for start, end in self.periods)

    @property
    def day_length(self) -> timedelta:
        return timedelta(minutes=self.minutes_per_day)

    def to_dict(self) -> dict[str, Any]:
        return {
            "periods": [[s.strftime("%H:%M"), e.strftime("%H:%M")] for s, e in self.periods],
            "weekdays": list(self.weekdays),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> OfficeHours:
        return cls(
            periods=tuple(
                (time.fromisoformat(s), time.fromisoformat(e)) for s, e in data["periods"]
            ),
            weekdays=tuple(int(d) for d in data["weekdays"]),
        )


@dataclass(frozen=True)
class CalendarOverride:
    """An admin's dated change to the calendar: an extra day off or a make-up working day
    (ngày làm bù). Overrides win over the `holidays` package."""

    day: date
    kind: OverrideKind
    name: str

    def __post_init__(self) -> None:
        if self.kind not in ("day_off", "working_day"):
            raise ValueError(f"unknown override kind {self.kind!r}")


@dataclass(frozen=True)
class WorkCalendar:
    """Which days are worked and when, for one agency.

    `days_off` are holidays and extra days off (date → name); `working_days` are make-up
    working days on otherwise free days (date → name). Dates without an entry follow
    `office_hours.weekdays`. `years` records which years the holiday data covers (empty when
    unknown). Pass `to_dict()` across process boundaries: JSON cannot key by `date`.
    """

    office_hours: OfficeHours = field(default_factory=OfficeHours)
    days_off: dict[date, str] = field(default_factory=dict)
    working_days: dict[date, str] = field(default_factory=dict)
    tz: str = DEFAULT_TZ
    years: tuple[int, ...] = ()

    def is_working_day(self, d: date) -> bool:
        if d in self.working_days:
            return True
        if d in self.days_off:
            return False
        return d.weekday() in self.office_hours.weekdays

    def day_off_name(self, d: date) -> str | None:
        """Why `d` is not worked ("weekend" for an ordinary free weekday), None if it is."""
        if self.is_working_day(d):
            return None
        return self.days_off.get(d, WEEKEND)

    def covers(self, d: date) -> bool:
        """Whether holiday data was loaded for `d`'s year (always True when unknown)."""
        return not self.years or d.year in self.years

    def opening(self, d: date) -> datetime:
        """Local wall-clock start of the first office period on `d`."""
        return datetime.combine(d, self.office_hours.periods[0][0])

    def with_overrides(self, overrides: Iterable[CalendarOverride]) -> WorkCalendar:
        """A copy with `overrides` applied in order (a later override for a day wins)."""
        days_off = dict(self.days_off)
        working_days = dict(self.working_days)
        for override in overrides:
            if override.kind == "day_off":
                working_days.pop(override.day, None)
                days_off[override.day] = override.name
            else:
                days_off.pop(override.day, None)
                working_days[override.day] = override.name
        return WorkCalendar(
            office_hours=self.office_hours,
            days_off=days_off,
            working_days=working_days,
            tz=self.tz,
            years=self.years,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "office_hours": self.office_hours.to_dict(),
            "days_off": {d.isoformat(): n for d, n in sorted(self.days_off.items())},
            "working_days": {d.isoformat(): n for d, n in sorted(self.working_days.items())},
            "tz": self.tz,
            "years": list(self.years),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WorkCalendar:
        return cls(
            office_hours=OfficeHours.from_dict(data["office_hours"]),
            days_off={date.fromisoformat(d): str(n) for d, n in data["days_off"].items()},
            working_days={date.fromisoformat(d): str(n) for d, n in data["working_days"].items()},
            tz=str(data.get("tz", DEFAULT_TZ)),
            years=tuple(int(y) for y in data.get("years", ())),
        )


def _substituted_pairs(
    days_off: Mapping[date, str], workdays: Iterable[date]
) -> dict[date, date | None]:
    """Pair each make-up working day with the day off it was exchanged for.

    The package labels the day off "Day off (substituted from MM/DD/YYYY)"; it keeps no
    structured pair, so we match the formatted date and fall back to no pair.
    """
    pairs: dict[date, date | None] = {}
    for workday in workdays:
        spellings = {workday.strftime("%m/%d/%Y"), workday.strftime("%d/%m/%Y")}
        pairs[workday] = next(
            (d for d, name in sorted(days_off.items()) if any(s in name for s in spellings)),
            None,
        )
    return pairs


def build_calendar(
    years: Iterable[int],
    overrides: Iterable[CalendarOverride] = (),
    office_hours: OfficeHours = OfficeHours(),
) -> WorkCalendar:
    """Vietnamese public holidays for `years` (with substituted days off and the make-up
    Saturdays they were exchanged for), then `overrides` on top. Not for use in workflows."""
    # Imported here so that importing this module inside a workflow sandbox stays cheap and
    # never touches the package.
    import holidays

    wanted = tuple(sorted(set(years)))
    vn = holidays.country_holidays("VN", years=wanted, language="en_US")
    days_off: dict[date, str] = {d: str(name) for d, name in vn.items()}
    working_days: dict[date, str] = {}
    # weekend_workdays also carries cross-year pairs from years nobody asked for.
    for workday, day_off in _substituted_pairs(days_off, vn.weekend_workdays).items():
        if day_off is not None:
            working_days[workday] = f"Make-up working day for {day_off.isoformat()}"
        elif workday.year in wanted:
            working_days[workday] = "Make-up working day"
    calendar = WorkCalendar(
        office_hours=office_hours,
        days_off=days_off,
        working_days=working_days,
        years=wanted,
    )
    return calendar.with_overrides(overrides)
