"""The console's sign-in session: a signed cookie (a JWT with the API's secret, its own
audience so that it is never taken for a bearer token), renewed while used, with the
per-session CSRF token every form sends back."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt
from fastapi import Request, Response

from api.security import ALGORITHM
from config import Settings
from db.models import Officer
from db.repository import get_officer

COOKIE = "motcua_console"
#: The sign-in page's own CSRF cookie (double submit): there is no session to hold it yet.
LOGIN_COOKIE = "motcua_console_login"
AUDIENCE = "motcua-console"
#: Signed out after this long without a page being opened.
IDLE = timedelta(hours=8)
#: A session older than this is re-issued on the next page, which is what makes IDLE idle.
RENEW_AFTER = timedelta(minutes=5)


class SignInRequired(Exception):
    """Raised by `signed_in`; the console answers with a redirect to the sign-in page."""


class CsrfRejected(Exception):
    """A form came back without this session's token."""


@dataclass
class ConsoleUser:
    officer: Officer
    csrf: str
    issued_at: datetime

    @property
    def role(self) -> str:
        return self.officer.role


def secure_cookies(settings: Settings) -> bool:
    """Secure cookies in production; plain HTTP works on a developer's machine. Reads the
    `environment` setting when the tree has it (MOTCUA_ENVIRONMENT)."""
    return getattr(settings, "environment", "development") == "production"


def issue(response: Response, settings: Settings, *, username: str, csrf: str) -> None:
    now = datetime.now(UTC)
    claims = {"sub": username, "csrf": csrf, "aud": AUDIENCE, "iat": now, "exp": now + IDLE}
    response.set_cookie(
        COOKIE,
        jwt.encode(claims, settings.jwt_secret, algorithm=ALGORITHM),
        max_age=int(IDLE.total_seconds()),
        path="/console",
        httponly=True,
        samesite="lax",
        secure=secure_cookies(settings),
    )


def clear(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/console")


def renew(response: Response, settings: Settings, user: ConsoleUser) -> Response:
    """Slide the idle expiry forward (at most once every RENEW_AFTER)."""
    if datetime.now(UTC) - user.issued_at > RENEW_AFTER:
        issue(response, settings, username=user.officer.username, csrf=user.csrf)
    return response


async def signed_in(request: Request) -> ConsoleUser:
    """The officer of the session cookie, or SignInRequired."""
    settings: Settings = request.app.state.settings
    token = request.cookies.get(COOKIE)
    if not token:
        raise SignInRequired
    try:
        claims = jwt.decode(
            token,
            settings.jwt_secret,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            options={"require": ["sub", "csrf", "exp", "iat"]},
        )
    except jwt.PyJWTError:
        raise SignInRequired from None
    async with request.app.state.sessions() as session:
        officer = await get_officer(session, username=str(claims["sub"]))
    if officer is None:  # deactivated since signing in
        raise SignInRequired
    issued = datetime.fromtimestamp(int(claims["iat"]), UTC)
    return ConsoleUser(officer=officer, csrf=str(claims["csrf"]), issued_at=issued)


def new_csrf() -> str:
    return secrets.token_urlsafe(24)


def check_csrf(expected: str, sent: str | None) -> None:
    if not sent or not secrets.compare_digest(expected, sent):
        raise CsrfRejected
