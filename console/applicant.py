"""The applicant's public pages, in the console's style but without an officer's sign-in:
online filing (`/nop-ho-so`: a one-time code to the applicant's contact, or the identity
provider's sign-in; then the procedure, the details, the files, the online payment) and the
self-service (`/tra-cuu`: with the receipt's code and secret — status, due moment, what is
missing, what to pay, withdraw, rate, the electronic result, a supplement). Every step is the
public API's own service, so the page and the API refuse alike (and are throttled alike)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from starlette.datastructures import UploadFile as StarletteUpload

from api import applicant as service
from api.deps import SessionDep, get_document_store
from api.errors import Problem
from api.routes import public
from api.schemas import ApplicantIn
from api.throttle import client_address, get_throttle
from console.render import REFUSALS, Engine, engine_for_action, problem_of, settings_of, templates
from db.models import Dossier
from db.repository import dossier_components, dossier_timeline, get_procedure, list_procedures
from db.verification_models import OtpChallenge
from domain.lifecycle import Action, Status
from forms.dossier import LOOKUP_PATH

router = APIRouter(include_in_schema=False)
FILING_PATH = "/nop-ho-so"

#: The rating form's levels (the scorecard counts 4 and 5 as satisfied).
SATISFACTION = {
    5: "Rất hài lòng",
    4: "Hài lòng",
    3: "Bình thường",
    2: "Không hài lòng",
    1: "Rất không hài lòng",
}
#: What the public API's refusals mean for the applicant, by status.
PUBLIC_REFUSALS = {
    401: "Phiên làm việc đã hết hạn; hãy xác thực lại.",
    404: "Không tìm thấy hồ sơ với mã hồ sơ và mã bí mật này.",
}

#: The public API's own words for a refusal that is not about the code and secret.
PUBLIC_MESSAGES = {"this dossier has no electronic result yet": "Hồ sơ chưa có kết quả điện tử."}


def _page(request: Request, name: str, status_code: int = 200, **context: Any) -> Response:
    settings = settings_of(request)
    return templates.TemplateResponse(
        request,
        name,
        {
            "user": None,
            "identity_enabled": bool(settings.identity_issuer_url),
            "SATISFACTION": SATISFACTION,
            **context,
        },
        status_code=status_code,
    )


async def _refusal(request: Request, exc: Exception) -> tuple[int, str]:
    status_code, detail = await problem_of(request, exc)
    if status_code == 429:
        wait = getattr(exc, "headers", None) or {}
        seconds = wait.get("Retry-After") if isinstance(wait, dict) else None
        if "quá" not in detail:  # the throttle's own words are English
            detail = "Nhập sai quá nhiều lần; vui lòng thử lại sau" + (
                f" {seconds} giây." if seconds else " ít phút."
            )
    elif detail in PUBLIC_MESSAGES:
        detail = PUBLIC_MESSAGES[detail]
    elif status_code in PUBLIC_REFUSALS and not _vietnamese(detail):
        detail = PUBLIC_REFUSALS[status_code]
    return status_code, detail


def _vietnamese(text: str) -> bool:
    return any(ord(ch) > 127 for ch in text)


def _who(request: Request) -> service.ApplicantIdentity | None:
    return service.identity_of(
        request.cookies.get(service.SESSION_COOKIE), secret=settings_of(request).jwt_secret
    )


@router.get(FILING_PATH)
async def filing(request: Request, session: SessionDep, procedure: str | None = None) -> Response:
    who = _who(request)
    if who is None:
        return _page(request, "applicant_verify.html")
    procedures = await list_procedures(session)
    chosen = next((p for p in procedures if p.code == procedure), None)
    return _page(request, "applicant_filing.html", who=who, procedures=procedures, chosen=chosen)


@router.post(FILING_PATH + "/ma")
async def ask_code(request: Request, session: SessionDep) -> Response:
    form = await request.form()
    contact = str(form.get("contact", ""))
    try:
        row = await service.request_code(
            session,
            settings_of(request),
            get_throttle(request),
            contact,
            client_address(request),
        )
    except REFUSALS as exc:
        status_code, detail = await _refusal(request, exc)
        return _page(request, "applicant_verify.html", status_code, error=detail, contact=contact)
    return _page(request, "applicant_verify.html", challenge=row)


@router.post(FILING_PATH + "/xac-thuc")
async def confirm_code(request: Request, session: SessionDep) -> Response:
    form = await request.form()
    challenge_id = str(form.get("challenge_id", ""))
    settings = settings_of(request)
    try:
        if form.get("resend"):
            row = await service.resend_code(
                session, settings, get_throttle(request), challenge_id, client_address(request)
            )
            return _page(request, "applicant_verify.html", challenge=row, message="Đã gửi lại mã.")
        who = await service.confirm_code(
            session,
            settings,
            get_throttle(request),
            challenge_id,
            str(form.get("code", ""))[:12],
            client_address(request),
        )
    except REFUSALS as exc:
        status_code, detail = await _refusal(request, exc)
        challenge = await session.get(OtpChallenge, challenge_id[:40])
        return _page(
            request, "applicant_verify.html", status_code, error=detail, challenge=challenge
        )
    response = RedirectResponse(FILING_PATH, status_code=303)
    service.set_session(response, service.issue_token(who, secret=settings.jwt_secret), settings)
    return response


@router.post(FILING_PATH)
async def file_online(request: Request, session: SessionDep, client: Engine) -> Response:
    who = _who(request)
    if who is None:
        return _page(request, "applicant_verify.html", 401, error=PUBLIC_REFUSALS[401])
    form = await request.form()
    text = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    files = {
        k.removeprefix("file_"): v
        for k, v in form.multi_items()
        if k.startswith("file_") and isinstance(v, StarletteUpload) and v.filename
    }
    procedures = await list_procedures(session)
    chosen = next((p for p in procedures if p.code == text.get("procedure_code")), None)
    try:
        filed = await service.file_online(
            session=session,
            client=engine_for_action(request),
            store=request.app.state.documents,
            settings=settings_of(request),
            identity=who,
            procedure_code=text.get("procedure_code", ""),
            applicant=ApplicantIn(
                name=text.get("name", "") or who.name,
                id_number=text.get("id_number", ""),
                phone=text.get("phone", ""),
                email=text.get("email", ""),
                address=text.get("address", ""),
            ),
            files=files,  # type: ignore[arg-type]
            idempotency_key=text.get("key") or None,
        )
    except (*REFUSALS, ValidationError) as exc:
        await session.rollback()
        status_code, detail = await _refusal(request, exc)
        return _page(
            request,
            "applicant_filing.html",
            status_code,
            who=who,
            procedures=procedures,
            chosen=chosen,
            error=detail,
            values=text,
        )
    response = await _self_service(
        request,
        session,
        filed.code,
        filed.lookup_secret,
        message=f"Đã nộp hồ sơ {filed.code}. Ghi lại mã hồ sơ và mã bí mật để tra cứu.",
        just_filed=True,
    )
    if not who.identified:  # a code files one dossier: the next one asks for a new code
        response.delete_cookie(service.SESSION_COOKIE, path="/")
    return response


async def _self_service(
    request: Request,
    session: SessionDep,
    code: str,
    secret: str,
    status_code: int = 200,
    **context: Any,
) -> Response:
    """The self-service page of the dossier, if the secret is its own (throttled)."""
    try:
        shown = await public.look_up(code, request, session, get_throttle(request), secret)
    except REFUSALS as exc:
        status, detail = await _refusal(request, exc)
        return _page(request, "applicant_lookup.html", status, error=detail, code=code)
    row = await session.get(Dossier, code)
    assert row is not None
    procedure = await get_procedure(session, code=row.procedure_code, version=row.procedure_version)
    components = await dossier_components(session, code=code)
    timeline = await dossier_timeline(session, code=code)
    asked = next((t for t in reversed(timeline) if t.action == Action.REQUEST_SUPPLEMENT), None)
    state = Status(row.status)
    return _page(
        request,
        "applicant_dossier.html",
        status_code,
        dossier=shown,
        row=row,
        secret=secret,
        components=components,
        missing=[c for c in components if c.required and not (c.provided or c.digitized)],
        supplement=asked if state == Status.SUPPLEMENT_REQUESTED else None,
        may_withdraw=not state.terminal,
        may_rate=state == Status.RETURNED and row.rating is None,
        fee_total=procedure.fee_total if procedure else 0,
        **context,
    )


@router.get(LOOKUP_PATH)
async def lookup_form(request: Request, session: SessionDep, code: str = "") -> Response:
    who = _who(request)
    own = await service.own_dossiers(session, who) if who else []
    return _page(request, "applicant_lookup.html", code=code[:60], own=own)


@router.post(LOOKUP_PATH)
async def look_up(request: Request, session: SessionDep) -> Response:
    form = await request.form()
    code, secret = str(form.get("code", "")).strip()[:60], str(form.get("secret", "")).strip()
    return await _self_service(request, session, code, secret[:100])


async def _then(
    request: Request,
    session: SessionDep,
    code: str,
    secret: str,
    work: Callable[[], Awaitable[object]],
    message: str,
) -> Response:
    """Run a public route for the look-up page; the page again with what it did, or with the
    refusal the API would answer (nothing changed)."""
    try:
        await work()
    except (*REFUSALS, ValidationError) as exc:
        status_code, detail = await _refusal(request, exc)
        return await _self_service(request, session, code, secret, status_code, error=detail)
    return await _self_service(request, session, code, secret, message=message)


@router.post(LOOKUP_PATH + "/rut")
async def withdraw(request: Request, session: SessionDep, client: Engine) -> Response:
    form = await request.form()
    code, secret = str(form.get("code", ""))[:60], str(form.get("secret", ""))[:100]

    async def work() -> object:
        body = public.WithdrawIn(reason=str(form.get("reason", "")))
        throttle, client = get_throttle(request), engine_for_action(request)
        return await public.withdraw(code, body, request, session, throttle, client, secret)

    return await _then(request, session, code, secret, work, "Đã rút hồ sơ.")


@router.post(LOOKUP_PATH + "/bo-sung")
async def supplement(request: Request, session: SessionDep, client: Engine) -> Response:
    """The supplement asked for, one file per component (`file_<component code>`), handed to
    the public API's own route: typed by content, then the applicant's SUPPLEMENT."""
    form = await request.form()
    code, secret = str(form.get("code", ""))[:60], str(form.get("secret", ""))[:100]
    files, components = [], []
    for name, value in form.multi_items():
        if name.startswith("file_") and isinstance(value, StarletteUpload) and value.filename:
            files.append(value)
            components.append(name.removeprefix("file_"))
    if not files:
        return await _self_service(
            request, session, code, secret, 422, error="Hãy chọn tệp cho giấy tờ cần bổ sung."
        )

    async def work() -> object:
        return await public.supplement(
            code,
            request,
            session,
            get_throttle(request),
            engine_for_action(request),
            get_document_store(request),
            settings_of(request),
            files=files,  # type: ignore[arg-type]
            component_codes=components,
            note=str(form.get("note", ""))[:2000],
            secret=secret,
        )

    done = "Đã nộp bổ sung; hồ sơ được xử lý tiếp."
    return await _then(request, session, code, secret, work, done)


@router.post(LOOKUP_PATH + "/danh-gia")
async def rate(request: Request, session: SessionDep, client: Engine) -> Response:
    form = await request.form()
    code, secret = str(form.get("code", ""))[:60], str(form.get("secret", ""))[:100]
    try:
        rating = int(str(form.get("rating", "0")))
    except ValueError:
        rating = 0
    if rating not in SATISFACTION:
        return await _self_service(
            request, session, code, secret, 422, error="Hãy chọn mức độ hài lòng."
        )

    async def work() -> object:
        body = public.RateIn(rating=rating, comment=str(form.get("comment", "")))
        throttle, client = get_throttle(request), engine_for_action(request)
        return await public.rate(code, body, request, session, throttle, client, secret)

    return await _then(request, session, code, secret, work, "Cảm ơn bạn đã đánh giá.")


@router.post(LOOKUP_PATH + "/ket-qua")
async def result(request: Request, session: SessionDep) -> Response:
    form = await request.form()
    code, secret = str(form.get("code", ""))[:60], str(form.get("secret", ""))[:100]
    try:
        return await public.electronic_result(
            code, request, session, request.app.state.documents, get_throttle(request), secret
        )
    except Problem as exc:
        status_code, detail = await _refusal(request, exc)
        return await _self_service(request, session, code, secret, status_code, error=detail)


@router.post(LOOKUP_PATH + "/thoat")
async def sign_out() -> Response:
    response = RedirectResponse(LOOKUP_PATH, status_code=303)
    response.delete_cookie(service.SESSION_COOKIE, path="/")
    return response
