import re
from datetime import timedelta

import pytest

from reports import render_late_list
from tests.reports.builders import (
    AGENCY,
    APPLICANTS,
    GENERATED_WORDS,
    LATE_CODE,
    OFFICER,
    OVERDUE_CODE,
    OVERDUE_OFFICER,
    SECOND_UNIT,
    UNIT,
    late_list,
    late_record,
    november_records,
    pages,
    text,
)
from tests.support.outcome_records import NOVEMBER


@pytest.fixture(scope="module")
def internal() -> str:
    return text(render_late_list(late_list(november_records(on_time=3))))


def test_heading_names_the_agency_the_list_the_month_and_when_it_was_made(internal: str) -> None:
    assert AGENCY.upper() in internal
    assert "DANH SÁCH HỒ SƠ TRỄ HẠN" in internal
    assert "Kỳ báo cáo: Tháng 11/2026" in internal
    assert f"Lập lúc {GENERATED_WORDS}" in internal


def test_each_late_dossier_is_listed_worst_first_with_who_made_it_late(internal: str) -> None:
    assert internal.index(LATE_CODE) < internal.index(OVERDUE_CODE)
    assert f"{UNIT} – {AGENCY} – {OFFICER}: 1,5 ngày" in internal
    # Nobody took the second unit's step: the unit answers for it.
    assert f"{SECOND_UNIT} – {AGENCY} – chưa phân công: 1 ngày" in internal
    assert f"{UNIT} – {AGENCY} – {OVERDUE_OFFICER}: 0,5 ngày" in internal


def test_a_row_shows_the_dates_the_days_late_and_the_apology(internal: str) -> None:
    late_row = internal[internal.index(LATE_CODE) : internal.index(OVERDUE_CODE)]
    # Received 2 November, appointment 21 November, ended 23 November (Vietnam time).
    assert re.search(
        r"02/11/2026 00:00 21/11/2026 00:00 23/11/2026 00:00 2,5 ngày Đã xin lỗi", late_row
    )
    overdue_row = internal[internal.index(OVERDUE_CODE) :]
    assert "13/11/2026 00:00 đang xử lý 0,5 ngày Không xin lỗi" in overdue_row


def test_the_internal_list_names_the_applicants(internal: str) -> None:
    assert "Người nộp" in internal
    for name in APPLICANTS.values():
        assert name in internal


def test_the_list_closes_with_its_totals(internal: str) -> None:
    assert (
        "Tổng cộng: 2 hồ sơ trễ hạn (1 đã kết thúc, 1 đang xử lý quá hạn); 1 hồ sơ đã xin lỗi, "
        "1 hồ sơ không xin lỗi; tổng số ngày trễ 3 ngày làm việc."
    ) in internal


def test_the_public_list_carries_no_applicant_data_even_when_entries_have_it() -> None:
    records = november_records(on_time=3)
    # Entries that (wrongly) still carry the names: the public flag alone must hide them.
    leaky = late_list(records, public=False)
    public = type(leaky)(**{**leaky.__dict__, "public": True})
    shown = text(render_late_list(public))
    assert LATE_CODE in shown and OFFICER in shown
    assert "Người nộp" not in shown
    for name in APPLICANTS.values():
        assert name not in shown


def test_a_month_without_late_dossiers_says_so() -> None:
    shown = text(render_late_list(late_list(november_records(on_time=5)[:5])))
    assert "Trong kỳ tháng 11/2026, không có hồ sơ trễ hạn." in shown
    assert "Mã hồ sơ" not in shown


def test_five_hundred_late_dossiers_run_over_pages_each_with_the_table_header() -> None:
    records = [
        late_record(f"000.00.31.H29-2611{n:02d}-{n:04d}", hours=8 + n % 40) for n in range(500)
    ]
    shown = pages(render_late_list(late_list(records)))
    assert len(shown) > 1
    for number, page in enumerate(shown, start=1):
        assert "Mã hồ sơ" in page and "Xin lỗi" in page
        assert f"Trang {number}/{len(shown)}" in page
    everything = " ".join(shown)
    for record in records:
        assert record.code in everything
    assert "Tổng cộng: 500 hồ sơ trễ hạn" in shown[-1]


def test_a_dossier_late_without_an_overrunning_step_says_nobody_was_found() -> None:
    record = late_record(LATE_CODE, ended_at=NOVEMBER.start + timedelta(days=21))
    shown = text(render_late_list(late_list([record])))
    assert "chưa xác định bước vượt thời hạn" in shown


def test_the_same_list_renders_to_the_same_bytes() -> None:
    # A published file is archived and its hash cited: rendering twice must not differ.
    published = late_list(november_records(on_time=3), public=True)
    assert render_late_list(published) == render_late_list(published)


def test_a_list_spanning_agencies_names_the_receiving_agency_of_each_dossier() -> None:
    district = late_record(LATE_CODE)
    department = late_record(
        OVERDUE_CODE, agency_code="STNMT", agency_name="Sở Tài nguyên và Môi trường"
    )
    shown = text(render_late_list(late_list([district, department])))
    assert f"Cấp giấy phép xây dựng ({AGENCY})" in shown
    assert "Cấp giấy phép xây dựng (Sở Tài nguyên và Môi trường)" in shown
    # One agency's own list does not repeat its name on every row.
    assert f"({AGENCY})" not in text(render_late_list(late_list([district])))
