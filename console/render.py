"""What every console page shares: the templates and their filters, the Vietnamese labels,
rendering with the session renewed, redirects, and the API's own answer to a refusal."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError
from temporalio.client import Client

from api.deps import get_temporal
from api.errors import Problem
from config import Settings
from console.session import (
    ConsoleUser,
    renew,
    signed_in,
)
from domain.clock import format_local
from domain.documents import DocumentRejected
from domain.dossier import Forbidden, InvalidAction
from domain.lifecycle import IllegalTransition, Status
from forms.dossier import FormNotApplicable

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
User = Annotated[ConsoleUser, Depends(signed_in)]


async def _engine(request: Request) -> Client | None:
    client: Client | None = request.app.state.temporal
    return client


#: The workflow engine, or None while it is away: pages still show the read model, and an
#: action asks `engine_for_action`, whose refusal (the API's 503) is shown on the page.
Engine = Annotated[Client | None, Depends(_engine)]


def engine_for_action(request: Request) -> Client:
    return get_temporal(request)


#: Vietnam's offset: dates and moments typed in the forms are local time
LOCAL = timedelta(hours=7)

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
    "approve": "Duyệt kết quả",
    "reject": "Không duyệt, trả lại dự thảo",
}
FORMS = {
    1: "Mẫu 01 – Giấy tiếp nhận và hẹn trả kết quả",
    2: "Mẫu 02 – Phiếu yêu cầu bổ sung",
    3: "Mẫu 03 – Phiếu từ chối tiếp nhận",
    4: "Mẫu 04 – Phiếu xin lỗi và hẹn lại",
    5: "Mẫu 05 – Phiếu kiểm soát quá trình",
}


def local_time(moment: datetime | None) -> str:
    return format_local(moment) if moment else "—"


def _status_label(value: str) -> str:
    try:
        return Status(value).vietnamese
    except ValueError:  # the timeline's first entry comes from no status
        return value or "—"


def _money(amount: int) -> str:
    return f"{amount:,}".replace(",", ".") + " đ"


templates.env.filters["local"] = local_time
templates.env.filters["money"] = _money
templates.env.filters["status_label"] = _status_label
templates.env.globals.update(
    ROLE_LABELS=ROLE_LABELS, ACTION_LABELS=ACTION_LABELS, FORMS=FORMS, Status=Status
)


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def page(
    request: Request, user: ConsoleUser | None, name: str, status_code: int = 200, **context: Any
) -> HTMLResponse:
    response = templates.TemplateResponse(
        request, name, {"user": user, **context}, status_code=status_code
    )
    if user is not None:
        renew(response, settings_of(request), user)
    return response


def back_to(target: str | None, default: str) -> str:
    """Only a console path: a form cannot send the officer elsewhere."""
    if target and target.startswith("/console/") and "//" not in target:
        return target
    return default


def redirect(request: Request, user: ConsoleUser, target: str, **message: str) -> Response:
    if message:
        target += ("&" if "?" in target else "?") + urlencode(message)
    return renew(RedirectResponse(target, status_code=303), settings_of(request), user)


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
