"""Submission of a dossier, kept out of the route bodies: registered once (idempotent) and its
workflow started, also when a crash came between the two. Actions go through `api.engine`."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from api import engine
from api.errors import Problem
from api.schemas import SubmitIn
from db.calendar import load_clock_config
from db.document_repository import handed_in_components, write_digitization
from db.engine import write_turn
from db.models import Dossier
from db.payment_repository import dossier_payments, write_payments
from db.projection import new_row, write_steps
from db.repository import allocate_code, find_by_idempotency_key, get_procedure
from domain.dossier import (
    Actor,
    Applicant,
    Channel,
    DossierState,
    Forbidden,
    InvalidAction,
    Role,
)
from domain.payment import PaymentPurpose
from domain.procedures import Procedure
from domain.statutory import ClockConfig

LOCAL = timedelta(hours=7)


@dataclass(frozen=True)
class Submitted:
    code: str
    created: bool


def initial_state(
    *, code: str, procedure: Procedure, body: SubmitIn, now: datetime
) -> DossierState:
    return DossierState.new(
        code=code,
        procedure=procedure,
        channel=body.channel,
        applicant=Applicant(**body.applicant.model_dump()),
        submitted_at=now,
        handed_in=body.components,
        pay_online=pays_online(body),
    )


def pays_online(body: SubmitIn) -> bool:
    """Online submissions pay their fees online unless the applicant chose the desk."""
    if body.pay_online is not None:
        return body.pay_online
    return body.channel == Channel.ONLINE


async def submit(
    *,
    session: AsyncSession,
    client: Client,
    body: SubmitIn,
    actor: Actor,
    task_queue: str,
    idempotency_key: str | None,
    rating_window_days: int,
    portal_code: str | None = None,
) -> Submitted:
    """Register a dossier and start its workflow. With an `Idempotency-Key`, a repeated
    request returns the dossier of the first one (and makes sure its workflow runs). With
    `portal_code`, the national portal (authenticated by its key) forwards a dossier
    submitted there: it is filed under the portal's code, not at a desk."""
    procedure = await get_procedure(session, code=body.procedure_code)
    if procedure is None:
        raise InvalidAction("procedure_code", f"there is no procedure {body.procedure_code!r}")
    if actor.role == Role.APPLICANT:
        if body.channel != Channel.ONLINE:
            raise Forbidden("an applicant files online (channel 2); at the desk a clerk does")
    elif portal_code is None and actor.role not in (Role.CLERK, Role.ADMIN):
        raise Forbidden("dossiers are registered at the one-stop desk, by a clerk")
    if actor.role == Role.CLERK and actor.agency_code != procedure.agency_code:
        raise Forbidden(f"procedure {procedure.code} is received by {procedure.agency_name}")
    known = {c.code for c in procedure.components}
    unknown = [c for c in body.components if c not in known]
    if unknown:
        raise InvalidAction(
            "components", f"{', '.join(unknown)} is not a component of {procedure.code}"
        )

    async def replay() -> Submitted | None:
        """The dossier an earlier request with the same key registered, if any."""
        existing = await find_by_idempotency_key(session, key=idempotency_key or "")
        if existing is None:
            return None
        if (existing.procedure_code, existing.applicant_name) != (
            procedure.code,
            body.applicant.name,
        ):
            raise Problem(
                409,
                f"Idempotency-Key {idempotency_key!r} was already used for dossier "
                f"{existing.code}, a different submission; use a new key",
            )
        handed_in = await handed_in_components(session, code=existing.code)
        # the version the first attempt pinned, even if a newer one took effect since
        pinned = await get_procedure(
            session, code=existing.procedure_code, version=existing.procedure_version
        )
        await _ensure_started(
            existing,
            pinned or procedure,
            await load_clock_config(session),
            client,
            task_queue,
            rating_window_days,
            handed_in,
            pay_online=await _paid_online(session, code=existing.code),
        )
        return Submitted(code=existing.code, created=False)

    if idempotency_key and (earlier := await replay()) is not None:
        return earlier

    now = datetime.now(UTC)
    # from the code's allocation (the first write) to the commit, in the writers' turn
    async with write_turn(session.bind):
        try:
            code = portal_code or await allocate_code(
                session, agency_code=procedure.agency_code, day=(now + LOCAL).date()
            )
            state = initial_state(code=code, procedure=procedure, body=body, now=now)
            row = new_row(state)
            row.version = -1  # the workflow's first event (seq 0) replaces it
            row.idempotency_key = idempotency_key
            row.lookup_secret = secrets.token_urlsafe(9)
            session.add(row)
            await session.flush()  # the dossier row before its steps and components
            await write_steps(session, state)
            await write_digitization(session, state)
            await write_payments(session, state)
            await session.commit()
            raced = None
        except IntegrityError as exc:
            # a concurrent request with the same Idempotency-Key won the race
            await session.rollback()
            raced = exc
    if raced is not None:
        if idempotency_key and (earlier := await replay()) is not None:
            return earlier
        raise raced
    await engine.start(
        client,
        state,
        await load_clock_config(session),
        task_queue=task_queue,
        window=rating_window_days,
    )
    return Submitted(code=code, created=True)


async def _ensure_started(
    row: Dossier,
    procedure: Procedure,
    config: ClockConfig,
    client: Client,
    task_queue: str,
    window: int,
    handed_in: list[str],
    *,
    pay_online: bool,
) -> None:
    """A submission whose process died between the database commit and the workflow start
    is completed by its retry, with the initial state the first attempt committed."""
    state = DossierState.new(
        code=row.code,
        procedure=procedure,
        channel=row.channel,
        applicant=Applicant(
            name=row.applicant_name,
            id_number=row.applicant_id_number,
            phone=row.applicant_phone,
            email=row.applicant_email,
            address=row.applicant_address,
        ),
        submitted_at=row.submitted_at.astimezone(UTC),
        handed_in=handed_in,
        pay_online=pay_online,
    )
    await engine.start(client, state, config, task_queue=task_queue, window=window)


async def _paid_online(session: AsyncSession, *, code: str) -> bool:
    """Whether the submission chose the gateway for its fees, as its payment row recorded it
    (the choice only shapes that payment: without fees there is none, and nothing to keep)."""
    return any(
        p.online
        for p in await dossier_payments(session, code=code)
        if p.purpose == PaymentPurpose.SUBMISSION
    )
