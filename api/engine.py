"""The API's one way into the engine: a dossier's start, its actions (a Workflow Update named
after each), attachments, payment confirmations, queries (allowed actions, deadline, preview),
and a calendar change handed to the open dossiers. The workflow's refusals come back here,
and only here, as the domain's own errors, which `api.errors` turns into 403/409/422; a
workflow that has finished is the dossier being closed."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

from temporalio.client import Client, WorkflowQueryFailedError, WorkflowUpdateFailedError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.errors import Problem
from api.schemas import ActionIn
from domain.actions import Preview
from domain.codes import workflow_id
from domain.dossier import (
    ActionRequest,
    Actor,
    DocumentAttachment,
    DossierState,
    Forbidden,
    InvalidAction,
)
from domain.lifecycle import Action, IllegalTransition, Status
from domain.payment import FeeLineDraft, PaymentConfirmation
from domain.statutory import ClockConfig, DeadlineView
from messages import (
    UPDATE_ACTIONS,
    ActionOutcome,
    CalendarBroadcast,
    DossierInput,
    FeedbackInput,
    PaymentOutcome,
    Refusal,
)
from workflows.calendar import CalendarChangeWorkflow, calendar_workflow_id
from workflows.client import new_update_id, run_action
from workflows.dossier import PATCH_LEVEL, DossierWorkflow
from workflows.feedback import FeedbackWorkflow, feedback_workflow_id

T = TypeVar("T")

#: What a person may send on a dossier's action path (stop is the workflow's own timer).
ACTIONS = frozenset(UPDATE_ACTIONS.values())


def request_of(
    action: Action, body: ActionIn, actor: Actor, *, assignee: Actor | None = None
) -> ActionRequest:
    """The domain's request for an action, from the body the API validated."""
    if action not in ACTIONS:
        raise Problem(
            404,
            f"'{action.value}' is not an action officers send here",
            allowed_actions=sorted(a.value for a in ACTIONS),
        )
    return ActionRequest(
        action=action,
        actor=actor,
        note=body.note,
        reason=body.reason,
        items=tuple(body.items),
        result_kind=body.result_kind,
        result_summary=body.result_summary,
        rating=body.rating,
        new_due=body.new_due,
        fee_lines=tuple(FeeLineDraft(**line.model_dump()) for line in body.fee_lines),
        assignee=assignee,
        step_index=body.step_index,
    )


def closed_workflow(exc: RPCError) -> bool:
    """The workflow has finished (or was never started): nothing can change any more."""
    return exc.status in (RPCStatusCode.NOT_FOUND, RPCStatusCode.FAILED_PRECONDITION)


async def _updating(call: Awaitable[T], action: Action, status: str, closed: str) -> T:
    try:
        return await call
    except WorkflowUpdateFailedError as exc:
        if isinstance(exc.cause, ApplicationError):
            raise refusal(exc.cause, action) from None
        raise
    except RPCError as exc:
        if closed_workflow(exc):
            current = Status(status)
            raise IllegalTransition(
                current, action, [], closed.format(status=current.value)
            ) from None
        raise


async def act(
    client: Client,
    code: str,
    request: ActionRequest,
    *,
    status: str,
    idempotency_key: str | None = None,
) -> ActionOutcome:
    """Run the action. With an `Idempotency-Key` the update gets an id of its own: Temporal
    runs an update id once and answers a retry with its first outcome, so a retried request
    never applies an action twice. `status` is the read model's, said when the dossier is
    closed."""
    update_id = (
        f"{request.action.value}:{request.actor.username}:{idempotency_key}"
        if idempotency_key
        else None
    )
    handle = client.get_workflow_handle(workflow_id(code))
    return await _updating(
        run_action(handle, request, update_id=update_id),
        request.action,
        status,
        "the dossier is closed ({status}); nothing can change",
    )


async def attach(
    client: Client, code: str, attachment: DocumentAttachment, *, status: str
) -> ActionOutcome:
    """A stored file becomes a digitized component or the electronic result."""
    handle = client.get_workflow_handle(workflow_id(code))
    return await _updating(
        handle.execute_update(DossierWorkflow.attach_document, attachment, id=new_update_id()),
        Action.ATTACH_DOCUMENT,
        status,
        "the dossier is closed ({status}); its documents can no longer change",
    )


async def preview(client: Client, code: str, request: ActionRequest) -> Preview:
    """What the action would do to the dossier's clock, asked of its workflow (the clock's own
    derivation on a copy); refused as the action itself would be."""
    handle = client.get_workflow_handle(workflow_id(code))
    try:
        answer = await handle.query(DossierWorkflow.preview, request)
    except RPCError as exc:
        if closed_workflow(exc):
            raise Problem(409, "the dossier is closed; nothing can change") from None
        raise
    if answer.preview is not None:
        return answer.preview
    if answer.kind == Refusal.INVALID_ACTION:
        raise InvalidAction(answer.field or "body", answer.refusal)
    if answer.kind == Refusal.FORBIDDEN:
        raise Forbidden(answer.refusal)
    raise Problem(409, answer.refusal)


def refusal(cause: ApplicationError, action: Action) -> Exception:
    """The workflow's refusal as the domain error the API maps to a status code."""
    details = cause.details[0] if cause.details else {}
    if cause.type == Refusal.ILLEGAL_TRANSITION:
        allowed = [Action(a) for a in details.get("allowed_actions", [])]
        return IllegalTransition(Status(details["status"]), action, allowed, cause.message)
    if cause.type == Refusal.INVALID_ACTION:
        return InvalidAction(details.get("field", "body"), cause.message)
    if cause.type == Refusal.FORBIDDEN:
        return Forbidden(cause.message)
    return Problem(409, cause.message)


async def start(
    client: Client, state: DossierState, config: ClockConfig, *, task_queue: str, window: int
) -> None:
    """Start the dossier's workflow with its initial state and the clock's configuration as it
    is now (so the workflow need not fetch it: one activity and two workflow tasks fewer), at
    the patch level of this code; a repeat finds the one running, and a dossier whose
    workflow has already finished is left as it is."""
    try:
        await client.start_workflow(
            DossierWorkflow.run,
            DossierInput(
                state=state, rating_window_days=window, config=config, patch_level=PATCH_LEVEL
            ),
            id=workflow_id(state.code),
            task_queue=task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
    except RPCError as exc:
        if exc.status != RPCStatusCode.ALREADY_EXISTS:  # it ran and has finished
            raise


async def confirm_payment(
    client: Client, code: str, confirmation: PaymentConfirmation
) -> PaymentOutcome:
    """The gateway's verified word on a payment; refusals are left to the caller (a refused
    or stranded confirmation is a refund to record, not a clerk's error)."""
    handle = client.get_workflow_handle(workflow_id(code))
    return await handle.execute_update(
        DossierWorkflow.confirm_payment, confirmation, id=new_update_id()
    )


async def allowed(client: Client, code: str) -> list[str]:
    """The actions the dossier's workflow would take now (none when the engine is away)."""
    try:
        names = await client.get_workflow_handle(workflow_id(code)).query(DossierWorkflow.allowed)
    except (RPCError, WorkflowQueryFailedError):  # the engine away must not hide the dossier
        return []
    return list(names)


async def deadline(client: Client, code: str) -> DeadlineView:
    """The dossier's clock as its workflow derives it now."""
    return await client.get_workflow_handle(workflow_id(code)).query(DossierWorkflow.deadline)


async def broadcast_calendar(client: Client, version: str, *, task_queue: str) -> CalendarBroadcast:
    """Hand the calendar as it now is to every open dossier, through the calendar's workflow
    (durable: a restart of the API loses no dossier); answer when it has."""
    handle = await client.start_workflow(
        CalendarChangeWorkflow.run,
        id=calendar_workflow_id(version),
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
    return await handle.result()


async def start_feedback(client: Client, clock: FeedbackInput, *, task_queue: str) -> None:
    """Start a feedback's clock (its warning and escalation timers)."""
    await client.start_workflow(
        FeedbackWorkflow.run,
        clock,
        id=feedback_workflow_id(clock.code),
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )


async def feedback_answered(client: Client, code: str) -> None:
    """Stop a feedback's clock: it was answered (a clock that already ended stays ended)."""
    try:
        await client.get_workflow_handle(feedback_workflow_id(code)).signal(
            FeedbackWorkflow.answered
        )
    except RPCError:  # its clock already ended (or never started): the answer stands
        pass
