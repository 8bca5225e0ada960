"""The work queues page (`/console/`): the role's views, filters in the URL, paging, CSV
export, and assignment in bulk."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request, Response

from api.deps import SessionDep
from api.routes import dossiers as dossier_routes
from api.schemas import ActionIn
from console import queues
from console.render import (
    LOCAL,
    REFUSALS,
    User,
    back_to,
    engine_for_action,
    local_time,
    page,
    problem_of,
    redirect,
)
from console.session import (
    check_csrf,
)
from db.calendar import working_calendar
from db.repository import Total
from domain.lifecycle import Action, Status

router = APIRouter(prefix="/console", include_in_schema=False)
PAGE_SIZE = 25


@router.get("/")
async def work_queue(
    request: Request,
    user: User,
    session: SessionDep,
    view: str | None = None,
    status: str | None = None,
    procedure: str | None = None,
    overdue: bool = False,
    q: Annotated[str | None, Query(max_length=100)] = None,
    unit: Annotated[str | None, Query(max_length=60)] = None,
    held_by: Annotated[str | None, Query(alias="officer", max_length=60)] = None,
    due_before_day: Annotated[str, Query(alias="due_before", max_length=10)] = "",
    sort: Annotated[str, Query(max_length=20)] = "due",
    page_no: Annotated[int, Query(alias="page", ge=1)] = 1,
    format: str = "html",
    message: str | None = None,
    error: str | None = None,
) -> Response:
    officer = user.officer
    now = datetime.now(UTC)
    views = queues.views_for(officer)
    if not views:
        return page(request, user, "queue.html", views=[], rows=[], total=Total(0))
    chosen = next((v for v in views if v.key == view), views[0])
    due_before = _day(due_before_day)  # an empty date field sends ""
    filters = queues.QueueFilter(
        status=status if status in {s.value for s in Status} else None,
        procedure=procedure or None,
        overdue=overdue,
        text=(q or "").strip()[:100] or None,
        unit=unit or None,
        officer=(held_by or "").strip() or None,
        # the end of the chosen day, in Vietnam's time
        due_before=datetime.combine(due_before + timedelta(days=1), time(), UTC) - LOCAL
        if due_before
        else None,
        sort=sort if sort in queues.SORTS else "due",
    )
    cal = await working_calendar(session)
    csv_wanted = format == "csv"
    rows, total = await queues.queue(
        session,
        view=chosen,
        officer=officer,
        filters=filters,
        cal=cal,
        now=now,
        limit=5000 if csv_wanted else PAGE_SIZE,
        offset=0 if csv_wanted else (page_no - 1) * PAGE_SIZE,
    )
    if csv_wanted:
        return _queue_csv(rows, chosen.key)
    query = {
        k: v
        for k, v in {
            "view": chosen.key,
            "status": filters.status,
            "procedure": filters.procedure,
            "overdue": "true" if overdue else None,
            "q": filters.text,
            "unit": filters.unit,
            "officer": filters.officer,
            "due_before": due_before.isoformat() if due_before else None,
            "sort": filters.sort if filters.sort != "due" else None,
        }.items()
        if v
    }
    counts = {v.key: await queues.count(session, view=v, officer=officer, now=now) for v in views}
    overview = None
    if officer.role in ("agency_head", "admin"):
        overview = await queues.overview(session, officer=officer, now=now)
    return page(
        request,
        user,
        "queue.html",
        views=views,
        view=chosen,
        counts=counts,
        rows=rows,
        total=total,
        page_no=page_no,
        pages=max(1, -(-total.count // PAGE_SIZE)),
        filters=filters,
        query=query,
        query_string=urlencode(query),
        procedures=await queues.procedure_names(session),
        units=await queues.units_in_scope(session, officer),
        due_before=due_before.isoformat() if due_before else "",
        statuses=list(Status),
        officers=await queues.unit_officers(session, officer.unit_code)
        if "assign" in chosen.actions
        else [],
        overview=overview,
        message=message,
        error=error,
        here=str(request.url.path) + ("?" + request.url.query if request.url.query else ""),
    )


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _queue_csv(rows: list[queues.QueueRow], name: str) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            "Mã hồ sơ",
            "Thủ tục",
            "Người nộp",
            "Trạng thái",
            "Bước",
            "Đơn vị",
            "Người xử lý",
            "Hạn bước",
            "Thời gian bước",
            "Hạn hồ sơ",
            "Thời gian hồ sơ",
        ]
    )
    for r in rows:
        step = r.step
        writer.writerow(
            [
                r.dossier.code,
                r.procedure_name,
                r.dossier.applicant_name,
                Status(r.dossier.status).vietnamese,
                step.idx + 1 if step else "",
                step.unit_name if step else "",
                (step.assignee_name or step.assignee) if step else "",
                local_time(step.due_at) if step else "",
                r.step_left.label if r.step_left else "",
                local_time(r.dossier.due_at),
                r.dossier_left.label if r.dossier_left else "",
            ]
        )
    # a byte-order mark so that spreadsheet programs read the Vietnamese text as UTF-8
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="hang-doi-{name}.csv"'},
    )


@router.post("/assign")
async def bulk_assign(
    request: Request,
    user: User,
    session: SessionDep,
    assignee: Annotated[str, Form(max_length=60)],
    codes: Annotated[list[str] | None, Form()] = None,
    csrf: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    """Assign the checked dossiers' current steps; each one is the engine's `assign`."""
    check_csrf(user.csrf, csrf)
    done, refused = [], []
    for code in (codes or [])[:100]:
        try:
            engine = engine_for_action(request)
            await dossier_routes.perform(
                code, Action.ASSIGN, user.officer, session, engine, ActionIn(assignee=assignee)
            )
            done.append(code)
        except REFUSALS as exc:
            refused.append(f"{code}: {(await problem_of(request, exc))[1]}")
    outcome = {"message": f"Đã phân công {len(done)} hồ sơ."}
    if refused:
        outcome["error"] = "Không phân công được: " + "; ".join(refused)
    return redirect(request, user, back_to(next, "/console/"), **outcome)
