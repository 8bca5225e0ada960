"""The statutory clock (thời hạn giải quyết): working-time arithmetic on a `WorkCalendar` and
the append-only clock ledger from which a dossier's due moment (ngày hẹn trả) is derived.

Everything here is a deterministic function of its arguments, so workflows may call it.
Public functions take timezone-aware datetimes and return them in UTC; office hours, days
and explanations are in the calendar's local time. Terms are integer working minutes.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any, Literal
from zoneinfo import ZoneInfo

from domain.calendar import DEFAULT_TZ, WorkCalendar

_DAY = timedelta(days=1)
_ZERO = timedelta(0)
# A calendar with a whole year and no working day in it is broken; stop instead of looping.
_MAX_IDLE_DAYS = 366

LedgerKind = Literal["start", "pause", "resume", "restart", "reschedule"]
_LEDGER_KINDS: tuple[str, ...] = ("start", "pause", "resume", "restart", "reschedule")


# --- time zone -----------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _require_aware(dt: datetime, what: str) -> None:
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got {dt!r}")


def _to_local(cal: WorkCalendar, dt: datetime) -> datetime:
    _require_aware(dt, "datetime")
    return dt.astimezone(_zone(cal.tz)).replace(tzinfo=None)


def _to_utc(cal: WorkCalendar, local: datetime) -> datetime:
    return local.replace(tzinfo=_zone(cal.tz)).astimezone(UTC)


def format_local(dt: datetime, tz: str = DEFAULT_TZ) -> str:
    """`dt` as "YYYY-MM-DD HH:MM" in local time (Asia/Ho_Chi_Minh unless told otherwise)."""
    _require_aware(dt, "datetime")
    return dt.astimezone(_zone(tz)).strftime("%Y-%m-%d %H:%M")


# --- working-time arithmetic in local wall-clock time --------------------------------------


def _periods(cal: WorkCalendar, d: date) -> list[tuple[datetime, datetime]]:
    return [(datetime.combine(d, s), datetime.combine(d, e)) for s, e in cal.office_hours.periods]


def _closing(cal: WorkCalendar, d: date) -> datetime:
    return datetime.combine(d, cal.office_hours.periods[-1][1])


def _working_days(cal: WorkCalendar, d: date, step: timedelta) -> Iterator[date]:
    """Working days from `d` (inclusive) onwards in the direction of `step`."""
    idle = 0
    while True:
        if cal.is_working_day(d):
            idle = 0
            yield d
        else:
            idle += 1
            if idle > _MAX_IDLE_DAYS:
                raise ValueError(f"no working day within {_MAX_IDLE_DAYS} days of {d}")
        d += step


def _next_opening_local(cal: WorkCalendar, t: datetime) -> datetime:
    for d in _working_days(cal, t.date(), _DAY):
        for start, end in _periods(cal, d):
            if t < end:
                return max(t, start)
    raise AssertionError("unreachable")


def _add_local(cal: WorkCalendar, t: datetime, work: timedelta) -> datetime:
    if not work:
        return _next_opening_local(cal, t)
    remaining = work
    day_length = cal.office_hours.day_length
    for d in _working_days(cal, t.date(), _DAY):
        # '>' so that a term ending exactly at closing is resolved inside the day, at closing.
        if t <= cal.opening(d) and remaining > day_length:
            remaining -= day_length
            continue
        for start, end in _periods(cal, d):
            if t >= end:
                continue
            begin = max(t, start)
            if remaining <= end - begin:
                return begin + remaining
            remaining -= end - begin
    raise AssertionError("unreachable")


def _subtract_local(cal: WorkCalendar, end: datetime, work: timedelta) -> datetime:
    # '<' and not '<=': time used up exactly at an opening carries on through the gap before
    # it and ends at the previous closing, the earliest instant with that much working time.
    remaining = work
    day_length = cal.office_hours.day_length
    for d in _working_days(cal, end.date(), -_DAY):
        if end >= _closing(cal, d) and remaining > day_length:
            remaining -= day_length
            continue
        for start, stop in reversed(_periods(cal, d)):
            if start >= end:
                continue
            available = min(end, stop) - start
            if remaining < available:
                return min(end, stop) - remaining
            remaining -= available
    raise AssertionError("unreachable")


def _between_local(cal: WorkCalendar, a: datetime, b: datetime) -> timedelta:
    total = _ZERO
    day_length = cal.office_hours.day_length
    d = a.date()
    while d <= b.date():
        if cal.is_working_day(d):
            if a <= cal.opening(d) and b >= _closing(cal, d):
                total += day_length
            else:
                for start, end in _periods(cal, d):
                    lo, hi = max(a, start), min(b, end)
                    if hi > lo:
                        total += hi - lo
        d += _DAY
    return total


def _as_work(minutes: int | timedelta) -> timedelta:
    work = minutes if isinstance(minutes, timedelta) else timedelta(minutes=minutes)
    if work < _ZERO:
        raise ValueError(f"working time must not be negative, got {minutes!r}")
    return work


# --- public arithmetic ---------------------------------------------------------------------


def working_days_to_minutes(days: float | Decimal, cal: WorkCalendar) -> int:
    """A term in working days (in steps of 0.5) as working minutes on `cal`."""
    amount = days if isinstance(days, Decimal) else Decimal(str(days))
    if not amount.is_finite() or amount < 0 or (amount * 2) % 1 != 0:
        raise ValueError(f"a term is a non-negative multiple of 0.5 working days, got {days!r}")
    minutes = amount * cal.office_hours.minutes_per_day
    if minutes % 1 != 0:
        raise ValueError(f"{days} working days is not a whole number of minutes on this calendar")
    return int(minutes)


def next_opening(cal: WorkCalendar, at: datetime) -> datetime:
    """`at` if it is inside an office period [opening, closing) of a working day, otherwise
    the next period's opening."""
    return _to_utc(cal, _next_opening_local(cal, _to_local(cal, at)))


def clock_start(cal: WorkCalendar, accepted_at: datetime, cutoff: time | None = None) -> datetime:
    """When the clock starts for a dossier accepted at `accepted_at`.

    Inside office hours and before the receipt cut-off: at acceptance. At or after the cut-off
    on a working day: the next working day's first opening. Otherwise the next opening.
    """
    local = _to_local(cal, accepted_at)
    if _after_cutoff(cal, local, cutoff):
        local = datetime.combine(local.date() + _DAY, time.min)
    return _to_utc(cal, _next_opening_local(cal, local))


def _after_cutoff(cal: WorkCalendar, local: datetime, cutoff: time | None) -> bool:
    """Whether a receipt at `local` missed the day's cut-off (at the cut-off counts as missed)."""
    if cutoff is None:
        return False
    if cutoff.tzinfo is not None:
        raise ValueError("the cut-off is a local wall-clock time without tzinfo")
    return cal.is_working_day(local.date()) and local.time() >= cutoff


def add_working_time(cal: WorkCalendar, start: datetime, minutes: int | timedelta) -> datetime:
    """The instant at which `minutes` of working time counted from `start` are used up.

    Used up exactly at a closing time (11:30, 17:00), the answer is that closing time, not the
    next opening. Zero working time gives `next_opening(start)`. An int is minutes.
    """
    return _to_utc(cal, _add_local(cal, _to_local(cal, start), _as_work(minutes)))


def subtract_working_time(cal: WorkCalendar, end: datetime, minutes: int | timedelta) -> datetime:
    """The earliest instant t with `working_time_between(t, end) == minutes`.

    "Earliest" means that when the time runs out exactly at an opening, or `end` lies outside
    office hours, t is the closing before the gap: 1 working day before Monday 17:00 is the
    previous working day's 17:00. For a valid due moment `end` (inside a period or at its
    closing) and minutes > 0, `add_working_time(t, minutes) == end`.
    """
    return _to_utc(cal, _subtract_local(cal, _to_local(cal, end), _as_work(minutes)))


def working_time_between(cal: WorkCalendar, a: datetime, b: datetime) -> timedelta:
    """Working time in [a, b), exact to the microsecond; negative when b is before a."""
    la, lb = _to_local(cal, a), _to_local(cal, b)
    if lb < la:
        return -_between_local(cal, lb, la)
    return _between_local(cal, la, lb)


# --- wording -------------------------------------------------------------------------------


def _plural(n: int | Decimal, unit: str) -> str:
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"


def _format_span(td: timedelta, minutes_per_day: int) -> str:
    """`td` as "3 d 2 h 5 min", where a day is `minutes_per_day` minutes."""
    sign = "-" if td < _ZERO else ""
    minutes = int(abs(td).total_seconds() // 60)
    days, rest = divmod(minutes, minutes_per_day)
    hours, mins = divmod(rest, 60)
    parts = [f"{days} d"] if days else []
    parts += [f"{hours} h"] if hours else []
    parts += [f"{mins} min"] if mins else []
    return sign + (" ".join(parts) or "0 min")


def _format_duration(td: timedelta) -> str:
    return _format_span(td, 24 * 60)


def describe_term(term_minutes: int, cal: WorkCalendar) -> str:
    """A term in words, e.g. 15 working days (120 working hours) or 10 working hours."""
    per_day = cal.office_hours.minutes_per_day
    hours, mins = divmod(term_minutes, 60)
    if mins:
        in_hours = f"{hours} h {mins} min" if hours else f"{mins} min"
        in_hours += " of working time"
    else:
        in_hours = _plural(hours, "working hour")
    if (term_minutes * 2) % per_day:
        return in_hours
    days = Decimal(term_minutes * 2 // per_day) / 2
    return f"{_plural(days, 'working day')} ({in_hours})"


def _format_days(days: Sequence[date]) -> str:
    if len(days) == 1:
        return days[0].isoformat()
    joiner = " and " if len(days) == 2 else " to "
    return f"{days[0].isoformat()}{joiner}{days[-1].isoformat()}"


def _calendar_notes(
    cal: WorkCalendar, a: datetime, b: datetime, already: set[date]
) -> Iterator[str]:
    """Days between `a` and `b` (UTC) that the clock skipped or counted unusually, grouped
    into runs of consecutive days with the same name."""
    d, last = _to_local(cal, a).date(), _to_local(cal, b).date()
    run: list[date] = []
    run_name = ""
    while d <= last:
        name = None if d in already else cal.day_off_name(d)
        if run and name != run_name:
            yield f"skipped {_format_days(run)} ({run_name})"
            run = []
        if name is not None:
            run_name = name
            run.append(d)
        elif d in cal.working_days and d not in already:
            yield f"counted {d.isoformat()} as a working day ({cal.working_days[d]})"
        already.add(d)
        d += _DAY
    if run:
        yield f"skipped {_format_days(run)} ({run_name})"


# --- the ledger ----------------------------------------------------------------------------


class LedgerError(ValueError):
    """The ledger describes something that cannot have happened."""


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One event on a dossier's clock.

    start: the complete dossier was accepted (the clock starts at `clock_start`).
    pause: stop counting (e.g. waiting for the applicant to supplement or pay).
    resume: continue with the working time that was left.
    restart: the term starts again from zero (Decree 61/2018 Art. 19.4 supplement rule).
    reschedule: apology letter (Form 04) with a new appointment `new_due`.
    """

    kind: LedgerKind
    at: datetime
    reason: str = ""
    actor: str = ""
    basis: str = ""
    new_due: datetime | None = None

    def __post_init__(self) -> None:
        if self.kind not in _LEDGER_KINDS:
            raise LedgerError(f"unknown ledger entry kind {self.kind!r}")
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise LedgerError(f"ledger times must be timezone-aware, got {self.at!r}")
        if (self.kind == "reschedule") != (self.new_due is not None):
            raise LedgerError("a new due moment goes with a reschedule and only with it")
        if self.new_due is not None and (
            self.new_due.tzinfo is None or self.new_due.utcoffset() is None
        ):
            raise LedgerError(f"new due moment must be timezone-aware, got {self.new_due!r}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "at": self.at.isoformat(),
            "reason": self.reason,
            "actor": self.actor,
            "basis": self.basis,
            "new_due": self.new_due.isoformat() if self.new_due else None,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LedgerEntry:
        new_due = data.get("new_due")
        return cls(
            kind=data["kind"],
            at=datetime.fromisoformat(data["at"]),
            reason=data.get("reason", ""),
            actor=data.get("actor", ""),
            basis=data.get("basis", ""),
            new_due=datetime.fromisoformat(new_due) if new_due else None,
        )


@dataclass(frozen=True, slots=True)
class ClockReading:
    """The clock derived from a ledger, as of `as_of` (by default the last entry).

    `due` is the moment the result is owed (the new appointment after an apology), None
    while paused. `original_due` ignores the apology: lateness is reported against it.
    `consumed` is working time used of the current term (since the last start or restart);
    `remaining` is working time from `as_of` to `due`, negative once overdue (while paused:
    what was left when the pause began). `paused_working_time` is the working time spent
    paused after the clock began, i.e. what the pauses added to the term.
    """

    started_at: datetime
    due: datetime | None
    original_due: datetime | None
    rescheduled_due: datetime | None
    paused: bool
    consumed: timedelta
    remaining: timedelta
    paused_working_time: timedelta
    explanation: list[str]
    term: timedelta
    as_of: datetime
    paused_since: datetime | None = None
    reschedules: int = 0


@dataclass(slots=True)
class _Derivation:
    cal: WorkCalendar
    term: timedelta
    cutoff: time | None
    started_at: datetime = datetime.min.replace(tzinfo=UTC)
    run_from: datetime = datetime.min.replace(tzinfo=UTC)
    original_due: datetime = datetime.min.replace(tzinfo=UTC)
    rescheduled_due: datetime | None = None
    pause: LedgerEntry | None = None
    # Working time left to each due moment when the pause began (<= 0: it had passed).
    left_original: timedelta = _ZERO
    left_rescheduled: timedelta | None = None
    consumed: timedelta = _ZERO
    paused_work: timedelta = _ZERO
    reschedules: int = 0
    max_reschedules: int = 1
    lines: list[str] = field(default_factory=list)
    # Local days already accounted for in `lines`, so that none is listed twice.
    noted_days: set[date] = field(default_factory=set)

    def local(self, dt: datetime) -> str:
        return format_local(dt, self.cal.tz)

    def work(self, td: timedelta) -> str:
        return _format_span(td, self.cal.office_hours.minutes_per_day)

    @property
    def due(self) -> datetime:
        return self.rescheduled_due or self.original_due

    @property
    def left_effective(self) -> timedelta:
        if self.left_rescheduled is not None:
            return self.left_rescheduled
        return self.left_original

    def begin_term(self, entry: LedgerEntry) -> None:
        self.started_at = clock_start(self.cal, entry.at, self.cutoff)
        self.run_from = self.started_at
        self.original_due = add_working_time(self.cal, self.started_at, self.term)
        self.rescheduled_due = None
        self.consumed = _ZERO
        line = (
            f"{describe_term(int(self.term.total_seconds()) // 60, self.cal)} "
            f"from {self.local(self.started_at)}"
        )
        if self.started_at != entry.at:
            why = "outside office hours"
            if self.cutoff is not None and _after_cutoff(
                self.cal, _to_local(self.cal, entry.at), self.cutoff
            ):
                why = f"after the {self.cutoff.strftime('%H:%M')} cut-off"
            line += f" (received {self.local(entry.at)}, {why})"
        self.lines.append(line)

    def close_run(self, until: datetime) -> None:
        self.consumed += max(_ZERO, working_time_between(self.cal, self.run_from, until))
        self.lines.extend(_calendar_notes(self.cal, self.run_from, until, self.noted_days))

    def waited(self, until: datetime) -> timedelta:
        """Working time of the current pause up to `until` that the clock would have counted."""
        assert self.pause is not None
        counted_from = max(self.pause.at, self.run_from)
        return max(_ZERO, working_time_between(self.cal, counted_from, until))

    def close_pause(self, until: datetime, *, resumed: bool) -> None:
        assert self.pause is not None
        p = self.pause
        waited = self.waited(until)
        self.paused_work += waited
        line = f"paused {_format_duration(until - p.at)} (working time {self.work(waited)})"
        line += f" {p.reason}" if p.reason else ""
        line += f", by {p.actor}" if p.actor else ""
        line += f", from {self.local(p.at)} to {self.local(until)}"
        line += f" ({p.basis})" if p.basis else ""
        if resumed and self.left_effective <= _ZERO:
            line += "; it began after the due moment, which therefore does not move"
        self.lines.append(line)
        first, last = _to_local(self.cal, p.at).date(), _to_local(self.cal, until).date()
        self.noted_days.update(first + _DAY * i for i in range((last - first).days + 1))
        self.pause = None

    def apply(self, entry: LedgerEntry) -> None:
        if entry.kind == "start":
            raise LedgerError("the clock can only be started once; use restart")
        if entry.kind == "pause":
            if self.pause is not None:
                raise LedgerError(f"pause at {self.local(entry.at)} while already paused")
            self.close_run(entry.at)
            self.pause = entry
            # Paused before the clock began (e.g. received after the cut-off): nothing is used.
            counted_to = max(entry.at, self.run_from)
            self.left_original = working_time_between(self.cal, counted_to, self.original_due)
            self.left_rescheduled = (
                working_time_between(self.cal, counted_to, self.rescheduled_due)
                if self.rescheduled_due
                else None
            )
        elif entry.kind == "resume":
            if self.pause is None:
                raise LedgerError(f"resume at {self.local(entry.at)} while the clock is running")
            self.close_pause(entry.at, resumed=True)
            # Resumed before the clock had begun: it still begins when it would have.
            self.run_from = next_opening(self.cal, max(entry.at, self.run_from))
            if self.left_original > _ZERO:
                self.original_due = add_working_time(self.cal, self.run_from, self.left_original)
            if self.left_rescheduled is not None and self.left_rescheduled > _ZERO:
                self.rescheduled_due = add_working_time(
                    self.cal, self.run_from, self.left_rescheduled
                )
            left = working_time_between(self.cal, self.run_from, self.due)
            self.lines.append(
                f"resumed {self.local(entry.at)} with {self.work(left)} of working time left"
            )
            # days off between the resumption and the next opening delay the clock too
            self.lines.extend(_calendar_notes(self.cal, entry.at, self.run_from, self.noted_days))
        elif entry.kind == "restart":
            if self.pause is not None:
                self.close_pause(entry.at, resumed=False)
            else:
                self.close_run(entry.at)
            basis = f" ({entry.basis})" if entry.basis else ""
            reason = f": {entry.reason}" if entry.reason else ""
            self.lines.append(f"restarted from zero on {self.local(entry.at)}{basis}{reason}")
            self.begin_term(entry)
        else:
            self.reschedule(entry)

    def reschedule(self, entry: LedgerEntry) -> None:
        assert entry.new_due is not None
        when = self.local(entry.at)
        if self.pause is not None:
            raise LedgerError(f"reschedule at {when} while paused: there is no due moment")
        if self.reschedules >= self.max_reschedules:
            raise LedgerError(
                f"reschedule at {when}: a new appointment may be set only "
                f"{_plural(self.max_reschedules, 'time')}"
            )
        if entry.new_due <= self.due:
            raise LedgerError(
                f"reschedule at {when} to {self.local(entry.new_due)}, "
                f"which is not after the due moment {self.local(self.due)}"
            )
        self.rescheduled_due = entry.new_due
        self.reschedules += 1
        line = f"rescheduled by apology to {self.local(entry.new_due)}, issued {when}"
        line += f" by {entry.actor}" if entry.actor else ""
        line += f": {entry.reason}" if entry.reason else ""
        line += f" ({entry.basis})" if entry.basis else ""
        self.lines.append(line)


def derive(
    entries: Sequence[LedgerEntry],
    term_minutes: int,
    cal: WorkCalendar,
    cutoff: time | None = None,
    *,
    as_of: datetime | None = None,
    max_reschedules: int = 1,
) -> ClockReading:
    """The clock described by `entries` for a term of `term_minutes` working minutes.

    `cutoff` applies to the start and to restarts (a restart is a fresh start), not to
    resumes. Raises `LedgerError` for a ledger that cannot have happened.
    """
    if term_minutes <= 0:
        raise ValueError(f"a term must be positive, got {term_minutes} minutes")
    if not entries:
        raise LedgerError("an empty ledger has no clock")
    if entries[0].kind != "start":
        raise LedgerError(f"a ledger begins with start, not {entries[0].kind}")
    for before, after in zip(entries, entries[1:], strict=False):
        if after.at < before.at:
            raise LedgerError(
                f"{after.kind} at {format_local(after.at, cal.tz)} is recorded after "
                f"{before.kind} at {format_local(before.at, cal.tz)}"
            )
    last = entries[-1].at
    as_of = last if as_of is None else as_of
    if as_of < last:
        raise LedgerError("a reading cannot be taken before the last ledger entry")

    state = _Derivation(
        cal=cal,
        term=timedelta(minutes=term_minutes),
        cutoff=cutoff,
        max_reschedules=max_reschedules,
    )
    state.begin_term(entries[0])
    for entry in entries[1:]:
        state.apply(entry)

    if state.pause is not None:
        paused_since = state.pause.at
        waited = state.waited(as_of)
        left = state.left_effective
        line = f"paused since {state.local(paused_since)}"
        line += f" {state.pause.reason}" if state.pause.reason else ""
        line += f", by {state.pause.actor}" if state.pause.actor else ""
        line += f" ({state.pause.basis})" if state.pause.basis else ""
        state.lines.append(line)
        state.lines.append(f"no due moment while paused; {state.work(left)} of working time left")
        return ClockReading(
            started_at=state.started_at,
            due=None,
            original_due=None,
            rescheduled_due=None,
            paused=True,
            consumed=state.consumed,
            remaining=left,
            paused_working_time=state.paused_work + waited,
            explanation=state.lines,
            term=state.term,
            as_of=as_of,
            paused_since=paused_since,
            reschedules=state.reschedules,
        )

    due = state.due
    consumed = state.consumed + max(_ZERO, working_time_between(cal, state.run_from, as_of))
    state.lines.extend(_calendar_notes(cal, state.run_from, due, state.noted_days))
    if state.rescheduled_due is not None:
        state.lines.append(
            f"due {state.local(due)} (new appointment; original due "
            f"{state.local(state.original_due)})"
        )
    else:
        state.lines.append(f"due {state.local(due)}")
    return ClockReading(
        started_at=state.started_at,
        due=due,
        original_due=state.original_due,
        rescheduled_due=state.rescheduled_due,
        paused=False,
        consumed=consumed,
        remaining=working_time_between(cal, as_of, due),
        paused_working_time=state.paused_work,
        explanation=state.lines,
        term=state.term,
        as_of=as_of,
        reschedules=state.reschedules,
    )


def explain(
    entries: Sequence[LedgerEntry],
    term_minutes: int,
    cal: WorkCalendar,
    cutoff: time | None = None,
    *,
    as_of: datetime | None = None,
) -> list[str]:
    """Why the due moment is what it is, line by line, for a clerk."""
    return derive(entries, term_minutes, cal, cutoff, as_of=as_of).explanation
