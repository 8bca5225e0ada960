"""Metadata of the files kept for dossiers (số hóa): digitized components and electronic
results. The bytes live in the content-addressed document store under their SHA-256; a row
says which dossier and component a file serves, who put it there and when."""

from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from db.models import UTCDateTime


class Document(SQLModel, table=True):
    """One file attached to a dossier. Identical content uploaded twice is stored once (same
    `sha256`) but has a row per use, so each dossier keeps its own record of it."""

    __table_args__ = (sa.Index("ix_document_dossier_kind", "dossier_code", "kind"),)

    id: int | None = Field(default=None, primary_key=True)
    #: what the API calls the document: random, so that one document's id says nothing about
    #: another's (the integer id stays internal, in the workflow and the read model)
    public_id: str = Field(
        default_factory=lambda: new_public_id(), max_length=32, unique=True, index=True
    )
    dossier_code: str = Field(foreign_key="dossier.code", max_length=60)
    kind: str = Field(max_length=20)  # DocumentKind: component | result
    component_code: str | None = Field(default=None, max_length=60)
    sha256: str = Field(index=True, max_length=64)
    size: int
    media_type: str = Field(max_length=100)
    display_name: str = Field(max_length=200)  # cleaned for display; never a storage path
    uploaded_by: str = Field(max_length=60)
    uploaded_at: datetime = Field(sa_type=UTCDateTime)
    reused_from_id: int | None = Field(default=None, foreign_key="document.id")


def new_public_id() -> str:
    """22 URL-safe characters (128 random bits)."""
    return secrets.token_urlsafe(16)
