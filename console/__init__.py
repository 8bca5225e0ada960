"""The one-stop console (giao diện một cửa): server-rendered pages under /console for the
desk, officers, unit heads and the province, over the API's own services."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from console import (
    applicant,
    catalogue,
    dossier_page,
    operations,
    province,
    queue_page,
    reception,
    signin,
)
from console.render import page
from console.session import CsrfRejected, SignInRequired

STATIC = Path(__file__).parent / "static"


def install(app: FastAPI) -> None:
    """Mount the console's pages and its vendored assets on the application."""
    for pages in (
        signin,
        queue_page,
        dossier_page,
        reception,
        province,
        operations,
        catalogue,
        applicant,
    ):
        app.include_router(pages.router)
    app.mount("/console/static", StaticFiles(directory=STATIC), name="console-static")

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, _: SignInRequired) -> Response:
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        target = "/console/login"
        if request.method == "GET" and here not in ("/console/", "/console"):
            target += "?next=" + quote(here, safe="")
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(CsrfRejected)
    async def _csrf(request: Request, _: CsrfRejected) -> Response:
        return page(
            request,
            None,
            "error.html",
            403,
            status=403,
            detail="Biểu mẫu đã hết hạn hoặc không hợp lệ; mở lại trang và thử lại.",
        )
