import csv
import io
from datetime import UTC, date, datetime

import openpyxl

from reports import late_list_csv, register_xlsx
from tests.reports.builders import (
    AGENCY,
    APPLICANTS,
    LATE_CODE,
    OFFICER,
    OVERDUE_CODE,
    SECOND_UNIT,
    UNIT,
    late_list,
    november_records,
)


def _rows(published: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(published)))


def test_the_late_list_csv_has_one_row_per_late_dossier_worst_first() -> None:
    rows = _rows(late_list_csv(late_list(november_records(on_time=3))))
    assert [r["Mã hồ sơ"] for r in rows] == [LATE_CODE, OVERDUE_CODE]
    late, overdue = rows
    assert late["STT"] == "1"
    assert late["Người nộp"] == APPLICANTS[LATE_CODE]
    assert late["Hẹn trả"] == "21/11/2026 00:00"
    assert late["Kết thúc"] == "23/11/2026 00:00"
    assert late["Kết quả"] == "Trễ hạn"
    assert (late["Số giờ trễ"], late["Số ngày trễ"]) == ("20", "2,5")
    assert late["Xin lỗi"] == "Đã xin lỗi"
    assert late["Đơn vị – cơ quan – cán bộ chịu trách nhiệm"] == (
        f"{UNIT} – {AGENCY} – {OFFICER}: 1,5 ngày; "
        f"{SECOND_UNIT} – {AGENCY} – chưa phân công: 1 ngày"
    )
    assert overdue["Kết thúc"] == "đang xử lý"
    assert overdue["Kết quả"] == "Đang xử lý, quá hạn"
    assert overdue["Xin lỗi"] == "Không xin lỗi"


def test_the_public_csv_has_no_applicant_column() -> None:
    published = late_list_csv(late_list(november_records(on_time=3), public=True))
    header = next(csv.reader(io.StringIO(published)))
    assert "Người nộp" not in header
    assert header[:2] == ["STT", "Mã hồ sơ"]
    for name in APPLICANTS.values():
        assert name not in published


def test_an_empty_late_list_csv_is_its_header_alone() -> None:
    published = late_list_csv(late_list(november_records(on_time=3)[:3]))
    assert list(csv.reader(io.StringIO(published)))[1:] == []


COLUMNS = [
    ("code", "Mã hồ sơ"),
    ("applicant", "Người nộp hồ sơ"),
    ("received_at", "Ngày, giờ tiếp nhận"),
    ("due_on", "Ngày hẹn trả"),
    ("pages", "Số trang"),
]


def _sheet(data: bytes) -> list[tuple[object, ...]]:
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook.active
    assert sheet is not None
    assert sheet.title == "Sổ theo dõi hồ sơ"
    return list(sheet.iter_rows(values_only=True))


def test_the_register_xlsx_has_the_headers_and_the_rows_in_column_order() -> None:
    rows: list[dict[str, object]] = [
        {
            "pages": 12,
            "code": LATE_CODE,
            "applicant": "Lê Thị Ánh Tuyết",
            # 01:30 UTC is 08:30 in Vietnam: Excel has no zones, the clerk reads local time.
            "received_at": datetime(2026, 11, 2, 1, 30, tzinfo=UTC),
            "due_on": date(2026, 11, 21),
        },
        {"code": OVERDUE_CODE, "applicant": "Phạm Quốc Việt", "ignored": "x"},
    ]
    header, first, second = _sheet(register_xlsx(rows, COLUMNS))
    assert header == tuple(title for _, title in COLUMNS)
    assert first == (
        LATE_CODE,
        "Lê Thị Ánh Tuyết",
        datetime(2026, 11, 2, 8, 30),
        datetime(2026, 11, 21),
        12,
    )
    # Missing keys are empty cells, and keys outside the columns are not written.
    assert second == (OVERDUE_CODE, "Phạm Quốc Việt", None, None, None)


def test_an_empty_register_is_its_header_row() -> None:
    assert _sheet(register_xlsx([], COLUMNS)) == [tuple(title for _, title in COLUMNS)]
