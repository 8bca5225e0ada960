"""The late list's entries and the officials and units who caused the delays."""

from __future__ import annotations

from datetime import UTC, datetime

from domain.outcomes import AgencyLevel, OutcomeRecord, StepAttribution, Verdict
from domain.publications import late_entries, responsible_for

T = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)


def blame(unit: str, officer: str, hours: float, attempt: int = 1) -> StepAttribution:
    return StepAttribution(1, attempt, unit, f"Phòng {unit}", "A", "Sở A", officer, officer, hours)


def record(
    code: str, verdict: Verdict, hours: float = 0.0, *blames: StepAttribution
) -> OutcomeRecord:
    return OutcomeRecord(
        code=code,
        procedure_code="P",
        procedure_name="Thủ tục",
        sector="Đất đai",
        agency_code="A",
        agency_name="Sở A",
        agency_level=AgencyLevel.DEPARTMENT,
        channel=1,
        status="resolved",
        submitted_at=T,
        received_at=T,
        due_at=T,
        original_due_at=T,
        ended_at=T,
        verdict=verdict,
        late_hours=hours,
        attribution=blames,
    )


def test_the_late_list_is_the_late_and_overdue_worst_first_without_names_when_public() -> None:
    records = [
        record("on-time", Verdict.ON_TIME),
        record("late-a", Verdict.LATE, 4.0, blame("U1", "an", 4.0)),
        record("late-b", Verdict.LATE, 20.0, blame("U2", "", 20.0)),
        record("overdue", Verdict.OVERDUE, 8.0),
    ]
    entries = late_entries(records, applicant_names={"late-a": "Nguyễn Văn A"})
    assert [e.code for e in entries] == ["late-b", "overdue", "late-a"]
    assert entries[2].applicant_name == "Nguyễn Văn A"
    assert all(e.applicant_name == "" for e in late_entries(records))


def test_officials_and_units_who_caused_delays_are_summed_and_ranked() -> None:
    entries = late_entries(
        [
            record("d1", Verdict.LATE, 10, blame("U1", "an", 6), blame("U2", "", 4)),
            record("d2", Verdict.LATE, 9, blame("U1", "an", 2), blame("U1", "an", 3, attempt=2)),
            record("d3", Verdict.LATE, 1, blame("U2", "", 1)),
            record("d4", Verdict.LATE, 1, blame("U1", "binh", 1)),
        ]
    )
    ranked = [
        (r.unit_code, r.officer, r.dossiers, r.overrun_hours) for r in responsible_for(entries)
    ]
    assert ranked == [("U1", "an", 2, 11.0), ("U2", "", 2, 5.0), ("U1", "binh", 1, 1.0)]


def test_the_months_of_a_year_to_a_period_cross_the_new_year() -> None:
    from domain.period import Period, months_to

    months = months_to(Period.month(2026, 2), 4)
    assert months == [
        Period.month(2025, 11),
        Period.month(2025, 12),
        *(Period.month(2026, m) for m in (1, 2)),
    ]


def test_the_periods_late_list_is_ended_late_within_it_or_open_and_overdue() -> None:
    from dataclasses import replace
    from datetime import timedelta

    from domain.period import Period
    from domain.publications import late_in

    november = Period.month(2026, 11)
    late_now = record("late-now", Verdict.LATE, 2)
    late_before = replace(record("late-before", Verdict.LATE, 2), ended_at=T - timedelta(days=40))
    overdue = replace(record("overdue", Verdict.OVERDUE, 2), ended_at=None)
    on_time = record("on-time", Verdict.ON_TIME)
    found = late_in([late_now, late_before, overdue, on_time], november)
    assert [r.code for r in found] == ["late-now", "overdue"]
