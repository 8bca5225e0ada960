"""Files and calls shared by the document and form tests."""

from __future__ import annotations

import io
import re
import uuid
from typing import Any

import httpx
import pypdf

LAND = "1.004227"  # DDK and NGD required, TKTS optional; four steps across three agencies
BIRTH = "1.001193"
LAND_CLERK = "motcua.tnmt"
APPLICANT = "Nguyễn Thị Hồng Nhung"
ID_NUMBER = "079190001234"


def pdf_bytes() -> bytes:
    """A small PDF whose content differs on every call."""
    return b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n% " + uuid.uuid4().hex.encode() + b"\n%%EOF\n"


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(data))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


async def submit(  # type: ignore[no-untyped-def]
    api: httpx.AsyncClient,
    headers,
    *,
    channel: int = 1,
    procedure: str = LAND,
    id_number: str = ID_NUMBER,
    components: list[str] | None = None,
) -> dict[str, Any]:
    body = {
        "procedure_code": procedure,
        "channel": channel,
        "pay_online": False,  # fees at the desk; online payment: tests/payments
        "applicant": {"name": APPLICANT, "id_number": id_number, "address": "12 Lê Lợi, Quận 1"},
        "components": components or [],
    }
    response = await api.post("/api/v1/dossiers", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def upload(  # type: ignore[no-untyped-def]
    api: httpx.AsyncClient,
    headers,
    code: str,
    content: bytes,
    *,
    filename: str = "scan.pdf",
    kind: str = "component",
    component: str | None = "DDK",
    content_type: str = "application/pdf",
) -> httpx.Response:
    data = {"kind": kind}
    if component is not None:
        data["component_code"] = component
    return await api.post(
        f"/api/v1/dossiers/{code}/documents",
        data=data,
        files={"file": (filename, content, content_type)},
        headers=headers,
    )


async def act(api, headers, code, action, expect=200, **body):  # type: ignore[no-untyped-def]
    response = await api.post(
        f"/api/v1/dossiers/{code}/actions/{action}", json=body, headers=headers
    )
    assert response.status_code == expect, response.text
    return response.json()


async def scan_required(api, headers, code: str) -> None:  # type: ignore[no-untyped-def]
    for component in ("DDK", "NGD"):
        response = await upload(api, headers, code, pdf_bytes(), component=component)
        assert response.status_code == 201, response.text
