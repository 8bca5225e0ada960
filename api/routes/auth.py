"""Sign-in: OAuth2 password form → bearer token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm
from sqlmodel.ext.asyncio.session import AsyncSession

from api.deps import CurrentOfficer, SessionDep, SettingsDep
from api.errors import Problem
from api.schemas import Me, Token
from api.security import create_token, verify_password
from db.models import Officer
from db.repository import get_officer

router = APIRouter(prefix="/auth", tags=["auth"])


async def authenticate(session: AsyncSession, *, username: str, password: str) -> Officer:
    """The active officer with this password; the one check behind every sign-in (the API's
    token and the console's session), so that a rule added here holds for both."""
    officer = await get_officer(session, username=username)
    if officer is None or not verify_password(password, officer.password_hash):
        raise Problem(401, "wrong username or password")
    return officer


@router.post("/token", response_model=Token)
async def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    session: SessionDep,
    settings: SettingsDep,
) -> Token:
    officer = await authenticate(session, username=form.username, password=form.password)
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
