"""The applicant's own online filing (channel 2, without a clerk), shared by the public API
(api/routes/applicant.py) and the public page (console/applicant.py): the one-time code to
the applicant's contact, the applicant's bearer token (from that code or from a verified
identity), and the filing itself — the desk's `services.submit` with the applicant as actor,
then each component uploaded through the desk's own document service."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from fastapi import Response, UploadFile
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from api import documents as document_service
from api import services
from api.errors import Problem
from api.pdf_safety import refuse_active_content
from api.schemas import ApplicantIn, SubmitIn
from api.storage import DocumentStore
from api.throttle import Throttle, Throttled
from config import Settings
from db.clock_models import Notification
from db.models import Dossier
from db.repository import get_procedure
from db.verification_models import OtpChallenge
from domain import verification
from domain.documents import SNIFF_BYTES, DocumentKind, validate_upload
from domain.dossier import Actor, Channel, InvalidAction, Role
from domain.throttle import ADDRESS, ThrottlePolicy
from domain.verification import Challenge, ContactChannel, Outcome

#: the `aud` of an applicant's token: an officer's token has none, so neither is taken for
#: the other
AUDIENCE = "motcua-applicant"
ALGORITHM = "HS256"
#: how long the applicant's token (after the code or the identity sign-in) lasts
TOKEN_TTL = timedelta(minutes=30)
#: codes sent from one address, counted like failures: a few free, then waits that double
CODE_SENDS = ThrottlePolicy(10, timedelta(seconds=60), timedelta(minutes=30), timedelta(hours=1))


@dataclass(frozen=True)
class ApplicantIdentity:
    """Who holds an applicant token: a verified contact (after the code) or a verified
    identity (after the identity provider's sign-in: name, id number, phone)."""

    kind: str  # "contact" | "identity"
    contact: str = ""
    channel: str = ""
    challenge_id: str = ""
    name: str = ""
    id_number: str = ""
    phone: str = ""
    email: str = ""

    @property
    def identified(self) -> bool:
        return self.kind == "identity"


#: the applicant's token kept by the browser for the public pages
SESSION_COOKIE = "motcua_applicant"


def set_session(response: Response, token: str, settings: Settings) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(TOKEN_TTL.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=settings.public_base_url.startswith("https://"),
        path="/",
    )


def issue_token(identity: ApplicantIdentity, *, secret: str) -> str:
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "aud": AUDIENCE,
        "sub": identity.id_number if identity.identified else identity.contact,
        "iat": now,
        "exp": now + TOKEN_TTL,
        "kind": identity.kind,
        "contact": identity.contact,
        "channel": identity.channel,
        "challenge": identity.challenge_id,
        "name": identity.name,
        "id_number": identity.id_number,
        "phone": identity.phone,
        "email": identity.email,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def identity_of(token: str | None, *, secret: str) -> ApplicantIdentity | None:
    if not token:
        return None
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            options={"require": ["sub", "exp", "iat", "aud"]},
        )
    except jwt.PyJWTError:
        return None
    if claims.get("kind") not in ("contact", "identity"):
        return None
    return ApplicantIdentity(
        kind=claims["kind"],
        contact=str(claims.get("contact", "")),
        channel=str(claims.get("channel", "")),
        challenge_id=str(claims.get("challenge", "")),
        name=str(claims.get("name", "")),
        id_number=str(claims.get("id_number", "")),
        phone=str(claims.get("phone", "")),
        email=str(claims.get("email", "")),
    )


def _challenge(row: OtpChallenge) -> Challenge:
    return Challenge(
        id=row.id,
        channel=ContactChannel(row.channel),
        contact=row.contact,
        code_hash=row.code_hash,
        sent_at=row.sent_at.astimezone(UTC),
        sends=row.sends,
        attempts=row.attempts,
        verified_at=row.verified_at.astimezone(UTC) if row.verified_at else None,
    )


def _keep(row: OtpChallenge, challenge: Challenge) -> None:
    row.code_hash = challenge.code_hash
    row.sent_at = challenge.sent_at
    row.sends = challenge.sends
    row.attempts = challenge.attempts
    row.verified_at = challenge.verified_at


def _notification(challenge: Challenge, code: str, now: datetime) -> Notification:
    """The code through the notification outbox: e-mail to an address, SMS to a phone."""
    subject, body = verification.message_of(code)
    return Notification(
        dossier_code=f"otp-{challenge.id}",
        escalation_key=f"otp:{challenge.sends}",
        channel=challenge.channel.value,
        recipient=challenge.contact,
        address=challenge.contact,
        subject=subject,
        body=body,
        created_at=now,
    )


def _sends_from(address: str) -> list[Throttled]:
    return [Throttled(f"otp-send-address:{address}", CODE_SENDS)]


async def request_code(
    session: AsyncSession, settings: Settings, throttle: Throttle, contact: str, address: str
) -> OtpChallenge:
    """Open a challenge for `contact` and queue its code. 422 for a contact that is neither
    an address nor a mobile number; 429 once this address has asked for too many."""
    keys = _sends_from(address)
    await throttle.refuse_if_locked(keys, "code requests")
    now = datetime.now(UTC)
    try:
        challenge, code = verification.open_challenge(
            uuid.uuid4().hex, contact, settings.jwt_secret, now
        )
    except verification.InvalidContact as exc:
        raise InvalidAction("contact", str(exc)) from None
    row = OtpChallenge(
        id=challenge.id,
        channel=challenge.channel.value,
        contact=challenge.contact,
        code_hash=challenge.code_hash,
        sent_at=now,
        created_at=now,
    )
    session.add(row)
    session.add(_notification(challenge, code, now))
    await session.commit()
    await throttle.failed(keys)  # every send counts towards the address's allowance
    return row


async def _challenge_row(session: AsyncSession, challenge_id: str) -> OtpChallenge:
    row = await session.get(OtpChallenge, challenge_id[:40])
    if row is None:
        raise Problem(404, "Không tìm thấy yêu cầu xác thực này; hãy yêu cầu gửi mã mới.")
    return row


async def resend_code(
    session: AsyncSession, settings: Settings, throttle: Throttle, challenge_id: str, address: str
) -> OtpChallenge:
    keys = _sends_from(address)
    await throttle.refuse_if_locked(keys, "code requests")
    row = await _challenge_row(session, challenge_id)
    now = datetime.now(UTC)
    challenge = _challenge(row)
    refused = verification.resend_refused(challenge, now)
    if refused:
        raise Problem(429, refused)
    challenge, code = verification.resent(challenge, settings.jwt_secret, now)
    _keep(row, challenge)
    session.add(row)
    session.add(_notification(challenge, code, now))
    await session.commit()
    await throttle.failed(keys)
    return row


async def confirm_code(
    session: AsyncSession,
    settings: Settings,
    throttle: Throttle,
    challenge_id: str,
    code: str,
    address: str,
) -> ApplicantIdentity:
    """The verified contact for the right code. A wrong one is refused (400) and counted on
    the challenge (spent after a few: 429) and on the caller's address (429 with Retry-After)."""
    keys = [Throttled(f"otp-address:{address}", ADDRESS)]
    await throttle.refuse_if_locked(keys, "verification codes")
    row = await _challenge_row(session, challenge_id)
    outcome, challenge = verification.verify(
        _challenge(row), code, settings.jwt_secret, datetime.now(UTC)
    )
    if outcome != Outcome.VERIFIED:
        if challenge.attempts != row.attempts:
            _keep(row, challenge)
            session.add(row)
            await session.commit()
            await throttle.failed(keys)
        status = {Outcome.WRONG: 400, Outcome.EXPIRED: 410, Outcome.USED: 409}.get(outcome, 429)
        left = verification.POLICY.max_attempts - challenge.attempts
        detail = verification.MESSAGES[outcome]
        if outcome == Outcome.WRONG:
            detail += f" Còn {left} lần thử."
        raise Problem(status, detail, attempts_left=max(left, 0))
    _keep(row, challenge)
    session.add(row)
    await session.commit()
    return ApplicantIdentity(
        kind="contact", contact=row.contact, channel=row.channel, challenge_id=row.id
    )


@dataclass(frozen=True)
class Filed:
    code: str
    lookup_secret: str
    created: bool


async def _validated(files: dict[str, UploadFile], max_bytes: int) -> None:
    """Every file checked by content before anything is filed (the desk's own rules), so a
    bad file refuses the filing rather than leaving half a dossier."""
    for file in files.values():
        head = await file.read(SNIFF_BYTES)
        size = file.size if file.size is not None else len(head)
        document_type = validate_upload(file.filename, head, size, max_bytes)
        await refuse_active_content(file, document_type)
        await file.seek(0)


async def file_online(
    *,
    session: AsyncSession,
    client: Client,
    store: DocumentStore,
    settings: Settings,
    identity: ApplicantIdentity,
    procedure_code: str,
    applicant: ApplicantIn,
    files: dict[str, UploadFile],
    idempotency_key: str | None = None,
) -> Filed:
    """File an online dossier as the applicant: every required component uploaded, the fees
    paid online. With a code-verified contact, the challenge files one dossier: a repeated
    request answers that dossier again."""
    if identity.kind == "contact":
        challenge = await _challenge_row(session, identity.challenge_id)
        if challenge.verified_at is None:
            raise Problem(401, "Chưa xác thực mã OTP.")
        if challenge.dossier_code:
            earlier = await session.get(Dossier, challenge.dossier_code)
            if earlier is not None:
                return Filed(earlier.code, earlier.lookup_secret, created=False)
        # the verified contact is the applicant's, whatever the form said
        if identity.channel == ContactChannel.EMAIL:
            applicant = applicant.model_copy(update={"email": identity.contact})
        else:
            applicant = applicant.model_copy(update={"phone": identity.contact})
        idempotency_key = f"otp-{challenge.id}"
    else:
        # the identity provider's facts are the applicant's
        update = {"name": identity.name, "id_number": identity.id_number}
        if identity.phone:
            update["phone"] = identity.phone
        applicant = applicant.model_copy(update=update)
        idempotency_key = f"vneid-{idempotency_key}"[:200] if idempotency_key else None
    procedure = await get_procedure(session, code=procedure_code)
    if procedure is None:
        raise InvalidAction("procedure_code", f"there is no procedure {procedure_code!r}")
    known = {c.code for c in procedure.components}
    unknown = sorted(set(files) - known)
    if unknown:
        raise InvalidAction("files", f"{', '.join(unknown)} is not a component of {procedure.code}")
    missing = [c.name for c in procedure.components if c.required and c.code not in files]
    if missing:
        raise InvalidAction("files", "Thiếu thành phần hồ sơ bắt buộc: " + "; ".join(missing))
    await _validated(files, settings.max_upload_bytes)
    actor = Actor(username="applicant", full_name=applicant.name, role=Role.APPLICANT)
    body = SubmitIn(
        procedure_code=procedure.code,
        channel=Channel.ONLINE,
        applicant=applicant,
        components=sorted(files),
        pay_online=True,
    )
    submitted = await services.submit(
        session=session,
        client=client,
        body=body,
        actor=actor,
        task_queue=settings.task_queue,
        idempotency_key=idempotency_key,
        rating_window_days=settings.rating_window_days,
    )
    row = await session.get(Dossier, submitted.code)
    assert row is not None
    if identity.kind == "contact":
        challenge.dossier_code = submitted.code
        session.add(challenge)
        await session.commit()
    if submitted.created:
        for component_code, file in sorted(files.items()):
            await document_service.upload(
                session=session,
                client=client,
                store=store,
                row=row,
                actor=actor,
                file=file,
                kind=DocumentKind.COMPONENT,
                component_code=component_code,
                max_bytes=settings.max_upload_bytes,
            )
    return Filed(row.code, row.lookup_secret, created=submitted.created)


async def own_dossiers(session: AsyncSession, identity: ApplicantIdentity) -> list[Dossier]:
    """An identified applicant's dossiers (by the id number the identity provider gave)."""
    if not identity.identified or not identity.id_number:
        return []
    rows = await session.scalars(
        select(Dossier)
        .where(col(Dossier.applicant_id_number) == identity.id_number)
        .order_by(col(Dossier.submitted_at).desc())
        .limit(100)
    )
    return list(rows)
