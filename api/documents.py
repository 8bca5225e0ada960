"""What the document routes do: store an upload, reuse an earlier document, make a file the
electronic result; each ends in the `attach_document` update so the workflow and the read
model agree on which components are digitized (số hóa)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import UploadFile
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from api import engine
from api.errors import Problem
from api.pdf_safety import refuse_active_content
from api.storage import DocumentStore
from db.document_models import Document
from db.document_repository import document_by_public_id, reusable_document
from db.models import Dossier
from db.repository import dossier_components
from domain.documents import (
    SNIFF_BYTES,
    DocumentKind,
    DocumentType,
    display_name,
    validate_upload,
)
from domain.dossier import (
    Actor,
    DocumentAttachment,
    Forbidden,
    InvalidAction,
    Role,
    attachment_forbidden,
)
from messages import ActionOutcome

_ALIASES = {".jpeg": ".jpg", ".tiff": ".tif"}
_TYPE_SUFFIXES = frozenset({".pdf", ".jpg", ".jpeg", ".png", ".tif", ".tiff"})


def named_as(filename: str | None, document_type: DocumentType) -> str:
    """The cleaned display name with the extension of what the file really is: `scan.png`
    holding a PDF is shown and downloaded as `scan.pdf`, `passwd` as `passwd.pdf`."""
    name = display_name(filename)
    stem, dot, extension = name.rpartition(".")
    suffix = f".{extension.lower()}" if dot and stem else ""
    if _ALIASES.get(suffix, suffix) == document_type.extension:
        return name
    return f"{stem if suffix in _TYPE_SUFFIXES else name}{document_type.extension}"


def authorize(row: Dossier, actor: Actor, kind: DocumentKind) -> None:
    """Refuse before any byte is stored; the workflow checks the same rule again."""
    reason = attachment_forbidden(
        kind, actor, receiving_agency=row.agency_code, step_agency=row.current_agency_code
    )
    if reason:
        raise Forbidden(reason)


async def _known_component(session: AsyncSession, row: Dossier, component_code: str) -> None:
    codes = [c.code for c in await dossier_components(session, code=row.code)]
    if component_code not in codes:
        raise InvalidAction(
            "component_code",
            f"{component_code!r} is not a component of this dossier "
            f"(components: {', '.join(codes) or 'none'})",
        )


async def upload(
    *,
    session: AsyncSession,
    client: Client,
    store: DocumentStore,
    row: Dossier,
    actor: Actor,
    file: UploadFile,
    kind: DocumentKind,
    component_code: str | None,
    max_bytes: int,
) -> Document:
    """Validate by content, store by hash, record, attach. The client's file name is only
    ever shown (cleaned); the stored name is the SHA-256."""
    if kind == DocumentKind.COMPONENT and not component_code:
        raise InvalidAction("component_code", "say which component the file is")
    if kind == DocumentKind.RESULT and component_code:
        raise InvalidAction("component_code", "a result file belongs to no component")
    authorize(row, actor, kind)
    if component_code:
        await _known_component(session, row, component_code)
    head = await file.read(SNIFF_BYTES)
    size = file.size if file.size is not None else len(head)
    document_type = validate_upload(file.filename, head, size, max_bytes)
    await refuse_active_content(file, document_type)
    await file.seek(0)
    blob = await store.put(file, max_bytes=max_bytes)
    document = Document(
        dossier_code=row.code,
        kind=kind.value,
        component_code=component_code,
        sha256=blob.sha256,
        size=blob.size,
        media_type=document_type.media_type,
        display_name=named_as(file.filename, document_type),
        uploaded_by=actor.username,
        uploaded_at=datetime.now(UTC),
    )
    return await _record_and_attach(session, client, row, document, actor)


async def reuse(
    *,
    session: AsyncSession,
    client: Client,
    store: DocumentStore,
    row: Dossier,
    actor: Actor,
    component_code: str,
    document_id: str | None,
    sha256: str | None,
) -> Document:
    """Use an earlier digitized document of the same applicant for a component (tái sử dụng)."""
    if (document_id is None) == (sha256 is None):
        raise InvalidAction("document_id", "give either document_id or sha256")
    authorize(row, actor, DocumentKind.COMPONENT)
    await _known_component(session, row, component_code)
    found = await reusable_document(
        session,
        public_id=document_id,
        sha256=sha256.lower() if sha256 else None,
        id_number=row.applicant_id_number,
        # only what the caller may already read: another agency's file stays unseen
        visible_to_agency=None if actor.role == Role.ADMIN else actor.agency_code or "",
    )
    if found is None:
        raise Problem(404, "there is no stored document with this id or hash")
    source, source_dossier = found
    if not await store.exists(source.sha256):
        raise Problem(409, "the earlier document's file is no longer in the document store")
    document = Document(
        dossier_code=row.code,
        kind=DocumentKind.COMPONENT.value,
        component_code=component_code,
        sha256=source.sha256,
        size=source.size,
        media_type=source.media_type,
        display_name=source.display_name,
        uploaded_by=actor.username,
        uploaded_at=datetime.now(UTC),
        reused_from_id=source.id,
    )
    return await _record_and_attach(
        session,
        client,
        row,
        document,
        actor,
        reused_from=source_dossier.code,
        owner_id_number=source_dossier.applicant_id_number,
    )


async def attach_result(
    *, session: AsyncSession, client: Client, row: Dossier, actor: Actor, document_id: str
) -> None:
    """Make an uploaded result file of this dossier its electronic result (when resolving)."""
    document = await document_by_public_id(session, code=row.code, public_id=document_id)
    if document is None or document.kind != DocumentKind.RESULT.value:
        raise InvalidAction(
            "result_document_id",
            "not a result file of this dossier; upload it first with kind=result",
        )
    if row.result_document_id == document.id:
        return  # already the electronic result: no second timeline line
    await _attach(client, row, _attachment(document, actor))


def _attachment(
    document: Document, actor: Actor, *, reused_from: str = "", owner_id_number: str = ""
) -> DocumentAttachment:
    assert document.id is not None
    return DocumentAttachment(
        kind=DocumentKind(document.kind),
        actor=actor,
        sha256=document.sha256,
        document_id=document.id,
        display_name=document.display_name,
        component_code=document.component_code or "",
        reused_from=reused_from,
        owner_id_number=owner_id_number,
    )


async def _record_and_attach(
    session: AsyncSession,
    client: Client,
    row: Dossier,
    document: Document,
    actor: Actor,
    *,
    reused_from: str = "",
    owner_id_number: str = "",
) -> Document:
    """The metadata row first (the workflow keeps its id), then the update; a refused update
    takes the row back out. The stored bytes stay: content-addressed, perhaps shared."""
    session.add(document)
    await session.commit()
    attachment = _attachment(
        document, actor, reused_from=reused_from, owner_id_number=owner_id_number
    )
    try:
        await _attach(client, row, attachment)
    except BaseException:
        await session.delete(document)
        await session.commit()
        raise
    return document


async def _attach(client: Client, row: Dossier, attachment: DocumentAttachment) -> ActionOutcome:
    return await engine.attach(client, row.code, attachment, status=row.status)
