import pytest

from reports import render_monthly_report
from reports.render import REPORT_LATE_ROWS
from tests.reports.builders import (
    AGENCY,
    GENERATED_WORDS,
    LATE_CODE,
    OFFICER,
    image_count,
    late_list,
    late_record,
    monthly_report,
    november_records,
    running_forecast,
    text,
)


@pytest.fixture(scope="module")
def report_pdf() -> bytes:
    return render_monthly_report(monthly_report(november_records()))


@pytest.fixture(scope="module")
def report(report_pdf: bytes) -> str:
    return text(report_pdf)


def test_heading_names_the_report_the_agency_and_the_month(report: str) -> None:
    assert "BÁO CÁO KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH" in report
    assert AGENCY.upper() in report
    assert "Kỳ báo cáo: Tháng 11/2026" in report
    assert GENERATED_WORDS in report


def test_the_scorecard_shows_each_indicator_its_figures_ratio_and_score(report: str) -> None:
    # 398 early of 400 judged: 99,5 %, short of 2.1's full-score threshold by a hair.
    assert "2.1 Tỷ lệ hồ sơ giải quyết đúng hạn 398/400 99,5%" in report
    # Every other early dossier synced, plus the late and the overdue one: 201 of 400.
    assert "1.4 Tỷ lệ hồ sơ đồng bộ lên Cổng Dịch vụ công quốc gia 201/400 50,25%" in report
    # Nobody rated and nothing was fee-bearing: no data, not 0 %.
    assert "5.4 Mức độ hài lòng trong tiếp nhận, giải quyết TTHC 0/0 không có dữ liệu" in report
    assert "Tổng điểm:" in report


def test_the_targets_say_met_or_not_the_gap_and_how_many_more_would_have_met_it(
    report: str,
) -> None:
    assert "2.1 Tỷ lệ hồ sơ giải quyết đúng hạn 99,5% 99,5% Đạt 0 0" in report
    # 100 % synced is the target: 199 more of the 400 would have met it.
    assert (
        "1.4 Tỷ lệ hồ sơ đồng bộ lên Cổng Dịch vụ công quốc gia 100% 50,25% Chưa đạt 49,75 199"
        in report
    )
    # A district's online-submission target is 50 %: nothing online, 200 more needed.
    assert "3.3 Tỷ lệ hồ sơ nộp trực tuyến 50% 0% Chưa đạt 50 200" in report
    assert "Plan 3372/KH-UBND" in report


def test_the_counts_of_the_month_are_shown(report: str) -> None:
    assert "Tiếp nhận trong kỳ 400" in report
    assert "– Trực tiếp 400" in report
    assert "– Trước hạn 398" in report
    assert "– Trễ hạn 1" in report
    assert "trong đó có văn bản xin lỗi 1" in report
    assert "– Quá hạn 1" in report


def test_the_charts_are_drawn_into_the_report(report_pdf: bytes, report: str) -> None:
    assert image_count(report_pdf) == 2
    assert "BIỂU ĐỒ" in report


def test_without_trend_or_ranking_there_are_no_charts() -> None:
    pdf = render_monthly_report(monthly_report(november_records(), trend=(), ranking=()))
    assert image_count(pdf) == 0
    assert "BIỂU ĐỒ" not in text(pdf)


def test_the_late_list_shows_the_first_entries_then_how_many_more() -> None:
    records = november_records() + [
        late_record(f"000.00.31.H29-261130-{n:04d}", hours=1) for n in range(REPORT_LATE_ROWS + 3)
    ]
    shown = text(render_monthly_report(monthly_report(records, late=late_list(records))))
    # The worst (20 working hours) comes first; 25 late in all, 20 listed.
    assert LATE_CODE in shown and OFFICER in shown
    assert "… và 5 hồ sơ khác." in shown


def test_a_month_without_late_dossiers_says_so() -> None:
    records = november_records()[:10]
    shown = text(render_monthly_report(monthly_report(records, late=late_list(records))))
    assert "không có hồ sơ trễ hạn" in shown


def test_a_running_month_shows_its_forecast() -> None:
    records = november_records()
    shown = text(render_monthly_report(monthly_report(records, forecast=running_forecast(records))))
    assert "DỰ BÁO ĐẾN CUỐI KỲ" in shown
    # On the 20th: the overdue one is lost, the late one is still within its appointment.
    assert "2 hồ sơ có nguy cơ trễ hạn (1 sắp đến hạn, 1 đã quá hạn)" in shown
    assert "nếu các hồ sơ có nguy cơ đều trễ hạn: 99,5%" in shown
    assert "đều được giải quyết đúng hạn: 99,75%" in shown
    assert "tối đa 1 hồ sơ sắp đến hạn được phép trễ hạn" in shown


def test_a_closed_month_has_no_forecast_section(report: str) -> None:
    assert "DỰ BÁO" not in report
    # The sections are numbered without a gap where the forecast would be.
    assert "IV. BIỂU ĐỒ" in report


def test_an_agency_that_received_nothing_gets_a_report_of_no_data() -> None:
    shown = text(
        render_monthly_report(
            monthly_report(
                [],
                trend=(("10/2026", None), ("11/2026", None)),
                ranking=((AGENCY, None, 0),),
            )
        )
    )
    assert "2.1 Tỷ lệ hồ sơ giải quyết đúng hạn 0/0 không có dữ liệu không có dữ liệu" in shown
    assert "Tiếp nhận trong kỳ 0" in shown
    assert "không có hồ sơ trễ hạn" in shown
