"""Sign-in and sign-out of the console (the session cookie is `console.session`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from api.errors import Problem
from api.routes.auth import authenticate
from api.throttle import client_address, get_throttle
from console.render import (
    User,
    back_to,
    page,
    settings_of,
)
from console.session import (
    LOGIN_COOKIE,
    check_csrf,
    clear,
    issue,
    new_csrf,
    secure_cookies,
)

router = APIRouter(prefix="/console", include_in_schema=False)


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
        secure=secure_cookies(settings_of(request)),
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
            officer = await authenticate(
                session,
                get_throttle(request),
                username=username.strip(),
                password=password,
                address=client_address(request),
            )
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
    signed = RedirectResponse(back_to(next, "/console/"), status_code=303)
    issue(signed, settings_of(request), username=officer.username, csrf=new_csrf())
    signed.delete_cookie(LOGIN_COOKIE, path="/console")
    return signed


@router.post("/logout")
async def logout(user: User, csrf: Annotated[str, Form(max_length=100)] = "") -> Response:
    check_csrf(user.csrf, csrf)
    response = RedirectResponse("/console/login", status_code=303)
    clear(response)
    return response
