"""The province's page (`/console/reports`): the month's indicators against the targets and
the late list, from the report routes."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request, Response

from api.deps import SessionDep
from api.routes import reports as report_routes
from console.render import (
    REFUSALS,
    User,
    page,
    problem_of,
)

router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("/reports")
async def province(
    request: Request,
    user: User,
    session: SessionDep,
    month: str | None = None,
) -> Response:
    """The month's indicators against the targets and the late list, from the report routes."""
    officer = user.officer
    when = report_routes.PeriodQuery(month=month or datetime.now(UTC).strftime("%Y-%m"))
    try:
        card = await report_routes.indicators(
            officer,
            session,
            when,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            "denominator",
            "json",
        )
        late = await report_routes.late(officer, session, when, None, "json")
    except REFUSALS as exc:
        status_code, detail = await problem_of(request, exc)
        return page(request, user, "error.html", status_code, status=status_code, detail=detail)
    return page(request, user, "reports.html", card=card, late=late, month=when.month)


@router.get("/reports/on-time.png")
async def on_time_chart(
    request: Request, user: User, session: SessionDep, month: str | None = None
) -> Response:
    """The report route's chart, for the signed-in officer's scope."""
    try:
        return await report_routes.on_time_chart(user.officer, session, month, None)
    except REFUSALS as exc:
        status_code, detail = await problem_of(request, exc)
        return Response(detail, status_code=status_code)
