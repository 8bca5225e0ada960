"""The procedure catalogue (danh mục thủ tục hành chính)."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import SessionDep
from api.errors import Problem
from api.schemas import ComponentSpecOut, FeeOut, ProcedureOut, StepOut
from db.repository import get_procedure, list_procedures
from domain.procedures import Procedure

router = APIRouter(prefix="/procedures", tags=["procedures"])


def procedure_out(p: Procedure) -> ProcedureOut:
    return ProcedureOut(
        code=p.code,
        name=p.name,
        agency_code=p.agency_code,
        agency_name=p.agency_name,
        term_days=p.term_days,
        inter_agency=p.inter_agency,
        supplement_policy=p.supplement_policy.value,
        receipt_cutoff=p.receipt_cutoff,
        waiting_limit_days=p.waiting_limit_days,
        steps=[
            StepOut(index=i, **{k: getattr(s, k) for k in s.__dataclass_fields__})
            for i, s in enumerate(p.steps)
        ],
        fees=[FeeOut(**{k: getattr(f, k) for k in f.__dataclass_fields__}) for f in p.fees],
        fee_total=p.fee_total,
        lead_agency_code=p.lead_agency,
        stage_quorum=p.stage_quorum,
        components=[
            ComponentSpecOut(**{k: getattr(c, k) for k in c.__dataclass_fields__})
            for c in p.components
        ],
    )


@router.get("", response_model=list[ProcedureOut])
async def catalogue(session: SessionDep) -> list[ProcedureOut]:
    return [procedure_out(p) for p in await list_procedures(session)]


@router.get("/{code}", response_model=ProcedureOut)
async def one(code: str, session: SessionDep) -> ProcedureOut:
    procedure = await get_procedure(session, code=code)
    if procedure is None:
        raise Problem(404, f"there is no procedure with code {code!r}")
    return procedure_out(procedure)
