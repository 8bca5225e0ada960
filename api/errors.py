"""Every error the API returns, as `application/problem+json` (RFC 9457), mapped in one place."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.client import WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.service import RPCError, RPCStatusCode

from domain.documents import DocumentRejected, RejectionReason
from domain.dossier import Forbidden, InvalidAction
from domain.lifecycle import IllegalTransition
from forms.dossier import FormNotApplicable

log = logging.getLogger(__name__)

PROBLEM = "application/problem+json"

TITLES = {
    400: "Bad request",
    401: "Not signed in",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict with the dossier's state",
    413: "File too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many attempts",
    500: "Internal error",
    503: "Service unavailable",
}


#: What a 503 tells the caller to wait before trying again.
RETRY_AFTER_SECONDS = 5
#: The workflow engine's answers that mean "not now" rather than "no".
ENGINE_AWAY = (
    RPCStatusCode.UNAVAILABLE,
    RPCStatusCode.DEADLINE_EXCEEDED,
    RPCStatusCode.RESOURCE_EXHAUSTED,
)


def engine_unavailable() -> Problem:
    return Problem(
        503,
        "the workflow engine is not reachable; try again shortly (with the same Idempotency-Key)",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


class Problem(Exception):
    """Raise from a route to answer with a problem document."""

    def __init__(
        self, status: int, detail: str, *, headers: dict[str, str] | None = None, **extra: Any
    ):
        self.status = status
        self.detail = detail
        self.headers = headers
        self.extra = extra
        super().__init__(detail)


def problem_response(
    status: int, detail: str, headers: dict[str, str] | None = None, **extra: Any
) -> JSONResponse:
    body = {"type": "about:blank", "title": TITLES.get(status, "Error"), "status": status}
    body["detail"] = detail
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def install(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def _problem(_: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc.status, exc.detail, headers=exc.headers, **exc.extra)

    @app.exception_handler(IllegalTransition)
    async def _illegal(_: Request, exc: IllegalTransition) -> JSONResponse:
        return problem_response(
            409,
            exc.reason,
            current_status=exc.status.value,
            allowed_actions=[a.value for a in exc.allowed],
        )

    @app.exception_handler(InvalidAction)
    async def _invalid(_: Request, exc: InvalidAction) -> JSONResponse:
        return problem_response(
            422,
            f"{exc.field}: {exc.message}",
            errors=[{"field": exc.field, "message": exc.message}],
        )

    @app.exception_handler(DocumentRejected)
    async def _rejected(_: Request, exc: DocumentRejected) -> JSONResponse:
        # over the size limit is 413 (the request is fine, the file is too big); an empty
        # file or one whose content is not an accepted type is 422
        status = 413 if exc.reason == RejectionReason.TOO_LARGE else 422
        return problem_response(status, str(exc), reason=exc.reason.value)

    @app.exception_handler(FormNotApplicable)
    async def _form(_: Request, exc: FormNotApplicable) -> JSONResponse:
        return problem_response(409, str(exc))

    @app.exception_handler(Forbidden)
    async def _forbidden(_: Request, exc: Forbidden) -> JSONResponse:
        return problem_response(403, str(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": _field_name(tuple(e.get("loc", ()))), "message": e.get("msg", "invalid")}
            for e in exc.errors()
        ]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "invalid input"
        return problem_response(422, detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "")
        return problem_response(exc.status_code, detail, headers=getattr(exc, "headers", None))

    @app.exception_handler(RPCError)
    async def _engine(_: Request, exc: RPCError) -> JSONResponse:
        if exc.status not in ENGINE_AWAY:
            log.exception("workflow engine error", exc_info=exc)
            return problem_response(500, "an unexpected error occurred; it has been logged")
        log.warning("workflow engine unavailable: %s", exc.message[:200])
        away = engine_unavailable()
        return problem_response(away.status, away.detail, headers=away.headers)

    @app.exception_handler(WorkflowUpdateRPCTimeoutOrCancelledError)
    async def _update_timeout(
        _: Request, exc: WorkflowUpdateRPCTimeoutOrCancelledError
    ) -> JSONResponse:
        # the update may still run: a retry with the same Idempotency-Key finds its outcome
        away = engine_unavailable()
        return problem_response(
            away.status,
            "the workflow engine did not answer in time; retry with the same Idempotency-Key",
            headers=away.headers,
        )

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return problem_response(500, "an unexpected error occurred; it has been logged")
