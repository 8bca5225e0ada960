"""The administrator's pages for managed data: the catalogue of procedures
(`/console/catalogue`: create, edit a draft, publish with the moment it takes effect, revise,
retire) and the users (`/console/users`: create, change role or unit, reset the password,
deactivate). Each form calls the admin API's own route, so the page and the API refuse the
same things with the same words."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from pydantic import ValidationError

from api.deps import SessionDep
from api.errors import Problem
from api.routes import admin_org as org_routes
from api.routes import admin_procedures as catalogue_routes
from console.render import LOCAL, REFUSALS, User, page, problem_of, redirect
from console.session import ConsoleUser, check_csrf
from domain.dossier import Role

router = APIRouter(prefix="/console", include_in_schema=False)
CATALOGUE = "/console/catalogue"
USERS = "/console/users"
Text = Annotated[str, Form(max_length=200_000)]
Csrf = Annotated[str, Form(max_length=100)]


def _definition(text: str) -> dict[str, Any]:
    """The procedure definition typed in the page, as the API takes it."""
    try:
        body = json.loads(text)
    except json.JSONDecodeError as error:
        raise Problem(
            422, f"the definition is not valid JSON (line {error.lineno}: {error.msg})"
        ) from None
    if not isinstance(body, dict):
        raise Problem(422, 'the definition is a JSON object: {"name": …, "steps": […], …}')
    return body


def _moment(text: str) -> datetime | None:
    """A local date and time typed in the form (Vietnam), as a UTC moment; empty: now."""
    if not text.strip():
        return None
    try:
        local = datetime.fromisoformat(text.strip())
    except ValueError:
        raise Problem(422, f"{text!r} is not a date and time") from None
    return (local - LOCAL).replace(tzinfo=UTC) if local.tzinfo is None else local.astimezone(UTC)


async def _then(
    request: Request, user: ConsoleUser, here: str, work: Callable[[], Awaitable[str]]
) -> Response:
    """Run the admin route behind a form; back to `here` with what it did, or with the
    refusal the API would answer (nothing changed)."""
    try:
        message = await work()
    except REFUSALS as exc:
        return redirect(request, user, here, error=(await problem_of(request, exc))[1])
    return redirect(request, user, here, message=message)


@router.get("/catalogue")
async def catalogue(request: Request, user: User, session: SessionDep) -> Response:
    try:
        procedures = await catalogue_routes.catalogue(user.officer, session)
    except REFUSALS as exc:
        code, detail = await problem_of(request, exc)
        return page(request, user, "error.html", code, status=code, detail=detail)
    return page(request, user, "catalogue.html", procedures=procedures)


@router.get("/catalogue/{code}")
async def procedure(request: Request, code: str, user: User, session: SessionDep) -> Response:
    try:
        versions = await catalogue_routes.versions(code, user.officer, session)
    except REFUSALS as exc:
        status, detail = await problem_of(request, exc)
        return page(request, user, "error.html", status, status=status, detail=detail)
    await session.commit()  # a catalogue entry older than versions became its version 1
    shown = [
        {**v.model_dump(), "text": json.dumps(v.definition, ensure_ascii=False, indent=2)}
        for v in versions
    ]
    draft = next((v for v in shown if v["state"] == "draft"), None)
    return page(request, user, "catalogue_procedure.html", code=code, versions=shown, draft=draft)


@router.post("/catalogue")
async def create(
    request: Request, user: User, session: SessionDep, definition: Text, csrf: Csrf = ""
) -> Response:
    check_csrf(user.csrf, csrf)
    try:
        draft = await catalogue_routes.create(
            user.officer, session, request, _definition(definition)
        )
    except REFUSALS as exc:
        return redirect(request, user, CATALOGUE, error=(await problem_of(request, exc))[1])
    here = f"{CATALOGUE}/{draft.procedure_code}"
    return redirect(
        request, user, here, message=f"{draft.procedure_code}: đã tạo bản nháp phiên bản 1."
    )


@router.post("/catalogue/{code}/versions/{number}")
async def save_draft(
    request: Request,
    code: str,
    number: int,
    user: User,
    session: SessionDep,
    definition: Text,
    csrf: Csrf = "",
) -> Response:
    check_csrf(user.csrf, csrf)

    async def work() -> str:
        body = _definition(definition)
        await catalogue_routes.edit(code, number, user.officer, session, request, body)
        return f"Phiên bản {number}: đã lưu bản nháp."

    return await _then(request, user, f"{CATALOGUE}/{code}", work)


@router.post("/catalogue/{code}/versions/{number}/publish")
async def publish(
    request: Request,
    code: str,
    number: int,
    user: User,
    session: SessionDep,
    effective_from: Annotated[str, Form(max_length=40)] = "",
    csrf: Csrf = "",
) -> Response:
    check_csrf(user.csrf, csrf)

    async def work() -> str:
        body = catalogue_routes.PublishIn(effective_from=_moment(effective_from))
        await catalogue_routes.publish(code, number, user.officer, session, request, body)
        return f"Phiên bản {number}: đã ban hành."

    return await _then(request, user, f"{CATALOGUE}/{code}", work)


@router.post("/catalogue/{code}/revise")
async def revise(
    request: Request, code: str, user: User, session: SessionDep, csrf: Csrf = ""
) -> Response:
    """A new draft that starts as a copy of the latest version."""
    check_csrf(user.csrf, csrf)

    async def work() -> str:
        latest = (await catalogue_routes.versions(code, user.officer, session))[-1]
        draft = await catalogue_routes.revise(
            code, user.officer, session, request, latest.definition
        )
        return f"Đã tạo bản nháp phiên bản {draft.version}."

    return await _then(request, user, f"{CATALOGUE}/{code}", work)


@router.post("/catalogue/{code}/retire")
async def retire(
    request: Request, code: str, user: User, session: SessionDep, csrf: Csrf = ""
) -> Response:
    check_csrf(user.csrf, csrf)

    async def work() -> str:
        await catalogue_routes.retire(code, user.officer, session, request)
        return f"{code}: đã ngừng áp dụng cho hồ sơ mới."

    return await _then(request, user, f"{CATALOGUE}/{code}", work)


# --------------------------------------------------------------------------- users


@router.get("/users")
async def users(request: Request, user: User, session: SessionDep) -> Response:
    try:
        officers = await org_routes.users(user.officer, session)
        agencies = await org_routes.agencies(user.officer, session)
        units = await org_routes.units(user.officer, session)
    except REFUSALS as exc:
        code, detail = await problem_of(request, exc)
        return page(request, user, "error.html", code, status=code, detail=detail)
    return page(
        request,
        user,
        "users.html",
        officers=officers,
        agencies=agencies,
        units=units,
        roles=[r for r in Role if r not in (Role.SYSTEM, Role.APPLICANT)],
    )


@router.post("/users")
async def put_user(
    request: Request,
    user: User,
    session: SessionDep,
    username: Annotated[str, Form(max_length=60)],
    full_name: Annotated[str, Form(max_length=200)],
    role: Annotated[str, Form(max_length=20)],
    agency_code: Annotated[str, Form(max_length=40)] = "",
    unit_code: Annotated[str, Form(max_length=60)] = "",
    title: Annotated[str, Form(max_length=200)] = "",
    email: Annotated[str, Form(max_length=200)] = "",
    active: Annotated[str, Form(max_length=5)] = "",
    password: Annotated[str, Form(max_length=200)] = "",
    csrf: Csrf = "",
) -> Response:
    """Create a user or change one: role, agency and unit, details, a new password (to reset
    it), or the account switched off (their history stays)."""
    check_csrf(user.csrf, csrf)
    try:
        body = org_routes.OfficerIn(
            full_name=full_name,
            role=Role(role),
            agency_code=agency_code or None,
            unit_code=unit_code or None,
            title=title,
            email=email,
            active=active == "on",
            password=password or None,
        )
        await org_routes.put_user(username.strip(), body, user.officer, session, request)
    except (*REFUSALS, ValidationError) as exc:
        return redirect(request, user, USERS, error=(await problem_of(request, exc))[1])
    except ValueError:  # a role that is not one
        return redirect(request, user, USERS, error=f"{role!r} is not a role")
    return redirect(request, user, USERS, message=f"{username}: đã lưu tài khoản.")
