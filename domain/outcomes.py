"""What a dossier's outcome is, in the shapes the scorecard reads: the on-time verdict, the
attribution of lateness to the steps (their unit, agency and officer) that overran, and the
outcome record the indicators are computed from.

Plain frozen dataclasses, no rules: `domain.verdict` decides a verdict, `domain.indicators`
computes the Decision 766 indicators over `OutcomeRecord`s."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

#: Working hours in a working day (two sessions of 4 h): a term of N days is N × 8 h.
HOURS_PER_DAY = 8.0


class Verdict(StrEnum):
    """On time or not (đúng hạn, sớm hạn, trễ hạn), against the original appointment."""

    EARLY = "early"  # ended on a day before the appointment's day (trước hạn)
    ON_TIME = "on_time"  # ended on the appointment's day, at or before its moment (đúng hạn)
    LATE = "late"  # ended after the appointment, or more than one supplement request (trễ hạn)
    IN_PROGRESS = "in_progress"  # still open, not yet due (đang xử lý, trong hạn)
    OVERDUE = "overdue"  # still open and past its appointment (đang xử lý, quá hạn)
    NOT_JUDGED = "not_judged"  # withdrawn, or refused at reception: no appointment to judge

    @property
    def finished(self) -> bool:
        return self in (Verdict.EARLY, Verdict.ON_TIME, Verdict.LATE)

    @property
    def counts_on_time(self) -> bool:
        """Counted on time by the portal's rule (2.1): early, on time, or open and not due."""
        return self in (Verdict.EARLY, Verdict.ON_TIME, Verdict.IN_PROGRESS)

    @property
    def vietnamese(self) -> str:
        return _VERDICT_VI[self]


_VERDICT_VI = {
    Verdict.EARLY: "Trước hạn",
    Verdict.ON_TIME: "Đúng hạn",
    Verdict.LATE: "Trễ hạn",
    Verdict.IN_PROGRESS: "Đang xử lý, trong hạn",
    Verdict.OVERDUE: "Đang xử lý, quá hạn",
    Verdict.NOT_JUDGED: "Không tính hạn",
}


class AgencyLevel(StrEnum):
    """Where an agency sits; the province's targets differ by level."""

    PROVINCE = "province"  # the provincial People's Committee and its office
    DEPARTMENT = "department"  # sở, ban, ngành
    DISTRICT = "district"  # quận, huyện, thị xã, thành phố thuộc tỉnh
    COMMUNE = "commune"  # xã, phường, thị trấn


@dataclass(frozen=True, slots=True)
class StepAttribution:
    """The share of a late dossier's lateness that one attempt of a step caused: the working
    hours it ran beyond its own share of the term, and who held it when it overran (an empty
    `officer` means nobody had taken it: the unit's)."""

    step_index: int
    attempt: int
    unit_code: str
    unit_name: str
    agency_code: str
    agency_name: str
    officer: str
    officer_name: str
    overrun_hours: float
    branch: str = ""  # the branch of a stage where several agencies work at once; "" for one

    @property
    def overrun_days(self) -> float:
        return self.overrun_hours / HOURS_PER_DAY


@dataclass(frozen=True, slots=True)
class OnTimeVerdict:
    """A dossier's verdict with what it was judged on, in words a clerk understands.

    `judged_at` is the processing end (NgayKetThucXuLy) or, for an open dossier, the moment
    of judging; `due_at` the original appointment (NgayHenTra), not a new one an apology set.
    `late_hours` is working time past `due_at` after the applicant's waiting is excluded."""

    verdict: Verdict
    judged_at: datetime | None
    due_at: datetime | None
    late_hours: float = 0.0
    apologised: bool = False
    reasons: tuple[str, ...] = ()
    attribution: tuple[StepAttribution, ...] = ()

    @property
    def late_days(self) -> float:
        return self.late_hours / HOURS_PER_DAY

    @property
    def late_apologised(self) -> bool:
        return self.verdict == Verdict.LATE and self.apologised

    @property
    def late_silent(self) -> bool:
        return self.verdict == Verdict.LATE and not self.apologised


@dataclass(frozen=True, slots=True)
class OutcomeRecord:
    """One dossier as the scorecard sees it (a row of the read model, flattened).

    `status` is the lifecycle status's value (`domain.lifecycle.Status`); `ended_at` the
    processing end (first of resolved > returned > stopped/refused), None while open; a
    withdrawal is not a processing end, so its moment is `withdrawn_at`."""

    code: str
    procedure_code: str
    procedure_name: str
    sector: str  # lĩnh vực
    agency_code: str  # the receiving agency
    agency_name: str
    agency_level: AgencyLevel
    channel: int  # KenhThucHien: 1 in person, 2 online, 3 post
    status: str
    submitted_at: datetime
    received_at: datetime | None
    due_at: datetime | None  # the appointment in force (after an apology: the new one)
    original_due_at: datetime | None  # the first appointment (NgayHenTra)
    ended_at: datetime | None
    verdict: Verdict
    late_hours: float = 0.0
    apologised: bool = False
    supplement_rounds: int = 0  # supplement requests after reception
    waiting_for_applicant: bool = False  # supplement requested or financial obligation owed
    refused: bool = False  # refused at reception or as the result
    withdrawn: bool = False
    stopped: bool = False
    fee_bearing: bool = False  # the procedure or an obligation asked for money
    paid_online: bool = False  # DuocThanhToanTrucTuyen
    components_digitized: bool = False  # every required component has an electronic copy
    reused: bool = False  # at least one component reused (DuocTaiSuDung)
    result_required: bool = True  # the procedure returns a document result
    electronic_result: bool = False  # the result exists as a stored electronic file
    rating: int | None = None  # 1..5, None when the applicant did not rate
    synced: bool = False  # every status change reached the national portal
    officers: tuple[str, ...] = ()  # who handled its steps
    unit_codes: tuple[str, ...] = ()  # the units of its steps
    step_agency_codes: tuple[str, ...] = ()  # the agencies of its steps
    attribution: tuple[StepAttribution, ...] = ()
    withdrawn_at: datetime | None = None  # when withdrawn (rút hồ sơ): no processing end
