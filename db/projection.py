"""The dossier's rows in the read model, from the workflow's state: the dossier row, its
steps and their attempts, its timeline. Used by the projection activity and by submission
(which writes the first rows before the workflow starts)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from db.models import Dossier, DossierStep, StepAttemptRecord, TimelineEntry
from db.outcomes import apply_verdict
from domain.dossier import DossierEvent, DossierState
from domain.lifecycle import Status


def apply_state(row: Dossier, state: DossierState) -> None:
    step = state.current_step
    row.status = state.status.value
    row.portal_code = state.status.portal_code
    row.step_index = state.step_index
    row.allowed_actions = [a.value for a in state.allowed_actions()]
    row.current_unit_code = step.unit_code if step else None
    row.current_agency_code = step.agency_code if step else None
    row.received_at = state.received_at
    row.due_at = state.due_at
    row.original_due_at = state.original_due_at
    row.finished_at = state.finished_at
    row.returned_at = state.returned_at
    row.result_kind = state.result.kind.value if state.result else None
    row.result_summary = state.result.summary if state.result else ""
    row.rating = state.rating
    row.apologised = state.apologised
    row.supplement_rounds = len(state.supplement_rounds)
    row.version = state.seq
    row.updated_at = datetime.now(UTC)
    apply_verdict(row, state.verdict)


def new_row(state: DossierState) -> Dossier:
    row = Dossier(
        code=state.code,
        procedure_code=state.procedure.code,
        procedure_version=state.procedure.version,
        agency_code=state.procedure.agency_code,
        channel=state.channel,
        applicant_name=state.applicant.name,
        applicant_id_number=state.applicant.id_number,
        applicant_phone=state.applicant.phone,
        applicant_email=state.applicant.email,
        applicant_address=state.applicant.address,
        status=state.status.value,
        portal_code=state.status.portal_code,
        submitted_at=state.submitted_at,
    )
    apply_state(row, state)
    return row


async def write_steps(session: AsyncSession, state: DossierState) -> None:
    rows = await session.scalars(
        select(DossierStep).where(col(DossierStep.dossier_code) == state.code)
    )
    existing = {row.idx: row for row in rows}  # one query, not one per step
    current = state.current_steps if state.status == Status.PROCESSING else []
    for step in state.steps:
        row = existing.get(step.index)
        if row is None:
            row = DossierStep(
                dossier_code=state.code,
                idx=step.index,
                unit_code=step.unit_code,
                unit_name=step.unit_name,
                agency_code=step.agency_code,
                agency_name=step.agency_name,
                term_days=step.term_days,
            )
            session.add(row)
        row.started_at = step.started_at
        row.finished_at = step.finished_at
        row.due_at = step.due_at
        row.handled_by = step.handled_by
        row.assignee = step.assignee
        row.assignee_name = step.assignee_name
        row.stage = state.procedure.stage_of(step.index) + 1
        row.closed = step.closed
        row.open = step in current
    await write_attempts(session, state)


async def write_attempts(session: AsyncSession, state: DossierState) -> None:
    """Every attempt of every step; only the open ones and new ones change."""
    rows = await session.scalars(
        select(StepAttemptRecord).where(col(StepAttemptRecord.dossier_code) == state.code)
    )
    existing = {(r.step_index, r.attempt, r.branch): r for r in rows}
    for attempt in state.step_attempts:
        key = (attempt.step_index, attempt.attempt, attempt.branch)
        row = existing.get(key)
        holdings = [
            {
                "officer": h.officer,
                "officer_name": h.officer_name,
                "since": h.since.isoformat(),
                "by": h.by,
            }
            for h in attempt.holdings
        ]
        if row is None:
            row = StepAttemptRecord(
                dossier_code=state.code,
                step_index=attempt.step_index,
                attempt=attempt.attempt,
                branch=attempt.branch,
                unit_code=attempt.unit_code,
                unit_name=attempt.unit_name,
                agency_code=attempt.agency_code,
                agency_name=attempt.agency_name,
                started_at=attempt.started_at,
            )
            session.add(row)
        elif row.finished_at is not None and row.holdings == holdings:
            continue  # a closed attempt does not change again
        row.due_at = attempt.due_at
        row.finished_at = attempt.finished_at
        row.outcome = attempt.outcome
        row.finished_by = attempt.finished_by
        row.holdings = holdings


def timeline_entry(code: str, event: DossierEvent, note: str | None = None) -> TimelineEntry:
    return TimelineEntry(
        dossier_code=code,
        seq=event.seq,
        action=event.action,
        actor=event.actor,
        actor_name=event.actor_name,
        at=event.at,
        from_status=event.from_status.value,
        to_status=event.to_status.value,
        step_index=event.step_index,
        note=event.note if note is None else note,
        branch_index=event.branch_index,
    )


async def record_timeline(
    session: AsyncSession, code: str, event: DossierEvent, note: str | None = None
) -> None:
    """Add one timeline line, once: a retried write of the same event seq adds nothing."""
    recorded = await session.scalar(
        select(col(TimelineEntry.id)).where(
            col(TimelineEntry.dossier_code) == code, col(TimelineEntry.seq) == event.seq
        )
    )
    if recorded is None:
        session.add(timeline_entry(code, event, note))
