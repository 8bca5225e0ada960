import pytest

from domain.documents import (
    SNIFF_BYTES,
    DocumentRejected,
    DocumentType,
    RejectionReason,
    display_name,
    sniff_type,
    validate_upload,
)

MB = 1024 * 1024
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
TIFF_LE = b"II*\x00\x08\x00\x00\x00"
TIFF_BE = b"MM\x00*\x00\x00\x00\x08"
ELF = b"\x7fELF\x02\x01\x01\x00"
MZ = b"MZ\x90\x00\x03\x00\x00\x00"


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (PDF, DocumentType.PDF),
        (JPEG, DocumentType.JPEG),
        (PNG, DocumentType.PNG),
        (TIFF_LE, DocumentType.TIFF),
        (TIFF_BE, DocumentType.TIFF),
        (ELF, None),
        (MZ, None),
        (b"<!DOCTYPE html><html>", None),
        (b"PK\x03\x04", None),  # zip / docx
        (b"", None),
        (b" %PDF-1.4", None),  # a magic number not at the start does not count
    ],
)
def test_sniff_type_decides_by_leading_bytes(head: bytes, expected: DocumentType | None) -> None:
    assert sniff_type(head) == expected


def test_a_pdf_renamed_png_is_accepted_as_pdf() -> None:
    assert validate_upload("scan.png", PDF, 40_000, 10 * MB) is DocumentType.PDF


def test_an_image_without_a_name_is_accepted() -> None:
    assert validate_upload(None, JPEG[:SNIFF_BYTES], 1_000, 10 * MB) is DocumentType.JPEG


@pytest.mark.parametrize("head", [ELF, MZ])
def test_an_executable_renamed_pdf_is_rejected(head: bytes) -> None:
    with pytest.raises(DocumentRejected) as rejected:
        validate_upload("giay-khai-sinh.pdf", head, 80_000, 10 * MB)
    assert rejected.value.reason is RejectionReason.UNSUPPORTED_TYPE
    assert "not a PDF, JPEG, PNG or TIFF (detected by content)" in str(rejected.value)
    assert "giay-khai-sinh.pdf" in str(rejected.value)


@pytest.mark.parametrize(("head", "size"), [(b"", 0), (PDF, 0), (b"", 10)])
def test_an_empty_file_is_rejected(head: bytes, size: int) -> None:
    with pytest.raises(DocumentRejected, match="empty") as rejected:
        validate_upload("to-khai.pdf", head, size, 10 * MB)
    assert rejected.value.reason is RejectionReason.EMPTY


def test_an_oversized_file_is_rejected_stating_the_limit_in_mb() -> None:
    with pytest.raises(DocumentRejected, match="20 MB limit") as rejected:
        validate_upload("ban-ve.pdf", PDF, 20 * MB + 1, 20 * MB)
    assert rejected.value.reason is RejectionReason.TOO_LARGE


def test_a_file_exactly_at_the_limit_is_accepted() -> None:
    assert validate_upload("ban-ve.pdf", PDF, 20 * MB, 20 * MB) is DocumentType.PDF


def test_rejection_is_a_value_error_for_generic_handlers() -> None:
    with pytest.raises(ValueError):
        validate_upload("x.pdf", MZ, 10, MB)


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\Windows\\system32\\cmd.exe", "cmd.exe"),
        ("C:\\Users\\Lan\\Giấy khai sinh.pdf", "Giấy khai sinh.pdf"),
        ("..", "document"),
        ("", "document"),
        (None, "document"),
        ("/", "document"),
        ("...hidden", "hidden"),
        ("bad\x00name\r\n.pdf", "badname.pdf"),
        ('a"b;c<d>.pdf', "abcd.pdf"),
        ("invoice\u202egpj.exe", "invoicegpj.exe"),  # right-to-left override removed
        ("tờ..khai.pdf", "tờ.khai.pdf"),
        ("  Chứng   minh  thư .jpg ", "Chứng minh thư .jpg"),
    ],
)
def test_display_name_is_harmless(filename: str | None, expected: str) -> None:
    assert display_name(filename) == expected


def test_display_name_keeps_vietnamese_letters_in_composed_form() -> None:
    decomposed = "Nguye\u0302\u0303n Thi\u0323 Ho\u0302\u0300ng.pdf"
    assert display_name(decomposed) == "Nguyễn Thị Hồng.pdf"


def test_display_name_is_shortened_keeping_the_extension() -> None:
    name = display_name("Bản sao " * 40 + ".pdf")
    assert len(name) <= 120
    assert name.endswith(".pdf")
    assert name.startswith("Bản sao")
