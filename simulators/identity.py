"""Identity-provider simulator (VNeID-like OpenID Connect provider) for `make run` and tests.

A real HTTP service: discovery (`/.well-known/openid-configuration`), an authorization page
where a demo citizen is picked (`GET /authorize`, approved by `POST /authorize`), and the
token endpoint (`POST /token`: authorization code, PKCE S256, client secret by HTTP Basic or
in the form). The ID token is HS256 under the client secret and carries `name`,
`personal_id` (số định danh cá nhân) and `phone_number`. Codes are single-use and short-lived.

    python -m simulators.identity --port 8103 --client-secret demo-identity-client-secret
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import html
import secrets
import time
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

import jwt
import uvicorn
from fastapi import FastAPI, Form, Header, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse

CODE_TTL_SECONDS = 120
ID_TOKEN_TTL_SECONDS = 600

#: The demo citizens one can sign in as.
CITIZENS: dict[str, dict[str, str]] = {
    "079190001234": {
        "name": "Nguyễn Thị Hoa",
        "phone_number": "0912345678",
        "email": "hoa.nguyen@example.vn",
        "birthdate": "1990-05-12",
    },
    "001085004321": {
        "name": "Trần Minh Quân",
        "phone_number": "0987654321",
        "email": "",
        "birthdate": "1985-11-02",
    },
}


@dataclass
class _Grant:
    client_id: str
    redirect_uri: str
    challenge: str
    nonce: str
    citizen: str
    expires: float


def create_app(*, issuer: str, client_id: str, client_secret: str) -> FastAPI:
    app = FastAPI(title="Identity provider simulator")
    grants: dict[str, _Grant] = {}
    issuer = issuer.rstrip("/")

    def _bad(error: str, description: str, status: int = 400) -> JSONResponse:
        return JSONResponse({"error": error, "error_description": description}, status)

    @app.get("/.well-known/openid-configuration")
    async def discovery() -> dict[str, Any]:
        return {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/authorize",
            "token_endpoint": f"{issuer}/token",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "code_challenge_methods_supported": ["S256"],
            "id_token_signing_alg_values_supported": ["HS256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "claims_supported": ["sub", "name", "personal_id", "phone_number", "email"],
        }

    def _check_request(params: dict[str, str]) -> str | None:
        if params.get("response_type") != "code":
            return "response_type must be code"
        if params.get("client_id") != client_id:
            return "unknown client_id"
        if not params.get("redirect_uri", "").startswith(("http://", "https://")):
            return "redirect_uri is required"
        if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
            return "PKCE (code_challenge, S256) is required"
        if not params.get("state") or not params.get("nonce"):
            return "state and nonce are required"
        return None

    @app.get("/authorize", response_class=HTMLResponse)
    async def authorize_page(request: Request) -> HTMLResponse:
        params = dict(request.query_params)
        problem = _check_request(params)
        if problem:
            return HTMLResponse(f"<p>{html.escape(problem)}</p>", status_code=400)
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in params.items()
            if k != "citizen"
        )
        options = "".join(
            f'<button type="submit" name="citizen" value="{n}">'
            f"{html.escape(c['name'])} ({n})</button>"
            for n, c in CITIZENS.items()
        )
        return HTMLResponse(
            '<!doctype html><html lang="vi"><meta charset="utf-8">'
            "<title>Định danh điện tử (mô phỏng)</title>"
            "<h1>Đăng nhập bằng tài khoản định danh điện tử (mô phỏng)</h1>"
            f'<form method="post" action="/authorize">{hidden}'
            f"<p>Chọn công dân:</p>{options}</form></html>"
        )

    @app.post("/authorize")
    async def approve(request: Request) -> Any:
        form = await request.form()
        params = {k: str(v) for k, v in form.items()}
        problem = _check_request(params)
        if problem:
            return _bad("invalid_request", problem)
        citizen = params.get("citizen", "")
        if citizen not in CITIZENS:
            return _bad("access_denied", "no such citizen")
        code = secrets.token_urlsafe(24)
        grants[code] = _Grant(
            client_id=params["client_id"],
            redirect_uri=params["redirect_uri"],
            challenge=params["code_challenge"],
            nonce=params["nonce"],
            citizen=citizen,
            expires=time.monotonic() + CODE_TTL_SECONDS,
        )
        target = params["redirect_uri"]
        target += ("&" if "?" in target else "?") + urlencode(
            {"code": code, "state": params["state"]}
        )
        return RedirectResponse(target, status_code=302)

    @app.post("/token")
    async def token(
        grant_type: Annotated[str, Form()],
        code: Annotated[str, Form()],
        redirect_uri: Annotated[str, Form()],
        code_verifier: Annotated[str, Form()],
        client_id_form: Annotated[str, Form(alias="client_id")] = "",
        client_secret_form: Annotated[str, Form(alias="client_secret")] = "",
        authorization: Annotated[str, Header()] = "",
    ) -> Any:
        presented_id, presented_secret = client_id_form, client_secret_form
        if authorization.startswith("Basic "):
            try:
                decoded = base64.b64decode(authorization[6:]).decode()
            except ValueError:
                return _bad("invalid_client", "malformed Basic credentials", 401)
            presented_id, _, presented_secret = decoded.partition(":")
        if presented_id != client_id or not secrets.compare_digest(
            presented_secret.encode(), client_secret.encode()
        ):
            return _bad("invalid_client", "client authentication failed", 401)
        if grant_type != "authorization_code":
            return _bad("unsupported_grant_type", "only authorization_code")
        grant = grants.pop(code, None)  # single use
        if grant is None or grant.expires < time.monotonic():
            return _bad("invalid_grant", "unknown, used or expired code")
        if grant.redirect_uri != redirect_uri or grant.client_id != presented_id:
            return _bad("invalid_grant", "redirect_uri does not match")
        digest = hashlib.sha256(code_verifier.encode()).digest()
        if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != grant.challenge:
            return _bad("invalid_grant", "PKCE verification failed")
        citizen = CITIZENS[grant.citizen]
        now = int(time.time())
        claims = {
            "iss": issuer,
            "aud": client_id,
            "sub": grant.citizen,
            "iat": now,
            "exp": now + ID_TOKEN_TTL_SECONDS,
            "nonce": grant.nonce,
            "personal_id": grant.citizen,
            **citizen,
        }
        return {
            "access_token": secrets.token_urlsafe(24),
            "token_type": "Bearer",
            "expires_in": ID_TOKEN_TTL_SECONDS,
            "id_token": jwt.encode(claims, client_secret, algorithm="HS256"),
        }

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Identity-provider (OIDC) simulator.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8103)
    parser.add_argument("--issuer", default="", help="default: http://HOST:PORT")
    parser.add_argument("--client-id", default="motcua")
    parser.add_argument("--client-secret", default="demo-identity-client-secret")
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    issuer = args.issuer or f"http://{args.host}:{args.port}"
    app = create_app(issuer=issuer, client_id=args.client_id, client_secret=args.client_secret)
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)


if __name__ == "__main__":
    main()
