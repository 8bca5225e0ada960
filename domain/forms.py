"""What goes on the statutory forms of Circular 01/2018/TT-VPCP (Mẫu 01–05), as plain data.

Pure: the renderer in `forms/` lays these out as PDF; the wording of dates lives here so a
test (or the API) can say exactly what a form prints.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from enum import IntEnum, StrEnum

# Vietnam has kept UTC+7 without daylight saving since 1975; a fixed offset keeps the forms
# independent of the machine's time-zone database.
VIETNAM_TZ = timezone(timedelta(hours=7), "ICT")


class StatutoryForm(IntEnum):
    """The numbered forms of Circular 01/2018 Art. 9 that a dossier produces."""

    RECEIPT = 1
    SUPPLEMENT_REQUEST = 2
    REFUSAL = 3
    APOLOGY = 4
    PROCESSING_CONTROL = 5

    @property
    def title(self) -> str:
        return _TITLES[self]


_TITLES = {
    StatutoryForm.RECEIPT: "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
    StatutoryForm.SUPPLEMENT_REQUEST: "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ",
    StatutoryForm.REFUSAL: "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ",
    StatutoryForm.APOLOGY: "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ",
    StatutoryForm.PROCESSING_CONTROL: "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ",
}


class CopyKind(StrEnum):
    """How a component was handed in (hình thức giấy tờ)."""

    ORIGINAL = "Bản chính"
    CERTIFIED_COPY = "Bản sao có chứng thực"
    COPY = "Bản sao"
    ELECTRONIC = "Bản điện tử"


def _require_aware(name: str, moment: datetime | None) -> None:
    if moment is not None and moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")


def format_moment(moment: datetime) -> str:
    """'08 giờ 30 phút, ngày 23 tháng 11 năm 2026' in Vietnam local time."""
    _require_aware("moment", moment)
    local = moment.astimezone(VIETNAM_TZ)
    return f"{local:%H} giờ {local:%M} phút, ngày {local:%d} tháng {local:%m} năm {local:%Y}"


def format_date(moment: datetime) -> str:
    """'ngày 23 tháng 11 năm 2026' in Vietnam local time."""
    _require_aware("moment", moment)
    local = moment.astimezone(VIETNAM_TZ)
    return f"ngày {local:%d} tháng {local:%m} năm {local:%Y}"


@dataclass(frozen=True)
class FormComponent:
    """One line of the component list (thành phần hồ sơ)."""

    name: str
    copies: int = 1
    kind: CopyKind = CopyKind.ORIGINAL


@dataclass(frozen=True)
class FormDossier:
    """The dossier facts every form repeats; Form 01 is rendered from this alone.

    `code` and `due` are None for a dossier turned away at reception, which never got either.
    """

    code: str | None
    procedure_name: str
    agency_name: str
    applicant_name: str
    applicant_address: str
    channel_label: str
    received_at: datetime
    due: datetime | None
    components: Sequence[FormComponent] = ()
    #: The issuing office under the agency, printed under its name in the header.
    office_name: str = "BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ"
    applicant_phone: str = ""
    applicant_email: str = ""
    #: e.g. "15 ngày làm việc".
    term_label: str = ""
    #: Where the applicant collects the result (đăng ký nhận kết quả tại).
    delivery_label: str = ""
    #: The clerk who received the dossier (người tiếp nhận hồ sơ).
    clerk_name: str = ""
    #: The place in the date line, e.g. "Phường Bến Nghé".
    place_name: str = ""
    #: The applicant's look-up secret (mã bí mật tra cứu) and the look-up address, printed
    #: on Form 01 (the address also as a QR code); empty: not printed.
    lookup_secret: str = ""
    lookup_url: str = ""

    def __post_init__(self) -> None:
        _require_aware("received_at", self.received_at)
        _require_aware("due", self.due)


@dataclass(frozen=True)
class SupplementRequestForm:
    """Mẫu 02: everything the applicant must add, listed at once, with the reason."""

    dossier: FormDossier
    items: Sequence[str]
    reason: str
    issued_at: datetime
    officer_name: str = ""
    #: Who to ask while completing the dossier, e.g. "Bộ phận Một cửa, 028 3829 xxxx".
    contact_label: str = ""

    def __post_init__(self) -> None:
        _require_aware("issued_at", self.issued_at)
        if not self.items:
            raise ValueError("a supplement request must list at least one item")


@dataclass(frozen=True)
class RefusalForm:
    """Mẫu 03: refusal to receive or to resolve, with its reasons."""

    dossier: FormDossier
    reasons: Sequence[str]
    issued_at: datetime
    officer_name: str = ""

    def __post_init__(self) -> None:
        _require_aware("issued_at", self.issued_at)
        if not self.reasons:
            raise ValueError("a refusal must give at least one reason")


@dataclass(frozen=True)
class ApologyForm:
    """Mẫu 04: apology for lateness and the one new appointment the law allows."""

    dossier: FormDossier
    reason: str
    new_due: datetime
    issued_at: datetime
    signer_name: str = ""
    signer_title: str = "THỦ TRƯỞNG CƠ QUAN"

    def __post_init__(self) -> None:
        _require_aware("new_due", self.new_due)
        _require_aware("issued_at", self.issued_at)
        if self.dossier.due is None:
            raise ValueError("an apology needs the dossier's original appointment")


@dataclass(frozen=True)
class FormStep:
    """One row of Mẫu 05: a unit's step of the route and how it went."""

    unit_name: str
    agency_name: str
    time_limit_label: str
    started_at: datetime | None
    finished_at: datetime | None = None
    #: None while the step is still running.
    on_time: bool | None = None
    officer: str = ""

    def __post_init__(self) -> None:
        _require_aware("started_at", self.started_at)
        _require_aware("finished_at", self.finished_at)

    @property
    def outcome_label(self) -> str:
        if self.on_time is True:
            return "Đúng hạn"
        if self.on_time is False:
            return "Quá hạn"
        return "Đang xử lý" if self.started_at and self.finished_at is None else ""


@dataclass(frozen=True)
class ProcessingControlForm:
    """Mẫu 05: the tracking slip that follows the dossier through every unit."""

    dossier: FormDossier
    steps: Sequence[FormStep] = ()
    issued_at: datetime | None = None

    def __post_init__(self) -> None:
        _require_aware("issued_at", self.issued_at)


FormData = FormDossier | SupplementRequestForm | RefusalForm | ApologyForm | ProcessingControlForm
