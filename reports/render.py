"""The agency's monthly publications as files: the late list (Directive 15) as a PDF fit to
publish and as CSV, the monthly scorecard report as PDF with its charts, and any register
as XLSX. Vietnamese throughout, in the statutory forms' fonts (`forms/fonts/`)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date, datetime

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from domain.forms import format_moment
from domain.indicators import ReportCounts, Scorecard
from domain.outcomes import StepAttribution
from domain.period import VIETNAM_TZ
from domain.publications import LateEntry, LateList, MonthlyReport
from domain.scorecard import ON_TIME
from domain.targets import Assessment, Forecast
from forms.render import FONT_DIR
from reports.charts import on_time_trend_png, ranking_png
from reports.wording import (
    NO_DATA,
    decimal,
    integer,
    nfc,
    percent,
    period_words,
    points,
    short_moment,
    working_days,
)

LATE_LIST_TITLE = "DANH SÁCH HỒ SƠ TRỄ HẠN"
MONTHLY_REPORT_TITLE = "BÁO CÁO KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH"
STILL_OPEN = "đang xử lý"
UNASSIGNED = "chưa phân công"
APOLOGISED = "Đã xin lỗi"
NOT_APOLOGISED = "Không xin lỗi"
MET = "Đạt"
NOT_MET = "Chưa đạt"
#: How many late dossiers the monthly report lists before "… và N hồ sơ khác".
REPORT_LATE_ROWS = 20
#: How many at-risk dossiers the forecast lists.
REPORT_AT_RISK_ROWS = 20

_FAMILY = "DejaVuSerif"
_FONT_FILES = {"": "DejaVuSerif.ttf", "B": "DejaVuSerif-Bold.ttf", "I": "DejaVuSerif-Italic.ttf"}
_BODY_PT = 9
_LINE_MM = 4.8
_PADDING_MM = 0.8
#: The late tables' type size: small, so a row stays a few lines high on a full page.
_TABLE_PT = 7.5
_ROMAN = ("", "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")
_HEADINGS = FontFace(emphasis="BOLD", fill_color=(222, 235, 247))


class _Document(FPDF):
    """An A4 publication: page numbers in the footer, the helpers both reports share."""

    def __init__(self, *, landscape: bool, title: str, created_at: datetime) -> None:
        super().__init__(orientation="L" if landscape else "P", unit="mm", format="A4")
        for style, filename in _FONT_FILES.items():
            self.add_font(_FAMILY, style, str(FONT_DIR / filename))
        self.set_margins(12, 12, 12)
        self.set_auto_page_break(True, margin=14)
        self.set_lang("vi")
        self.set_title(title.capitalize())
        self.set_creator("motcua")
        self.set_producer("motcua")
        # Same data, same bytes: the document date is the report's own moment.
        self.set_creation_date(created_at)
        self._sections = 0
        self.add_page()
        self.font()

    def footer(self) -> None:
        self.set_y(-10)
        self.font("I", 7.5)
        # {nb} is fpdf2's alias for the page count, filled in when the document is closed.
        self.cell(0, 4, f"Trang {self.page_no()}/{{nb}}", align="C")

    def font(self, style: str = "", size: float = _BODY_PT) -> None:
        self.set_font(_FAMILY, style, size)

    def heading(self, agency: str, title: str, lines: Sequence[str]) -> None:
        self.font("B", 10)
        self.multi_cell(0, 5, nfc(agency).upper(), align="C", new_x=XPos.LMARGIN)
        self.ln(3)
        self.font("B", 13)
        self.multi_cell(0, 6.5, title, align="C", new_x=XPos.LMARGIN)
        self.font("", 10)
        for line in lines:
            self.multi_cell(0, 5.2, nfc(line), align="C", new_x=XPos.LMARGIN)
        self.ln(4)
        self.font()

    def section(self, title: str, numbered: bool = True) -> None:
        """A section title, numbered I, II, III… in the order the sections appear (a report
        without a forecast has no gap in its numbering)."""
        if numbered:
            self._sections += 1
            title = f"{_ROMAN[self._sections]}. {title}"
        # Keep a section's title with at least a few lines of what follows it.
        if self.get_y() + 30 > self.h - self.b_margin:
            self.add_page()
        self.ln(2)
        self.font("B", 10.5)
        self.multi_cell(0, 6, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(1)
        self.font()

    def paragraph(self, text: str, style: str = "", size: float = _BODY_PT) -> None:
        self.font(style, size)
        self.multi_cell(0, _LINE_MM, nfc(text), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.font()

    def grid(
        self,
        headings: Sequence[str],
        rows: Sequence[Sequence[str]],
        widths: Sequence[float],
        align: Sequence[str],
        size: float = 8,
    ) -> None:
        """A table whose heading row is repeated on every page it spans."""
        self.font("", size)
        with self.table(
            col_widths=tuple(widths),
            width=self.epw,
            line_height=size * 0.5,
            text_align=tuple(align),
            headings_style=_HEADINGS,
            repeat_headings=1,
            padding=_PADDING_MM,
        ) as table:
            heading = table.row()
            for text in headings:
                heading.cell(text, align="CENTER")
            for values in rows:
                row = table.row()
                for value in values:
                    row.cell(nfc(value))
        self.font()
        self.ln(2)

    def fitting(self, values: Sequence[str], size: float, least: float, most: float) -> float:
        """A column width (mm) that keeps the longest of `values` on one line at `size` pt:
        a dossier code broken across lines cannot be searched for or copied."""
        self.font("", size)
        longest = max((self.get_string_width(nfc(v)) for v in values), default=0.0)
        self.font()
        return min(max(longest + 2 * _PADDING_MM + 0.5, least), most)

    def picture(self, png: bytes, width: float) -> None:
        """An image centred on the page, on the next page when it would not fit."""
        ratio = _png_height(png) / _png_width(png)
        height = width * ratio
        if self.get_y() + height > self.h - self.b_margin:
            self.add_page()
        self.image(io.BytesIO(png), x=(self.w - width) / 2, y=self.get_y(), w=width)
        self.set_y(self.get_y() + height + 3)

    def bytes(self) -> bytes:
        return bytes(self.output())


def _png_width(png: bytes) -> int:
    return int.from_bytes(png[16:20], "big")  # the IHDR chunk always comes first in a PNG


def _png_height(png: bytes) -> int:
    return int.from_bytes(png[20:24], "big")


# --- the late list ---------------------------------------------------------------------------


def _officer(attribution: StepAttribution) -> str:
    return attribution.officer_name or attribution.officer or UNASSIGNED


def _responsible_line(attribution: StepAttribution) -> str:
    """'Phòng Quản lý đô thị – UBND Quận 1 – Nguyễn Văn An: 1,5 ngày'."""
    unit = attribution.unit_name or attribution.unit_code
    agency = attribution.agency_name or attribution.agency_code
    branch = f" (nhánh {attribution.branch})" if attribution.branch else ""
    who = " – ".join(part for part in (unit, agency, _officer(attribution)) if part)
    return f"{who}{branch}: {working_days(attribution.overrun_hours)}"


def responsible_text(entry: LateEntry, separator: str = "\n") -> str:
    """Who made the dossier late, one attribution per line; a late dossier with no step that
    overran its share (late by a second supplement request, say) says so."""
    if not entry.responsible:
        return "chưa xác định bước vượt thời hạn"
    return separator.join(_responsible_line(a) for a in entry.responsible)


def _apology(entry: LateEntry) -> str:
    return APOLOGISED if entry.apologised else NOT_APOLOGISED


def _late_row(number: int, entry: LateEntry, public: bool, with_agency: bool) -> list[str]:
    procedure = f"{entry.procedure_name}\n({entry.agency_name})" if with_agency else ""
    row = [str(number), entry.code, procedure or entry.procedure_name]
    if not public:
        row.append(entry.applicant_name)
    row += [
        short_moment(entry.received_at),
        short_moment(entry.due_at),
        short_moment(entry.ended_at, STILL_OPEN),
        working_days(entry.late_hours),
        _apology(entry),
        responsible_text(entry),
    ]
    return row


def _late_totals(entries: Sequence[LateEntry]) -> str:
    still_open = sum(1 for e in entries if e.ended_at is None)
    apologised = sum(1 for e in entries if e.apologised)
    total_hours = sum(e.late_hours for e in entries)
    return (
        f"Tổng cộng: {integer(len(entries))} hồ sơ trễ hạn "
        f"({integer(len(entries) - still_open)} đã kết thúc, {integer(still_open)} "
        f"{STILL_OPEN} quá hạn); {integer(apologised)} hồ sơ đã xin lỗi, "
        f"{integer(len(entries) - apologised)} hồ sơ không xin lỗi; tổng số ngày trễ "
        f"{working_days(total_hours)} làm việc."
    )


def _none_late(late: LateList) -> str:
    return f"Trong kỳ {period_words(late.period).lower()}, không có hồ sơ trễ hạn."


def render_late_list(late: LateList) -> bytes:
    """The month's late dossiers as an A4 landscape PDF to publish (Directive 15): who made
    each dossier late, with the applicant's name only when `late.public` is False."""
    pdf = _Document(landscape=True, title=LATE_LIST_TITLE, created_at=late.generated_at)
    subtitle = [late.title] if late.title and late.title.upper() != LATE_LIST_TITLE else []
    pdf.heading(
        late.agency_name,
        LATE_LIST_TITLE,
        [
            *subtitle,
            f"Kỳ báo cáo: {period_words(late.period)}",
            f"Lập lúc {format_moment(late.generated_at)} (giờ Việt Nam)",
        ],
    )
    if not late.entries:
        pdf.paragraph(_none_late(late))
        return pdf.bytes()
    codes = [e.code for e in late.entries]
    headings = ["STT", "Mã hồ sơ", "Thủ tục hành chính"]
    widths: list[float] = [9, pdf.fitting(codes, _TABLE_PT, 20, 60), 38]
    align = ["CENTER", "LEFT", "LEFT"]
    if not late.public:
        headings.append("Người nộp")
        widths.append(26)
        align.append("LEFT")
    headings += [
        "Tiếp nhận",
        "Hẹn trả",
        "Kết thúc",
        "Số ngày trễ",
        "Xin lỗi",
        "Đơn vị – cơ quan – cán bộ chịu trách nhiệm (số ngày vượt)",
    ]
    widths += [18, 18, 18, 13, 15]
    widths.append(pdf.epw - sum(widths))
    align += ["CENTER", "CENTER", "CENTER", "RIGHT", "CENTER", "LEFT"]
    # A province's list spans agencies: each row then says which one received the dossier.
    several = len({e.agency_code for e in late.entries}) > 1
    rows = [_late_row(n, e, late.public, several) for n, e in enumerate(late.entries, start=1)]
    pdf.grid(headings, rows, widths, align, size=_TABLE_PT)
    pdf.paragraph(_late_totals(late.entries), "B")
    return pdf.bytes()


_CSV_COLUMNS = (
    "STT",
    "Mã hồ sơ",
    "Mã thủ tục",
    "Thủ tục hành chính",
    "Lĩnh vực",
    "Cơ quan tiếp nhận",
    "Người nộp",
    "Tiếp nhận",
    "Hẹn trả",
    "Kết thúc",
    "Kết quả",
    "Số giờ trễ",
    "Số ngày trễ",
    "Xin lỗi",
    "Đơn vị – cơ quan – cán bộ chịu trách nhiệm",
)


def late_list_csv(late: LateList) -> str:
    """The late list as CSV, one row per dossier, Vietnamese headers and figures as the PDF
    shows them; the applicant column is left out of a public list."""
    columns = [c for c in _CSV_COLUMNS if not (late.public and c == "Người nộp")]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for number, entry in enumerate(late.entries, start=1):
        row = {
            "STT": str(number),
            "Mã hồ sơ": entry.code,
            "Mã thủ tục": entry.procedure_code,
            "Thủ tục hành chính": entry.procedure_name,
            "Lĩnh vực": entry.sector,
            "Cơ quan tiếp nhận": entry.agency_name,
            "Người nộp": entry.applicant_name,
            "Tiếp nhận": short_moment(entry.received_at),
            "Hẹn trả": short_moment(entry.due_at),
            "Kết thúc": short_moment(entry.ended_at, STILL_OPEN),
            "Kết quả": entry.verdict.vietnamese,
            "Số giờ trễ": decimal(entry.late_hours),
            "Số ngày trễ": decimal(entry.late_days),
            "Xin lỗi": _apology(entry),
            "Đơn vị – cơ quan – cán bộ chịu trách nhiệm": responsible_text(entry, "; "),
        }
        writer.writerow([nfc(row[c]) for c in columns])
    return out.getvalue()


# --- the register as XLSX -----------------------------------------------------------------


def _cell_value(value: object) -> object:
    """What openpyxl can store: Excel has no time zones, so an aware moment becomes Vietnam
    local time without its offset (what a clerk expects to read); None stays empty."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(VIETNAM_TZ).replace(tzinfo=None)
    if isinstance(value, str):
        return nfc(value)
    if value is None or isinstance(value, int | float | bool | datetime | date):
        return value
    return nfc(str(value))


def register_xlsx(
    rows: Sequence[dict[str, object]],
    columns: Sequence[tuple[str, str]],
    sheet_title: str = "Sổ theo dõi hồ sơ",
) -> bytes:
    """`rows` as an XLSX sheet: one column per (key, Vietnamese header) of `columns`, in that
    order, under a bold frozen header row; a key missing from a row leaves its cell empty."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook always has its first sheet
    sheet.title = nfc(sheet_title)[:31]  # Excel's limit on a sheet name
    sheet.append([nfc(header) for _, header in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    widths = [len(header) for _, header in columns]
    for row_number, row in enumerate(rows, start=2):
        for index, (key, _) in enumerate(columns):
            value = _cell_value(row.get(key))
            cell = sheet.cell(row=row_number, column=index + 1, value=value)
            if isinstance(value, datetime):
                cell.number_format = "dd/mm/yyyy hh:mm"
            elif isinstance(value, date):
                cell.number_format = "dd/mm/yyyy"
            widths[index] = max(widths[index], len(str(value or "")))
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 8), 60)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# --- the monthly report ---------------------------------------------------------------------


def _scorecard_rows(scorecard: Scorecard) -> list[list[str]]:
    return [
        [
            m.code,
            m.name,
            f"{integer(m.numerator)}/{integer(m.denominator)}",
            percent(m.ratio),
            NO_DATA if m.score is None else f"{decimal(m.score)}/{decimal(m.max_score)}",
        ]
        for m in scorecard.metrics
    ]


def _met(assessment: Assessment) -> str:
    if assessment.met is None:
        return NO_DATA
    return MET if assessment.met else NOT_MET


def _assessment_rows(assessments: Sequence[Assessment]) -> list[list[str]]:
    return [
        [
            f"{a.indicator} {a.name}",
            percent(a.minimum),
            percent(a.ratio),
            _met(a),
            points(a.gap),
            NO_DATA if a.more_needed is None else integer(a.more_needed),
        ]
        for a in assessments
    ]


def _count_rows(counts: ReportCounts) -> list[list[str]]:
    figures = (
        ("Tổng số hồ sơ phải giải quyết", counts.to_handle),
        ("Từ kỳ trước chuyển qua", counts.carried_over),
        ("Tiếp nhận trong kỳ", counts.received),
        ("– Trực tuyến", counts.received_online),
        ("– Trực tiếp", counts.received_in_person),
        ("– Qua dịch vụ bưu chính công ích", counts.received_by_post),
        ("Đã giải quyết", counts.resolved),
        ("– Trước hạn", counts.resolved_early),
        ("– Đúng hạn", counts.resolved_on_time),
        ("– Trễ hạn", counts.resolved_late),
        ("    trong đó có văn bản xin lỗi", counts.late_apologised),
        ("    trong đó không xin lỗi", counts.late_silent),
        ("Đang giải quyết", counts.in_progress),
        ("– Trong hạn", counts.in_progress_not_due),
        ("– Quá hạn", counts.in_progress_overdue),
        ("Chờ bổ sung hồ sơ, thực hiện nghĩa vụ tài chính", counts.waiting_for_applicant),
        ("Từ chối giải quyết", counts.refused),
        ("Rút hồ sơ", counts.withdrawn),
        ("Dừng xử lý", counts.stopped),
    )
    return [[label, integer(value)] for label, value in figures]


def _forecast(pdf: _Document, forecast: Forecast, target: float | None) -> None:
    pdf.section("DỰ BÁO ĐẾN CUỐI KỲ")
    pdf.paragraph(
        f"Tính đến {format_moment(forecast.now)}: {integer(forecast.ended)} hồ sơ đã kết thúc "
        f"({integer(forecast.ended_on_time)} đúng hạn), {integer(forecast.open_safe)} hồ sơ "
        f"đang xử lý còn trong hạn, {integer(len(forecast.at_risk))} hồ sơ có nguy cơ trễ hạn "
        f"({integer(len(forecast.deciding))} sắp đến hạn, {integer(len(forecast.lost))} "
        "đã quá hạn)."
    )
    pdf.paragraph(
        f"Tỷ lệ đúng hạn nếu các hồ sơ có nguy cơ đều trễ hạn: "
        f"{percent(forecast.ratio_if_all_late)}; nếu các hồ sơ sắp đến hạn đều được giải "
        f"quyết đúng hạn: {percent(forecast.ratio_if_all_on_time)}."
    )
    if target is not None:
        allowed = forecast.late_allowed(target)
        pdf.paragraph(
            f"Chỉ tiêu {percent(target)} không thể đạt trong kỳ này."
            if allowed is None
            else f"Để đạt chỉ tiêu {percent(target)}, tối đa {integer(allowed)} hồ sơ sắp "
            "đến hạn được phép trễ hạn."
        )
    if forecast.at_risk:
        rows = [
            [
                risk.code,
                short_moment(risk.due_at),
                "Đã quá hạn" if risk.overdue else "Sắp đến hạn",
                "" if risk.hours_left is None else decimal(risk.hours_left, 1),
                ", ".join(risk.unit_codes),
                ", ".join(risk.officers) or UNASSIGNED,
            ]
            for risk in forecast.at_risk[:REPORT_AT_RISK_ROWS]
        ]
        widths = [pdf.fitting([row[0] for row in rows], 8, 20, 50), 30, 26, 22, 30]
        pdf.grid(
            ["Mã hồ sơ", "Hẹn trả", "Tình trạng", "Số giờ còn lại", "Đơn vị", "Cán bộ"],
            rows,
            [*widths, pdf.epw - sum(widths)],
            ["LEFT", "CENTER", "CENTER", "RIGHT", "LEFT", "LEFT"],
        )
        _and_more(pdf, len(forecast.at_risk) - REPORT_AT_RISK_ROWS)


def _and_more(pdf: _Document, more: int) -> None:
    if more > 0:
        pdf.paragraph(f"… và {integer(more)} hồ sơ khác.", "I")


def _on_time_target(assessments: Sequence[Assessment]) -> float | None:
    """The strictest on-time (2.1) target assessed, the one the trend chart draws."""
    minimums = [a.minimum for a in assessments if a.indicator == ON_TIME]
    return max(minimums, default=None)


def _late_summary(pdf: _Document, late: LateList) -> None:
    if not late.entries:
        pdf.paragraph(_none_late(late))
        return
    rows = [
        [
            str(number),
            entry.code,
            entry.procedure_name,
            working_days(entry.late_hours),
            _apology(entry),
            responsible_text(entry),
        ]
        for number, entry in enumerate(late.entries[:REPORT_LATE_ROWS], start=1)
    ]
    code_width = pdf.fitting([row[1] for row in rows], _TABLE_PT, 20, 50)
    widths = [9, code_width, 40, 16, 17]
    pdf.grid(
        ["STT", "Mã hồ sơ", "Thủ tục", "Số ngày trễ", "Xin lỗi", "Chịu trách nhiệm"],
        rows,
        [*widths, pdf.epw - sum(widths)],
        ["CENTER", "LEFT", "LEFT", "RIGHT", "CENTER", "LEFT"],
        size=_TABLE_PT,
    )
    _and_more(pdf, len(late.entries) - REPORT_LATE_ROWS)


def render_monthly_report(report: MonthlyReport) -> bytes:
    """The agency head's monthly report as an A4 portrait PDF: the scorecard, the targets,
    the counts, the forecast of a running period, the charts and the first late dossiers."""
    pdf = _Document(landscape=False, title=MONTHLY_REPORT_TITLE, created_at=report.generated_at)
    pdf.heading(
        report.agency_name,
        MONTHLY_REPORT_TITLE,
        [
            f"Kỳ báo cáo: {period_words(report.period)}",
            f"Lập lúc {format_moment(report.generated_at)} (giờ Việt Nam)",
        ],
    )
    scorecard = report.scorecard
    pdf.section("BỘ CHỈ SỐ PHỤC VỤ NGƯỜI DÂN, DOANH NGHIỆP")
    pdf.grid(
        ["Mã", "Chỉ số", "Tử số/Mẫu số", "Tỷ lệ", "Điểm/Tối đa"],
        _scorecard_rows(scorecard),
        [12, 92, 30, 28, pdf.epw - 162],
        ["CENTER", "LEFT", "CENTER", "RIGHT", "CENTER"],
    )
    pdf.paragraph(
        f"Tổng điểm: {decimal(scorecard.total_score)}/{decimal(scorecard.max_total)} "
        "(trên các chỉ số có dữ liệu).",
        "B",
    )
    pdf.section("SO VỚI CHỈ TIÊU")
    if report.assessments:
        pdf.grid(
            [
                "Chỉ số",
                "Chỉ tiêu",
                "Thực hiện",
                "Đánh giá",
                "Còn thiếu (điểm %)",
                "Cần thêm (hồ sơ)",
            ],
            _assessment_rows(report.assessments),
            [76, 20, 22, 26, 24, pdf.epw - 168],
            ["LEFT", "RIGHT", "RIGHT", "CENTER", "RIGHT", "RIGHT"],
        )
        sources = dict.fromkeys(a.target.source for a in report.assessments)
        pdf.paragraph("Nguồn chỉ tiêu: " + "; ".join(sources) + ".", "I", 7.5)
    else:
        pdf.paragraph("Không có chỉ tiêu áp dụng cho kỳ báo cáo này.")
    pdf.section("TÌNH HÌNH TIẾP NHẬN, GIẢI QUYẾT HỒ SƠ")
    pdf.grid(
        ["Nội dung", "Số hồ sơ"],
        _count_rows(scorecard.counts),
        [120, 40],
        ["LEFT", "RIGHT"],
    )
    target = _on_time_target(report.assessments)
    if report.forecast is not None:
        _forecast(pdf, report.forecast, target)
    if report.trend or report.ranking:
        pdf.section("BIỂU ĐỒ")
    if report.trend:
        pdf.picture(on_time_trend_png(report.trend, target), width=170)
    if report.ranking:
        pdf.picture(ranking_png(report.ranking, highlight=report.agency_name), width=170)
    pdf.section(LATE_LIST_TITLE)
    _late_summary(pdf, report.late)
    if report.notes:
        pdf.section("Ghi chú", numbered=False)
        for note in report.notes:
            pdf.paragraph(f"– {note}")
    return pdf.bytes()
