"""Sign-in: OAuth2 password form → bearer token."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.security import OAuth2PasswordRequestForm
from sqlmodel.ext.asyncio.session import AsyncSession

from api.deps import CurrentOfficer, SessionDep, SettingsDep
from api.errors import Problem
from api.schemas import Me, Token
from api.security import create_token, verify_password_or_dummy
from api.throttle import Throttle, Throttled, client_address, throttle_dep
from db.models import Officer
from db.repository import get_officer
from domain.throttle import ACCOUNT, ADDRESS

router = APIRouter(prefix="/auth", tags=["auth"])


async def authenticate(
    session: AsyncSession, throttle: Throttle, *, username: str, password: str, address: str
) -> Officer:
    """The active officer with this password: the one check behind every sign-in (the API's
    token and the console's session), throttled per account and per address. Too many
    failures lock them for a while (429); an unknown user is checked against a dummy hash,
    in as long as a known one."""
    account = Throttled(f"account:{username[:150]}", ACCOUNT)
    where = Throttled(f"address:{address}", ADDRESS)
    await throttle.refuse_if_locked([account, where], "sign-ins")
    officer = await get_officer(session, username=username)
    known_hash = officer.password_hash if officer is not None else None
    # bcrypt off the event loop
    if not await asyncio.to_thread(verify_password_or_dummy, password, known_hash):
        await throttle.failed([account, where])
        raise Problem(401, "wrong username or password")
    assert officer is not None
    await throttle.succeeded([account])
    return officer


@router.post(
    "/token",
    response_model=Token,
    responses={429: {"description": "too many failed sign-ins; see Retry-After"}},
)
async def token(
    request: Request,
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    settings: SettingsDep,
    throttle: Annotated[Throttle, Depends(throttle_dep)],
) -> Token:
    """Sign in. Tokens last `MOTCUA_JWT_TTL_MINUTES` (30 min): sign in again after that."""
    officer = await authenticate(
        session,
        throttle,
        username=form.username,
        password=form.password,
        address=client_address(request),
    )
    return Token(
        access_token=create_token(
            officer.username, secret=settings.jwt_secret, ttl_minutes=settings.jwt_ttl_minutes
        ),
        expires_in=settings.jwt_ttl_minutes * 60,
    )


@router.get("/me", response_model=Me)
async def me(officer: CurrentOfficer) -> Me:
    return Me(
        username=officer.username,
        full_name=officer.full_name,
        role=officer.role,
        agency_code=officer.agency_code,
        unit_code=officer.unit_code,
    )
