"""The operator's page (`/console/operations`, admins): the national portal's sync state with
the parked records to re-drive, and the working calendar's overrides to add or remove. Each
form calls the API route that does the same."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from api.deps import SessionDep
from api.routes import clock as clock_routes
from api.routes import portal as portal_routes
from console.render import (
    REFUSALS,
    User,
    engine_for_action,
    page,
    problem_of,
    redirect,
    settings_of,
)
from console.session import check_csrf

router = APIRouter(prefix="/console", include_in_schema=False)
HERE = "/console/operations"


@router.get("/operations")
async def operations(request: Request, user: User, session: SessionDep) -> Response:
    officer = user.officer
    try:
        status = await portal_routes.sync_status(session, officer)
        parked = await portal_routes.parked(session, officer)
        overrides = await clock_routes.list_overrides(officer, session)
    except REFUSALS as exc:
        code, detail = await problem_of(request, exc)
        return page(request, user, "error.html", code, status=code, detail=detail)
    return page(request, user, "operations.html", sync=status, parked=parked, overrides=overrides)


@router.post("/operations/parked/{code}/redrive")
async def redrive(
    request: Request,
    code: str,
    user: User,
    session: SessionDep,
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    check_csrf(user.csrf, csrf)
    try:
        await portal_routes.redrive(
            code, session, user.officer, engine_for_action(request), settings_of(request)
        )
    except REFUSALS as exc:
        return redirect(request, user, HERE, error=f"{code}: {(await problem_of(request, exc))[1]}")
    return redirect(request, user, HERE, message=f"{code}: đã gửi lại lên Cổng DVCQG.")


@router.post("/operations/calendar")
async def add_override(
    request: Request,
    user: User,
    session: SessionDep,
    day: Annotated[date, Form()],
    kind: Annotated[str, Form(max_length=20)],
    name: Annotated[str, Form(max_length=200)],
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    check_csrf(user.csrf, csrf)
    try:
        body = clock_routes.OverrideIn(day=day, kind=kind, name=name)  # type: ignore[arg-type]
        change = await clock_routes.add_override(
            body, user.officer, session, engine_for_action(request), settings_of(request)
        )
    except (*REFUSALS, ValueError) as exc:
        return redirect(request, user, HERE, error=(await problem_of(request, exc))[1])
    return redirect(
        request,
        user,
        HERE,
        message=f"{day}: đã lưu; {change.open_dossiers_notified} hồ sơ đang mở được tính lại hạn.",
    )


@router.post("/operations/calendar/{day}/remove")
async def remove_override(
    request: Request,
    day: date,
    user: User,
    session: SessionDep,
    csrf: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    check_csrf(user.csrf, csrf)
    try:
        await clock_routes.remove_override(
            day, user.officer, session, engine_for_action(request), settings_of(request)
        )
    except REFUSALS as exc:
        return redirect(request, user, HERE, error=(await problem_of(request, exc))[1])
    return redirect(request, user, HERE, message=f"{day}: đã bỏ ngày điều chỉnh.")
