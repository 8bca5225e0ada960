"""Refuse PDFs that carry scripts or launch actions (`/JavaScript`, `/JS`, `/Launch`, an
`/OpenAction` or `/AA` that runs one): the raw bytes are scanned, then the parsed document's
catalogue, pages and annotations, where a compressed object stream can hide them."""

from __future__ import annotations

import io
import logging
from typing import Any

from fastapi import UploadFile
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject

from domain.documents import (
    ACTIVE_PDF_NAMES,
    PDF_SCAN_OVERLAP,
    DocumentType,
    pdf_active_content,
    refuse_active_pdf,
)

log = logging.getLogger(__name__)

CHUNK = 1024 * 1024
_ACTIVE = {"/" + n.decode() for n in ACTIVE_PDF_NAMES}


async def refuse_active_content(file: UploadFile, document_type: DocumentType) -> None:
    """Raise DocumentRejected when `file` is a PDF with active content; rewinds the file."""
    if document_type.extension != ".pdf":
        return
    await file.seek(0)
    tail = b""
    while chunk := await file.read(CHUNK):
        found = pdf_active_content(tail + chunk)
        if found:
            raise refuse_active_pdf(file.filename, found)
        tail = (tail + chunk)[-PDF_SCAN_OVERLAP:]
    await file.seek(0)
    found = _parsed_active_content(await file.read())
    await file.seek(0)
    if found:
        raise refuse_active_pdf(file.filename, found)


def _parsed_active_content(data: bytes) -> str | None:
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        root: Any = reader.trailer["/Root"].get_object()
        holders: list[Any] = [root]
        names = root.get("/Names")
        if names is not None and "/JavaScript" in names.get_object():
            return "/JavaScript"
        for page in reader.pages:
            holders.append(page)
            for annotation in page.get("/Annots") or []:
                holders.append(annotation.get_object())
        for holder in holders:
            for key in ("/OpenAction", "/AA", "/A"):
                found = _action(holder.get(key))
                if found:
                    return found
    except Exception as exc:  # not parseable as a PDF: the byte scan is all we can do
        log.info("PDF not parsed for active content (%s); byte scan only", type(exc).__name__)
    return None


def _action(value: Any, depth: int = 0) -> str | None:
    """The active action type reachable from an action (or additional-actions) entry."""
    if value is None or depth > 8:
        return None
    value = value.get_object()
    if isinstance(value, ArrayObject):
        return None  # a destination (go to a page), not an action
    if not isinstance(value, DictionaryObject):
        return None
    kind = value.get("/S")
    if kind in _ACTIVE:
        return str(kind)
    for key, nested in value.items():  # /AA holds actions by trigger; /Next chains them
        if key in ("/Next", "/O", "/C", "/PO", "/PC", "/K", "/F", "/V", "/D", "/U", "/E", "/X"):
            found = _action(nested, depth + 1)
            if found:
                return found
    return None
