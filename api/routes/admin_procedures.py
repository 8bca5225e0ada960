"""The catalogue as managed data (quản lý danh mục thủ tục): an admin creates a procedure,
edits its draft, publishes it with the moment it takes effect and retires it. A published
version never changes; dossiers stay pinned to the version they were submitted under."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Request
from pydantic import BaseModel, Field, ValidationError
from sqlmodel import col, select

from api.audit import record as audit
from api.deps import CurrentOfficer, SessionDep
from api.errors import Problem
from api.timeutil import UTCDateTime
from db.audit import snapshot
from db.models import Agency, ProcedureRecord, ProcedureVersion, Unit
from db.repository import PROCEDURE_ADAPTER, procedure_to_json
from domain.procedures import Procedure, ProcedureError

router = APIRouter(prefix="/admin/procedures", tags=["catalogue administration"])
Code = Annotated[str, Path(min_length=1, max_length=60)]
Number = Annotated[int, Path(ge=1, le=100_000)]


class VersionOut(BaseModel):
    procedure_code: str
    version: int
    state: str = Field(description="draft, published or retired")
    effective_from: UTCDateTime | None
    published_at: UTCDateTime | None
    published_by: str
    created_by: str
    definition: dict[str, Any]


class PublishIn(BaseModel):
    effective_from: UTCDateTime | None = Field(
        default=None, description="when new dossiers start to use it (now when omitted)"
    )


def _admin(officer: CurrentOfficer) -> None:
    if officer.role != "admin":
        raise Problem(403, "only a system administrator manages the catalogue")


def _out(row: ProcedureVersion) -> VersionOut:
    return VersionOut.model_validate(row, from_attributes=True)


async def _checked(session: SessionDep, code: str, body: dict[str, Any]) -> Procedure:
    """The definition as a usable procedure of this code, or 422 saying what is wrong."""
    try:
        # a new definition has its results approved by the unit head unless it says otherwise
        definition = {"approver_role": "unit_head", **body, "code": code}
        procedure = PROCEDURE_ADAPTER.validate_python(definition).validate()
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise Problem(422, f"{where}: {first['msg']}") from None
    except ProcedureError as error:
        raise Problem(422, str(error)) from None
    for agency in {procedure.agency_code, *(s.agency_code for s in procedure.steps)}:
        if await session.get(Agency, agency) is None:
            raise Problem(422, f"there is no agency {agency!r} in the org chart")
    for n, step in enumerate(procedure.steps, start=1):
        # a branch is answered by its unit's officers: the unit must exist, in that agency
        unit = await session.get(Unit, step.unit_code)
        if unit is None or unit.agency_code != step.agency_code:
            raise Problem(
                422,
                f"steps.{n}: there is no unit {step.unit_code!r} in agency {step.agency_code!r} "
                "of the org chart",
            )
    return procedure


async def _versions(session: SessionDep, code: str) -> list[ProcedureVersion]:
    rows = await session.scalars(
        select(ProcedureVersion)
        .where(col(ProcedureVersion.procedure_code) == code)
        .order_by(col(ProcedureVersion.version))
    )
    return list(rows)


async def _record(session: SessionDep, code: str) -> ProcedureRecord:
    record = await session.get(ProcedureRecord, code)
    if record is None:
        raise Problem(404, f"there is no procedure {code!r}")
    return record


async def _first_version(session: SessionDep, record: ProcedureRecord) -> list[ProcedureVersion]:
    """The versions of a procedure; a catalogue entry from before versions existed becomes
    its own published version 1 first."""
    versions = await _versions(session, record.code)
    if not versions:
        first = ProcedureVersion(
            procedure_code=record.code,
            version=1,
            state="published",
            definition=record.definition,
            created_by="catalogue",
            published_by="catalogue",
        )
        session.add(first)
        versions = [first]
    return versions


class VersionBrief(BaseModel):
    version: int
    state: str
    effective_from: UTCDateTime | None


class ProcedureSummary(BaseModel):
    """A procedure of the catalogue with its versions (their definitions left out)."""

    code: str
    name: str
    agency_code: str
    active: bool
    versions: list[VersionBrief]


@router.get("", response_model=list[ProcedureSummary])
async def catalogue(officer: CurrentOfficer, session: SessionDep) -> list[ProcedureSummary]:
    """Every procedure, in force, drafted or retired, with its versions."""
    _admin(officer)
    records = list(
        await session.scalars(select(ProcedureRecord).order_by(col(ProcedureRecord.code)))
    )
    by_code: dict[str, list[VersionBrief]] = {}
    for v in await session.scalars(
        select(ProcedureVersion).order_by(col(ProcedureVersion.version))
    ):
        by_code.setdefault(v.procedure_code, []).append(
            VersionBrief(version=v.version, state=v.state, effective_from=v.effective_from)
        )
    return [
        ProcedureSummary(
            code=r.code,
            name=r.name,
            agency_code=r.agency_code,
            active=r.active,
            # an entry from before versions existed is its own published version 1
            versions=by_code.get(r.code)
            or [VersionBrief(version=1, state="published", effective_from=None)],
        )
        for r in records
    ]


@router.get("/{code}/versions", response_model=list[VersionOut])
async def versions(code: Code, officer: CurrentOfficer, session: SessionDep) -> list[VersionOut]:
    _admin(officer)
    record = await _record(session, code)
    return [_out(v) for v in await _first_version(session, record)]


@router.post("", response_model=VersionOut, status_code=201)
async def create(
    officer: CurrentOfficer,
    session: SessionDep,
    request: Request,
    body: Annotated[dict[str, Any], Body()],
) -> VersionOut:
    """A new procedure as its draft version 1 (in the domain's shape: code, name, agency,
    term, steps, components, fees, supplement policy, limits); no dossier can use it until
    it is published."""
    _admin(officer)
    code = str(body.get("code", "")).strip()
    if not code or len(code) > 60:
        raise Problem(422, "code: the procedure needs a code of at most 60 characters")
    if await session.get(ProcedureRecord, code) is not None:
        raise Problem(409, f"procedure {code!r} exists; add a version to it instead")
    procedure = await _checked(session, code, body)
    session.add(
        ProcedureRecord(
            code=code,
            name=procedure.name,
            agency_code=procedure.agency_code,
            term_days=procedure.term_days,
            definition=procedure_to_json(procedure),
            active=False,
        )
    )
    await session.flush()
    draft = ProcedureVersion(
        procedure_code=code,
        version=1,
        definition=procedure_to_json(procedure),
        created_by=officer.username,
        created_at=datetime.now(UTC),
    )
    session.add(draft)
    audit(request, session, officer, "procedure", f"{code}/1", "create", None, snapshot(draft))
    await session.commit()
    return _out(draft)


@router.post("/{code}/versions", response_model=VersionOut, status_code=201)
async def revise(
    code: Code,
    officer: CurrentOfficer,
    session: SessionDep,
    request: Request,
    body: Annotated[dict[str, Any], Body()],
) -> VersionOut:
    """A new draft version of a procedure; its running dossiers keep theirs."""
    _admin(officer)
    record = await _record(session, code)
    existing = await _first_version(session, record)
    if any(v.state == "draft" for v in existing):
        raise Problem(409, f"procedure {code!r} already has a draft; edit or publish it first")
    procedure = await _checked(session, code, body)
    draft = ProcedureVersion(
        procedure_code=code,
        version=existing[-1].version + 1,
        definition=procedure_to_json(procedure),
        created_by=officer.username,
        created_at=datetime.now(UTC),
    )
    session.add(draft)
    key = f"{code}/{draft.version}"
    audit(request, session, officer, "procedure", key, "revise", None, snapshot(draft))
    await session.commit()
    return _out(draft)


async def _draft(session: SessionDep, code: str, number: int) -> ProcedureVersion:
    row = await session.get(ProcedureVersion, (code, number))
    if row is None:
        raise Problem(404, f"procedure {code!r} has no version {number}")
    if row.state != "draft":
        raise Problem(409, f"version {number} of {code!r} is {row.state}: it never changes")
    return row


@router.put("/{code}/versions/{number}", response_model=VersionOut)
async def edit(
    code: Code,
    number: Number,
    officer: CurrentOfficer,
    session: SessionDep,
    request: Request,
    body: Annotated[dict[str, Any], Body()],
) -> VersionOut:
    _admin(officer)
    row = await _draft(session, code, number)
    before = snapshot(row)
    row.definition = procedure_to_json(await _checked(session, code, body))
    session.add(row)
    audit(request, session, officer, "procedure", f"{code}/{number}", "edit", before, snapshot(row))
    await session.commit()
    return _out(row)


@router.post("/{code}/versions/{number}/publish", response_model=VersionOut)
async def publish(
    code: Code,
    number: Number,
    officer: CurrentOfficer,
    session: SessionDep,
    request: Request,
    body: PublishIn | None = None,
) -> VersionOut:
    """Publish a draft: from `effective_from` (now by default) new dossiers use it."""
    _admin(officer)
    row = await _draft(session, code, number)
    before = snapshot(row)
    now = datetime.now(UTC)
    procedure = await _checked(session, code, row.definition)
    row.state = "published"
    row.effective_from = (body.effective_from if body else None) or now
    row.published_at, row.published_by = now, officer.username
    record = await _record(session, code)
    record.active = True
    if row.effective_from <= now:  # the catalogue's own copy follows the version in force
        record.name, record.agency_code = procedure.name, procedure.agency_code
        record.term_days, record.definition = procedure.term_days, row.definition
    session.add_all([row, record])
    key = f"{code}/{number}"
    audit(request, session, officer, "procedure", key, "publish", before, snapshot(row))
    await session.commit()
    return _out(row)


@router.post("/{code}/retire", response_model=list[VersionOut])
async def retire(
    code: Code, officer: CurrentOfficer, session: SessionDep, request: Request
) -> list[VersionOut]:
    """No new dossier under this procedure; the dossiers filed under it keep their version."""
    _admin(officer)
    record = await _record(session, code)
    now = datetime.now(UTC)
    kept = await _first_version(session, record)
    for row in kept:
        if row.state == "published":
            before = snapshot(row)
            row.state, row.retired_at = "retired", now
            session.add(row)
            key = f"{code}/{row.version}"
            audit(request, session, officer, "procedure", key, "retire", before, snapshot(row))
    record.active = False
    session.add(record)
    await session.commit()
    return [_out(v) for v in kept]
