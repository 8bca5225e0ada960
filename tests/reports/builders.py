"""Small hand-made publications for the report tests: a district's November 2026 with two
late dossiers whose responsible units, officers and applicants carry Vietnamese diacritics,
built through the domain's own functions (indicators, targets, late entries)."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pypdf

from domain.indicators import compute_indicators
from domain.outcomes import AgencyLevel, OutcomeRecord, StepAttribution, Verdict
from domain.publications import LateList, MonthlyReport, late_entries
from domain.targets import DEFAULT_TARGETS, assess, forecast
from tests.support.outcome_records import NOVEMBER, make_record

AGENCY = "Ủy ban nhân dân Quận 1"
LATE_CODE = "000.00.31.H29-261102-0001"
OVERDUE_CODE = "000.00.31.H29-261103-0002"
UNIT = "Phòng Quản lý đô thị"
SECOND_UNIT = "Phòng Tài nguyên và Môi trường"
OFFICER = "Nguyễn Văn Đức"
OVERDUE_OFFICER = "Trần Thị Hằng"
APPLICANTS = {LATE_CODE: "Lê Thị Ánh Tuyết", OVERDUE_CODE: "Phạm Quốc Việt"}
#: 06:15 UTC on 1 December is 13:15 in Vietnam.
GENERATED = datetime(2026, 12, 1, 6, 15, tzinfo=UTC)
GENERATED_WORDS = "13 giờ 15 phút, ngày 01 tháng 12 năm 2026"


def attribution(unit: str, officer_name: str, hours: float, step: int = 1) -> StepAttribution:
    return StepAttribution(
        step_index=step,
        attempt=1,
        unit_code=f"U{step}",
        unit_name=unit,
        agency_code="Q1",
        agency_name=AGENCY,
        officer=officer_name and f"officer-{step}",
        officer_name=officer_name,
        overrun_hours=hours,
    )


def late_record(code: str, hours: float = 20, **fields: Any) -> OutcomeRecord:
    """A dossier received on 2 November, due on the 21st, ended late on the 23rd. The read
    model fills `original_due_at` with the appointment in force when no apology moved it,
    and the late list shows that one."""
    defaults: dict[str, Any] = {
        "agency_name": AGENCY,
        "status": "returned",
        "original_due_at": NOVEMBER.start + timedelta(days=20),
        "ended_at": NOVEMBER.start + timedelta(days=22),
        "verdict": Verdict.LATE,
        "late_hours": hours,
        "synced": True,
    }
    return make_record(code, **(defaults | fields))


def november_records(on_time: int = 398) -> list[OutcomeRecord]:
    """`on_time` early dossiers, one late (apologised, 2,5 days, two units responsible) and
    one open past its appointment; 400 in all by default, so 2.1 is 398/400 = 99,5 %."""
    early = [
        make_record(
            f"000.00.31.H29-2611{n:05d}",
            agency_name=AGENCY,
            status="returned",
            ended_at=NOVEMBER.start + timedelta(days=5),
            verdict=Verdict.EARLY,
            synced=n % 2 == 0,
        )
        for n in range(on_time)
    ]
    late = late_record(
        LATE_CODE,
        hours=20,
        apologised=True,
        attribution=(attribution(UNIT, OFFICER, 12), attribution(SECOND_UNIT, "", 8, step=2)),
    )
    overdue = make_record(
        OVERDUE_CODE,
        agency_name=AGENCY,
        received_at=NOVEMBER.start + timedelta(days=2),
        due_at=NOVEMBER.start + timedelta(days=12),
        original_due_at=NOVEMBER.start + timedelta(days=12),
        verdict=Verdict.OVERDUE,
        late_hours=4,
        synced=True,
        attribution=(attribution(UNIT, OVERDUE_OFFICER, 4),),
    )
    return [*early, late, overdue]


def late_list(records: list[OutcomeRecord], *, public: bool = False) -> LateList:
    return LateList(
        title="Danh sách hồ sơ trễ hạn tháng 11/2026",
        agency_name=AGENCY,
        period=NOVEMBER,
        generated_at=GENERATED,
        entries=late_entries(records, applicant_names=None if public else APPLICANTS),
        public=public,
    )


def monthly_report(records: list[OutcomeRecord], **fields: Any) -> MonthlyReport:
    scorecard = compute_indicators(records, NOVEMBER)
    defaults: dict[str, Any] = {
        "agency_code": "Q1",
        "agency_name": AGENCY,
        "level": AgencyLevel.DISTRICT.value,
        "period": NOVEMBER,
        "generated_at": GENERATED,
        "scorecard": scorecard,
        "assessments": tuple(assess(scorecard, DEFAULT_TARGETS, AgencyLevel.DISTRICT)),
        "late": late_list(records),
        "trend": (("09/2026", 0.991), ("10/2026", None), ("11/2026", 0.995)),
        "ranking": ((AGENCY, 0.995, 400), ("Ủy ban nhân dân Quận Bình Thạnh", 0.982, 610)),
    }
    return MonthlyReport(**(defaults | fields))


def running_forecast(records: list[OutcomeRecord]) -> Any:
    """The forecast of November as seen on the 20th."""
    return forecast(records, NOVEMBER, NOVEMBER.start + timedelta(days=19))


def pages(pdf: bytes) -> list[str]:
    """Each page's text as a reader would copy it, whitespace collapsed (table cells wrap
    wherever the column ends)."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def text(pdf: bytes) -> str:
    return " ".join(pages(pdf))


def image_count(pdf: bytes) -> int:
    """Image XObjects drawn on the pages (the charts)."""
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    count = 0
    for page in reader.pages:
        xobjects = page["/Resources"].get("/XObject", {})
        count += sum(1 for ref in xobjects.values() if ref.get_object()["/Subtype"] == "/Image")
    return count
