"""DossierWorkflow: one durable workflow per dossier (`dossier-<code>`), from submission to
the returned result. Clerk and officer actions arrive as Workflow Updates; the dossier's
rules live in `domain.dossier`, the workflow only orders them in time."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.projection import ProjectionActivities
    from domain.deadline import due_moment
    from domain.dossier import (
        ActionRequest,
        DocumentAttachment,
        DossierEvent,
        DossierState,
        Forbidden,
        InvalidAction,
    )
    from domain.lifecycle import Action, IllegalTransition, Status
    from workflows.shared import (
        PROJECTION_RETRY,
        PROJECTION_TIMEOUT,
        ActionInput,
        ActionOutcome,
        DossierInput,
        Projection,
    )


def rejection(exc: Exception, state: DossierState) -> ApplicationError:
    """A domain refusal as a non-retryable error whose `type` the API maps to a status code."""
    if isinstance(exc, IllegalTransition):
        return ApplicationError(
            exc.reason,
            {
                "status": state.status.value,
                "allowed_actions": [a.value for a in exc.allowed],
            },
            type="IllegalTransition",
            non_retryable=True,
        )
    if isinstance(exc, InvalidAction):
        return ApplicationError(
            exc.message, {"field": exc.field}, type="InvalidAction", non_retryable=True
        )
    if isinstance(exc, Forbidden):
        return ApplicationError(str(exc), type="Forbidden", non_retryable=True)
    raise exc


@workflow.defn
class DossierWorkflow:
    @workflow.init
    def __init__(self, input: DossierInput) -> None:
        self.state = input.state
        self._rating_window = timedelta(days=input.rating_window_days)
        self._lock = asyncio.Lock()

    @workflow.run
    async def run(self, input: DossierInput) -> str:
        async with self._lock:
            await self._project(self.state.submission_event())
        await workflow.wait_condition(lambda: self.state.status.terminal)
        if self.state.status == Status.RETURNED:
            # keep the dossier addressable while the applicant may still rate it
            try:
                await workflow.wait_condition(
                    lambda: self.state.rating is not None, timeout=self._rating_window
                )
            except TimeoutError:
                pass  # the window closed without a rating
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.state.status.value

    # ------------------------------------------------------------------ query

    @workflow.query
    def current(self) -> DossierState:
        return self.state

    @workflow.query
    def allowed(self) -> list[str]:
        return [a.value for a in self.state.allowed_actions()]

    # ------------------------------------------------------------------ updates

    @workflow.update
    async def accept(self, input: ActionInput) -> ActionOutcome:
        return await self._act(Action.ACCEPT, input)

    @accept.validator
    def _v_accept(self, input: ActionInput) -> None:
        self._check(Action.ACCEPT, input)

    @workflow.update
    async def request_supplement(self, input: ActionInput) -> ActionOutcome:
        return await self._act(Action.REQUEST_SUPPLEMENT, input)

    @request_supplement.validator
    def _v_request_supplement(self, input: ActionInput) -> None:
        self._check(Action.REQUEST_SUPPLEMENT, input)

    @workflow.update
    async def supplement(self, input: ActionInput) -> ActionOutcome:
        return await self._act(Action.SUPPLEMENT, input)

    @supplement.validator
    def _v_supplement(self, input: ActionInput) -> None:
        self._check(Action.SUPPLEMENT, input)

    @workflow.update
    async def refuse(self, input: ActionInput) -> ActionOutcome:
        return await self._act(Action.REFUSE, input)

    @refuse.validator
    def _v_refuse(self, input: ActionInput) -> None:
        self._check(Action.REFUSE, input)

    @workflow.update
    async def forward(self, input: ActionInput) -> ActionOutcome:
        return await self._act(Action.FORWARD, input)

    @forward.validator
    def _v_forward(self, input: ActionInput) -> None:
        self._check(Action.FORWARD, input)

    @workflow.update(name="return")
    async def return_to_previous(self, input: ActionInput) -> ActionOutcome:
        return await self._act(Action.RETURN, input)

    @return_to_previous.validator
    def _v_return(self, input: ActionInput) -> None:
        self._check(Action.RETURN, input)

    @workflow.update
    async def resolve(self, input: ActionInput) -> ActionOutcome:
        return await self._act(Action.RESOLVE, input)

    @resolve.validator
    def _v_resolve(self, input: ActionInput) -> None:
        self._check(Action.RESOLVE, input)

    @workflow.update
    async def deliver(self, input: ActionInput) -> ActionOutcome:
        return await self._act(Action.DELIVER, input)

    @deliver.validator
    def _v_deliver(self, input: ActionInput) -> None:
        self._check(Action.DELIVER, input)

    @workflow.update
    async def withdraw(self, input: ActionInput) -> ActionOutcome:
        return await self._act(Action.WITHDRAW, input)

    @withdraw.validator
    def _v_withdraw(self, input: ActionInput) -> None:
        self._check(Action.WITHDRAW, input)

    @workflow.update
    async def rate(self, input: ActionInput) -> ActionOutcome:
        return await self._act(Action.RATE, input)

    @rate.validator
    def _v_rate(self, input: ActionInput) -> None:
        self._check(Action.RATE, input)

    @workflow.update
    async def attach_document(self, attachment: DocumentAttachment) -> ActionOutcome:
        async with self._lock:
            try:
                event = self.state.attach(attachment, workflow.now())
            except (IllegalTransition, InvalidAction, Forbidden) as exc:
                raise rejection(exc, self.state) from None
            await self._project(event)
            return ActionOutcome(
                status=self.state.status.value,
                portal_code=self.state.status.portal_code,
                seq=self.state.seq,
                step_index=self.state.step_index,
                due_at=self.state.due_at,
                allowed_actions=[a.value for a in self.state.allowed_actions()],
            )

    @attach_document.validator
    def _v_attach_document(self, attachment: DocumentAttachment) -> None:
        try:
            self.state.check_attachment(attachment)
        except (IllegalTransition, InvalidAction, Forbidden) as exc:
            raise rejection(exc, self.state) from None

    # ------------------------------------------------------------------ internals

    def _request(self, action: Action, input: ActionInput) -> ActionRequest:
        return ActionRequest(
            action=action,
            actor=input.actor,
            note=input.note,
            reason=input.reason,
            items=tuple(input.items),
            result_kind=input.result_kind,
            result_summary=input.result_summary,
            rating=input.rating,
            new_due=input.new_due,
        )

    def _check(self, action: Action, input: ActionInput) -> None:
        try:
            self.state.check(self._request(action, input))
        except (IllegalTransition, InvalidAction, Forbidden) as exc:
            raise rejection(exc, self.state) from None

    async def _act(self, action: Action, input: ActionInput) -> ActionOutcome:
        async with self._lock:
            now = workflow.now()
            try:
                event = self.state.apply(self._request(action, input), now)
            except (IllegalTransition, InvalidAction, Forbidden) as exc:
                # another update changed the dossier between validation and now
                raise rejection(exc, self.state) from None
            self._schedule(action)
            await self._project(event)
            return ActionOutcome(
                status=self.state.status.value,
                portal_code=self.state.status.portal_code,
                seq=self.state.seq,
                step_index=self.state.step_index,
                due_at=self.state.due_at,
                allowed_actions=[a.value for a in self.state.allowed_actions()],
            )

    def _schedule(self, action: Action) -> None:
        """Set the due moments an action starts (placeholder working-day count)."""
        state = self.state
        now = workflow.now()
        if action == Action.ACCEPT:
            state.due_at = due_moment(now, state.procedure.term_days)
        if action in (Action.FORWARD, Action.RETURN) and state.current_step is not None:
            state.current_step.due_at = due_moment(now, state.current_step.term_days)
        if action == Action.SUPPLEMENT and state.received_at is not None:
            state.due_at = due_moment(now, state.procedure.term_days)

    async def _project(self, event: DossierEvent) -> None:
        await workflow.execute_activity_method(
            ProjectionActivities.record,
            Projection(state=self.state, event=event),
            start_to_close_timeout=PROJECTION_TIMEOUT,
            retry_policy=PROJECTION_RETRY,
        )
