"""The identity provider behind an adapter: an OpenID Connect client (authorization code with
PKCE S256, `state` and `nonce`) for a VNeID-like provider. The provider's discovery document
gives its endpoints; its ID token (HS256 under the client secret, checked with PyJWT: issuer,
audience, expiry, nonce) gives the applicant's name, personal id number and phone. The
state, verifier and nonce travel in a short-lived signed cookie, never in the database."""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt
from fastapi import Request
from fastapi.responses import RedirectResponse

from api.applicant import ApplicantIdentity
from api.errors import Problem
from api.outbound import SharedClient
from config import Settings

STATE_COOKIE = "motcua_oidc"
STATE_AUDIENCE = "motcua-oidc-state"
STATE_TTL = timedelta(minutes=10)
CALLBACK_PATH = "/api/v1/public/identity/callback"
#: the claim carrying the personal identification number (số định danh cá nhân)
ID_NUMBER_CLAIM = "personal_id"


def provider_http() -> SharedClient:
    """The API's one client for the provider (a sign-in calls it three times: discovery twice,
    then the token), closed with the app."""
    return SharedClient(timeout=5)


def _require(settings: Settings) -> str:
    if not settings.identity_issuer_url:
        raise Problem(404, "sign-in with an identity provider is not configured here")
    return settings.identity_issuer_url.rstrip("/")


def redirect_uri(settings: Settings) -> str:
    return settings.public_base_url.rstrip("/") + CALLBACK_PATH


def challenge_of(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


async def discover(settings: Settings, http: httpx.AsyncClient) -> dict[str, Any]:
    issuer = _require(settings)
    try:
        answer = await http.get(f"{issuer}/.well-known/openid-configuration")
        answer.raise_for_status()
    except httpx.HTTPError as exc:
        raise Problem(503, f"the identity provider cannot be reached: {exc}") from None
    document: dict[str, Any] = answer.json()
    return document


def safe_next(next_path: str) -> str:
    """Only a path of this site: the sign-in cannot send the applicant elsewhere."""
    if next_path.startswith("/") and not next_path.startswith("//") and "\\" not in next_path:
        return next_path
    return ""


async def authorization_url(
    settings: Settings, http: httpx.AsyncClient, *, next_path: str = ""
) -> tuple[str, str]:
    """The provider's authorization address and the signed state cookie to set."""
    document = await discover(settings, http)
    state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    verifier = secrets.token_urlsafe(48)
    now = datetime.now(UTC)
    cookie = jwt.encode(
        {
            "aud": STATE_AUDIENCE,
            "iat": now,
            "exp": now + STATE_TTL,
            "state": state,
            "nonce": nonce,
            "verifier": verifier,
            "next": safe_next(next_path),
        },
        settings.jwt_secret,
        algorithm="HS256",
    )
    query = urlencode(
        {
            "response_type": "code",
            "client_id": settings.identity_client_id,
            "redirect_uri": redirect_uri(settings),
            "scope": "openid profile phone",
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge_of(verifier),
            "code_challenge_method": "S256",
        }
    )
    return f"{document['authorization_endpoint']}?{query}", cookie


async def start_response(
    settings: Settings, http: httpx.AsyncClient, *, next_path: str = ""
) -> RedirectResponse:
    url, cookie = await authorization_url(settings, http, next_path=next_path)
    response = RedirectResponse(url, status_code=302)
    response.set_cookie(
        STATE_COOKIE,
        cookie,
        max_age=int(STATE_TTL.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=settings.public_base_url.startswith("https://"),
        path="/",
    )
    return response


def _state_of(request: Request, settings: Settings) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            request.cookies.get(STATE_COOKIE, ""),
            settings.jwt_secret,
            algorithms=["HS256"],
            audience=STATE_AUDIENCE,
        )
    except jwt.PyJWTError:
        raise Problem(
            400, "Phiên đăng nhập đã hết hạn hoặc không hợp lệ; hãy đăng nhập lại."
        ) from None
    return claims


async def finish(
    settings: Settings,
    request: Request,
    http: httpx.AsyncClient,
    *,
    code: str,
    state: str,
    error: str = "",
) -> tuple[ApplicantIdentity, str]:
    """The verified identity (and where to go next) from the provider's redirect back."""
    issuer = _require(settings)
    if error:
        raise Problem(400, f"Đăng nhập không thành công ({error[:100]}).")
    claims = _state_of(request, settings)
    if not code or not secrets.compare_digest(str(claims["state"]), state):
        raise Problem(400, "the sign-in's state does not match; sign in again")
    document = await discover(settings, http)
    try:
        answer = await http.post(
            document["token_endpoint"],
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri(settings),
                "code_verifier": claims["verifier"],
            },
            auth=(settings.identity_client_id, settings.identity_client_secret),
        )
    except httpx.HTTPError as exc:
        raise Problem(503, f"the identity provider cannot be reached: {exc}") from None
    if answer.status_code != 200:
        raise Problem(400, f"the identity provider refused the sign-in: {answer.text[:200]}")
    id_token = str(answer.json().get("id_token", ""))
    try:
        facts = jwt.decode(
            id_token,
            settings.identity_client_secret,
            algorithms=["HS256"],
            audience=settings.identity_client_id,
            issuer=issuer,
            options={"require": ["iss", "aud", "exp", "iat", "sub", "nonce"]},
        )
    except jwt.PyJWTError as exc:
        raise Problem(400, f"the identity provider's ID token is not valid: {exc}") from None
    if not secrets.compare_digest(str(facts["nonce"]), str(claims["nonce"])):
        raise Problem(400, "the ID token's nonce does not match; sign in again")
    id_number = str(facts.get(ID_NUMBER_CLAIM) or facts["sub"])
    identity = ApplicantIdentity(
        kind="identity",
        name=str(facts.get("name", "")),
        id_number=id_number,
        phone=str(facts.get("phone_number", "")),
        email=str(facts.get("email", "")),
    )
    return identity, str(claims.get("next", ""))
