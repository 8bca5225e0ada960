"""The org chart and the users as data an admin manages (cơ cấu tổ chức, tài khoản): agencies
with their level and supervising agency, units with their heads, officers with their role and
unit. Open dossiers never break: escalations resolve the heads when they fire."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field, field_validator, model_validator
from sqlmodel import col, select

from api.audit import record as _audit
from api.deps import CurrentOfficer, SessionDep
from api.errors import Problem
from api.security import hash_password
from api.timeutil import UTCDateTime
from db.audit import snapshot
from db.models import Agency, Delegation, Officer, Unit
from domain.calendar import OfficeHours
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
    #: The agency's own office hours (None: the province's), e.g.
    #: {"periods": [["07:30", "11:30"], ["13:30", "17:00"]], "weekdays": [0, 1, 2, 3, 4]}
    office_hours: dict[str, Any] | None = None
    warning_before_days: float = Field(default=1.0, gt=0, le=10)
    apology_before_days: float | None = Field(default=None, ge=0, le=10)

    @field_validator("office_hours")
    @classmethod
    def _hours(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is None:
            return None
        try:
            hours = OfficeHours.from_dict(value)
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(
                "office hours are {'periods': [['07:30', '11:30'], …], 'weekdays': [0, …, 4]} "
                f"(Monday is 0): {exc}"
            ) from None
        if not hours.periods or any(start >= end for start, end in hours.periods):
            raise ValueError("each office-hours period starts before it ends")
        if not hours.weekdays or any(not 0 <= d <= 6 for d in hours.weekdays):
            raise ValueError("office-hours weekdays are 0 (Monday) to 6 (Sunday)")
        return hours.to_dict()


class AgencyOut(AgencyIn):
    code: str


#: The agency settings the statutory clock reads (a change reaches the running dossiers).
CLOCK_SETTINGS = (
    "office_hours",
    "warning_before_days",
    "apology_before_days",
    "escalation_every_days",
)


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
    code: Key, body: AgencyIn, officer: CurrentOfficer, session: SessionDep, request: Request
) -> Agency:
    """Create an agency or change it (its level, supervising agency, head, escalation
    interval); dossiers already running keep their snapshot of names and route."""
    _admin(officer)
    await _check_agency(session, code, body)
    existing = await session.get(Agency, code)
    before = snapshot(existing)
    row = existing or Agency(code=code, name=body.name)
    for name, value in body.model_dump().items():
        setattr(row, name, value.value if isinstance(value, AgencyLevel) else value)
    session.add(row)
    after = snapshot(row) or {}
    _audit(request, session, officer, "agency", code, "agency", before, after)
    await session.commit()
    await session.refresh(row)
    if before is not None and any(before.get(k) != after.get(k) for k in CLOCK_SETTINGS):
        await _reach_running_dossiers(request, session)
    return row


async def _reach_running_dossiers(request: Request, session: SessionDep) -> None:
    """A change of the agency's clock settings reaches the open dossiers the way a calendar
    change does (one CalendarChangeWorkflow per configuration version)."""
    client = request.app.state.temporal
    if client is None:
        return  # the engine is away: the dossiers read the settings when they next load them
    from api.routes.clock import _apply_change

    await _apply_change(session, client, request.app.state.settings)


@router.get("/units", response_model=list[UnitOut])
async def units(officer: CurrentOfficer, session: SessionDep) -> list[Unit]:
    _admin(officer)
    return list(await session.scalars(select(Unit).order_by(col(Unit.code))))


@router.put("/units/{code}", response_model=UnitOut)
async def put_unit(
    code: Key, body: UnitIn, officer: CurrentOfficer, session: SessionDep, request: Request
) -> Unit:
    _admin(officer)
    if await session.get(Agency, body.agency_code) is None:
        raise Problem(422, f"there is no agency {body.agency_code!r}")
    if body.head_username is not None:
        head = await session.get(Officer, body.head_username)
        if head is None or head.unit_code not in (code, None):
            raise Problem(422, f"{body.head_username!r} is not an officer of unit {code!r}")
    existing = await session.get(Unit, code)
    before = snapshot(existing)
    row = existing or Unit(code=code, agency_code=body.agency_code, name=body.name)
    for name, value in body.model_dump().items():
        setattr(row, name, value)
    session.add(row)
    _audit(request, session, officer, "unit", code, "unit", before, snapshot(row))
    await session.commit()
    await session.refresh(row)
    return row


@router.get("/users", response_model=list[OfficerOut])
async def users(officer: CurrentOfficer, session: SessionDep) -> list[Officer]:
    _admin(officer)
    return list(await session.scalars(select(Officer).order_by(col(Officer.username))))


@router.put("/users/{username}", response_model=OfficerOut)
async def put_user(
    username: Key, body: OfficerIn, officer: CurrentOfficer, session: SessionDep, request: Request
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
    before = snapshot(row)
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
    after = snapshot(row)
    what = "user" + (" (password set)" if body.password is not None else "")
    _audit(request, session, officer, "user", username, what, before, after)
    await session.commit()
    await session.refresh(row)
    return row


# --------------------------------------------------------------------------- delegations


class DelegationIn(BaseModel):
    """An acting head of a unit while its head is away (quyền trưởng phòng)."""

    unit_code: str = Field(min_length=1, max_length=60)
    acting_username: str = Field(min_length=1, max_length=60)
    starts_at: UTCDateTime
    ends_at: UTCDateTime
    reason: str = Field(default="", max_length=500)

    @model_validator(mode="after")
    def _period(self) -> DelegationIn:
        if self.ends_at <= self.starts_at:
            raise ValueError("the delegation ends after it starts")
        return self


class DelegationOut(BaseModel):
    id: int
    unit_code: str
    acting_username: str
    starts_at: UTCDateTime
    ends_at: UTCDateTime
    set_by: str
    reason: str


@router.get("/delegations", response_model=list[DelegationOut])
async def delegations(
    officer: CurrentOfficer,
    session: SessionDep,
    unit: Annotated[str | None, Query(max_length=60)] = None,
) -> list[Delegation]:
    _admin(officer)
    query = select(Delegation).order_by(col(Delegation.starts_at))
    if unit:
        query = query.where(Delegation.unit_code == unit)
    return list(await session.scalars(query))


async def _check_delegation(
    session: SessionDep, body: DelegationIn, exclude: int | None = None
) -> None:
    unit = await session.get(Unit, body.unit_code)
    if unit is None:
        raise Problem(422, f"there is no unit {body.unit_code!r}")
    acting = await session.get(Officer, body.acting_username)
    if acting is None or not acting.active:
        raise Problem(422, f"there is no active officer {body.acting_username!r}")
    if acting.agency_code != unit.agency_code:
        raise Problem(
            422, f"{body.acting_username!r} is not an officer of the agency of unit {unit.code!r}"
        )
    if acting.username == unit.head_username:
        raise Problem(422, f"{body.acting_username!r} already heads unit {unit.code!r}")
    if acting.role not in (Role.OFFICER.value, Role.UNIT_HEAD.value):
        raise Problem(422, "an acting head is an officer (or the head of another unit)")
    overlapping = await session.scalars(
        select(Delegation).where(
            Delegation.unit_code == body.unit_code,
            col(Delegation.starts_at) < body.ends_at,
            col(Delegation.ends_at) > body.starts_at,
        )
    )
    for other in overlapping:
        if other.id != exclude:
            raise Problem(
                409,
                f"unit {unit.code!r} already has an acting head ({other.acting_username}) from "
                f"{other.starts_at.isoformat()} to {other.ends_at.isoformat()}; change that "
                "delegation instead",
            )


@router.post("/delegations", response_model=DelegationOut, status_code=201)
async def add_delegation(
    body: DelegationIn, officer: CurrentOfficer, session: SessionDep, request: Request
) -> Delegation:
    """Name an acting head of a unit for a period: they assign, approve and act as the head on
    the unit's steps, and receive its escalations, during it."""
    _admin(officer)
    await _check_delegation(session, body)
    row = Delegation(**body.model_dump(), set_by=officer.username)
    session.add(row)
    await session.flush()
    _audit(request, session, officer, "delegation", str(row.id), "delegation", None, snapshot(row))
    await session.commit()
    await session.refresh(row)
    return row


async def _delegation(session: SessionDep, number: int) -> Delegation:
    row = await session.get(Delegation, number)
    if row is None:
        raise Problem(404, f"there is no delegation {number}")
    return row


@router.put("/delegations/{number}", response_model=DelegationOut)
async def put_delegation(
    number: int,
    body: DelegationIn,
    officer: CurrentOfficer,
    session: SessionDep,
    request: Request,
) -> Delegation:
    _admin(officer)
    row = await _delegation(session, number)
    await _check_delegation(session, body, exclude=number)
    before = snapshot(row)
    for name, value in body.model_dump().items():
        setattr(row, name, value)
    row.set_by = officer.username
    session.add(row)
    _audit(
        request, session, officer, "delegation", str(number), "delegation", before, snapshot(row)
    )
    await session.commit()
    await session.refresh(row)
    return row


@router.delete("/delegations/{number}", status_code=204)
async def delete_delegation(
    number: int, officer: CurrentOfficer, session: SessionDep, request: Request
) -> None:
    _admin(officer)
    row = await _delegation(session, number)
    before = snapshot(row)
    await session.delete(row)
    _audit(request, session, officer, "delegation", str(number), "delegation", before, None)
    await session.commit()
