"""The applicant's online filing (nộp hồ sơ trực tuyến, channel 2) without a clerk: a
one-time code to the applicant's e-mail or phone, or a sign-in at the identity provider
(VNeID-like, api/identity.py), gives a short-lived applicant token; with it the dossier is
filed, its components uploaded and its fees paid online. The look-up, withdrawal, rating and
result download stay in api/routes/public.py (code + secret of the receipt)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from starlette.datastructures import UploadFile as StarletteUpload

from api import applicant as service
from api import identity
from api.deps import DocumentStoreDep, SessionDep, SettingsDep, TemporalDep
from api.errors import Problem
from api.payments import public_payments_of
from api.schemas import ApplicantIn, PublicPaymentOut
from api.throttle import Throttle, client_address, throttle_dep
from db.models import Dossier
from db.verification_models import OtpChallenge
from domain.verification import POLICY

router = APIRouter(prefix="/public", tags=["applicant"])
ThrottleDep = Annotated[Throttle, Depends(throttle_dep)]


class CodeRequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contact: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = Field(
        description="the applicant's e-mail address (code by e-mail) or mobile number (by SMS)"
    )


class ChallengeOut(BaseModel):
    challenge_id: str
    channel: str
    contact: str
    expires_at: datetime
    sends_left: int


class CodeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Annotated[str, StringConstraints(strip_whitespace=True, max_length=12)]


class TokenOut(BaseModel):
    token: str
    kind: str
    name: str = ""
    id_number: str = ""
    phone: str = ""
    email: str = ""


class FiledOut(BaseModel):
    code: str
    lookup_secret: str = Field(description="keep it: with the code it opens the self-service")
    status: str
    payments: list[PublicPaymentOut]


def _challenge_out(row: OtpChallenge) -> ChallengeOut:
    return ChallengeOut(
        challenge_id=row.id,
        channel=row.channel,
        contact=row.contact,
        expires_at=row.sent_at + POLICY.ttl,
        sends_left=max(POLICY.max_sends - row.sends, 0),
    )


def _token_out(who: service.ApplicantIdentity, settings: SettingsDep) -> TokenOut:
    return TokenOut(
        token=service.issue_token(who, secret=settings.jwt_secret),
        kind=who.kind,
        name=who.name,
        id_number=who.id_number,
        phone=who.phone,
        email=who.email or (who.contact if who.channel == "email" else ""),
    )


@router.post("/submissions/verification", response_model=ChallengeOut, status_code=201)
async def request_code(
    body: CodeRequestIn,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    throttle: ThrottleDep,
) -> ChallengeOut:
    """Send a one-time code to the contact (e-mail or SMS through the notification outbox)."""
    row = await service.request_code(
        session, settings, throttle, body.contact, client_address(request)
    )
    return _challenge_out(row)


@router.post("/submissions/verification/{challenge_id}/resend", response_model=ChallengeOut)
async def resend_code(
    challenge_id: str,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    throttle: ThrottleDep,
) -> ChallengeOut:
    row = await service.resend_code(
        session, settings, throttle, challenge_id, client_address(request)
    )
    return _challenge_out(row)


@router.post("/submissions/verification/{challenge_id}/confirm", response_model=TokenOut)
async def confirm_code(
    challenge_id: str,
    body: CodeIn,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    throttle: ThrottleDep,
) -> TokenOut:
    """The applicant token for the right code (400 for a wrong one, 429 after too many)."""
    who = await service.confirm_code(
        session, settings, throttle, challenge_id, body.code, client_address(request)
    )
    return _token_out(who, settings)


async def applicant_of(
    settings: SettingsDep, authorization: Annotated[str | None, Header()] = None
) -> service.ApplicantIdentity:
    token = (authorization or "").removeprefix("Bearer ").strip()
    who = service.identity_of(token, secret=settings.jwt_secret)
    if who is None:
        raise Problem(
            401,
            "verify your contact with a one-time code or sign in with your identity first; "
            "send 'Authorization: Bearer <applicant token>'",
        )
    return who


ApplicantDep = Annotated[service.ApplicantIdentity, Depends(applicant_of)]


@router.post("/submissions", response_model=FiledOut, status_code=201)
async def file_online(
    request: Request,
    who: ApplicantDep,
    session: SessionDep,
    settings: SettingsDep,
    client: TemporalDep,
    store: DocumentStoreDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> FiledOut:
    """File an online dossier (multipart): `procedure_code`, the applicant's `name`,
    `id_number`, `phone`, `email`, `address`, and one file per component as `file_<code>`.
    The fees due at submission are paid online: the answer's `payments` give the link."""
    form = await request.form()
    text = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    files = {
        k.removeprefix("file_"): v
        for k, v in form.multi_items()
        if k.startswith("file_") and isinstance(v, StarletteUpload) and v.filename
    }
    applicant = ApplicantIn(
        name=text.get("name", "") or who.name or "?",
        id_number=text.get("id_number", ""),
        phone=text.get("phone", ""),
        email=text.get("email", ""),
        address=text.get("address", ""),
    )
    filed = await service.file_online(
        session=session,
        client=client,
        store=store,
        settings=settings,
        identity=who,
        procedure_code=text.get("procedure_code", ""),
        applicant=applicant,
        files=files,  # type: ignore[arg-type]
        idempotency_key=idempotency_key,
    )
    row = await session.get(Dossier, filed.code)
    assert row is not None
    await session.refresh(row)
    return FiledOut(
        code=filed.code,
        lookup_secret=filed.lookup_secret,
        status=row.status,
        payments=await public_payments_of(session, code=filed.code),
    )


class OwnDossierOut(BaseModel):
    code: str
    procedure_code: str
    status: str
    submitted_at: datetime
    due_at: datetime | None
    lookup_secret: str


@router.get("/me/dossiers", response_model=list[OwnDossierOut])
async def own_dossiers(who: ApplicantDep, session: SessionDep) -> list[OwnDossierOut]:
    """An identified applicant's own dossiers, with the secret each one's self-service takes."""
    if not who.identified:
        raise Problem(403, "sign in with your identity to list your dossiers")
    return [
        OwnDossierOut(
            code=r.code,
            procedure_code=r.procedure_code,
            status=r.status,
            submitted_at=r.submitted_at,
            due_at=r.due_at,
            lookup_secret=r.lookup_secret,
        )
        for r in await service.own_dossiers(session, who)
    ]


@router.get("/identity/start", response_class=RedirectResponse, status_code=302)
async def identity_start(
    request: Request, settings: SettingsDep, next: str = ""
) -> RedirectResponse:
    """Begin the sign-in at the identity provider (authorization code with PKCE and state)."""
    http = request.app.state.identity.client()
    return await identity.start_response(settings, http, next_path=next)


@router.get("/identity/callback", response_model=TokenOut)
async def identity_callback(
    request: Request, settings: SettingsDep, code: str = "", state: str = "", error: str = ""
) -> Response:
    """The provider's redirect back: the code exchanged, the ID token checked, the
    applicant's name, id number and phone taken from its claims. Begun from a page (`next`),
    the token is kept in a cookie and the applicant goes back to that page."""
    http = request.app.state.identity.client()
    who, next_path = await identity.finish(
        settings, request, http, code=code, state=state, error=error
    )
    answer = _token_out(who, settings)
    if not next_path:
        return JSONResponse(answer.model_dump())
    response = RedirectResponse(next_path, status_code=303)
    service.set_session(response, answer.token, settings)
    response.delete_cookie(identity.STATE_COOKIE, path="/")
    return response
