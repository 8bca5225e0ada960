"""The console's pages (HTML under /console). Every page calls the API's own route functions
and services with the signed-in officer, so the console enforces exactly the API's rules; a
refusal is shown with the engine's message and nothing is changed."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request, Response, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from starlette.datastructures import UploadFile as StarletteUpload

from api import documents as document_service
from api import services
from api.deps import SessionDep, TemporalDep
from api.errors import Problem
from api.routes import dossiers as dossier_routes
from api.routes import forms as form_routes
from api.routes import reports as report_routes
from api.routes.auth import authenticate
from api.routes.clock import deadline as deadline_route
from api.routes.documents import download as download_route
from api.schemas import ActionIn, ApplicantIn, SubmitIn
from config import Settings
from console import queues
from console.session import (
    LOGIN_COOKIE,
    ConsoleUser,
    check_csrf,
    clear,
    issue,
    new_csrf,
    renew,
    secure_cookies,
    signed_in,
)
from db.document_repository import dossier_documents
from db.outcomes import working_calendar
from db.portal_models import PortalSyncState
from db.repository import actor_of, list_procedures
from domain.clock import format_local
from domain.documents import DocumentKind, DocumentRejected
from domain.dossier import Channel, Forbidden, InvalidAction
from domain.lifecycle import Action, IllegalTransition, Status
from forms.dossier import FormNotApplicable

router = APIRouter(prefix="/console", include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
User = Annotated[ConsoleUser, Depends(signed_in)]
PAGE_SIZE = 25
LOCAL = timedelta(hours=7)  # the forms' new appointment is typed in Vietnam's local time

#: What the engine and the API refuse with; shown on the page, never a stack trace.
REFUSALS = (
    Problem,
    IllegalTransition,
    InvalidAction,
    Forbidden,
    DocumentRejected,
    FormNotApplicable,
)

ROLE_LABELS = {
    "clerk": "Công chức Một cửa",
    "officer": "Chuyên viên",
    "unit_head": "Lãnh đạo đơn vị",
    "agency_head": "Thủ trưởng cơ quan",
    "admin": "Quản trị",
}
ACTION_LABELS = {
    "submit": "Nộp hồ sơ",
    "attach-document": "Đính kèm tài liệu",
    "stop": "Dừng xử lý",
    "accept": "Tiếp nhận",
    "request-supplement": "Yêu cầu bổ sung",
    "supplement": "Ghi nhận bổ sung",
    "refuse": "Từ chối tiếp nhận",
    "forward": "Chuyển xử lý",
    "return": "Trả lại bước trước",
    "resolve": "Hoàn thành xử lý",
    "deliver": "Trả kết quả",
    "withdraw": "Rút hồ sơ",
    "rate": "Ghi đánh giá",
    "apologize": "Xin lỗi, hẹn lại",
    "request-payment": "Yêu cầu nộp nghĩa vụ tài chính",
    "pay": "Ghi nhận đã nộp",
    "assign": "Phân công",
    "take": "Nhận xử lý",
}
FORMS = {
    1: "Mẫu 01 – Giấy tiếp nhận và hẹn trả kết quả",
    2: "Mẫu 02 – Phiếu yêu cầu bổ sung",
    3: "Mẫu 03 – Phiếu từ chối tiếp nhận",
    4: "Mẫu 04 – Phiếu xin lỗi và hẹn lại",
    5: "Mẫu 05 – Phiếu kiểm soát quá trình",
}


def _local(moment: datetime | None) -> str:
    return format_local(moment) if moment else "—"


def _status_label(value: str) -> str:
    try:
        return Status(value).vietnamese
    except ValueError:  # the timeline's first entry comes from no status
        return value or "—"


def _money(amount: int) -> str:
    return f"{amount:,}".replace(",", ".") + " đ"


templates.env.filters["local"] = _local
templates.env.filters["money"] = _money
templates.env.filters["status_label"] = _status_label
templates.env.globals.update(
    ROLE_LABELS=ROLE_LABELS, ACTION_LABELS=ACTION_LABELS, FORMS=FORMS, Status=Status
)


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def page(
    request: Request, user: ConsoleUser | None, name: str, status_code: int = 200, **context: Any
) -> HTMLResponse:
    response = templates.TemplateResponse(
        request, name, {"user": user, **context}, status_code=status_code
    )
    if user is not None:
        renew(response, _settings(request), user)
    return response


def _back(target: str | None, default: str) -> str:
    """Only a console path: a form cannot send the officer elsewhere."""
    if target and target.startswith("/console/") and "//" not in target:
        return target
    return default


def redirect(request: Request, user: ConsoleUser, target: str, **message: str) -> Response:
    if message:
        target += ("&" if "?" in target else "?") + urlencode(message)
    return renew(RedirectResponse(target, status_code=303), _settings(request), user)


async def problem_of(request: Request, exc: Exception) -> tuple[int, str]:
    """The status and message the API answers `exc` with, from the API's own error mapping,
    so that the console and the API always say the same thing."""
    if isinstance(exc, ValidationError):
        detail = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        return 422, detail
    for cls in type(exc).__mro__:
        handler = request.app.exception_handlers.get(cls)
        if handler is not None and cls is not Exception:
            answer = await handler(request, exc)
            return answer.status_code, json.loads(answer.body)["detail"]
    raise exc


# --------------------------------------------------------------------------- sign-in


@router.get("/login")
async def login_form(request: Request, next: str | None = None) -> HTMLResponse:
    token = new_csrf()
    response = page(request, None, "login.html", csrf=token, next=next or "")
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        path="/console",
        httponly=True,
        samesite="lax",
        secure=secure_cookies(_settings(request)),
    )
    return response


@router.post("/login")
async def login(
    request: Request,
    username: Annotated[str, Form(max_length=60)],
    password: Annotated[str, Form(max_length=200)],
    csrf: Annotated[str, Form(max_length=100)] = "",
    next: Annotated[str, Form(max_length=500)] = "",
) -> Response:
    check_csrf(request.cookies.get(LOGIN_COOKIE, ""), csrf)
    async with request.app.state.sessions() as session:
        try:
            officer = await authenticate(session, username=username.strip(), password=password)
        except Problem as exc:  # a wrong password, or whatever else sign-in refuses with
            return page(
                request,
                None,
                "login.html",
                status_code=exc.status,
                csrf=csrf,
                next=next,
                error="Sai tên đăng nhập hoặc mật khẩu." if exc.status == 401 else exc.detail,
                username=username,
            )
    signed = RedirectResponse(_back(next, "/console/"), status_code=303)
    issue(signed, _settings(request), username=officer.username, csrf=new_csrf())
    signed.delete_cookie(LOGIN_COOKIE, path="/console")
    return signed


@router.post("/logout")
async def logout(user: User, csrf: Annotated[str, Form(max_length=100)] = "") -> Response:
    check_csrf(user.csrf, csrf)
    response = RedirectResponse("/console/login", status_code=303)
    clear(response)
    return response


# --------------------------------------------------------------------------- work queues


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
        return page(request, user, "queue.html", views=[], rows=[], total=0)
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
        pages=max(1, -(-total // PAGE_SIZE)),
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
                _local(step.due_at) if step else "",
                r.step_left.label if r.step_left else "",
                _local(r.dossier.due_at),
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
    client: TemporalDep,
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
            await dossier_routes.run_action(
                code, Action.ASSIGN, user.officer, session, client, ActionIn(assignee=assignee)
            )
            done.append(code)
        except REFUSALS as exc:
            refused.append(f"{code}: {(await problem_of(request, exc))[1]}")
    outcome = {"message": f"Đã phân công {len(done)} hồ sơ."}
    if refused:
        outcome["error"] = "Không phân công được: " + "; ".join(refused)
    return redirect(request, user, _back(next, "/console/"), **outcome)


# --------------------------------------------------------------------------- a dossier


async def _dossier_page(
    request: Request,
    user: ConsoleUser,
    session: Any,
    client: Any,
    code: str,
    *,
    error: str | None = None,
    status_code: int = 200,
    message: str | None = None,
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
    current = next((s for s in shown.steps if s.current), None)
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
    )


@router.get("/dossiers/{code}")
async def dossier(
    request: Request,
    code: str,
    user: User,
    session: SessionDep,
    client: TemporalDep,
    message: str | None = None,
) -> Response:
    return await _dossier_page(request, user, session, client, code, message=message)


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


def _text(form: Any, name: str) -> str:
    value = form.get(name, "")
    return value if isinstance(value, str) else ""


@router.post("/dossiers/{code}/actions/{action}")
async def act(
    request: Request, code: str, action: str, user: User, session: SessionDep, client: TemporalDep
) -> Response:
    form = await request.form()
    check_csrf(user.csrf, _text(form, "csrf"))
    here = f"/console/dossiers/{code}"
    back = _back(_text(form, "next"), here)
    try:
        body = _action_body({k: _text(form, k) for k in ACTION_FIELDS})
        await dossier_routes.run_action(code, Action(action), user.officer, session, client, body)
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
    return await _dossier_page(
        request, user, session, client, code, error=detail, status_code=status_code
    )


@router.post("/dossiers/{code}/documents")
async def upload(
    request: Request,
    code: str,
    user: User,
    session: SessionDep,
    client: TemporalDep,
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
            client=client,
            store=request.app.state.documents,
            row=row,
            actor=actor_of(user.officer),
            file=file,
            kind=DocumentKind(kind),
            component_code=component_code or None,
            max_bytes=_settings(request).max_upload_bytes,
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
        return await _dossier_page(
            request, user, session, client, code, error=detail, status_code=status_code
        )
    return redirect(request, user, f"/console/dossiers/{code}", message="Đã tải lên tệp.")


@router.get("/dossiers/{code}/forms/{number}.pdf")
async def form_pdf(
    request: Request, code: str, number: int, user: User, session: SessionDep
) -> Response:
    try:
        return await form_routes.statutory_form(code, number, user.officer, session)
    except REFUSALS as exc:
        status_code, detail = await problem_of(request, exc)
        return page(request, user, "error.html", status_code, status=status_code, detail=detail)


@router.get("/dossiers/{code}/documents/{document_id}")
async def document(
    request: Request,
    code: str,
    document_id: int,
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


# --------------------------------------------------------------------------- reception desk


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
    client: TemporalDep,
) -> Response:
    """Register a paper dossier (channel 1), digitize its scans and, when asked, accept it;
    each step is the API's own service, so a refusal leaves the dossier as far as it got."""
    form = await request.form()
    check_csrf(user.csrf, str(form.get("csrf", "")))
    settings = _settings(request)
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
            client=client,
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
                client=client,
                store=request.app.state.documents,
                row=row,
                actor=actor_of(user.officer),
                file=scan,  # type: ignore[arg-type]
                kind=DocumentKind.COMPONENT,
                component_code=component_code,
                max_bytes=settings.max_upload_bytes,
            )
        if text.get("then") == "accept":
            await dossier_routes.run_action(
                code, Action.ACCEPT, user.officer, session, client, ActionIn()
            )
    except (*REFUSALS, ValidationError) as exc:
        status_code, detail = await problem_of(request, exc)
        if code is not None:  # registered, but a later step was refused: show it there
            await session.rollback()
            return await _dossier_page(
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


# --------------------------------------------------------------------------- province


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
