"""The reception desk (`/console/reception`): a paper dossier registered, digitized and accepted."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import ValidationError
from starlette.datastructures import UploadFile as StarletteUpload

from api import documents as document_service
from api import services
from api.deps import SessionDep
from api.routes import dossiers as dossier_routes
from api.schemas import ActionIn, ApplicantIn, SubmitIn
from console.dossier_page import dossier_page
from console.render import (
    REFUSALS,
    Engine,
    User,
    engine_for_action,
    page,
    problem_of,
    redirect,
    settings_of,
)
from console.session import (
    ConsoleUser,
    check_csrf,
)
from db.repository import actor_of, list_procedures
from domain.documents import DocumentKind
from domain.dossier import Channel
from domain.lifecycle import Action

router = APIRouter(prefix="/console", include_in_schema=False)


async def _receivable(session: Any, user: ConsoleUser) -> list[Any]:
    """The procedures this desk receives (the admin's: all of them). Only what the page
    offers: `services.submit` decides, and refuses anything else."""
    officer = user.officer
    return [
        p
        for p in await list_procedures(session)
        if officer.role == "admin"
        or (officer.role == "clerk" and p.agency_code == officer.agency_code)
    ]


@router.get("/reception")
async def reception(
    request: Request,
    user: User,
    session: SessionDep,
    procedure: str | None = None,
    fragment: bool = False,
) -> Response:
    procedures = await _receivable(session, user)
    chosen = next((p for p in procedures if p.code == procedure), None)
    name = "reception_components.html" if fragment else "reception.html"
    return page(
        request,
        user,
        name,
        procedures=procedures,
        chosen=chosen,
        key=uuid.uuid4().hex,  # makes a double-clicked registration one dossier
    )


@router.post("/reception")
async def register(
    request: Request,
    user: User,
    session: SessionDep,
    client: Engine,
) -> Response:
    """Register a paper dossier (channel 1), digitize its scans and, when asked, accept it;
    each step is the API's own service, so a refusal leaves the dossier as far as it got."""
    form = await request.form()
    check_csrf(user.csrf, str(form.get("csrf", "")))
    settings = settings_of(request)
    text = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    procedure_code = text.get("procedure_code", "")
    scans = {
        k.removeprefix("file_"): v
        for k, v in form.multi_items()
        if k.startswith("file_") and isinstance(v, StarletteUpload) and v.filename
    }
    procedures = await _receivable(session, user)
    chosen = next((p for p in procedures if p.code == procedure_code), None)
    code = None
    try:
        engine = engine_for_action(request)
        body = SubmitIn(
            procedure_code=procedure_code,
            channel=Channel.IN_PERSON,
            applicant=ApplicantIn(
                name=text.get("applicant_name", ""),
                id_number=text.get("applicant_id_number", ""),
                phone=text.get("applicant_phone", ""),
                email=text.get("applicant_email", ""),
                address=text.get("applicant_address", ""),
            ),
            components=sorted(set(form.getlist("components")) | set(scans)),  # type: ignore[arg-type]
        )
        submitted = await services.submit(
            session=session,
            client=engine,
            body=body,
            actor=actor_of(user.officer),
            task_queue=settings.task_queue,
            idempotency_key=("console-" + text.get("key", ""))[:200] if text.get("key") else None,
            rating_window_days=settings.rating_window_days,
        )
        code = submitted.code
        row = await dossier_routes._visible(session, user.officer, code)
        for component_code, scan in scans.items():
            await document_service.upload(
                session=session,
                client=engine,
                store=request.app.state.documents,
                row=row,
                actor=actor_of(user.officer),
                file=scan,  # type: ignore[arg-type]
                kind=DocumentKind.COMPONENT,
                component_code=component_code,
                max_bytes=settings.max_upload_bytes,
            )
        if text.get("then") == "accept":
            await dossier_routes.perform(
                code, Action.ACCEPT, user.officer, session, engine, ActionIn()
            )
    except (*REFUSALS, ValidationError) as exc:
        status_code, detail = await problem_of(request, exc)
        if code is not None:  # registered, but a later step was refused: show it there
            await session.rollback()
            return await dossier_page(
                request, user, session, client, code, error=detail, status_code=status_code
            )
        return page(
            request,
            user,
            "reception.html",
            status_code=status_code,
            procedures=procedures,
            chosen=chosen,
            key=text.get("key") or uuid.uuid4().hex,
            error=detail,
            values=text,
        )
    done = "Đã tiếp nhận" if text.get("then") == "accept" else "Đã đăng ký"
    return redirect(request, user, f"/console/dossiers/{code}", message=f"{done} hồ sơ {code}.")
