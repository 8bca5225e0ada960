"""The org chart and the users as data an admin manages (cơ cấu tổ chức, tài khoản): agencies
with their level and supervising agency, units with their heads, officers with their role and
unit. Open dossiers never break: escalations resolve the heads when they fire."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field
from sqlmodel import col, select

from api.deps import CurrentOfficer, SessionDep
from api.errors import Problem
from api.security import hash_password
from db.models import Agency, Officer, Unit
from domain.dossier import Role
from domain.outcomes import AgencyLevel

router = APIRouter(prefix="/admin", tags=["org chart administration"])
Key = Annotated[str, Path(min_length=1, max_length=60)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
MIN_PASSWORD = 12


def _admin(officer: CurrentOfficer) -> None:
    if officer.role != Role.ADMIN.value:
        raise Problem(403, "only a system administrator manages the org chart and the users")


class AgencyIn(BaseModel):
    name: Name
    level: AgencyLevel = AgencyLevel.DEPARTMENT
    parent_code: str | None = Field(default=None, max_length=40)
    head_username: str | None = Field(default=None, max_length=60)
    escalation_every_days: float = Field(default=2.0, gt=0, le=30)


class AgencyOut(AgencyIn):
    code: str


class UnitIn(BaseModel):
    agency_code: str = Field(min_length=1, max_length=40)
    name: Name
    head_username: str | None = Field(default=None, max_length=60)


class UnitOut(UnitIn):
    code: str


class OfficerIn(BaseModel):
    full_name: Name
    role: Role
    agency_code: str | None = Field(default=None, max_length=40)
    unit_code: str | None = Field(default=None, max_length=60)
    title: str = Field(default="", max_length=200)
    email: str = Field(default="", max_length=200)
    active: bool = True
    password: str | None = Field(
        default=None, min_length=MIN_PASSWORD, max_length=200, description="to set or reset it"
    )


class OfficerOut(BaseModel):
    username: str
    full_name: str
    role: str
    agency_code: str | None
    unit_code: str | None
    title: str
    email: str
    active: bool


async def _check_agency(session: SessionDep, code: str, body: AgencyIn) -> None:
    if body.parent_code is not None:
        parent = await session.get(Agency, body.parent_code)
        if parent is None:
            raise Problem(422, f"there is no supervising agency {body.parent_code!r}")
        seen = {code}
        while parent is not None:  # a supervising chain must end
            if parent.code in seen:
                raise Problem(422, "an agency cannot supervise itself, directly or through others")
            seen.add(parent.code)
            parent = await session.get(Agency, parent.parent_code) if parent.parent_code else None
    if body.head_username is not None and await session.get(Officer, body.head_username) is None:
        raise Problem(422, f"there is no officer {body.head_username!r} to head the agency")


@router.get("/agencies", response_model=list[AgencyOut])
async def agencies(officer: CurrentOfficer, session: SessionDep) -> list[Agency]:
    _admin(officer)
    return list(await session.scalars(select(Agency).order_by(col(Agency.code))))


@router.put("/agencies/{code}", response_model=AgencyOut)
async def put_agency(
    code: Key, body: AgencyIn, officer: CurrentOfficer, session: SessionDep
) -> Agency:
    """Create an agency or change it (its level, supervising agency, head, escalation
    interval); dossiers already running keep their snapshot of names and route."""
    _admin(officer)
    await _check_agency(session, code, body)
    row = await session.get(Agency, code) or Agency(code=code, name=body.name)
    for name, value in body.model_dump().items():
        setattr(row, name, value.value if isinstance(value, AgencyLevel) else value)
    session.add(row)
    await session.commit()
    await session.refresh(row)
    return row


@router.get("/units", response_model=list[UnitOut])
async def units(officer: CurrentOfficer, session: SessionDep) -> list[Unit]:
    _admin(officer)
    return list(await session.scalars(select(Unit).order_by(col(Unit.code))))


@router.put("/units/{code}", response_model=UnitOut)
async def put_unit(code: Key, body: UnitIn, officer: CurrentOfficer, session: SessionDep) -> Unit:
    _admin(officer)
    if await session.get(Agency, body.agency_code) is None:
        raise Problem(422, f"there is no agency {body.agency_code!r}")
    if body.head_username is not None:
        head = await session.get(Officer, body.head_username)
        if head is None or head.unit_code not in (code, None):
            raise Problem(422, f"{body.head_username!r} is not an officer of unit {code!r}")
    row = await session.get(Unit, code) or Unit(
        code=code, agency_code=body.agency_code, name=body.name
    )
    for name, value in body.model_dump().items():
        setattr(row, name, value)
    session.add(row)
    await session.commit()
    await session.refresh(row)
    return row


@router.get("/users", response_model=list[OfficerOut])
async def users(officer: CurrentOfficer, session: SessionDep) -> list[Officer]:
    _admin(officer)
    return list(await session.scalars(select(Officer).order_by(col(Officer.username))))


@router.put("/users/{username}", response_model=OfficerOut)
async def put_user(
    username: Key, body: OfficerIn, officer: CurrentOfficer, session: SessionDep
) -> Officer:
    """Create a user, or change their role, unit, details or password; `active: false`
    deactivates the account (they can no longer sign in; their history stays)."""
    _admin(officer)
    if body.role not in (Role.ADMIN,) and body.agency_code is None:
        raise Problem(422, f"a {body.role.value} belongs to an agency")
    if body.agency_code is not None and await session.get(Agency, body.agency_code) is None:
        raise Problem(422, f"there is no agency {body.agency_code!r}")
    if body.unit_code is not None:
        unit = await session.get(Unit, body.unit_code)
        if unit is None or unit.agency_code != body.agency_code:
            raise Problem(422, f"unit {body.unit_code!r} is not a unit of {body.agency_code!r}")
    row = await session.get(Officer, username)
    if row is None:
        if body.password is None:
            raise Problem(422, f"a new user needs a password of at least {MIN_PASSWORD} characters")
        row = Officer(
            username=username, full_name=body.full_name, role=body.role.value, password_hash=""
        )
    if username == officer.username and (not body.active or body.role != Role.ADMIN):
        raise Problem(409, "an administrator cannot deactivate or demote their own account")
    for name, value in body.model_dump(exclude={"password"}).items():
        setattr(row, name, value.value if isinstance(value, Role) else value)
    if body.password is not None:
        row.password_hash = hash_password(body.password)
    session.add(row)
    await session.commit()
    await session.refresh(row)
    return row
