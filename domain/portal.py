"""What we send to the national public-service portal (Cổng DVCQG), and its payload shapes.

Pure: builds the portal's JSON documents (Vietnamese field names, ``yyyyMMddHHmmss`` dates in
Vietnam local time) from English dataclasses. No I/O; the outbox and the HTTP adapter live
elsewhere.

Encoding choices (the portal's reference implementations send these as small integers):

- flags (``DuocSoHoa``, ``DuocTaiSuDung``, ``DuocThanhToanTrucTuyen``, ``TrangThaiBoSung``)
  are the integers ``0``/``1``, never JSON booleans. ``DuocThanhToanTrucTuyen = 1`` means
  "paid through the portal's payment platform", which is what our gateway is shaped like.
- a missing date is JSON ``null``; present dates are ``yyyyMMddHHmmss`` in Asia/Ho_Chi_Minh.
- a file's SHA-256 travels in the portal's file-path field as ``sha256:<hex>`` (our storage
  is content-addressed, so the hash *is* the file's address).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PORTAL_TIME_FORMAT = "%Y%m%d%H%M%S"
_PORTAL_TIME_PATTERN = re.compile(r"\d{14}")

try:
    VIETNAM_TZ: timezone | ZoneInfo = ZoneInfo("Asia/Ho_Chi_Minh")
except ZoneInfoNotFoundError:  # pragma: no cover - minimal images without tzdata
    # Vietnam has kept UTC+7 without daylight saving since 1975, so a fixed offset is exact.
    VIETNAM_TZ = timezone(timedelta(hours=7), "ICT")

ACTOR_NAME_MAX = 50  # the portal refuses a NguoiXuLy longer than this
CHANNEL_CODES = range(1, 4)  # KenhThucHien: 1 in person, 2 online, 3 public post
STATUS_CODES = range(1, 11)  # TrangThaiHoSo: 1 Mới đăng ký … 10 Đã trả kết quả

SyncKind = Literal["dossier", "progress"]


def format_portal_time(dt: datetime) -> str:
    """Render an aware datetime as the portal's ``yyyyMMddHHmmss`` in Vietnam local time."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("portal times must be timezone-aware")
    return dt.astimezone(VIETNAM_TZ).strftime(PORTAL_TIME_FORMAT)


def parse_portal_time(value: str) -> datetime:
    """Parse a portal ``yyyyMMddHHmmss`` (Vietnam local time) into an aware UTC datetime.

    Raises ``ValueError`` for anything that is not exactly 14 digits forming a real moment.
    """
    if not isinstance(value, str) or not _PORTAL_TIME_PATTERN.fullmatch(value):
        raise ValueError(f"expected yyyyMMddHHmmss, got {value!r}")
    local = datetime.strptime(value, PORTAL_TIME_FORMAT).replace(tzinfo=VIETNAM_TZ)
    return local.astimezone(UTC)


def _optional_time(dt: datetime | None) -> str | None:
    return None if dt is None else format_portal_time(dt)


def _flag(value: bool) -> int:
    return 1 if value else 0


def _file_address(file_hash: str | None) -> str | None:
    return None if file_hash is None else f"sha256:{file_hash}"


def _require_aware(name: str, dt: datetime | None) -> None:
    if dt is not None and (dt.tzinfo is None or dt.utcoffset() is None):
        raise ValueError(f"{name} must be timezone-aware")


@dataclass(frozen=True)
class PortalDocument:
    """A submitted component (thành phần hồ sơ) as the portal sees it."""

    code: str
    name: str
    digitized: bool
    reused: bool
    file_hash: str | None = None


@dataclass(frozen=True)
class PortalResultDocument:
    """A result document (giấy tờ kết quả), usually the electronic result."""

    code: str
    name: str
    file_hash: str | None = None


@dataclass(frozen=True)
class PortalSupplementRound:
    """One supplement request (yêu cầu bổ sung) and how it moved the appointment."""

    requested_at: datetime
    reason: str
    previous_due: datetime | None
    new_due: datetime | None = None
    supplied_at: datetime | None = None

    def __post_init__(self) -> None:
        for name in ("requested_at", "previous_due", "new_due", "supplied_at"):
            _require_aware(name, getattr(self, name))


@dataclass(frozen=True)
class PortalFee:
    """One fee line asked of the applicant (phí, lệ phí, nghĩa vụ tài chính), in VND."""

    code: str
    name: str
    amount: int
    kind: str
    paid: bool = False
    paid_online: bool = False


@dataclass(frozen=True)
class PortalDossier:
    """The full state of one dossier as reported to the portal (HoSoDongBoDVC)."""

    code: str
    procedure_code: str
    procedure_name: str
    channel: int
    applicant_name: str
    applicant_id_number: str
    received_at: datetime | None
    due: datetime | None
    status_code: int
    finished_at: datetime | None
    handling_unit_name: str
    paid_online: bool = False
    documents: tuple[PortalDocument, ...] = ()
    results: tuple[PortalResultDocument, ...] = ()
    supplement_rounds: tuple[PortalSupplementRound, ...] = ()
    fees: tuple[PortalFee, ...] = ()
    #: the on-time verdict (domain.outcomes.Verdict) and working hours late, so that what
    #: the portal judges from the dates above can be reconciled with what we judged
    verdict: str = ""
    late_hours: float = 0.0

    def __post_init__(self) -> None:
        if self.channel not in CHANNEL_CODES:
            raise ValueError(f"channel must be 1..3, got {self.channel}")
        if self.status_code not in STATUS_CODES:
            raise ValueError(f"status_code must be 1..10, got {self.status_code}")
        for name in ("received_at", "due", "finished_at"):
            _require_aware(name, getattr(self, name))


@dataclass(frozen=True)
class PortalProgress:
    """One processing step (quá trình xử lý) of a dossier."""

    actor_name: str
    actor_title: str
    at: datetime
    unit_name: str
    content: str
    status_code: int
    step_started_at: datetime | None = None
    step_due: datetime | None = None

    def __post_init__(self) -> None:
        if self.status_code not in STATUS_CODES:
            raise ValueError(f"status_code must be 1..10, got {self.status_code}")
        for name in ("at", "step_started_at", "step_due"):
            _require_aware(name, getattr(self, name))


@dataclass(frozen=True)
class SyncRecord:
    """One numbered message of a dossier's portal outbox.

    ``seq`` is a single increasing sequence per dossier shared by both kinds, so the portal
    can be idempotent on ``(dossier_code, seq)`` and detect out-of-order delivery.
    """

    dossier_code: str
    seq: int
    kind: SyncKind
    payload: dict[str, Any]

    def __post_init__(self) -> None:
        if self.kind not in ("dossier", "progress"):
            raise ValueError(f"kind must be 'dossier' or 'progress', got {self.kind!r}")
        if self.seq < 1:
            raise ValueError(f"seq must be >= 1, got {self.seq}")


def _document_payload(doc: PortalDocument) -> dict[str, Any]:
    return {
        "MaThanhPhanHoSo": doc.code,
        "TenTepDinhKem": doc.name,
        "DuongDanTaiTepTin": _file_address(doc.file_hash),
        "DuocSoHoa": _flag(doc.digitized),
        "DuocTaiSuDung": _flag(doc.reused),
    }


def _result_payload(doc: PortalResultDocument) -> dict[str, Any]:
    return {
        "MaGiayToKetQua": doc.code,
        "TenGiayTo": doc.name,
        "DuongDanTepTinKetQua": _file_address(doc.file_hash),
    }


def _supplement_payload(index: int, rnd: PortalSupplementRound) -> dict[str, Any]:
    return {
        "HoSoBoSungId": index,
        "NoiDungBoSung": rnd.reason,
        "NgayBoSung": format_portal_time(rnd.requested_at),
        "NgayTiepNhanBoSung": _optional_time(rnd.supplied_at),
        "TrangThaiBoSung": _flag(rnd.supplied_at is not None),
        "NgayHenTraTruoc": _optional_time(rnd.previous_due),
        "NgayHenTraMoi": _optional_time(rnd.new_due),
    }


def _fee_payload(fee: PortalFee) -> dict[str, Any]:
    return {
        "MaPhiLePhi": fee.code,
        "TenPhiLePhi": fee.name,
        "SoTien": fee.amount,
        "LoaiPhiLePhi": fee.kind,
        "DaThanhToan": _flag(fee.paid),
        "ThanhToanTrucTuyen": _flag(fee.paid_online),
    }


def dossier_payload(d: PortalDossier) -> dict[str, Any]:
    """The portal's create-or-update document (DongBoHoSoMC ``data``) for one dossier."""
    return {
        "MaHoSo": d.code,
        "MaTTHC": d.procedure_code,
        "TenTTHC": d.procedure_name,
        "KenhThucHien": d.channel,
        "ChuHoSo": d.applicant_name,
        "SoGiayToChuHoSo": d.applicant_id_number,
        "NgayTiepNhan": _optional_time(d.received_at),
        "NgayHenTra": _optional_time(d.due),
        "TrangThaiHoSo": d.status_code,
        "NgayKetThucXuLy": _optional_time(d.finished_at),
        "DonViXuLy": d.handling_unit_name,
        "DuocThanhToanTrucTuyen": _flag(d.paid_online),
        "HoSoCoThanhPhanSoHoa": _flag(any(doc.digitized for doc in d.documents)),
        "TaiLieuNop": [_document_payload(doc) for doc in d.documents],
        "DanhSachGiayToKetQua": [_result_payload(doc) for doc in d.results],
        "DanhSachHoSoBoSung": [
            _supplement_payload(i, rnd) for i, rnd in enumerate(d.supplement_rounds, start=1)
        ],
        "DanhSachLePhi": [_fee_payload(fee) for fee in d.fees],
        **({"DanhGiaTienDo": d.verdict, "SoGioTreHan": d.late_hours} if d.verdict else {}),
    }


def progress_payload(code: str, seq: int, p: PortalProgress) -> dict[str, Any]:
    """The portal's progress entry (CapNhatTienDoHoSoMC item); ``Id`` is the outbox seq."""
    return {
        "Id": seq,
        "MaHoSo": code,
        # Truncated rather than refused: a long officer name must not park the whole record.
        "NguoiXuLy": p.actor_name[:ACTOR_NAME_MAX],
        "ChucDanh": p.actor_title,
        "ThoiDiemXuLy": format_portal_time(p.at),
        "PhongBanXuLy": p.unit_name,
        "NoiDungXuLy": p.content,
        "TrangThai": p.status_code,
        "NgayBatDau": _optional_time(p.step_started_at),
        "NgayKetThucTheoQuyDinh": _optional_time(p.step_due),
    }


def dossier_record(seq: int, d: PortalDossier) -> SyncRecord:
    """The outbox record carrying the dossier's full state at ``seq``."""
    return SyncRecord(dossier_code=d.code, seq=seq, kind="dossier", payload=dossier_payload(d))


def progress_record(code: str, seq: int, p: PortalProgress) -> SyncRecord:
    """The outbox record carrying one progress step at ``seq``."""
    return SyncRecord(
        dossier_code=code, seq=seq, kind="progress", payload=progress_payload(code, seq, p)
    )
