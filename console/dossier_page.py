"""A dossier's page: its state, route, clock, documents and forms, and a form for each action
allowed now; a refused action re-renders the page with the engine's message."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Path, Request, Response, UploadFile
from pydantic import ValidationError

from api import documents as document_service
from api.deps import SessionDep
from api.engine import preview as preview_action
from api.engine import request_of
from api.errors import Problem
from api.routes import dossiers as dossier_routes
from api.routes import forms as form_routes
from api.routes.clock import deadline as deadline_route
from api.routes.documents import download as download_route
from api.schemas import ActionIn
from console import queues
from console.render import (
    ACTION_LABELS,
    LOCAL,
    REFUSALS,
    Engine,
    User,
    back_to,
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
from db.calendar import working_calendar
from db.document_repository import dossier_documents
from db.portal_models import PortalSyncState
from db.repository import actor_of
from domain.actions import Preview
from domain.documents import DocumentKind
from domain.lifecycle import Action, Status

router = APIRouter(prefix="/console", include_in_schema=False)


async def dossier_page(
    request: Request,
    user: ConsoleUser,
    session: Any,
    client: Any,
    code: str,
    *,
    error: str | None = None,
    status_code: int = 200,
    message: str | None = None,
    preview: Preview | None = None,
    draft: dict[str, str] | None = None,
) -> Response:
    officer = user.officer
    try:
        row = await dossier_routes._visible(session, officer, code)
    except Problem as exc:
        return page(
            request,
            user,
            "error.html",
            status_code=exc.status,
            status=exc.status,
            detail=exc.detail,
        )
    shown = await dossier_routes.detail(session, client, row, officer)
    try:
        clock = await deadline_route(code, officer, session, client)
    except Problem:
        clock = None  # the engine is away: the page still shows the read model
    cal = await working_calendar(session)
    now = datetime.now(UTC)
    paused = shown.status in queues.WAITING
    open_ = not Status(shown.status).terminal and shown.finished_at is None
    # the open step; in a parallel stage, the viewer's unit's branch when it is one of them
    opened = [s for s in shown.steps if s.current]
    current = next((s for s in opened if s.unit_code == officer.unit_code), None) or next(
        iter(opened), None
    )
    return page(
        request,
        user,
        "dossier.html",
        status_code=status_code,
        d=shown,
        clock=clock,
        documents=await dossier_documents(session, code=code),
        sync=await session.get(PortalSyncState, code),
        dossier_left=queues.time_left(cal, now, shown.due_at, paused=paused) if open_ else None,
        step_left=queues.time_left(cal, now, current.due_at, paused=paused) if current else None,
        officers=await queues.unit_officers(session, current.unit_code) if current else [],
        error=error,
        message=message,
        preview=preview,
        draft=draft or {},
    )


@router.get("/dossiers/{code}")
async def dossier(
    request: Request,
    code: str,
    user: User,
    session: SessionDep,
    client: Engine,
    message: str | None = None,
) -> Response:
    return await dossier_page(request, user, session, client, code, message=message)


#: The fields an action's form may send (each form asks only for what its action needs).
ACTION_FIELDS = (
    "reason",
    "note",
    "items",
    "result_kind",
    "result_summary",
    "new_due",
    "assignee",
    "fee_name",
    "fee_amount",
    "result_document_id",
)


def _action_body(form: dict[str, str]) -> ActionIn:
    """The action's fields from the form; empty fields are left out, the items are one per
    line, a new appointment typed in local time becomes a UTC moment, a financial obligation
    is one fee line."""
    fields: dict[str, Any] = {k: v.strip() for k, v in form.items() if v.strip()}
    if "items" in fields:
        fields["items"] = [i.strip() for i in fields["items"].splitlines() if i.strip()]
    if "new_due" in fields:
        fields["new_due"] = (datetime.fromisoformat(fields["new_due"]) - LOCAL).replace(tzinfo=UTC)
    fee_name, fee_amount = fields.pop("fee_name", ""), fields.pop("fee_amount", "")
    if fee_name or fee_amount:
        fields["fee_lines"] = [{"code": "NVTC", "name": fee_name, "amount": int(fee_amount or 0)}]
    return ActionIn(**fields)


def form_text(form: Any, name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


@router.post("/dossiers/{code}/actions/{action}")
async def act(
    request: Request, code: str, action: str, user: User, session: SessionDep, client: Engine
) -> Response:
    form = await request.form()
    check_csrf(user.csrf, form_text(form, "csrf"))
    here = f"/console/dossiers/{code}"
    back = back_to(form_text(form, "next"), here)
    fields = {k: form_text(form, k) for k in ACTION_FIELDS}
    try:
        body = _action_body(fields)
        engine = engine_for_action(request)
        if form_text(form, "do") == "preview":  # what it would do to the clock; nothing changes
            await dossier_routes._visible(session, user.officer, code)
            shown = await preview_action(
                engine, code, request_of(Action(action), body, actor_of(user.officer))
            )
            return await dossier_page(
                request,
                user,
                session,
                client,
                code,
                preview=shown,
                draft={"action": action, **fields},
            )
        await dossier_routes.perform(code, Action(action), user.officer, session, engine, body)
    except (*REFUSALS, ValidationError) as exc:
        status_code, detail = await problem_of(request, exc)
    except ValueError as exc:  # an unknown action, or a date or an amount that is not one
        status_code, detail = 422, str(exc)
    else:
        label = ACTION_LABELS.get(action, action)
        return redirect(request, user, back, message=f"{label}: {code} — đã thực hiện.")
    if back != here:  # sent from a queue: back there, with the refusal
        return redirect(request, user, back, error=f"{code}: {detail}")
    await session.rollback()
    return await dossier_page(
        request, user, session, client, code, error=detail, status_code=status_code
    )


@router.post("/dossiers/{code}/documents")
async def upload(
    request: Request,
    code: str,
    user: User,
    session: SessionDep,
    client: Engine,
    file: UploadFile,
    kind: Annotated[str, Form(max_length=20)] = "component",
    component_code: Annotated[str, Form(max_length=60)] = "",
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    check_csrf(user.csrf, csrf)
    try:
        row = await dossier_routes._visible(session, user.officer, code)
        await document_service.upload(
            session=session,
            client=engine_for_action(request),
            store=request.app.state.documents,
            row=row,
            actor=actor_of(user.officer),
            file=file,
            kind=DocumentKind(kind),
            component_code=component_code or None,
            max_bytes=settings_of(request).max_upload_bytes,
        )
    except (*REFUSALS, ValueError) as exc:
        status_code, detail = (
            await problem_of(request, exc)
            if isinstance(exc, REFUSALS)
            else (
                422,
                str(exc),
            )
        )
        await session.rollback()
        return await dossier_page(
            request, user, session, client, code, error=detail, status_code=status_code
        )
    return redirect(request, user, f"/console/dossiers/{code}", message="Đã tải lên tệp.")


@router.get("/dossiers/{code}/forms/{number}.pdf")
async def form_pdf(
    request: Request, code: str, number: int, user: User, session: SessionDep
) -> Response:
    try:
        return await form_routes.statutory_form(
            code, number, user.officer, session, settings_of(request)
        )
    except REFUSALS as exc:
        status_code, detail = await problem_of(request, exc)
        return page(request, user, "error.html", status_code, status=status_code, detail=detail)


@router.get("/dossiers/{code}/documents/{document_id}")
async def document(
    request: Request,
    code: str,
    document_id: Annotated[str, Path(max_length=64)],
    user: User,
    session: SessionDep,
) -> Response:
    try:
        return await download_route(
            code, document_id, user.officer, session, request.app.state.documents
        )
    except REFUSALS as exc:
        status_code, detail = await problem_of(request, exc)
        return page(request, user, "error.html", status_code, status=status_code, detail=detail)
