"""The statutory forms of a dossier as PDF (Circular 01/2018/TT-VPCP, Mẫu 01–05)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Response
from sqlalchemy import select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from api.deps import CurrentOfficer, SessionDep, SettingsDep
from api.errors import Problem
from api.routes.dossiers import _visible as visible_dossier
from db.models import Dossier, Officer
from db.repository import dossier_components, dossier_steps, dossier_timeline, get_procedure
from domain.forms import StatutoryForm
from forms import render_form
from forms.dossier import DossierRecord, form_data

router = APIRouter(prefix="/dossiers", tags=["forms"])


async def dossier_record(
    session: AsyncSession, row: Dossier, *, public_base_url: str = ""
) -> DossierRecord:
    procedure = await get_procedure(session, code=row.procedure_code, version=row.procedure_version)
    steps = await dossier_steps(session, code=row.code)
    timeline = await dossier_timeline(session, code=row.code)
    usernames = {s.handled_by for s in steps if s.handled_by} | {t.actor for t in timeline}
    officers = await session.scalars(select(Officer).where(col(Officer.username).in_(usernames)))
    return DossierRecord(
        dossier=row,
        procedure_name=procedure.name if procedure else row.procedure_code,
        agency_name=procedure.agency_name if procedure else row.agency_code,
        term_days=procedure.term_days if procedure else 0,
        steps=steps,
        timeline=timeline,
        components=await dossier_components(session, code=row.code),
        officers={o.username: o for o in officers},
        public_base_url=public_base_url,
    )


@router.get(
    "/{code}/forms/{number}.pdf",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}}},
        409: {"description": "the form does not apply to the dossier (yet)"},
    },
)
async def statutory_form(
    code: str, number: int, officer: CurrentOfficer, session: SessionDep, settings: SettingsDep
) -> Response:
    """01 receipt and appointment, 02 supplement request (latest), 03 refusal, 04 apology and
    new appointment, 05 processing-control slip."""
    row = await visible_dossier(session, officer, code)
    try:
        form = StatutoryForm(number)
    except ValueError:
        raise Problem(404, f"there is no form {number:02d}; the forms are 01 to 05") from None
    data = form_data(
        form,
        await dossier_record(session, row, public_base_url=settings.public_base_url),
        datetime.now(UTC),
    )
    return Response(
        render_form(form.value, data),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="mau-{form.value:02d}-{code}.pdf"'},
    )
