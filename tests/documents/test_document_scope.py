"""Documents stay within their scope: reuse only what the caller may read; no PDF that runs
a script or a program when opened."""

from __future__ import annotations

import io
import uuid

import httpx
import pytest
from pypdf import PdfWriter
from pypdf.actions import JavaScript

from tests.documents.helpers import LAND_CLERK, pdf_bytes, submit, upload

BUILDING = "1.009972"  # Sở Xây dựng, components DON, QSDD, BV
BUILDING_CLERK = "motcua.sxd"


async def test_reuse_of_another_agencys_document_is_not_found(  # type: ignore[no-untyped-def]
    docs_api: httpx.AsyncClient, login
) -> None:
    id_number = f"0791{uuid.uuid4().int % 10**8:08d}"
    land_clerk, building_clerk = await login(LAND_CLERK), await login(BUILDING_CLERK)
    land = (await submit(docs_api, land_clerk, id_number=id_number))["code"]
    source = (await upload(docs_api, land_clerk, land, pdf_bytes(), component="NGD")).json()
    building = (await submit(docs_api, building_clerk, procedure=BUILDING, id_number=id_number))[
        "code"
    ]
    for reference in ({"document_id": source["id"]}, {"sha256": source["sha256"]}):
        response = await docs_api.post(
            f"/api/v1/dossiers/{building}/documents/reuse",
            json={"component_code": "QSDD", **reference},
            headers=building_clerk,
        )
        assert response.status_code == 404, response.text
    listed = await docs_api.get(f"/api/v1/dossiers/{building}/documents", headers=building_clerk)
    assert listed.json() == []
    # the land clerk, who reads the land dossier, may reuse it for the same applicant
    again = (await submit(docs_api, land_clerk, id_number=id_number))["code"]
    reused = await docs_api.post(
        f"/api/v1/dossiers/{again}/documents/reuse",
        json={"component_code": "NGD", "document_id": source["id"]},
        headers=land_clerk,
    )
    assert reused.status_code == 201, reused.text


def _pdf(body: bytes) -> bytes:
    return b"%PDF-1.7\n1 0 obj\n" + body + b"\nendobj\n%" + uuid.uuid4().hex.encode() + b"\n%%EOF\n"


def _written(build) -> bytes:  # type: ignore[no-untyped-def]
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    build(writer)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue() + b"%" + uuid.uuid4().hex.encode() + b"\n"


HOSTILE = {
    "open action script": _pdf(
        b"<< /Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>"
    ),
    "escaped name": _pdf(b"<< /Type /Catalog /OpenAction << /S /J#61vaScript /J#53 (x) >> >>"),
    "launch": _pdf(b"<< /Type /Action /S /Launch /F (cmd.exe) >>"),
    "document script": _written(lambda w: w.add_open_action(JavaScript("app.alert('x');"))),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
async def test_pdfs_with_scripts_or_launch_actions_are_refused(  # type: ignore[no-untyped-def]
    docs_api: httpx.AsyncClient, login, name: str
) -> None:
    clerk = await login(LAND_CLERK)
    code = (await submit(docs_api, clerk))["code"]
    response = await upload(docs_api, clerk, code, HOSTILE[name], component="DDK")
    assert response.status_code == 422, response.text
    assert response.json()["reason"] == "active_content"
    listed = await docs_api.get(f"/api/v1/dossiers/{code}/documents", headers=clerk)
    assert listed.json() == []


async def test_a_pdf_opening_at_its_first_page_is_accepted(  # type: ignore[no-untyped-def]
    docs_api: httpx.AsyncClient, login
) -> None:
    clerk = await login(LAND_CLERK)
    code = (await submit(docs_api, clerk))["code"]
    benign = _written(lambda w: setattr(w, "open_destination", w.pages[0]))
    assert b"/OpenAction" in benign
    response = await upload(docs_api, clerk, code, benign, component="DDK")
    assert response.status_code == 201, response.text


async def test_documents_are_named_by_unguessable_ids(  # type: ignore[no-untyped-def]
    docs_api: httpx.AsyncClient, login, sessions
) -> None:
    from sqlmodel import select

    from db.document_models import Document

    clerk = await login(LAND_CLERK)
    code = (await submit(docs_api, clerk))["code"]
    first = (await upload(docs_api, clerk, code, pdf_bytes(), component="DDK")).json()
    second = (await upload(docs_api, clerk, code, pdf_bytes(), component="NGD")).json()
    for shown in (first, second):
        assert isinstance(shown["id"], str) and len(shown["id"]) >= 20
        assert not shown["id"].isdigit()
    async with sessions() as session:
        internal = (
            await session.exec(select(Document.id).where(Document.public_id == first["id"]))
        ).one()
    by_number = await docs_api.get(f"/api/v1/dossiers/{code}/documents/{internal}", headers=clerk)
    assert by_number.status_code == 404
    by_id = await docs_api.get(f"/api/v1/dossiers/{code}/documents/{first['id']}", headers=clerk)
    assert by_id.status_code == 200
    detail = (await docs_api.get(f"/api/v1/dossiers/{code}", headers=clerk)).json()
    ddk = next(c for c in detail["components"] if c["code"] == "DDK")
    assert ddk["document_id"] == first["id"]
