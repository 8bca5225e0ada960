"""Liveness, readiness and metrics for operators and orchestrators."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse
from sqlalchemy import func, select, text
from sqlmodel import col
from temporalio.api.workflowservice.v1 import GetSystemInfoRequest

from api.errors import problem_response
from db.clock_models import Escalation, Notification
from db.models import Dossier
from db.portal_models import PortalOutboxRecord
from db.refund_models import PaymentRefund

router = APIRouter(tags=["operations"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request):  # type: ignore[no-untyped-def]
    checks: dict[str, str] = {}
    try:
        async with request.app.state.sessions() as session:
            await session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # readiness reports, it does not raise
        checks["database"] = f"down: {type(exc).__name__}"
    client = request.app.state.temporal
    try:
        if client is None:
            raise RuntimeError("not connected")
        await client.workflow_service.get_system_info(GetSystemInfoRequest())
        checks["temporal"] = "ok"
    except Exception as exc:
        checks["temporal"] = f"down: {type(exc).__name__}"
    if all(v == "ok" for v in checks.values()):
        return {"status": "ready", "checks": checks}
    return problem_response(503, "not ready", checks=checks)


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> PlainTextResponse:
    """Gauges for Prometheus (text exposition format): dossiers by status, warnings and
    escalations issued, notifications and portal records still waiting."""
    queries = {
        "motcua_dossiers": (
            "dossiers in the read model, by status",
            select(col(Dossier.status), func.count()).group_by(col(Dossier.status)),
            "status",
        ),
        "motcua_notices": (
            "warnings and escalations issued",
            select(col(Escalation.kind), func.count()).group_by(col(Escalation.kind)),
            "kind",
        ),
        "motcua_notifications": (
            "notification outbox rows, by state",
            select(col(Notification.state), func.count()).group_by(col(Notification.state)),
            "state",
        ),
        "motcua_payment_refunds": (
            "payments taken by the gateway that must be refunded, by state",
            select(col(PaymentRefund.state), func.count()).group_by(col(PaymentRefund.state)),
            "state",
        ),
        "motcua_portal_records": (
            "portal sync outbox records, by state",
            select(col(PortalOutboxRecord.state), func.count()).group_by(
                col(PortalOutboxRecord.state)
            ),
            "state",
        ),
    }
    lines: list[str] = []
    async with request.app.state.sessions() as session:
        for name, (help_text, query, label) in queries.items():
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
            for value, count in (await session.execute(query)).all():
                lines.append(f'{name}{{{label}="{value}"}} {count}')
    return PlainTextResponse("\n".join(lines) + "\n", media_type="text/plain; version=0.0.4")
