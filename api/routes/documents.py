"""Dossier documents: upload a component scan or the result, reuse an earlier document of the
same applicant, list and download — with the dossier's own visibility rules."""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Request, Response, UploadFile, status
from fastapi import Path as FastPath

from api import documents
from api.deps import CurrentOfficer, DocumentStoreDep, SessionDep, SettingsDep, TemporalDep
from api.errors import Problem
from api.routes.dossiers import _visible as visible_dossier
from api.schemas import DocumentOut, ReuseIn
from api.storage import BlobNotFound, DocumentStore
from db.document_models import Document
from db.document_repository import document_by_public_id, dossier_documents, public_ids
from db.repository import actor_of
from domain.documents import DocumentKind

router = APIRouter(prefix="/dossiers", tags=["documents"])

_NOT_ASCII_SAFE = re.compile(r"[^A-Za-z0-9._ ()-]")


def _ascii_name(name: str) -> str:
    plain = name.replace("đ", "d").replace("Đ", "D")
    plain = unicodedata.normalize("NFKD", plain).encode("ascii", "ignore").decode()
    return _NOT_ASCII_SAFE.sub("_", plain) or "document"


async def file_response(store: DocumentStore, document: Document) -> Response:
    """The stored bytes as a download named by the cleaned display name (RFC 6266: an ASCII
    fallback and the UTF-8 name with its Vietnamese letters)."""
    try:
        content = await store.open(document.sha256)
    except BlobNotFound:
        raise Problem(
            404, f"the file of document {document.public_id} is missing from the store"
        ) from None
    disposition = (
        f'attachment; filename="{_ascii_name(document.display_name)}"; '
        f"filename*=UTF-8''{quote(document.display_name, safe='')}"
    )
    return Response(
        content,
        media_type=document.media_type,
        headers={
            "Content-Disposition": disposition,
            "X-Content-Type-Options": "nosniff",
            "ETag": f'"{document.sha256}"',
        },
    )


async def _outs(session: SessionDep, documents: list[Document]) -> list[DocumentOut]:
    """The documents as the API names them: by their public id, never the internal one."""
    sources = await public_ids(session, [d.reused_from_id for d in documents])
    return [
        DocumentOut.model_validate(
            {
                **d.model_dump(exclude={"id", "public_id", "reused_from_id"}),
                "id": d.public_id,
                "reused_from_id": sources.get(d.reused_from_id) if d.reused_from_id else None,
            }
        )
        for d in documents
    ]


async def _out(session: SessionDep, document: Document) -> DocumentOut:
    return (await _outs(session, [document]))[0]


@router.post(
    "/{code}/documents",
    response_model=DocumentOut,
    status_code=status.HTTP_201_CREATED,
    responses={
        413: {"description": "the file is larger than MOTCUA_MAX_UPLOAD_MB"},
        422: {"description": "empty file, or not a PDF, JPEG, PNG or TIFF by its content"},
    },
)
async def upload(
    code: str,
    officer: CurrentOfficer,
    session: SessionDep,
    client: TemporalDep,
    store: DocumentStoreDep,
    settings: SettingsDep,
    request: Request,
    response: Response,
    file: Annotated[UploadFile, File(description="the scan or result file")],
    kind: Annotated[DocumentKind, Form()],
    component_code: Annotated[str | None, Form(max_length=60)] = None,
) -> DocumentOut:
    """Upload a component scan (clerk of the receiving agency) or the result (officer of the
    agency at work). The type is decided by the content; the client's name is only shown."""
    row = await visible_dossier(session, officer, code)
    document = await documents.upload(
        session=session,
        client=client,
        store=store,
        row=row,
        actor=actor_of(officer),
        file=file,
        kind=kind,
        component_code=component_code or None,
        max_bytes=settings.max_upload_bytes,
    )
    response.headers["Location"] = str(
        request.url_for("download", code=code, document_id=document.public_id)
    )
    return await _out(session, document)


@router.post("/{code}/documents/reuse", response_model=DocumentOut, status_code=201)
async def reuse(
    code: str,
    body: ReuseIn,
    officer: CurrentOfficer,
    session: SessionDep,
    client: TemporalDep,
    store: DocumentStoreDep,
) -> DocumentOut:
    """Use an earlier digitized document of the same applicant (same id number) for a
    component; it is flagged as reused (tái sử dụng)."""
    row = await visible_dossier(session, officer, code)
    document = await documents.reuse(
        session=session,
        client=client,
        store=store,
        row=row,
        actor=actor_of(officer),
        component_code=body.component_code,
        document_id=body.document_id,
        sha256=body.sha256,
    )
    return await _out(session, document)


@router.get("/{code}/documents", response_model=list[DocumentOut])
async def list_documents(
    code: str, officer: CurrentOfficer, session: SessionDep
) -> list[DocumentOut]:
    await visible_dossier(session, officer, code)
    return await _outs(session, await dossier_documents(session, code=code))


@router.get(
    "/{code}/documents/{document_id}",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}, "image/*": {}}}},
)
async def download(
    code: str,
    document_id: Annotated[str, FastPath(min_length=1, max_length=64)],
    officer: CurrentOfficer,
    session: SessionDep,
    store: DocumentStoreDep,
) -> Response:
    await visible_dossier(session, officer, code)
    document = await document_by_public_id(session, code=code, public_id=document_id)
    if document is None:
        raise Problem(404, f"dossier {code} has no document {document_id!r}")
    return await file_response(store, document)
