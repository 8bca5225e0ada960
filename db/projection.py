"""The dossier's rows in the read model, from the workflow's state: the dossier row, its
steps and their attempts, its timeline. Used by the projection activity and by submission
(which writes the first rows before the workflow starts). Core statements on the session's
connection, a few per table (`db.rows`): the ORM's unit of work cost two thirds of an event."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel.ext.asyncio.session import AsyncSession

from db.models import NO_DEADLINE, Dossier, DossierStep, StepAttemptRecord, TimelineEntry
from db.outcomes import verdict_values
from db.rows import Sections, insert_new, sync_rows, table_of
from domain.dossier import DossierEvent, DossierState
from domain.lifecycle import Status
from domain.text import search_key


def dossier_values(state: DossierState) -> dict[str, Any]:
    """The dossier row's columns that follow the workflow's state."""
    step = state.current_step
    result = state.electronic_result
    return {
        "status": state.status.value,
        "portal_code": state.status.portal_code,
        "step_index": state.step_index,
        "allowed_actions": [a.value for a in state.allowed_actions()],
        "current_unit_code": step.unit_code if step else None,
        "current_agency_code": step.agency_code if step else None,
        "received_at": state.received_at,
        "due_at": state.due_at,
        "queue_due_at": state.nearest_due_at or NO_DEADLINE,
        "original_due_at": state.original_due_at,
        "finished_at": state.finished_at,
        "returned_at": state.returned_at,
        "result_kind": state.result.kind.value if state.result else None,
        "result_summary": state.result.summary if state.result else "",
        "rating": state.rating,
        "apologised": state.apologised,
        "supplement_rounds": len(state.supplement_rounds),
        "result_document_id": result.document_id if result else None,
        "version": state.seq,
        "updated_at": datetime.now(UTC),
        **verdict_values(state.verdict),
    }


def new_row(state: DossierState) -> Dossier:
    return Dossier(
        code=state.code,
        procedure_code=state.procedure.code,
        procedure_version=state.procedure.version,
        procedure_name=state.procedure.name,
        agency_code=state.procedure.agency_code,
        channel=state.channel,
        applicant_name=state.applicant.name,
        applicant_id_number=state.applicant.id_number,
        applicant_phone=state.applicant.phone,
        applicant_email=state.applicant.email,
        applicant_address=state.applicant.address,
        search_text=search_key(state.code, state.applicant.name, state.applicant.id_number),
        submitted_at=state.submitted_at,
        **dossier_values(state),
    )


_DOSSIER = table_of(Dossier)
#: the columns to set come from the parameters (`dossier_values`): one statement object, its
#: cache key memoized
_UPDATE_DOSSIER = update(_DOSSIER).where(
    _DOSSIER.c.code == bindparam("key_code"), _DOSSIER.c.version <= bindparam("key_seq")
)
_DOSSIER_VERSION = select(_DOSSIER.c.version).where(_DOSSIER.c.code == bindparam("key_code"))


async def update_row(session: AsyncSession, state: DossierState) -> bool | None:
    """Bring the dossier's row to `state` unless it holds a newer one: True if written, False
    if the row is newer, None if there is no row."""
    conn = await session.connection()
    where = {"key_code": state.code, "key_seq": state.seq}
    written = await conn.execute(_UPDATE_DOSSIER, dossier_values(state) | where)
    if written.rowcount:
        return True
    held = await conn.scalar(_DOSSIER_VERSION, {"key_code": state.code})
    return None if held is None else False


_STEP_FIXED = ("unit_code", "unit_name", "agency_code", "agency_name", "term_days")
_ATTEMPT_FIXED = ("unit_code", "unit_name", "agency_code", "agency_name", "started_at")


async def write_steps(
    session: AsyncSession, state: DossierState, sections: Sections | None = None
) -> None:
    """The steps and every attempt of each, as the workflow holds them."""
    conn = await session.connection()
    current = state.current_steps if state.status == Status.PROCESSING else []
    table = table_of(DossierStep)
    await sync_rows(
        conn,
        table,
        parent="dossier_code",
        key=("dossier_code", "idx"),
        fixed=_STEP_FIXED,
        rows=[
            {
                "dossier_code": state.code,
                "idx": step.index,
                "unit_code": step.unit_code,
                "unit_name": step.unit_name,
                "agency_code": step.agency_code,
                "agency_name": step.agency_name,
                "term_days": step.term_days,
                "started_at": step.started_at,
                "finished_at": step.finished_at,
                "due_at": step.due_at,
                "handled_by": step.handled_by,
                "assignee": step.assignee,
                "assignee_name": step.assignee_name,
                "stage": state.procedure.stage_of(step.index) + 1,
                "closed": step.closed,
                "open": step in current,
            }
            for step in state.steps
        ],
        sections=sections,
    )
    await write_attempts(conn, state, sections)


def _closed_and_held_alike(stored: Mapping[str, Any], wanted: Mapping[str, Any]) -> bool:
    """A closed attempt does not change again, but for who held it."""
    return stored["finished_at"] is not None and stored["holdings"] == wanted["holdings"]


async def write_attempts(
    conn: AsyncConnection, state: DossierState, sections: Sections | None = None
) -> None:
    """Every attempt of every step; only the open ones and new ones change."""
    table = table_of(StepAttemptRecord)
    await sync_rows(
        conn,
        table,
        parent="dossier_code",
        key=("dossier_code", "step_index", "attempt", "branch"),
        fixed=_ATTEMPT_FIXED,
        keep=_closed_and_held_alike,
        rows=[
            {
                "dossier_code": state.code,
                "step_index": attempt.step_index,
                "attempt": attempt.attempt,
                "branch": attempt.branch,
                "unit_code": attempt.unit_code,
                "unit_name": attempt.unit_name,
                "agency_code": attempt.agency_code,
                "agency_name": attempt.agency_name,
                "started_at": attempt.started_at,
                "due_at": attempt.due_at,
                "finished_at": attempt.finished_at,
                "outcome": attempt.outcome,
                "finished_by": attempt.finished_by,
                "holdings": [
                    {
                        "officer": h.officer,
                        "officer_name": h.officer_name,
                        "since": h.since.isoformat(),
                        "by": h.by,
                    }
                    for h in attempt.holdings
                ],
            }
            for attempt in state.step_attempts
        ],
        sections=sections,
    )


def timeline_line(code: str, event: DossierEvent, note: str | None = None) -> dict[str, Any]:
    """The timeline row of `event`, every column but its id."""
    return {
        "dossier_code": code,
        "seq": event.seq,
        "action": event.action,
        "actor": event.actor,
        "actor_name": event.actor_name,
        "at": event.at,
        "from_status": event.from_status.value,
        "to_status": event.to_status.value,
        "step_index": event.step_index,
        "note": event.note if note is None else note,
        "branch_index": event.branch_index,
    }


async def record_timeline(
    session: AsyncSession, code: str, event: DossierEvent, note: str | None = None
) -> None:
    """Add one timeline line, once: a retried write of the same event seq adds nothing."""
    conn = await session.connection()
    line = timeline_line(code, event, note)
    await insert_new(conn, table_of(TimelineEntry), [line], unique=("dossier_code", "seq"))
