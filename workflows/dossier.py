"""DossierWorkflow: one durable workflow per dossier (`dossier-<code>`), from submission to
the returned result. Clerk and officer actions arrive as Workflow Updates; the dossier's
rules live in `domain.dossier`, the workflow only orders them in time."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta

from pydantic import ValidationError
from temporalio import workflow
from temporalio.common import RawValue
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.clock import ClockActivities
    from activities.projection import ProjectionActivities
    from domain import actions, interning, statutory, verdict
    from domain.calendar import WorkCalendar
    from domain.clock import LedgerError
    from domain.dossier import (
        ActionRequest,
        DocumentAttachment,
        DossierEvent,
        DossierState,
        Forbidden,
        InvalidAction,
    )
    from domain.lifecycle import IllegalTransition, Status
    from domain.statutory import ClockConfig, Timer
    from messages import (
        ACTION_REQUEST,
        NOTICE_TIMEOUT,
        NOTIFY_RETRY,
        NOTIFY_TIMEOUT,
        PROJECTION_RETRY,
        PROJECTION_TIMEOUT,
        UPDATE_ACTIONS,
        ActionOutcome,
        DeadlineView,
        DossierInput,
        Notice,
        PreviewAnswer,
        Projection,
        Refusal,
    )
    from workflows.payments import PaymentSteps


def rejection(exc: Exception, state: DossierState) -> ApplicationError:
    """A domain refusal as a non-retryable error whose `type` the API maps to a status code."""
    if isinstance(exc, IllegalTransition):
        return ApplicationError(
            exc.reason,
            {
                "status": state.status.value,
                "allowed_actions": [a.value for a in exc.allowed],
            },
            type=Refusal.ILLEGAL_TRANSITION,
            non_retryable=True,
        )
    if isinstance(exc, InvalidAction):
        return ApplicationError(
            exc.message, {"field": exc.field}, type=Refusal.INVALID_ACTION, non_retryable=True
        )
    if isinstance(exc, Forbidden):
        return ApplicationError(str(exc), type=Refusal.FORBIDDEN, non_retryable=True)
    if isinstance(exc, LedgerError):
        return ApplicationError(str(exc), type=Refusal.CLOCK_CONFLICT, non_retryable=True)
    raise exc


#: Patch: the read-model write became a local activity (histories before it replay as recorded).
LOCAL_PROJECTION = "projection-as-local-activity"
#: Patch: writing a warning or escalation became a local activity.
LOCAL_NOTICE = "notice-as-local-activity"
#: Patch: notifications are sent from the outbox by the notifier (activities/notifier.py)
#: beside the worker, not by an activity of the workflow: one workflow task per escalation.
NOTIFY_FROM_OUTBOX = "notify-from-outbox"

#: Patch: an apology is accepted only up to the procedure's limit before the due moment
#: (1 working day by default), not up to the due moment itself.
APOLOGY_LIMIT = "apology-limit-before-due"

#: The patches a dossier started at a level runs with from its first event, without asking
#: `workflow.patched` (whose marker and search-attribute upsert would be ≈ 250 bytes of its
#: history per patch): its input's `patch_level` is in its history, so every replay takes the
#: same branches. A level, once released, never changes; a new patch is asked for with
#: `workflow.patched` until a new level (this one's patches and it) takes it in.
PATCH_LEVELS: dict[int, frozenset[str]] = {
    0: frozenset(),
    1: frozenset({LOCAL_PROJECTION, LOCAL_NOTICE, NOTIFY_FROM_OUTBOX, APOLOGY_LIMIT}),
}
#: The level new dossiers start at (`api.engine.start`). Roll workers out before the API: a
#: worker meeting a level it does not know fails the workflow task until one that does runs it.
PATCH_LEVEL = max(PATCH_LEVELS)

REFUSALS = (IllegalTransition, InvalidAction, Forbidden, LedgerError)


@workflow.defn
class DossierWorkflow(PaymentSteps):
    @workflow.init
    def __init__(self, input: DossierInput) -> None:
        self.state = input.state
        # one copy per worker of what every dossier of a version shares (domain.interning)
        self.state.procedure = interning.procedure(input.state.procedure)
        self._rating_window = timedelta(days=input.rating_window_days)
        self._lock = asyncio.Lock()
        self._config: ClockConfig | None = (
            None if input.config is None else interning.clock_config(input.config)
        )
        # the SDK keeps the run's arguments for the workflow's life: not a second config
        input.config = None
        self._calendar: WorkCalendar | None = None
        self._changed = False
        self._ready = False  # the calendar is loaded and the submission recorded
        self._deliveries: list[asyncio.Future[int]] = []
        self._apology_limit = False  # set in `run`, by the patch the history holds
        if input.patch_level not in PATCH_LEVELS:
            raise RuntimeError(
                f"dossier {input.state.code} was started at patch level {input.patch_level}; "
                f"this worker knows up to {PATCH_LEVEL}: a newer worker must run it"
            )
        self._born_patched = PATCH_LEVELS[input.patch_level]

    @workflow.run
    async def run(self, input: DossierInput) -> str:
        if self._config is None:
            self._config = interning.clock_config(
                await workflow.execute_activity_method(
                    ClockActivities.load_config,
                    start_to_close_timeout=NOTICE_TIMEOUT,
                    retry_policy=PROJECTION_RETRY,
                )
            )
        self._calendar = interning.calendar(self._config)
        self._apology_limit = self._patched(APOLOGY_LIMIT)
        async with self._lock:
            await self._project(self.state.submission_event())
        self._ready = True
        while not self.state.status.terminal:
            await self._wait_for_next_timer()
        if self.state.status == Status.RETURNED:
            # keep the dossier addressable while the applicant may still rate it
            try:
                await workflow.wait_condition(
                    lambda: self.state.rating is not None, timeout=self._rating_window
                )
            except TimeoutError:
                pass  # the window closed without a rating
        await workflow.wait_condition(workflow.all_handlers_finished)
        for delivery in self._deliveries:
            await delivery
        return self.state.status.value

    # ------------------------------------------------------------------ timers

    async def _wait_for_next_timer(self) -> None:
        """Sleep until the next warning, escalation or waiting limit, or until an action or a
        calendar change moves it; then fire it if its moment has come."""
        assert self._config is not None and self._calendar is not None
        timer = statutory.next_timer(self.state, self._config, self._calendar)
        self._changed = False
        if timer is None:
            await workflow.wait_condition(lambda: self._changed or self.state.status.terminal)
            return
        delay = max(timer.at - workflow.now(), timedelta(0))
        try:
            await workflow.wait_condition(
                lambda: self._changed or self.state.status.terminal, timeout=delay
            )
        except TimeoutError:
            await self._fire(timer)

    async def _fire(self, timer: Timer) -> None:
        if timer.kind in statutory.PAYMENT_TIMERS:
            await self._payment_timer(timer)
            return
        async with self._lock:
            assert self._config is not None and self._calendar is not None
            if statutory.next_timer(self.state, self._config, self._calendar) != timer:
                return  # an action that just ran moved it
            now = workflow.now()
            if timer.kind == "stop":
                assert self._calendar is not None
                event = actions.act(
                    self.state,
                    statutory.stop_request(timer),
                    now,
                    self._calendar,
                    config=self._config,
                )
                self.state.notices_sent.append(timer.key)
                await self._project(event)
                return
            event = statutory.issue(self.state, timer, now)
            notice = Notice(
                code=self.state.code,
                procedure_name=self.state.procedure.name,
                timer=timer,
                event=event,
            )
            if self._patched(LOCAL_NOTICE):
                # a local activity, as for the projection: when a deadline storm fires
                # thousands of these at once, each costs one workflow task, not three
                ids = await workflow.execute_local_activity_method(
                    ClockActivities.record_notice,
                    notice,
                    start_to_close_timeout=NOTICE_TIMEOUT,
                    retry_policy=PROJECTION_RETRY,
                )
            else:
                ids = await workflow.execute_activity_method(
                    ClockActivities.record_notice,
                    notice,
                    start_to_close_timeout=NOTICE_TIMEOUT,
                    retry_policy=PROJECTION_RETRY,
                )
            if ids and not self._patched(NOTIFY_FROM_OUTBOX):
                # before the notifier sent the outbox by itself, the workflow sent its own
                # notices (histories recorded then replay this branch)
                self._deliveries.append(
                    workflow.start_activity_method(
                        ClockActivities.send_notifications,
                        ids,
                        start_to_close_timeout=NOTIFY_TIMEOUT,
                        retry_policy=NOTIFY_RETRY,
                    )
                )

    @workflow.signal
    async def calendar_changed(self, config: ClockConfig) -> None:
        """A calendar override was added or removed: re-derive the due moments."""
        await workflow.wait_condition(lambda: self._ready)
        async with self._lock:
            if self._config is not None and config.version == self._config.version:
                return
            self._config = interning.clock_config(config)
            self._calendar = interning.calendar(self._config)
            before = (self.state.due_at, [s.due_at for s in self.state.steps])
            statutory.refresh_due_moments(self.state, self._calendar, config)
            after = (self.state.due_at, [s.due_at for s in self.state.steps])
            self._changed = True
            if before != after and not self.state.status.terminal:
                self.state.seq += 1
                await self._project(
                    DossierEvent(
                        seq=self.state.seq,
                        action="calendar-changed",
                        actor="system",
                        actor_name="motcua",
                        at=workflow.now(),
                        from_status=self.state.status,
                        to_status=self.state.status,
                        step_index=self.state.step_index,
                        note=statutory.calendar_change_note(before[0], after[0], config),
                    )
                )

    # ------------------------------------------------------------------ query

    @workflow.query
    def current(self) -> DossierState:
        return self.state

    @workflow.query
    def allowed(self) -> list[str]:
        return [a.value for a in self.state.allowed_actions()]

    @workflow.query
    def preview(self, request: ActionRequest) -> PreviewAnswer:
        """What an action would do to the clock, on a copy: nothing changes, nothing is
        recorded; a refusal is answered with the kind and message the update would give."""
        assert self._calendar is not None
        try:
            return PreviewAnswer(
                preview=actions.preview(
                    self.state,
                    request,
                    workflow.now(),
                    self._calendar,
                    time_rules=self._apology_limit,
                    config=self._config,
                )
            )
        except REFUSALS as exc:
            error = rejection(exc, self.state)
            details = error.details[0] if error.details else {}
            field = details.get("field", "") if isinstance(details, dict) else ""
            return PreviewAnswer(kind=error.type or "", refusal=error.message, field=field)

    @workflow.query
    def deadline(self) -> DeadlineView:
        assert self._config is not None and self._calendar is not None
        return statutory.deadline_view(self.state, self._config, self._calendar, workflow.now())

    # ------------------------------------------------------------------ updates

    @workflow.update(dynamic=True)
    async def act(self, name: str, args: Sequence[RawValue]) -> ActionOutcome:
        """Every action a person sends (`accept`, `forward`, ... `take`: the update is named
        after the action, see `messages.update_name`), with the action's request."""
        return await self._act(self._request(name, args))

    @act.validator
    def _v_act(self, name: str, args: Sequence[RawValue]) -> None:
        self._check(self._request(name, args))

    @workflow.update
    async def attach_document(self, attachment: DocumentAttachment) -> ActionOutcome:
        """A stored file becomes a digitized (or reused) component or the electronic result."""
        await workflow.wait_condition(lambda: self._ready)
        async with self._lock:
            try:
                event = self.state.attach(attachment, workflow.now())
            except REFUSALS as exc:
                raise rejection(exc, self.state) from None
            await self._project(event)
            return self._outcome()

    @attach_document.validator
    def _v_attach_document(self, attachment: DocumentAttachment) -> None:
        try:
            self.state.check_attachment(attachment)
        except REFUSALS as exc:
            raise rejection(exc, self.state) from None

    # ------------------------------------------------------------------ internals

    def _request(self, name: str, args: Sequence[RawValue]) -> ActionRequest:
        """The request of an action's update; an unknown name or payload is refused."""
        action = UPDATE_ACTIONS.get(name)
        if action is None or len(args) != 1:
            raise ApplicationError(
                f"'{name}' is not an action on a dossier",
                {"field": "action"},
                type=Refusal.INVALID_ACTION,
                non_retryable=True,
            )
        fields = workflow.payload_converter().from_payload(args[0].payload, dict)
        try:
            return ACTION_REQUEST.validate_python({**fields, "action": action})
        except ValidationError as exc:
            raise ApplicationError(
                f"the {action.value} request cannot be read: {exc.errors()[0]['msg']}",
                {"field": "body"},
                type=Refusal.INVALID_ACTION,
                non_retryable=True,
            ) from None

    def _check(self, request: ActionRequest) -> None:
        try:
            actions.check(self.state, request, workflow.now(), self._apology_calendar)
        except REFUSALS as exc:
            raise rejection(exc, self.state) from None

    async def _act(self, request: ActionRequest) -> ActionOutcome:
        await workflow.wait_condition(lambda: self._ready)
        async with self._lock:
            assert self._calendar is not None
            try:
                event = actions.act(
                    self.state,
                    request,
                    workflow.now(),
                    self._calendar,
                    time_rules=self._apology_limit,
                    config=self._config,
                )
            except REFUSALS as exc:
                # another update changed the dossier between validation and now
                raise rejection(exc, self.state) from None
            self._changed = True
            await self._project(event)
            return self._outcome()

    def _patched(self, patch: str) -> bool:
        return patch in self._born_patched or workflow.patched(patch)

    @property
    def _apology_calendar(self) -> WorkCalendar | None:
        return self._calendar if self._apology_limit else None

    def _outcome(self) -> ActionOutcome:
        return ActionOutcome(
            status=self.state.status.value,
            portal_code=self.state.status.portal_code,
            seq=self.state.seq,
            step_index=self.state.step_index,
            due_at=self.state.due_at,
            allowed_actions=[a.value for a in self.state.allowed_actions()],
        )

    async def _project(self, event: DossierEvent) -> None:
        if self._calendar is not None:
            self.state.verdict = verdict.judge_state(self.state, self._calendar, workflow.now())
        projection = Projection(state=self.state, event=event)
        if self._patched(LOCAL_PROJECTION):
            # a local activity: no round trip through the server before the clerk's answer
            await workflow.execute_local_activity_method(
                ProjectionActivities.record,
                projection,
                start_to_close_timeout=PROJECTION_TIMEOUT,
                retry_policy=PROJECTION_RETRY,
            )
            return
        await workflow.execute_activity_method(
            ProjectionActivities.record,
            projection,
            start_to_close_timeout=PROJECTION_TIMEOUT,
            retry_policy=PROJECTION_RETRY,
        )
