"""Rules for uploaded dossier documents (thành phần hồ sơ, kết quả): type by content, size, names.

Pure: the API reads the first bytes and the size of an upload and asks these functions whether
to keep it; the storage activity enforces the same size limit while streaming.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

#: How many leading bytes `sniff_type` needs to recognise every accepted type.
SNIFF_BYTES = 8

#: A sensible default; a deployment sets its own limit in its settings.
DEFAULT_MAX_UPLOAD_BYTES = 20 * 1024 * 1024

#: Display names longer than this are shortened, keeping the extension.
MAX_DISPLAY_NAME_CHARS = 120

_FALLBACK_DISPLAY_NAME = "document"


class DocumentType(StrEnum):
    """The file types a one-stop office accepts for scanned components and results."""

    PDF = "pdf"
    JPEG = "jpeg"
    PNG = "png"
    TIFF = "tiff"

    @property
    def media_type(self) -> str:
        return _MEDIA_TYPES[self]

    @property
    def extension(self) -> str:
        return _EXTENSIONS[self]


_MEDIA_TYPES = {
    DocumentType.PDF: "application/pdf",
    DocumentType.JPEG: "image/jpeg",
    DocumentType.PNG: "image/png",
    DocumentType.TIFF: "image/tiff",
}
_EXTENSIONS = {
    DocumentType.PDF: ".pdf",
    DocumentType.JPEG: ".jpg",
    DocumentType.PNG: ".png",
    DocumentType.TIFF: ".tif",
}

# Checked in order against the start of the file; the client's name and MIME type are never
# trusted, because a renamed executable must not become a "PDF" on an officer's desk.
_MAGIC: tuple[tuple[bytes, DocumentType], ...] = (
    (b"%PDF-", DocumentType.PDF),
    (b"\xff\xd8\xff", DocumentType.JPEG),
    (b"\x89PNG\r\n\x1a\n", DocumentType.PNG),
    (b"II*\x00", DocumentType.TIFF),
    (b"MM\x00*", DocumentType.TIFF),
)


class DocumentKind(StrEnum):
    """What an uploaded document is for: a dossier component or the result (kết quả)."""

    COMPONENT = "component"
    RESULT = "result"


class RejectionReason(StrEnum):
    EMPTY = "empty"
    TOO_LARGE = "too_large"
    UNSUPPORTED_TYPE = "unsupported_type"
    ACTIVE_CONTENT = "active_content"


class DocumentRejected(ValueError):
    """An upload the office must not keep; the message is meant for the clerk."""

    def __init__(self, reason: RejectionReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def sniff_type(head: bytes) -> DocumentType | None:
    """The document type recognised from the file's first bytes, or None if not accepted."""
    for magic, document_type in _MAGIC:
        if head.startswith(magic):
            return document_type
    return None


def _megabytes(n_bytes: int) -> str:
    mb = n_bytes / (1024 * 1024)
    return f"{mb:.0f}" if mb == int(mb) else f"{mb:.1f}"


def _too_large_message(max_bytes: int) -> str:
    return f"the file is larger than the {_megabytes(max_bytes)} MB limit"


def too_large(max_bytes: int) -> DocumentRejected:
    """The rejection for a file over the limit (also raised by storage while streaming)."""
    return DocumentRejected(RejectionReason.TOO_LARGE, _too_large_message(max_bytes))


def validate_upload(filename: str | None, head: bytes, size: int, max_bytes: int) -> DocumentType:
    """The type of an acceptable upload, or DocumentRejected saying why it is not.

    `filename` is only used to name the file in the message; the decision rests on `head`
    (at least `SNIFF_BYTES` leading bytes) and `size`.
    """
    prefix = f"{display_name(filename)}: " if filename else ""
    if size <= 0 or not head:
        raise DocumentRejected(RejectionReason.EMPTY, f"{prefix}the file is empty")
    if size > max_bytes:
        raise DocumentRejected(
            RejectionReason.TOO_LARGE, f"{prefix}{_too_large_message(max_bytes)}"
        )
    document_type = sniff_type(head)
    if document_type is None:
        raise DocumentRejected(
            RejectionReason.UNSUPPORTED_TYPE,
            f"{prefix}the file is not a PDF, JPEG, PNG or TIFF (detected by content)",
        )
    return document_type


#: PDF names that run something when the file is opened or clicked: scripts and launching
#: programs. A scanned component or a result has no business carrying either.
ACTIVE_PDF_NAMES = frozenset({b"JavaScript", b"JS", b"Launch"})
#: Longer than any PDF name we look for, escaped (`/J#61vaScript`): the overlap kept between
#: the chunks of a scan so a name split across two chunks is still seen.
PDF_SCAN_OVERLAP = 256
_PDF_NAME = re.compile(rb"/([^\s/<>\[\]()%{}]{1,127})")
_PDF_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")


def pdf_active_content(data: bytes) -> str | None:
    """The first active-content name (`/JavaScript`, `/JS`, `/Launch`) written in `data`,
    `#xx` escapes decoded, or None. Names inside compressed object streams are not seen
    here: the API also checks the parsed document."""
    for match in _PDF_NAME.finditer(data):
        name = _PDF_ESCAPE.sub(lambda m: bytes([int(m[1], 16)]), match[1])
        if name in ACTIVE_PDF_NAMES:
            return "/" + name.decode("latin-1")
    return None


def refuse_active_pdf(filename: str | None, found: str) -> DocumentRejected:
    prefix = f"{display_name(filename)}: " if filename else ""
    return DocumentRejected(
        RejectionReason.ACTIVE_CONTENT,
        f"{prefix}the PDF carries active content ({found}): scripts and launch actions "
        "are not accepted; print it to PDF again or scan the paper",
    )


# Characters that mean something to shells, Windows or HTTP headers; dropped from display names.
_UNSAFE_CHARS = re.compile(r'[<>:"|?*;\x00]')
_DOT_RUNS = re.compile(r"\.{2,}")
_SPACES = re.compile(r"\s+")


def display_name(filename: str | None) -> str:
    """A harmless name to show for an upload (never a storage path).

    Keeps the basename only, drops control and bidi-override characters, `..` and
    shell/header metacharacters, keeps Vietnamese letters (normalised to NFC), and
    shortens long names while keeping the extension.
    """
    if not filename:
        return _FALLBACK_DISPLAY_NAME
    name = unicodedata.normalize("NFC", filename)
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    # Cc: control characters; Cf: format characters such as U+202E, which can make
    # "gpj.exe" display as "exe.jpg".
    name = "".join(ch for ch in name if unicodedata.category(ch) not in {"Cc", "Cf", "Zl", "Zp"})
    name = _UNSAFE_CHARS.sub("", name)
    name = _DOT_RUNS.sub(".", name)
    name = _SPACES.sub(" ", name).strip(" .")
    if not name:
        return _FALLBACK_DISPLAY_NAME
    if len(name) > MAX_DISPLAY_NAME_CHARS:
        stem, dot, extension = name.rpartition(".")
        if dot and stem and 0 < len(extension) <= 10:
            keep = MAX_DISPLAY_NAME_CHARS - len(extension) - 2
            name = f"{stem[:keep].rstrip(' .')}….{extension}"
        else:
            name = name[: MAX_DISPLAY_NAME_CHARS - 1].rstrip(" .") + "…"
    return name
