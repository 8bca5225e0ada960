"""The portal payloads: DVCQG field names, local-time dates, 0/1 flags, supplement rounds."""

from __future__ import annotations

import ast
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from domain.portal import (
    PortalDocument,
    PortalDossier,
    PortalProgress,
    PortalResultDocument,
    PortalSupplementRound,
    SyncRecord,
    dossier_payload,
    dossier_record,
    format_portal_time,
    parse_portal_time,
    progress_payload,
    progress_record,
)

RECEIVED = datetime(2026, 11, 23, 1, 30, tzinfo=UTC)  # 08:30 in Hà Nội
DUE = datetime(2026, 12, 14, 9, 0, tzinfo=UTC)  # 16:00 in Hà Nội


def make_dossier(**changes: object) -> PortalDossier:
    fields: dict[str, object] = dict(
        code="000.00.31.H29-261123-0007",
        procedure_code="1.001234",
        procedure_name="Cấp giấy phép xây dựng",
        channel=2,
        applicant_name="Nguyễn Văn An",
        applicant_id_number="001090012345",
        received_at=RECEIVED,
        due=DUE,
        status_code=4,
        finished_at=None,
        handling_unit_name="Phòng Quản lý đô thị",
        paid_online=True,
        documents=(
            PortalDocument(
                "TP1", "Đơn đề nghị.pdf", digitized=True, reused=False, file_hash="ab" * 32
            ),
            PortalDocument("TP2", "CCCD.pdf", digitized=False, reused=True, file_hash=None),
        ),
    )
    fields.update(changes)
    return PortalDossier(**fields)  # type: ignore[arg-type]


def test_dossier_payload_uses_the_portal_field_names() -> None:
    payload = dossier_payload(make_dossier())

    assert {
        "MaHoSo",
        "MaTTHC",
        "TenTTHC",
        "KenhThucHien",
        "ChuHoSo",
        "NgayTiepNhan",
        "NgayHenTra",
        "TrangThaiHoSo",
        "NgayKetThucXuLy",
        "DonViXuLy",
        "DuocThanhToanTrucTuyen",
        "TaiLieuNop",
        "DanhSachGiayToKetQua",
        "DanhSachHoSoBoSung",
    } <= payload.keys()
    assert payload["MaHoSo"] == "000.00.31.H29-261123-0007"
    assert payload["MaTTHC"] == "1.001234"
    assert payload["ChuHoSo"] == "Nguyễn Văn An"
    assert payload["SoGiayToChuHoSo"] == "001090012345"
    assert payload["KenhThucHien"] == 2
    assert payload["TrangThaiHoSo"] == 4
    assert payload["DonViXuLy"] == "Phòng Quản lý đô thị"


def test_dates_are_vietnam_local_time_in_portal_format() -> None:
    payload = dossier_payload(make_dossier())

    assert payload["NgayTiepNhan"] == "20261123083000"
    assert payload["NgayHenTra"] == "20261214160000"
    assert payload["NgayKetThucXuLy"] is None


def test_a_late_evening_utc_moment_is_the_next_day_in_vietnam() -> None:
    assert format_portal_time(datetime(2026, 12, 31, 20, 15, 5, tzinfo=UTC)) == "20270101031505"


def test_portal_time_round_trips_to_utc() -> None:
    moment = datetime(2026, 2, 17, 3, 4, 5, tzinfo=UTC)
    parsed = parse_portal_time(format_portal_time(moment))
    assert parsed == moment
    assert parsed.utcoffset() == timedelta(0)


def test_other_offsets_are_converted_not_copied() -> None:
    paris = timezone(timedelta(hours=1))
    assert format_portal_time(datetime(2026, 3, 1, 10, 0, tzinfo=paris)) == "20260301160000"


@pytest.mark.parametrize(
    "text",
    [
        "2026112308300",
        "202611230830000",
        "20261323083000",
        "20260230083000",
        "2026-11-23 08:30",
        "20261123 83000",
        "",
    ],
)
def test_parse_refuses_anything_but_a_real_14_digit_moment(text: str) -> None:
    with pytest.raises(ValueError):
        parse_portal_time(text)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        format_portal_time(datetime(2026, 1, 1, 8, 0))
    with pytest.raises(ValueError):
        make_dossier(received_at=datetime(2026, 1, 1, 8, 0))


def test_flags_are_zero_or_one_integers() -> None:
    payload = dossier_payload(make_dossier())

    assert payload["DuocThanhToanTrucTuyen"] == 1
    assert payload["HoSoCoThanhPhanSoHoa"] == 1
    first, second = payload["TaiLieuNop"]
    assert (first["DuocSoHoa"], first["DuocTaiSuDung"]) == (1, 0)
    assert (second["DuocSoHoa"], second["DuocTaiSuDung"]) == (0, 1)
    for value in (first["DuocSoHoa"], second["DuocTaiSuDung"]):
        assert type(value) is int

    unpaid = dossier_payload(make_dossier(paid_online=False, documents=()))
    assert unpaid["DuocThanhToanTrucTuyen"] == 0
    assert unpaid["HoSoCoThanhPhanSoHoa"] == 0
    assert unpaid["TaiLieuNop"] == []


def test_documents_and_results_carry_codes_names_and_content_hash() -> None:
    payload = dossier_payload(
        make_dossier(
            status_code=9,
            finished_at=DUE - timedelta(days=1),
            results=(PortalResultDocument("KQ1", "Giấy phép xây dựng", file_hash="cd" * 32),),
        )
    )

    doc = payload["TaiLieuNop"][0]
    assert doc["MaThanhPhanHoSo"] == "TP1"
    assert doc["TenTepDinhKem"] == "Đơn đề nghị.pdf"
    assert doc["DuongDanTaiTepTin"] == "sha256:" + "ab" * 32
    assert payload["TaiLieuNop"][1]["DuongDanTaiTepTin"] is None
    assert payload["DanhSachGiayToKetQua"] == [
        {
            "MaGiayToKetQua": "KQ1",
            "TenGiayTo": "Giấy phép xây dựng",
            "DuongDanTepTinKetQua": "sha256:" + "cd" * 32,
        }
    ]
    assert payload["NgayKetThucXuLy"] == "20261213160000"


def test_supplement_rounds_show_previous_and_new_due_dates() -> None:
    new_due = DUE + timedelta(days=10)
    rounds = (
        PortalSupplementRound(
            requested_at=datetime(2026, 11, 25, 2, 0, tzinfo=UTC),
            reason="Thiếu bản vẽ",
            previous_due=DUE,
            new_due=new_due,
            supplied_at=datetime(2026, 11, 28, 3, 0, tzinfo=UTC),
        ),
        PortalSupplementRound(
            requested_at=datetime(2026, 12, 1, 2, 0, tzinfo=UTC),
            reason="Thiếu chữ ký",
            previous_due=new_due,
        ),
    )
    payload = dossier_payload(make_dossier(status_code=5, supplement_rounds=rounds))

    first, second = payload["DanhSachHoSoBoSung"]
    assert first == {
        "HoSoBoSungId": 1,
        "NoiDungBoSung": "Thiếu bản vẽ",
        "NgayBoSung": "20261125090000",
        "NgayTiepNhanBoSung": "20261128100000",
        "TrangThaiBoSung": 1,
        "NgayHenTraTruoc": "20261214160000",
        "NgayHenTraMoi": "20261224160000",
    }
    assert second["HoSoBoSungId"] == 2
    assert second["NgayHenTraTruoc"] == "20261224160000"
    assert second["NgayHenTraMoi"] is None
    assert second["NgayTiepNhanBoSung"] is None
    assert second["TrangThaiBoSung"] == 0


def test_progress_payload_uses_the_portal_field_names() -> None:
    step = PortalProgress(
        actor_name="Trần Thị Bình",
        actor_title="Chuyên viên",
        at=datetime(2026, 11, 24, 7, 45, tzinfo=UTC),
        unit_name="Phòng Quản lý đô thị",
        content="Thẩm định hồ sơ",
        status_code=4,
        step_started_at=RECEIVED,
        step_due=datetime(2026, 12, 4, 9, 0, tzinfo=UTC),
    )
    payload = progress_payload("000.00.31.H29-261123-0007", 3, step)

    assert payload == {
        "Id": 3,
        "MaHoSo": "000.00.31.H29-261123-0007",
        "NguoiXuLy": "Trần Thị Bình",
        "ChucDanh": "Chuyên viên",
        "ThoiDiemXuLy": "20261124144500",
        "PhongBanXuLy": "Phòng Quản lý đô thị",
        "NoiDungXuLy": "Thẩm định hồ sơ",
        "TrangThai": 4,
        "NgayBatDau": "20261123083000",
        "NgayKetThucTheoQuyDinh": "20261204160000",
    }


def test_progress_actor_name_is_cut_to_the_portal_limit() -> None:
    step = PortalProgress("X" * 80, "", RECEIVED, "", "Tiếp nhận", 2)
    assert progress_payload("C", 1, step)["NguoiXuLy"] == "X" * 50


@pytest.mark.parametrize(
    "changes", [{"channel": 0}, {"channel": 4}, {"status_code": 0}, {"status_code": 11}]
)
def test_codes_outside_the_portal_lists_are_refused(changes: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        make_dossier(**changes)


def test_records_wrap_payloads_for_the_outbox() -> None:
    dossier = make_dossier()
    record = dossier_record(1, dossier)
    assert record == SyncRecord(dossier.code, 1, "dossier", dossier_payload(dossier))

    step = PortalProgress("A", "B", RECEIVED, "U", "Tiếp nhận", 2)
    progress = progress_record(dossier.code, 2, step)
    assert (progress.kind, progress.seq, progress.payload["Id"]) == ("progress", 2, 2)

    with pytest.raises(ValueError):
        SyncRecord(dossier.code, 0, "dossier", {})
    with pytest.raises(ValueError):
        SyncRecord(dossier.code, 1, "other", {})  # type: ignore[arg-type]


def test_portal_module_is_pure() -> None:
    source = Path(__file__).resolve().parents[2] / "domain" / "portal.py"
    imported = set()
    for node in ast.walk(ast.parse(source.read_text())):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
    assert imported <= {"__future__", "re", "dataclasses", "datetime", "typing", "zoneinfo"}
