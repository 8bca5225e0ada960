"""Queries and writes on the documents of dossiers (keyword-only), for the API and the
projection."""

from __future__ import annotations

from sqlalchemy import bindparam, or_, select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from db.document_models import Document
from db.models import Component, Dossier, DossierStep
from db.repository import dossier_components
from db.rows import Sections, sync_rows, table_of
from domain.dossier import DossierState


async def write_digitization(
    session: AsyncSession, state: DossierState, sections: Sections | None = None
) -> None:
    """The components' flags, as the workflow holds them (the electronic result is a column
    of the dossier's row, `db.projection.dossier_values`)."""
    table = table_of(Component)
    await sync_rows(
        await session.connection(),
        table,
        parent="dossier_code",
        key=("dossier_code", "code"),
        fixed=("name",),
        rows=[
            {
                "dossier_code": state.code,
                "code": component.code,
                "name": component.name,
                "required": component.required,
                "provided": component.provided,
                "digitized": component.digitized,
                "reused": component.reused,
                "file_hash": component.sha256 or None,
                "document_id": component.document_id,
            }
            for component in state.components
        ],
        sections=sections,
    )


async def dossier_documents(session: AsyncSession, *, code: str) -> list[Document]:
    rows = await session.scalars(
        select(Document).where(col(Document.dossier_code) == code).order_by(col(Document.id))
    )
    return list(rows)


async def get_document(session: AsyncSession, *, code: str, document_id: int) -> Document | None:
    """The document `document_id` if it belongs to dossier `code`."""
    document = await session.get(Document, document_id)
    if document is None or document.dossier_code != code:
        return None
    return document


async def document_by_public_id(
    session: AsyncSession, *, code: str, public_id: str
) -> Document | None:
    """The document the API calls `public_id`, if it belongs to dossier `code`."""
    query = select(Document).where(col(Document.public_id) == public_id)
    document = (await session.scalars(query)).first()
    if document is None or document.dossier_code != code:
        return None
    return document


_PUBLIC_IDS = select(col(Document.id), col(Document.public_id)).where(  # per detail read
    col(Document.id).in_(bindparam("ids", expanding=True))
)


async def public_ids(session: AsyncSession, ids: list[int | None]) -> dict[int, str]:
    """The API's names of the documents with these internal ids."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = await session.execute(_PUBLIC_IDS, {"ids": list(wanted)})
    return {i: p for i, p in rows.all()}


async def reusable_document(
    session: AsyncSession,
    *,
    public_id: str | None,
    sha256: str | None,
    id_number: str,
    visible_to_agency: str | None,
) -> tuple[Document, Dossier] | None:
    """An earlier document to reuse, by id or by content hash, with its dossier, among the
    dossiers the caller may read (`visible_to_agency`: those the agency takes part in; None
    for an admin). Among several documents with the same hash, one of the applicant
    `id_number` is preferred, so that the caller's rule (same applicant only) judges the best
    candidate."""
    query = select(Document, Dossier).join(Dossier, col(Dossier.code) == col(Document.dossier_code))
    if visible_to_agency is not None:
        involved = select(col(DossierStep.dossier_code)).where(
            col(DossierStep.agency_code) == visible_to_agency
        )
        query = query.where(
            or_(col(Dossier.agency_code) == visible_to_agency, col(Dossier.code).in_(involved))
        )
    if public_id is not None:
        query = query.where(col(Document.public_id) == public_id)
    else:
        query = query.where(col(Document.sha256) == sha256)
    rows = (await session.execute(query.order_by(col(Document.id)))).all()
    candidates = [(document, dossier) for document, dossier in rows]
    for document, dossier in candidates:
        if id_number and dossier.applicant_id_number == id_number:
            return document, dossier
    return candidates[0] if candidates else None


async def handed_in_components(session: AsyncSession, *, code: str) -> list[str]:
    """Codes of the components recorded as handed in at submission."""
    return [c.code for c in await dossier_components(session, code=code) if c.provided]
