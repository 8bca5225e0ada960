"""Outcome records for the indicator tests: a factory with plain defaults, and a hypothesis
strategy drawing records that are consistent the way the read model's are (a closed dossier
has a finished verdict or none; an open one is in progress, overdue or already late)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from domain.outcomes import AgencyLevel, OutcomeRecord, Verdict
from domain.period import Period

NOVEMBER = Period.month(2026, 11)
#: The generated records live from a month before November to a month after it; the read
#: model is taken to have judged them at the window's end.
WINDOW_START = NOVEMBER.start - timedelta(days=31)
WINDOW_END = NOVEMBER.end + timedelta(days=31)
WINDOW_HOURS = int((WINDOW_END - WINDOW_START).total_seconds() // 3600)


def make_record(code: str = "HS-1", **fields: Any) -> OutcomeRecord:
    """A dossier received on 2 November, open and in progress, unless told otherwise."""
    defaults: dict[str, Any] = {
        "procedure_code": "1.000001",
        "procedure_name": "Cấp giấy phép xây dựng",
        "sector": "xay-dung",
        "agency_code": "Q1",
        "agency_name": "UBND Quận 1",
        "agency_level": AgencyLevel.DISTRICT,
        "channel": 1,
        "status": "processing",
        "submitted_at": NOVEMBER.start + timedelta(days=1),
        "received_at": NOVEMBER.start + timedelta(days=1),
        "due_at": NOVEMBER.start + timedelta(days=20),
        "original_due_at": None,
        "ended_at": None,
        "verdict": Verdict.IN_PROGRESS,
    }
    return OutcomeRecord(code=code, **(defaults | fields))


def _at(hours: int) -> datetime:
    return WINDOW_START + timedelta(hours=hours)


@st.composite
def outcome_records(draw: st.DrawFn, code: str = "") -> OutcomeRecord:
    """One consistent record somewhere in the window around November 2026."""
    received_hour = draw(st.integers(0, WINDOW_HOURS - 1))
    received = _at(received_hour)
    due = received + timedelta(hours=draw(st.integers(1, 24 * 40)))
    fate = draw(st.sampled_from(["open", "ended", "withdrawn", "refused_at_reception"]))
    ended_at: datetime | None = None
    withdrawn_at: datetime | None = None
    refused = stopped = withdrawn = False
    if fate == "open":
        verdict = draw(st.sampled_from([Verdict.IN_PROGRESS, Verdict.OVERDUE, Verdict.LATE]))
        status = "processing"
        if verdict is Verdict.IN_PROGRESS:
            due = max(due, WINDOW_END + timedelta(hours=1))
        elif verdict is Verdict.OVERDUE:
            due = min(due, WINDOW_END - timedelta(hours=1))
    elif fate == "ended":
        ended_at = received + timedelta(hours=draw(st.integers(0, 24 * 45)))
        verdict = (
            Verdict.LATE
            if ended_at > due
            else draw(st.sampled_from([Verdict.EARLY, Verdict.ON_TIME, Verdict.LATE]))
        )
        refused = draw(st.booleans())
        stopped = not refused and draw(st.booleans())
        status = "refused" if refused else "stopped" if stopped else "returned"
    elif fate == "withdrawn":
        withdrawn = True
        withdrawn_at = received + timedelta(hours=draw(st.integers(0, 24 * 30)))
        verdict, status = Verdict.NOT_JUDGED, "withdrawn"
    else:
        refused = True
        ended_at = received
        verdict, status = Verdict.NOT_JUDGED, "refused"
    fee_bearing = draw(st.booleans())
    return make_record(
        code or f"HS-{received_hour}-{draw(st.integers(0, 10**6))}",
        channel=draw(st.sampled_from([1, 2, 3])),
        status=status,
        submitted_at=received,
        received_at=received,
        due_at=due,
        ended_at=ended_at,
        withdrawn_at=withdrawn_at,
        verdict=verdict,
        apologised=verdict is Verdict.LATE and draw(st.booleans()),
        waiting_for_applicant=fate == "open" and draw(st.booleans()),
        refused=refused,
        stopped=stopped,
        withdrawn=withdrawn,
        fee_bearing=fee_bearing,
        paid_online=fee_bearing and draw(st.booleans()),
        components_digitized=draw(st.booleans()),
        reused=draw(st.booleans()),
        result_required=draw(st.booleans()),
        electronic_result=draw(st.booleans()),
        rating=draw(st.none() | st.integers(1, 5)),
        synced=draw(st.booleans()),
        sector=draw(st.sampled_from(["dat-dai", "xay-dung", "ho-tich"])),
        unit_codes=tuple(draw(st.lists(st.sampled_from(["P1", "P2", "P3"]), max_size=2))),
        officers=tuple(draw(st.lists(st.sampled_from(["an", "binh", "chi"]), max_size=2))),
    )


populations = st.lists(outcome_records(), max_size=40)


# --- a population with known counts ---------------------------------------------------------

POPULATION_MONTH = Period.month(2025, 11)
_OCTOBER_2025 = Period.month(2025, 10).start + timedelta(days=1)
_START, _END = POPULATION_MONTH.start, POPULATION_MONTH.end
_RESOLVED_AT = _START + timedelta(days=14)
_LATE_AT = _START + timedelta(days=25)

#: (kind, how many, verdict, fields) of the 4,000 dossiers received in November 2025.
_RECEIVED_IN_NOVEMBER: tuple[tuple[str, int, Verdict, dict[str, Any]], ...] = (
    ("early", 2000, Verdict.EARLY, {"ended_at": _RESOLVED_AT}),
    ("on_time", 960, Verdict.ON_TIME, {"ended_at": _RESOLVED_AT}),
    ("late_apologised", 25, Verdict.LATE, {"ended_at": _LATE_AT, "apologised": True}),
    ("late_silent", 15, Verdict.LATE, {"ended_at": _LATE_AT}),
    ("waiting", 30, Verdict.IN_PROGRESS, {"due_at": _END, "waiting_for_applicant": True}),
    ("open", 850, Verdict.IN_PROGRESS, {"due_at": _END + timedelta(days=5)}),
    ("overdue", 20, Verdict.OVERDUE, {}),
    ("withdrawn", 60, Verdict.NOT_JUDGED, {"withdrawn": True, "withdrawn_at": _RESOLVED_AT}),
    ("refused", 40, Verdict.NOT_JUDGED, {"refused": True, "status": "refused"}),
)


def _received_facts(i: int) -> dict[str, Any]:
    """Over the 4,000 received in November, by their index i: 2,200 online and 100 by post,
    3,960 synced, 1,000 fee-bearing of which 400 paid online, 1,000 reused."""
    received = _START + timedelta(hours=1 + i % 300)
    return {
        "submitted_at": received,
        "received_at": received,
        "due_at": _START + timedelta(days=20),
        "channel": 2 if i < 2200 else 3 if i < 2300 else 1,
        "synced": i < 3960,
        "fee_bearing": i % 4 == 0,
        "paid_online": i % 4 == 0 and (i // 4) % 5 < 2,
        "reused": i % 4 == 1,
    }


def _result_facts(j: int) -> dict[str, Any]:
    """Over the 3,050 resolved in November, by their index j: 2,440 returning a document, 1,830
    of them electronically; 2,135 digitized; 610 rated, 549 of them 4 or 5."""
    rated = j % 5 == 0
    return {
        "status": "returned",
        "result_required": j % 10 < 8,
        "electronic_result": j % 10 < 6,
        "components_digitized": j % 10 not in (5, 6, 7),
        "rating": (3 if (j // 5) % 10 == 9 else 5) if rated else None,
    }


def known_population() -> list[OutcomeRecord]:
    """4,150 dossiers of a district in November 2025: the 4,000 received in November above, 50
    carried over from October and ended on time in November, and 100 received and finished in
    October (in none of November's figures)."""
    records: list[OutcomeRecord] = []
    i = j = 0
    for kind, count, verdict, fields in _RECEIVED_IN_NOVEMBER:
        for _ in range(count):
            facts = _received_facts(i) | {"verdict": verdict} | fields
            if verdict.finished:
                facts |= _result_facts(j)
                j += 1
            if kind == "refused":
                facts["ended_at"] = facts["received_at"]
            records.append(make_record(f"{kind}-{i}", **facts))
            i += 1
    october = {"submitted_at": _OCTOBER_2025, "received_at": _OCTOBER_2025, "synced": True}
    for k in range(50):
        carried = {"due_at": _END, "ended_at": _RESOLVED_AT, "verdict": Verdict.ON_TIME}
        records.append(make_record(f"carried-{k}", **(october | carried | _result_facts(j))))
        j += 1
    finished_in_october = {
        "ended_at": _OCTOBER_2025 + timedelta(days=1),
        "verdict": Verdict.EARLY,
        "status": "returned",
        "rating": 5,
    }
    records += [make_record(f"october-{k}", **(october | finished_in_october)) for k in range(100)]
    return records
