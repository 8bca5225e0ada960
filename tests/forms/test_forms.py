import io
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pypdf
import pytest
import segno
from PIL import Image

from domain.forms import (
    ApologyForm,
    CopyKind,
    FormComponent,
    FormDossier,
    FormStep,
    ProcessingControlForm,
    RefusalForm,
    StatutoryForm,
    SupplementRequestForm,
    format_moment,
)
from forms import render_form

CODE = "000.00.31.H29-261122-0007"
APPLICANT = "Nguyễn Thị Hồng Nhung"
AGENCY = "Ủy ban nhân dân phường Bến Nghé"
# 01:30 UTC is 08:30 in Vietnam; 09:00 UTC is 16:00.
RECEIVED = datetime(2026, 11, 23, 1, 30, tzinfo=UTC)
DUE = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
DUE_LOCAL = "16 giờ 00 phút, ngày 25 tháng 11 năm 2026"
ISSUED = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)

DOSSIER = FormDossier(
    code=CODE,
    procedure_name="Đăng ký khai sinh",
    agency_name=AGENCY,
    applicant_name=APPLICANT,
    applicant_address="12 Lê Lợi, phường Bến Nghé, Quận 1, Thành phố Hồ Chí Minh",
    channel_label="Trực tiếp",
    received_at=RECEIVED,
    due=DUE,
    components=[
        FormComponent("Tờ khai đăng ký khai sinh"),
        FormComponent("Giấy chứng sinh", 1, CopyKind.CERTIFIED_COPY),
    ],
    term_label="03 ngày làm việc",
    clerk_name="Trần Văn Bình",
    place_name="Thành phố Hồ Chí Minh",
)


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(data))
    text = " ".join(page.extract_text() for page in reader.pages)
    return re.sub(r"\s+", " ", text)


FORMS = {
    StatutoryForm.RECEIPT: DOSSIER,
    StatutoryForm.SUPPLEMENT_REQUEST: SupplementRequestForm(
        DOSSIER,
        items=["Bản sao giấy chứng nhận kết hôn của cha mẹ", "Văn bản ủy quyền có chứng thực"],
        reason="Thiếu giấy tờ chứng minh quan hệ cha, mẹ, con",
        issued_at=ISSUED,
        officer_name="Lê Thị Mai",
    ),
    StatutoryForm.REFUSAL: RefusalForm(
        DOSSIER,
        reasons=["Hồ sơ không thuộc thẩm quyền giải quyết của Ủy ban nhân dân phường"],
        issued_at=ISSUED,
        officer_name="Lê Thị Mai",
    ),
    StatutoryForm.APOLOGY: ApologyForm(
        DOSSIER,
        reason="Cần xác minh thông tin với cơ quan đăng ký hộ tịch nơi cư trú trước đây",
        new_due=datetime(2026, 11, 27, 9, 0, tzinfo=UTC),
        issued_at=ISSUED,
        signer_name="Phạm Quốc Hùng",
        signer_title="CHỦ TỊCH",
    ),
    StatutoryForm.PROCESSING_CONTROL: ProcessingControlForm(
        DOSSIER,
        steps=[
            FormStep(
                "Bộ phận Một cửa", AGENCY, "0,5 ngày", RECEIVED, ISSUED, True, "Trần Văn Bình"
            ),
            FormStep(
                "Công chức Tư pháp - Hộ tịch", AGENCY, "2 ngày", ISSUED, None, None, "Võ Minh Tâm"
            ),
        ],
        issued_at=ISSUED,
    ),
}


@pytest.mark.parametrize("form", list(StatutoryForm), ids=lambda f: f"{f.value:02d}")
def test_each_form_prints_title_code_names_and_due_in_local_time(form: StatutoryForm) -> None:
    text = pdf_text(render_form(form.value, FORMS[form]))

    assert form.title in text
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text
    assert "Độc lập - Tự do - Hạnh phúc" in text
    assert CODE in text
    assert APPLICANT in text
    assert AGENCY.upper() in text
    assert DUE_LOCAL in text


def test_receipt_lists_components_and_the_reception_moment() -> None:
    text = pdf_text(render_form(1, DOSSIER))

    assert "Tờ khai đăng ký khai sinh" in text
    assert "Bản sao có chứng thực" in text
    assert "08 giờ 30 phút, ngày 23 tháng 11 năm 2026" in text
    assert "03 ngày làm việc" in text
    assert "Trần Văn Bình" in text


def test_supplement_request_lists_every_item_and_the_reason() -> None:
    text = pdf_text(render_form(2, FORMS[StatutoryForm.SUPPLEMENT_REQUEST]))

    assert "1. Bản sao giấy chứng nhận kết hôn của cha mẹ" in text
    assert "2. Văn bản ủy quyền có chứng thực" in text
    assert "Thiếu giấy tờ chứng minh quan hệ cha, mẹ, con" in text


def test_refusal_gives_its_reasons() -> None:
    text = pdf_text(render_form(3, FORMS[StatutoryForm.REFUSAL]))

    assert "Hồ sơ không thuộc thẩm quyền giải quyết của Ủy ban nhân dân phường" in text


def test_apology_gives_reason_and_the_new_appointment() -> None:
    text = pdf_text(render_form(4, FORMS[StatutoryForm.APOLOGY]))

    assert "Cần xác minh thông tin với cơ quan đăng ký hộ tịch" in text
    assert "16 giờ 00 phút, ngày 27 tháng 11 năm 2026" in text
    assert "Phạm Quốc Hùng" in text


def test_processing_control_shows_each_step_and_whether_it_was_on_time() -> None:
    text = pdf_text(render_form(5, FORMS[StatutoryForm.PROCESSING_CONTROL]))

    assert "Bộ phận Một cửa" in text
    assert "Đúng hạn" in text
    assert "Đang xử lý" in text
    assert "Võ Minh Tâm" in text


def test_late_step_is_marked_late() -> None:
    late = FormStep("Phòng Tư pháp", AGENCY, "1 ngày", RECEIVED, DUE, False, "Đỗ Văn An")
    text = pdf_text(render_form(5, ProcessingControlForm(DOSSIER, steps=[late])))

    assert "Quá hạn" in text


def test_refusal_at_reception_has_no_code_and_no_appointment() -> None:
    turned_away = FormDossier(
        code=None,
        procedure_name="Đăng ký khai sinh",
        agency_name=AGENCY,
        applicant_name=APPLICANT,
        applicant_address="12 Lê Lợi",
        channel_label="Trực tiếp",
        received_at=RECEIVED,
        due=None,
    )
    text = pdf_text(render_form(3, RefusalForm(turned_away, ["Không đúng thẩm quyền"], RECEIVED)))

    assert "Mã hồ sơ" not in text
    assert "hẹn trả" not in text
    assert "Không đúng thẩm quyền" in text


def test_decomposed_vietnamese_input_prints_composed_letters() -> None:
    decomposed = "Nguye\u0302\u0303n Thi\u0323 Ho\u0302\u0300ng Nhung"
    dossier = FormDossier(**{**DOSSIER.__dict__, "applicant_name": decomposed})

    assert APPLICANT in pdf_text(render_form(1, dossier))


def test_same_data_renders_the_same_bytes() -> None:
    assert render_form(1, DOSSIER) == render_form(1, DOSSIER)


@pytest.mark.parametrize("number", [0, 6, -1, 99])
def test_unknown_form_number_is_rejected(number: int) -> None:
    with pytest.raises(ValueError, match="form"):
        render_form(number, DOSSIER)


def test_wrong_data_for_the_form_is_rejected() -> None:
    with pytest.raises(TypeError, match="SupplementRequestForm"):
        render_form(2, DOSSIER)


def test_moments_print_in_vietnam_time_whatever_the_input_zone() -> None:
    paris = timezone(timedelta(hours=1))
    assert format_moment(datetime(2026, 11, 25, 10, 0, tzinfo=paris)) == DUE_LOCAL
    # Late evening UTC is already the next day in Vietnam.
    assert format_moment(datetime(2026, 12, 31, 17, 5, tzinfo=UTC)) == (
        "00 giờ 05 phút, ngày 01 tháng 01 năm 2027"
    )


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        FormDossier(**{**DOSSIER.__dict__, "due": datetime(2026, 11, 25, 16, 0)})


def test_receipt_prints_the_lookup_secret_and_the_lookup_address_as_a_qr_code() -> None:
    url = "https://dichvucong.example.gov.vn/tra-cuu?code=" + CODE
    data = render_form(1, replace(DOSSIER, lookup_secret="s3cr3t-Abc_9", lookup_url=url))
    text = pdf_text(data)
    assert "s3cr3t-Abc_9" in text and CODE in text
    assert "Địa chỉ tra cứu" in text
    (image,) = [i for p in pypdf.PdfReader(io.BytesIO(data)).pages for i in p.images]
    # the image is the QR code of the address (the same modules segno draws for it)
    expected = io.BytesIO()
    segno.make_qr(url, error="m").save(expected, kind="png", scale=4, border=2)
    printed = image.image.convert("L")
    drawn = Image.open(expected).convert("L")
    assert printed.size == drawn.size and printed.tobytes() == drawn.tobytes()


def test_receipt_without_a_secret_prints_no_lookup_block() -> None:
    data = render_form(1, DOSSIER)
    assert "Mã bí mật" not in pdf_text(data)
    assert not [i for p in pypdf.PdfReader(io.BytesIO(data)).pages for i in p.images]
