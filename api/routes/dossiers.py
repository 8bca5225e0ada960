"""Dossiers: submit, list, detail and actions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response, status
from pydantic import BaseModel, Field
from temporalio.client import Client

from api import documents, engine, services
from api.audit import DOSSIER_KEY
from api.deps import CurrentOfficer, SessionDep, SettingsDep, TemporalDep
from api.errors import Problem
from api.payments import payments_of
from api.schemas import (
    ActionIn,
    ActionResult,
    ApplicantIn,
    AttributionOut,
    ComponentOut,
    DossierDetail,
    DossierPage,
    DossierStepOut,
    DossierSummary,
    StepAttemptOut,
    SubmitIn,
    SubmittedDossier,
    TimelineOut,
    VerdictOut,
)
from api.timeutil import UTCDateTime, as_utc
from api.timing import phase
from db.calendar import working_calendar
from db.document_repository import public_ids
from db.models import Dossier, Officer
from db.outcomes import current_verdict, needs_calendar
from db.repository import (
    DossierFilter,
    acting_actor,
    actor_of,
    dossier_agencies,
    dossier_components,
    dossier_procedure_name,
    dossier_steps,
    dossier_timeline,
    list_dossiers,
    step_attempts,
)
from domain.dossier import InvalidAction, Role
from domain.lifecycle import Action, IllegalTransition, Status
from domain.outcomes import OnTimeVerdict
from domain.text import UnsafeText, clean_text
from messages import ActionOutcome

router = APIRouter(prefix="/dossiers", tags=["dossiers"])

SEES_ALL = (Role.ADMIN.value,)
#: The deepest page offset (far beyond any province's dossiers; bounded so that no number
#: overflows the database's integers).
MAX_OFFSET = 10_000_000


def summary(row: Dossier, now: datetime) -> DossierSummary:
    status_ = Status(row.status)
    return DossierSummary(
        code=row.code,
        procedure_code=row.procedure_code,
        agency_code=row.agency_code,
        channel=row.channel,
        applicant_name=row.applicant_name,
        status=row.status,
        status_label=status_.vietnamese,
        portal_code=row.portal_code,
        step_index=row.step_index,
        current_unit_code=row.current_unit_code,
        current_agency_code=row.current_agency_code,
        submitted_at=row.submitted_at,
        received_at=row.received_at,
        due_at=row.due_at,
        finished_at=row.finished_at,
        overdue=_overdue(row, now),
    )


def _overdue(row: Dossier, now: datetime) -> bool:
    if row.due_at is None:
        return False
    end = as_utc(row.finished_at) if row.finished_at else now
    return end > as_utc(row.due_at)


async def _visible(session: SessionDep, officer: Officer, code: str) -> Dossier:
    row = await session.get(Dossier, code)
    if row is None:
        raise Problem(404, f"there is no dossier {code!r}")
    if officer.role not in SEES_ALL and officer.agency_code not in await dossier_agencies(
        session, code=code
    ):
        raise Problem(403, "this dossier is handled by other agencies")
    return row


async def _allowed(client: Client, row: Dossier, officer: Officer) -> list[str]:
    if row.allowed_actions is not None:
        return list(row.allowed_actions)  # projected with the state: no workflow query
    if Status(row.status).terminal and row.status != Status.RETURNED.value:
        return []
    return await engine.allowed(client, row.code)


async def detail(
    session: SessionDep,
    client: Client,
    row: Dossier,
    officer: Officer,
    allowed: list[str] | None = None,
    *,
    reload: bool = True,
) -> DossierDetail:
    """The dossier as the read model holds it. `allowed` (the actions open now) comes from an
    update's answer when the caller has one, else from the read model, where the projection
    keeps it with the state; only rows projected before that column existed ask the workflow.
    `reload=False`: the row was read by this request after anything changed it."""
    if reload:
        await session.refresh(row)
    name = await dossier_procedure_name(session, row)
    steps = await dossier_steps(session, code=row.code)
    components = await dossier_components(session, code=row.code)
    names = await public_ids(
        session, [c.document_id for c in components] + [row.result_document_id]
    )
    now = datetime.now(UTC)
    cal = await working_calendar(session) if needs_calendar(row, now) else None
    return DossierDetail(
        **summary(row, now).model_dump(),
        procedure_name=name,
        applicant=ApplicantIn(
            name=row.applicant_name,
            id_number=row.applicant_id_number,
            phone=row.applicant_phone,
            email=row.applicant_email,
            address=row.applicant_address,
        ),
        result_kind=row.result_kind,
        result_summary=row.result_summary,
        rating=row.rating,
        apologised=row.apologised,
        original_due_at=row.original_due_at,
        supplement_rounds=row.supplement_rounds,
        steps=[
            DossierStepOut(
                index=s.idx,
                unit_code=s.unit_code,
                unit_name=s.unit_name,
                agency_code=s.agency_code,
                agency_name=s.agency_name,
                term_days=s.term_days,
                started_at=s.started_at,
                finished_at=s.finished_at,
                due_at=s.due_at,
                handled_by=s.handled_by,
                # the open steps (a parallel stage's branches); rows projected before
                # `open` existed: the step at step_index
                current=(s.open if any(t.open for t in steps) else s.idx == row.step_index)
                and row.status == Status.PROCESSING.value,
                stage=s.stage,
                closed=s.closed,
                assignee=s.assignee,
                assignee_name=s.assignee_name,
            )
            for s in steps
        ],
        timeline=[
            TimelineOut.model_validate(t, from_attributes=True)
            for t in await dossier_timeline(session, code=row.code)
        ],
        components=[
            ComponentOut.model_validate(
                {
                    **c.model_dump(exclude={"document_id"}),
                    "document_id": names.get(c.document_id) if c.document_id else None,
                }
            )
            for c in components
        ],
        allowed_actions=allowed if allowed is not None else await _allowed(client, row, officer),
        electronic_result=row.result_document_id is not None,
        result_document_id=names.get(row.result_document_id) if row.result_document_id else None,
        payments=await payments_of(session, code=row.code),
        verdict=verdict_out(current_verdict(row, cal, now)),
        attempts=[
            StepAttemptOut.model_validate(a, from_attributes=True)
            for a in await step_attempts(session, code=row.code)
        ],
    )


def verdict_out(verdict: OnTimeVerdict | None) -> VerdictOut | None:
    if verdict is None:
        return None
    return VerdictOut(
        verdict=verdict.verdict.value,
        label=verdict.verdict.vietnamese,
        late_hours=verdict.late_hours,
        late_days=round(verdict.late_days, 2),
        due_at=verdict.due_at,
        judged_at=verdict.judged_at,
        apologised=verdict.apologised,
        late_apologised=verdict.late_apologised,
        late_silent=verdict.late_silent,
        reasons=list(verdict.reasons),
        attribution=[
            AttributionOut.model_validate(a, from_attributes=True) for a in verdict.attribution
        ],
    )


@router.post(
    "",
    response_model=SubmittedDossier,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"description": "the same Idempotency-Key was seen before"}},
)
async def submit(
    request: Request,
    body: SubmitIn,
    response: Response,
    officer: CurrentOfficer,
    session: SessionDep,
    client: TemporalDep,
    settings: SettingsDep,
    idempotency_key: Annotated[str | None, Header(max_length=200)] = None,
) -> SubmittedDossier:
    submitted = await services.submit(
        session=session,
        client=client,
        body=body,
        actor=actor_of(officer),
        task_queue=settings.task_queue,
        idempotency_key=(idempotency_key or "").strip() or None,
        rating_window_days=settings.rating_window_days,
    )
    setattr(request.state, DOSSIER_KEY, submitted.code)
    if not submitted.created:
        response.status_code = status.HTTP_200_OK
    row = await session.get(Dossier, submitted.code)
    assert row is not None
    shown = await detail(session, client, row, officer)
    return SubmittedDossier(**shown.model_dump(), lookup_secret=row.lookup_secret)


@router.get("", response_model=DossierPage)
async def search(
    officer: CurrentOfficer,
    session: SessionDep,
    settings: SettingsDep,
    status_: Annotated[Status | None, Query(alias="status")] = None,
    agency: Annotated[str | None, Query(max_length=60)] = None,
    procedure: Annotated[str | None, Query(max_length=60)] = None,
    overdue: bool = False,
    due_before: datetime | None = None,
    q: Annotated[str | None, Query(max_length=100, description="code, name or ID number")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> DossierPage:
    now = datetime.now(UTC)
    try:
        text = clean_text(q) if q else None
    except UnsafeText as exc:
        raise InvalidAction("q", str(exc)) from None
    filters = DossierFilter(
        status=status_.value if status_ else None,
        agency_code=agency,
        procedure_code=procedure,
        overdue_at=now if overdue else None,
        due_before=due_before,
        text=text,
        visible_to_agency=None if officer.role in SEES_ALL else officer.agency_code,
    )
    rows, total = await list_dossiers(session, filters=filters, limit=limit, offset=offset)
    return DossierPage(
        items=[summary(r, now) for r in rows],
        total=total.count,
        total_exact=total.exact,
        limit=limit,
        offset=offset,
    )


@router.get("/{code}", response_model=DossierDetail)
async def get_one(
    code: str, officer: CurrentOfficer, session: SessionDep, client: TemporalDep
) -> DossierDetail:
    row = await _visible(session, officer, code)
    return await detail(session, client, row, officer, reload=False)


@dataclass(frozen=True)
class Performed:
    """An action run on a dossier: its read-model row (as it was read before the action) and
    the workflow's outcome; None for the retry of an action that closed the dossier, which
    the dossier as it is now answers."""

    row: Dossier
    outcome: ActionOutcome | None


async def perform(
    code: str,
    action: Action,
    officer: Officer,
    session: SessionDep,
    client: Client,
    body: ActionIn | None = None,
    idempotency_key: str | None = None,
) -> Performed:
    """Run one action for an officer: the scope check, a result document, the assignee, the
    delegation running now, then the workflow's update. The REST route and the console's
    forms both come through here; neither reads the dossier back unless it shows it."""
    with phase("scope"):
        row = await _visible(session, officer, code)
    body = body or ActionIn()
    if body.result_document_id is not None:
        if action != Action.RESOLVE:
            raise InvalidAction("result_document_id", "only 'resolve' takes a result document")
        await documents.attach_result(
            session=session,
            client=client,
            row=row,
            actor=actor_of(officer),
            document_id=body.result_document_id,
        )
    assignee = None
    if action == Action.ASSIGN and body.assignee:
        held_by = await session.get(Officer, body.assignee)
        if held_by is None or not held_by.active:
            raise InvalidAction("assignee", f"there is no officer {body.assignee!r}")
        assignee = actor_of(held_by)
    key = (idempotency_key or "").strip() or None
    actor = await acting_actor(session, officer, datetime.now(UTC))  # a delegation running now
    with phase("update"):
        try:
            outcome = await engine.act(
                client,
                code,
                engine.request_of(action, body, actor, assignee=assignee),
                status=row.status,
                idempotency_key=key,
            )
        except IllegalTransition:
            # a retry of the action that closed the dossier: its workflow has ended, so
            # Temporal cannot answer the update again; the dossier as it is answers instead
            if key is None or not await _closed_by(session, row, action, officer.username):
                raise
            return Performed(row, None)
    return Performed(row, outcome)


def wants_minimal(prefer: str | None) -> bool:
    """RFC 7240 `Prefer: return=minimal` (among other preferences, any case)."""
    if not prefer:
        return False
    tokens = (t.strip().lower().replace(" ", "") for t in prefer.replace(";", ",").split(","))
    return "return=minimal" in tokens


@router.post(
    "/{code}/actions/{action}",
    response_model=DossierDetail | ActionResult,
    responses={
        200: {
            "description": "the dossier after the action; with `Prefer: return=minimal`, only "
            "what the action changed (`ActionResult`), without reading the dossier back"
        }
    },
)
async def run_action(
    code: str,
    action: Action,
    response: Response,
    officer: CurrentOfficer,
    session: SessionDep,
    client: TemporalDep,
    body: ActionIn | None = None,
    idempotency_key: Annotated[
        str | None,
        Header(
            max_length=200,
            description="a retry with the same key answers the dossier as the first one "
            "left it instead of applying the action again",
        ),
    ] = None,
    prefer: Annotated[
        str | None,
        Header(
            max_length=200,
            description="`return=minimal`: answer the action's outcome only (a desk that "
            "already shows the dossier saves the read-back)",
        ),
    ] = None,
) -> DossierDetail | ActionResult:
    done = await perform(code, action, officer, session, client, body, idempotency_key)
    if wants_minimal(prefer):
        response.headers["Preference-Applied"] = "return=minimal"
        if done.outcome is not None:
            return action_result(code, done.outcome)
        return ActionResult(  # the closing action's retry: the row was read back by the check
            code=code,
            status=done.row.status,
            status_label=Status(done.row.status).vietnamese,
            portal_code=Status(done.row.status).portal_code,
            seq=done.row.version,
            step_index=done.row.step_index,
            due_at=done.row.due_at,
            allowed_actions=await _allowed(client, done.row, officer),
        )
    with phase("answer"):
        if done.outcome is None:
            return await detail(session, client, done.row, officer)
        return await detail(
            session, client, done.row, officer, allowed=done.outcome.allowed_actions
        )


def action_result(code: str, outcome: ActionOutcome) -> ActionResult:
    return ActionResult(
        code=code,
        status=outcome.status,
        status_label=Status(outcome.status).vietnamese,
        portal_code=outcome.portal_code,
        seq=outcome.seq,
        step_index=outcome.step_index,
        due_at=outcome.due_at,
        allowed_actions=outcome.allowed_actions,
    )


class PreviewOut(BaseModel):
    """What an action would do to the clock before it is committed (nothing changes)."""

    action: str
    due_before: UTCDateTime | None
    due_after: UTCDateTime | None = Field(description="None: the clock would be stopped")
    status_after: str
    explanation: list[str]


@router.post("/{code}/actions/{action}/preview", response_model=PreviewOut)
async def preview_action(
    code: str,
    action: Action,
    officer: CurrentOfficer,
    session: SessionDep,
    client: TemporalDep,
    body: ActionIn | None = None,
) -> PreviewOut:
    """The due moment an action (a supplement request, an apology, …) would leave, from the
    clock's own derivation; refused as the action itself would be."""
    await _visible(session, officer, code)
    actor = await acting_actor(session, officer, datetime.now(UTC))
    shown = await engine.preview(client, code, engine.request_of(action, body or ActionIn(), actor))
    return PreviewOut(
        action=shown.action,
        due_before=shown.due_before,
        due_after=shown.due_after,
        status_after=shown.status_after,
        explanation=list(shown.explanation),
    )


async def _closed_by(session: SessionDep, row: Dossier, action: Action, username: str) -> bool:
    """The dossier is closed and its last line is this action by this officer."""
    await session.refresh(row)
    if not Status(row.status).terminal:
        return False
    timeline = await dossier_timeline(session, code=row.code)
    last = timeline[-1] if timeline else None
    return last is not None and (last.action, last.actor) == (action.value, username)
