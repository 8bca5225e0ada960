"""The applicant's look-up (tra cứu hồ sơ): the dossier code and the secret printed on the
receipt, no account. A wrong secret answers exactly like an unknown code."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, Request, Response, UploadFile
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from temporalio.client import Client

from api import documents, engine
from api.deps import DocumentStoreDep, SessionDep, SettingsDep, TemporalDep
from api.errors import Problem
from api.payments import public_payments_of
from api.routes.documents import file_response
from api.schemas import ActionIn, PublicDossier
from api.throttle import Throttle, Throttled, client_address, throttle_dep
from db.document_repository import get_document
from db.models import Dossier
from db.repository import dossier_procedure_name
from domain.documents import DocumentKind
from domain.dossier import Actor, Role
from domain.lifecycle import Action, Status
from domain.throttle import ADDRESS, DOSSIER_LOOKUP

router = APIRouter(prefix="/public/dossiers", tags=["public"])

Secret = Annotated[str, Query(max_length=100, description="the secret printed on the receipt")]

#: The result is the applicant's once the agency has decided, not while it is a draft.
_DECIDED = (Status.RESOLVED.value, Status.RETURNED.value)


ThrottleDep = Annotated[Throttle, Depends(throttle_dep)]


async def _with_secret(
    session: SessionDep, throttle: Throttle, request: Request, code: str, secret: str
) -> Dossier:
    """The dossier, if the secret is its own. Guessing is throttled per dossier code and per
    address (429 with Retry-After), unknown codes counted like known ones."""
    keys = [
        Throttled(f"lookup:{code[:150]}", DOSSIER_LOOKUP),
        Throttled(f"lookup-address:{client_address(request)}", ADDRESS),
    ]
    await throttle.refuse_if_locked(keys, "look-ups")
    row = await session.get(Dossier, code)
    known = row is not None and bool(row.lookup_secret)
    expected = row.lookup_secret if row is not None and known else secrets.token_urlsafe(9)
    if not secrets.compare_digest(expected.encode(), secret.encode()) or not known:
        await throttle.failed(keys)
        raise Problem(404, "no dossier matches this code and secret")
    assert row is not None
    return row


@router.get("/{code}", response_model=PublicDossier)
async def look_up(
    code: str, request: Request, session: SessionDep, throttle: ThrottleDep, secret: Secret = ""
) -> PublicDossier:
    row = await _with_secret(session, throttle, request, code, secret)
    name = await dossier_procedure_name(session, row)
    status = Status(row.status)
    return PublicDossier(
        code=row.code,
        procedure_name=name,
        status=status.value,
        status_label=status.vietnamese,
        portal_code=status.portal_code,
        due_at=row.due_at,
        result_kind=row.result_kind,
        electronic_result=row.result_document_id is not None and row.status in _DECIDED,
        payments=await public_payments_of(session, code=row.code),
    )


class WithdrawIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class RateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rating: int = Field(ge=1, le=5, description="1 (very dissatisfied) to 5 (very satisfied)")
    comment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)] = ""


def _applicant(row: Dossier) -> Actor:
    return Actor(username="applicant", full_name=row.applicant_name, role=Role.APPLICANT)


async def _as_applicant(
    session: SessionDep, row: Dossier, client: Client, action: Action, body: ActionIn
) -> None:
    applicant = _applicant(row)
    await engine.act(
        client, row.code, engine.request_of(action, body, applicant), status=row.status
    )
    await session.refresh(row)  # as the projection left it


@router.post("/{code}/withdraw", response_model=PublicDossier)
async def withdraw(
    code: str,
    body: WithdrawIn,
    request: Request,
    session: SessionDep,
    throttle: ThrottleDep,
    client: TemporalDep,
    secret: Secret = "",
) -> PublicDossier:
    """The applicant withdraws the dossier (rút hồ sơ) with the code and secret of the
    receipt; the portal hears of it like any status change."""
    row = await _with_secret(session, throttle, request, code, secret)
    await _as_applicant(session, row, client, Action.WITHDRAW, ActionIn(reason=body.reason))
    return await look_up(code, request, session, throttle, secret)


@router.post("/{code}/rate", response_model=PublicDossier)
async def rate(
    code: str,
    body: RateIn,
    request: Request,
    session: SessionDep,
    throttle: ThrottleDep,
    client: TemporalDep,
    secret: Secret = "",
) -> PublicDossier:
    """The applicant rates the returned result (đánh giá mức độ hài lòng), once, with a
    comment if they wish."""
    row = await _with_secret(session, throttle, request, code, secret)
    await _as_applicant(
        session, row, client, Action.RATE, ActionIn(rating=body.rating, note=body.comment)
    )
    return await look_up(code, request, session, throttle, secret)


#: Most files in one supplement upload.
MAX_SUPPLEMENT_FILES = 20


@router.post(
    "/{code}/supplement",
    response_model=PublicDossier,
    responses={
        409: {"description": "no supplement is asked of this dossier now"},
        413: {"description": "a file is larger than MOTCUA_MAX_UPLOAD_MB"},
        422: {"description": "an empty file, not a PDF, JPEG, PNG or TIFF, or no component"},
    },
)
async def supplement(
    code: str,
    request: Request,
    session: SessionDep,
    throttle: ThrottleDep,
    client: TemporalDep,
    store: DocumentStoreDep,
    settings: SettingsDep,
    files: Annotated[list[UploadFile], File(description="the supplemented documents")],
    component_codes: Annotated[
        list[str], Form(description="for each file, in order, the component it is")
    ],
    note: Annotated[str, Form(max_length=2000)] = "",
    secret: Secret = "",
) -> PublicDossier:
    """The applicant hands in the supplement asked of them (nộp bổ sung trực tuyến): each
    file, typed by its content, becomes the named component's electronic copy, then the
    dossier goes back to where it was, its clock restarting or resuming as the procedure's
    supplement policy says, exactly as when a clerk records the supplement at the desk."""
    row = await _with_secret(session, throttle, request, code, secret)
    if row.status != Status.SUPPLEMENT_REQUESTED.value:
        raise Problem(
            409,
            f"no supplement is asked of this dossier now (it is {Status(row.status).vietnamese})",
        )
    if not files or len(files) > MAX_SUPPLEMENT_FILES:
        raise Problem(422, f"send from 1 to {MAX_SUPPLEMENT_FILES} files")
    if len(component_codes) != len(files):
        raise Problem(422, "name the component of each file (component_codes, in file order)")
    applicant = _applicant(row)
    names = []
    for file, component_code in zip(files, component_codes, strict=True):
        document = await documents.upload(
            session=session,
            client=client,
            store=store,
            row=row,
            actor=applicant,
            file=file,
            kind=DocumentKind.COMPONENT,
            component_code=component_code.strip() or None,
            max_bytes=settings.max_upload_bytes,
        )
        names.append(document.display_name)
    handed_in = "nộp bổ sung trực tuyến: " + ", ".join(names)
    body = ActionIn(note=f"{handed_in}. {note.strip()}" if note.strip() else handed_in)
    await _as_applicant(session, row, client, Action.SUPPLEMENT, body)
    return await look_up(code, request, session, throttle, secret)


@router.get(
    "/{code}/result",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}, "image/*": {}}}},
)
async def electronic_result(
    code: str,
    request: Request,
    session: SessionDep,
    store: DocumentStoreDep,
    throttle: ThrottleDep,
    secret: Secret = "",
) -> Response:
    row = await _with_secret(session, throttle, request, code, secret)
    document = None
    if row.result_document_id is not None and row.status in _DECIDED:
        document = await get_document(session, code=code, document_id=row.result_document_id)
    if document is None:
        raise Problem(404, "this dossier has no electronic result yet")
    return await file_response(store, document)
