"""Render the statutory forms of Circular 01/2018/TT-VPCP (Mẫu 01–05) as A5 PDF in Vietnamese.

The layout follows the circular's annex in spirit: the agency and the national motto side by
side, the place and date, the title, the dossier facts, the form's own content and the
signatures. Fonts ship in `forms/fonts/` so a fresh machine renders diacritics correctly.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import segno
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from domain.forms import (
    ApologyForm,
    FormData,
    FormDossier,
    ProcessingControlForm,
    RefusalForm,
    StatutoryForm,
    SupplementRequestForm,
    format_date,
    format_moment,
)

FONT_DIR = Path(__file__).resolve().parent / "fonts"
_FAMILY = "DejaVuSerif"
_FONT_FILES = {"": "DejaVuSerif.ttf", "B": "DejaVuSerif-Bold.ttf", "I": "DejaVuSerif-Italic.ttf"}

_BODY_PT = 9
_LINE_MM = 4.6
_SIGNATURE_SPACE_MM = 16

NATIONAL_NAME = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
NATIONAL_MOTTO = "Độc lập - Tự do - Hạnh phúc"


def render_form(number: int, data: FormData) -> bytes:
    """The PDF of form `number` (1–5) filled from `data`.

    ValueError for a number the circular does not define here, TypeError when `data` is not
    the input that form needs (FormDossier for 01, SupplementRequestForm for 02, …).
    """
    try:
        form = StatutoryForm(number)
    except ValueError:
        raise ValueError(f"no statutory form number {number!r}; expected 1 to 5") from None
    expected, render = _RENDERERS[form]
    if not isinstance(data, expected):
        raise TypeError(
            f"form {form.value:02d} needs {expected.__name__}, got {type(data).__name__}"
        )
    return render(data)


class _Sheet:
    """One form being written: an FPDF page with the helpers the five forms share."""

    def __init__(self, form: StatutoryForm, issued_at: datetime, *, landscape: bool = False):
        self.pdf = pdf = FPDF(orientation="L" if landscape else "P", unit="mm", format=(148, 210))
        for style, filename in _FONT_FILES.items():
            pdf.add_font(_FAMILY, style, str(FONT_DIR / filename))
        pdf.set_margins(10, 10, 10)
        pdf.set_auto_page_break(True, margin=10)
        pdf.set_lang("vi")
        pdf.set_title(form.title.capitalize())
        pdf.set_creator("motcua")
        pdf.set_producer("motcua")
        # Same data, same bytes: the document date is the form's own date, not the render time.
        pdf.set_creation_date(issued_at)
        pdf.add_page()
        self.form = form
        self.font()

    @property
    def width(self) -> float:
        return self.pdf.epw

    def font(self, style: str = "", size: float = _BODY_PT) -> None:
        self.pdf.set_font(_FAMILY, style, size)

    def header(self, dossier: FormDossier, issued_at: datetime) -> None:
        pdf = self.pdf
        left_w = self.width * 0.4
        right_w = self.width - left_w
        top = pdf.get_y()

        self.font("", 8)
        pdf.multi_cell(left_w, 4, _text(dossier.agency_name).upper(), align="C", new_x=XPos.LMARGIN)
        self.font("B", 8)
        pdf.multi_cell(left_w, 4, _text(dossier.office_name).upper(), align="C", new_x=XPos.LMARGIN)
        left_bottom = pdf.get_y()
        pdf.line(
            pdf.l_margin + left_w * 0.3,
            left_bottom + 0.8,
            pdf.l_margin + left_w * 0.7,
            left_bottom + 0.8,
        )

        pdf.set_xy(pdf.l_margin + left_w, top)
        self.font("B", 8)
        pdf.multi_cell(right_w, 4, NATIONAL_NAME, align="C", new_x=XPos.LEFT)
        pdf.multi_cell(right_w, 4, NATIONAL_MOTTO, align="C", new_x=XPos.LEFT)
        right_bottom = pdf.get_y()
        middle = pdf.l_margin + left_w + right_w / 2
        pdf.line(middle - 22, right_bottom + 0.8, middle + 22, right_bottom + 0.8)

        pdf.set_xy(pdf.l_margin + left_w, max(left_bottom, right_bottom) + 2)
        self.font("I", 8)
        place = f"{_text(dossier.place_name)}, " if dossier.place_name else ""
        pdf.multi_cell(
            right_w, 4, f"{place}{format_date(issued_at)}", align="C", new_x=XPos.LMARGIN
        )
        pdf.ln(3)

    def title(self, code: str | None) -> None:
        self.font("B", 11)
        self.pdf.multi_cell(
            self.width, 5.5, self.form.title, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        if code:
            self.font("B", _BODY_PT)
            self.pdf.multi_cell(
                self.width,
                _LINE_MM,
                f"Mã hồ sơ: {_text(code)}",
                align="C",
                new_x=XPos.LMARGIN,
                new_y=YPos.NEXT,
            )
        self.pdf.ln(2)
        self.font()

    def field(self, label: str, value: str) -> None:
        """'Label: value' as one flowing paragraph, the label in bold."""
        if not value:
            return
        self.font("B")
        self.pdf.write(_LINE_MM, f"{label}: ")
        self.font()
        self.pdf.write(_LINE_MM, _text(value))
        self.pdf.ln(_LINE_MM)

    def paragraph(self, text: str, style: str = "") -> None:
        self.font(style)
        self.pdf.multi_cell(
            self.width, _LINE_MM, _text(text), align="J", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        self.font()

    def numbered(self, items: Sequence[str]) -> None:
        indent = 5.0
        for number, item in enumerate(items, start=1):
            self.pdf.set_x(self.pdf.l_margin + indent)
            self.pdf.multi_cell(
                self.width - indent,
                _LINE_MM,
                f"{number}. {_text(item)}",
                align="L",
                new_x=XPos.LMARGIN,
                new_y=YPos.NEXT,
            )

    def applicant(self, dossier: FormDossier) -> None:
        self.field("Họ và tên", dossier.applicant_name)
        self.field("Địa chỉ", dossier.applicant_address)
        contact = ", ".join(
            part
            for part in (
                f"Số điện thoại: {dossier.applicant_phone}" if dossier.applicant_phone else "",
                f"Email: {dossier.applicant_email}" if dossier.applicant_email else "",
            )
            if part
        )
        if contact:
            self.paragraph(contact)

    def table(
        self,
        headings: Sequence[str],
        rows: Sequence[Sequence[str]],
        widths: Sequence[float],
        size: float = 7.5,
    ) -> None:
        self.font("", size)
        with self.pdf.table(
            col_widths=tuple(widths),
            width=self.width,
            line_height=size * 0.5,
            text_align="LEFT",
            headings_style=None,
            first_row_as_headings=False,
        ) as table:
            heading = table.row()
            self.font("B", size)
            for text in headings:
                heading.cell(text, align="CENTER")
            self.font("", size)
            for values in rows:
                row = table.row()
                for value in values:
                    row.cell(_text(value))
        self.font()
        self.pdf.ln(2)

    def lookup(self, dossier: FormDossier) -> None:
        """How the applicant follows the dossier: the look-up address and secret, and the
        address as a QR code beside them."""
        if not dossier.lookup_secret:
            return
        pdf = self.pdf
        qr_mm = 22.0
        if pdf.get_y() + qr_mm + 2 > pdf.h - pdf.b_margin:
            pdf.add_page()
        top = pdf.get_y()
        text_w = self.width - qr_mm - 3
        self.font("B")
        pdf.multi_cell(text_w, _LINE_MM, "6. Tra cứu, theo dõi hồ sơ:", new_x=XPos.LMARGIN)
        self.font()
        lines = []
        if dossier.lookup_url:
            lines.append(f"Địa chỉ tra cứu: {dossier.lookup_url}")
        lines.append(f"Mã hồ sơ: {dossier.code or ''} - Mã bí mật tra cứu: {dossier.lookup_secret}")
        lines.append("Giữ kín mã bí mật: có mã này, người khác xem và thao tác được hồ sơ.")
        for line in lines:
            pdf.multi_cell(text_w, _LINE_MM, _text(line), align="L", new_x=XPos.LMARGIN)
        bottom = pdf.get_y()
        if dossier.lookup_url:
            png = io.BytesIO()
            segno.make_qr(dossier.lookup_url, error="m").save(png, kind="png", scale=4, border=2)
            png.seek(0)
            pdf.image(png, x=pdf.l_margin + text_w + 3, y=top, w=qr_mm, h=qr_mm)
            bottom = max(bottom, top + qr_mm)
        pdf.set_y(bottom + 1)

    def signatures(self, blocks: Sequence[tuple[str, str, str]]) -> None:
        """Signature columns side by side: (role, instruction, name); a lone one on the right."""
        pdf = self.pdf
        needed = 4 * 2 + _SIGNATURE_SPACE_MM + 6
        if pdf.get_y() + needed > pdf.h - pdf.b_margin:
            pdf.add_page()
        pdf.ln(3)
        top = pdf.get_y()
        column = self.width / max(len(blocks), 2)
        first = pdf.l_margin + self.width - column * len(blocks)
        for index, (role, instruction, name) in enumerate(blocks):
            x = first + index * column
            pdf.set_xy(x, top)
            self.font("B", 8.5)
            pdf.multi_cell(column, 4, role, align="C", new_x=XPos.LEFT)
            self.font("I", 7.5)
            pdf.multi_cell(column, 4, instruction, align="C", new_x=XPos.LEFT)
            pdf.set_y(pdf.get_y() + _SIGNATURE_SPACE_MM)
            pdf.set_x(x)
            self.font("B", 8.5)
            pdf.multi_cell(column, 4, _text(name), align="C", new_x=XPos.LEFT)
        self.font()

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def _text(value: str) -> str:
    # The fonts carry precomposed Vietnamese letters; decomposed input (from some keyboards
    # and Mac file names) would otherwise print as base letters with loose accents.
    return unicodedata.normalize("NFC", value)


def _received_from(sheet: _Sheet, dossier: FormDossier) -> None:
    office = dossier.office_name.capitalize()
    sheet.paragraph(f"{office} - {dossier.agency_name} tiếp nhận hồ sơ của:")
    sheet.applicant(dossier)


def _dossier_facts(sheet: _Sheet, dossier: FormDossier) -> None:
    sheet.field("Hình thức nộp", dossier.channel_label)
    sheet.field("Thời gian nhận hồ sơ", format_moment(dossier.received_at))
    if dossier.due is not None:
        sheet.field("Thời gian hẹn trả kết quả", format_moment(dossier.due))


def _receipt(dossier: FormDossier) -> bytes:
    sheet = _Sheet(StatutoryForm.RECEIPT, dossier.received_at)
    sheet.header(dossier, dossier.received_at)
    sheet.title(dossier.code)
    _received_from(sheet, dossier)
    sheet.field("Nội dung yêu cầu giải quyết", dossier.procedure_name)
    sheet.field("Hình thức nộp", dossier.channel_label)
    sheet.paragraph("1. Thành phần hồ sơ nộp gồm:", "B")
    if dossier.components:
        sheet.table(
            ("STT", "Tên giấy tờ", "Hình thức", "Số lượng"),
            [
                (str(n), c.name, str(c.kind), str(c.copies))
                for n, c in enumerate(dossier.components, start=1)
            ],
            widths=(8, 60, 34, 14),
        )
    sheet.field("2. Thời gian giải quyết hồ sơ theo quy định", dossier.term_label)
    sheet.field("3. Thời gian nhận hồ sơ", format_moment(dossier.received_at))
    if dossier.due is not None:
        sheet.field("4. Thời gian trả kết quả giải quyết hồ sơ", format_moment(dossier.due))
    sheet.field("5. Đăng ký nhận kết quả tại", dossier.delivery_label)
    sheet.lookup(dossier)
    sheet.signatures(
        (
            ("NGƯỜI NỘP HỒ SƠ", "(Ký và ghi rõ họ tên)", dossier.applicant_name),
            ("NGƯỜI TIẾP NHẬN HỒ SƠ", "(Ký và ghi rõ họ tên)", dossier.clerk_name),
        )
    )
    return sheet.output()


def _supplement_request(data: SupplementRequestForm) -> bytes:
    dossier = data.dossier
    sheet = _Sheet(StatutoryForm.SUPPLEMENT_REQUEST, data.issued_at)
    sheet.header(dossier, data.issued_at)
    sheet.title(dossier.code)
    sheet.paragraph("Hồ sơ của:")
    sheet.applicant(dossier)
    sheet.field("Nội dung yêu cầu giải quyết", dossier.procedure_name)
    _dossier_facts(sheet, dossier)
    sheet.paragraph("Yêu cầu hoàn thiện hồ sơ gồm những nội dung sau:", "B")
    sheet.numbered(data.items)
    sheet.field("Lý do", data.reason)
    contact = f" với {data.contact_label}" if data.contact_label else " với Bộ phận Một cửa"
    sheet.paragraph(
        "Trong quá trình hoàn thiện hồ sơ nếu có vướng mắc, Ông/Bà liên hệ"
        f"{contact} để được hướng dẫn."
    )
    sheet.signatures((("NGƯỜI HƯỚNG DẪN", "(Ký và ghi rõ họ tên)", data.officer_name),))
    return sheet.output()


def _refusal(data: RefusalForm) -> bytes:
    dossier = data.dossier
    sheet = _Sheet(StatutoryForm.REFUSAL, data.issued_at)
    sheet.header(dossier, data.issued_at)
    sheet.title(dossier.code)
    _received_from(sheet, dossier)
    sheet.field("Nội dung yêu cầu giải quyết", dossier.procedure_name)
    _dossier_facts(sheet, dossier)
    sheet.paragraph(
        "Sau khi xem xét, đối chiếu thành phần hồ sơ với quy định, "
        f"{dossier.agency_name} từ chối tiếp nhận, giải quyết hồ sơ này vì lý do sau:"
    )
    sheet.numbered(data.reasons)
    sheet.paragraph("Xin thông báo để Ông/Bà được biết và thực hiện./.")
    sheet.signatures((("NGƯỜI TIẾP NHẬN HỒ SƠ", "(Ký và ghi rõ họ tên)", data.officer_name),))
    return sheet.output()


def _apology(data: ApologyForm) -> bytes:
    dossier = data.dossier
    assert dossier.due is not None  # ApologyForm refuses a dossier without an appointment.
    sheet = _Sheet(StatutoryForm.APOLOGY, data.issued_at)
    sheet.header(dossier, data.issued_at)
    sheet.title(dossier.code)
    sheet.field("Kính gửi", dossier.applicant_name)
    sheet.paragraph(
        f"Vào lúc {format_moment(dossier.received_at)}, {dossier.agency_name} đã tiếp nhận "
        f"hồ sơ đề nghị giải quyết thủ tục {dossier.procedure_name} của Ông/Bà."
    )
    sheet.field("Thời hạn trả kết quả giải quyết hồ sơ", format_moment(dossier.due))
    sheet.paragraph(
        "Tuy nhiên đến nay, cơ quan chưa trả kết quả giải quyết hồ sơ cho Ông/Bà đúng thời hạn "
        "ghi trên Giấy tiếp nhận hồ sơ và hẹn trả kết quả vì lý do:"
    )
    sheet.paragraph(data.reason, "I")
    sheet.paragraph(
        f"Sự chậm trễ này đã gây phiền hà cho Ông/Bà. {dossier.agency_name} xin lỗi Ông/Bà "
        "và hẹn lại thời gian trả kết quả vào:"
    )
    sheet.paragraph(format_moment(data.new_due), "B")
    sheet.paragraph("Xin trân trọng cảm ơn sự hợp tác của Ông/Bà./.")
    sheet.signatures(((data.signer_title, "(Ký, ghi rõ họ tên và đóng dấu)", data.signer_name),))
    return sheet.output()


def _processing_control(data: ProcessingControlForm) -> bytes:
    dossier = data.dossier
    issued_at = data.issued_at or dossier.received_at
    sheet = _Sheet(StatutoryForm.PROCESSING_CONTROL, issued_at, landscape=True)
    sheet.header(dossier, issued_at)
    sheet.title(dossier.code)
    sheet.field("Cơ quan giải quyết hồ sơ", dossier.agency_name)
    sheet.field("Người nộp hồ sơ", dossier.applicant_name)
    sheet.field("Thủ tục hành chính", dossier.procedure_name)
    _dossier_facts(sheet, dossier)
    sheet.pdf.ln(1)
    sheet.table(
        (
            "STT",
            "Cơ quan, đơn vị",
            "Thời hạn",
            "Bắt đầu (nhận hồ sơ)",
            "Kết thúc (giao hồ sơ)",
            "Kết quả",
            "Người xử lý",
        ),
        [
            (
                str(n),
                f"{step.unit_name}\n{step.agency_name}",
                step.time_limit_label,
                format_moment(step.started_at) if step.started_at else "",
                format_moment(step.finished_at) if step.finished_at else "",
                step.outcome_label,
                step.officer,
            )
            for n, step in enumerate(data.steps, start=1)
        ],
        widths=(8, 40, 20, 36, 36, 18, 28),
    )
    return sheet.output()


_RENDERERS: dict[StatutoryForm, tuple[type, Callable[[Any], bytes]]] = {
    StatutoryForm.RECEIPT: (FormDossier, _receipt),
    StatutoryForm.SUPPLEMENT_REQUEST: (SupplementRequestForm, _supplement_request),
    StatutoryForm.REFUSAL: (RefusalForm, _refusal),
    StatutoryForm.APOLOGY: (ApologyForm, _apology),
    StatutoryForm.PROCESSING_CONTROL: (ProcessingControlForm, _processing_control),
}
