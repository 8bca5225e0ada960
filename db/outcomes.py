"""Dossiers of the read model as the scorecard sees them: the verdict as of now and the
outcome records (`domain.outcomes.OutcomeRecord`) the indicators are computed from."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from db.calendar import working_calendar
from db.models import (
    Agency,
    Component,
    Dossier,
    DossierStep,
    ProcedureRecord,
    StepAttemptRecord,
    TimelineEntry,
)
from db.payment_models import Payment
from db.portal_models import PortalOutboxRecord, RecordState
from domain.calendar import WorkCalendar
from domain.dossier import StepAttempt
from domain.lifecycle import Status
from domain.outcomes import AgencyLevel, OnTimeVerdict, OutcomeRecord, StepAttribution, Verdict
from domain.verdict import VerdictFacts, as_of, counts_hours, judge

WAITING = (Status.SUPPLEMENT_REQUESTED.value, Status.AWAITING_PAYMENT.value)


def verdict_values(verdict: OnTimeVerdict | None) -> dict[str, Any]:
    """The dossier row's verdict columns as the workflow judged them at its last event (an
    open dossier's is judged again when it is read: time moves it from in progress to
    overdue); none before the first verdict, so a row's earlier one stays."""
    if verdict is None:
        return {}
    return {
        "verdict": verdict.verdict.value,
        "verdict_reasons": list(verdict.reasons),
        "late_hours": verdict.late_hours,
        "verdict_due_at": verdict.due_at,
        "judged_at": verdict.judged_at,
        "late_attribution": [asdict(a) for a in verdict.attribution],
    }


def apply_verdict(row: Dossier, verdict: OnTimeVerdict | None) -> None:
    for name, value in verdict_values(verdict).items():
        setattr(row, name, value)


def attribution_of(row: Dossier) -> tuple[StepAttribution, ...]:
    return tuple(StepAttribution(**a) for a in row.late_attribution or [])


def needs_calendar(row: Dossier, now: datetime) -> bool:
    """Whether `current_verdict` of `row` at `now` needs the working calendar: only for an open
    dossier past its appointment (a detail read of any other skips loading it)."""
    return row.verdict is not None and counts_hours(
        Verdict(row.verdict), row.verdict_due_at, waiting=row.status in WAITING, now=now
    )


def current_verdict(row: Dossier, cal: WorkCalendar | None, now: datetime) -> OnTimeVerdict | None:
    """The stored verdict read at `now` (None for a dossier projected before verdicts);
    `cal` may be None where `needs_calendar` says so."""
    if row.verdict is None:
        return None
    verdict, hours = as_of(
        Verdict(row.verdict),
        row.verdict_due_at,
        row.late_hours,
        waiting=row.status in WAITING,
        now=now,
        cal=cal,
    )
    reasons = tuple(row.verdict_reasons or ())
    if verdict != Verdict(row.verdict):
        reasons = (f"open and past the appointment: {hours:g} working hours overdue",) + reasons
    return OnTimeVerdict(
        verdict=verdict,
        judged_at=row.judged_at if verdict.finished else now,
        due_at=row.verdict_due_at,
        late_hours=hours,
        apologised=row.apologised,
        reasons=reasons,
        attribution=attribution_of(row),
    )


def _level(value: str | None) -> AgencyLevel:
    try:
        return AgencyLevel(value or AgencyLevel.DEPARTMENT)
    except ValueError:
        return AgencyLevel.DEPARTMENT


async def outcome_records(
    session: AsyncSession, rows: Sequence[Dossier], cal: WorkCalendar, now: datetime
) -> list[OutcomeRecord]:
    """One outcome record per dossier row, with its steps, payments, components, result file
    and portal sync state gathered in a handful of queries (not one per dossier)."""
    codes = [r.code for r in rows]
    if not codes:
        return []
    agencies = {a.code: a for a in await session.scalars(select(Agency))}
    procedures = {
        p.code: p
        for p in await session.scalars(
            select(ProcedureRecord).where(
                col(ProcedureRecord.code).in_({r.procedure_code for r in rows})
            )
        )
    }
    steps: dict[str, list[DossierStep]] = defaultdict(list)
    for step in await session.scalars(
        select(DossierStep).where(col(DossierStep.dossier_code).in_(codes))
    ):
        steps[step.dossier_code].append(step)
    officers: dict[str, set[str]] = defaultdict(set)
    for attempt in await session.scalars(
        select(StepAttemptRecord).where(col(StepAttemptRecord.dossier_code).in_(codes))
    ):
        officers[attempt.dossier_code].update(h["officer"] for h in attempt.holdings)
        if attempt.finished_by:
            officers[attempt.dossier_code].add(attempt.finished_by)
    fee_bearing: set[str] = set()
    paid_online: set[str] = set()
    for payment in await session.scalars(
        select(Payment).where(col(Payment.dossier_code).in_(codes))
    ):
        fee_bearing.add(payment.dossier_code)
        if payment.online and payment.state == "paid":
            paid_online.add(payment.dossier_code)
    components: dict[str, list[Component]] = defaultdict(list)
    for component in await session.scalars(
        select(Component).where(col(Component.dossier_code).in_(codes))
    ):
        components[component.dossier_code].append(component)
    unsynced = set(
        await session.scalars(
            select(col(PortalOutboxRecord.dossier_code))
            .where(
                col(PortalOutboxRecord.dossier_code).in_(codes),
                col(PortalOutboxRecord.state) != RecordState.SENT.value,
            )
            .group_by(col(PortalOutboxRecord.dossier_code))
        )
    )
    ever_synced = set(
        await session.scalars(
            select(col(PortalOutboxRecord.dossier_code))
            .where(col(PortalOutboxRecord.dossier_code).in_(codes))
            .distinct()
        )
    )
    records = []
    for row in rows:
        agency = agencies.get(row.agency_code)
        procedure = procedures.get(row.procedure_code)
        definition = procedure.definition if procedure else {}
        verdict = current_verdict(row, cal, now)
        status = Status(row.status)
        parts = components[row.code]
        ended = row.finished_at if status != Status.WITHDRAWN else None
        if verdict is not None and verdict.verdict.finished:
            ended = verdict.judged_at
        records.append(
            OutcomeRecord(
                code=row.code,
                procedure_code=row.procedure_code,
                procedure_name=procedure.name if procedure else row.procedure_code,
                sector=str(definition.get("sector", "")),
                agency_code=row.agency_code,
                agency_name=agency.name if agency else row.agency_code,
                agency_level=_level(agency.level if agency else None),
                channel=row.channel,
                status=row.status,
                submitted_at=row.submitted_at,
                received_at=row.received_at,
                due_at=row.due_at,
                original_due_at=row.verdict_due_at or row.original_due_at or row.due_at,
                ended_at=ended,
                verdict=verdict.verdict if verdict else Verdict.NOT_JUDGED,
                late_hours=verdict.late_hours if verdict else 0.0,
                apologised=row.apologised,
                supplement_rounds=row.supplement_rounds,
                waiting_for_applicant=row.status in WAITING,
                refused=status == Status.REFUSED or row.result_kind == "refusal",
                withdrawn=status == Status.WITHDRAWN,
                stopped=status == Status.STOPPED,
                fee_bearing=row.code in fee_bearing,
                paid_online=row.code in paid_online,
                components_digitized=bool(parts) and all(c.digitized for c in parts if c.required),
                reused=any(c.reused for c in parts),
                result_required=True,
                electronic_result=row.result_document_id is not None,
                rating=row.rating,
                synced=row.code in ever_synced and row.code not in unsynced,
                officers=tuple(sorted(officers[row.code] - {""})),
                unit_codes=tuple(dict.fromkeys(s.unit_code for s in steps[row.code])),
                step_agency_codes=tuple(dict.fromkeys(s.agency_code for s in steps[row.code])),
                attribution=verdict.attribution if verdict else (),
                withdrawn_at=row.finished_at if status == Status.WITHDRAWN else None,
            )
        )
    return records


async def backfill_verdicts(sessions: async_sessionmaker[AsyncSession], now: datetime) -> int:
    """Judge the dossiers projected before verdicts existed, from what the read model holds:
    each step as one attempt nobody took (the unit's), supplement requests after reception
    from the timeline. Dossiers that already have a verdict are left alone; returns how many
    were judged."""
    async with sessions() as session:
        cal = await working_calendar(session, now.date())
        rows = list(await session.scalars(select(Dossier).where(col(Dossier.verdict).is_(None))))
        codes = [r.code for r in rows]
        steps: dict[str, list[DossierStep]] = defaultdict(list)
        asked: dict[str, int] = defaultdict(int)
        if codes:
            for step in await session.scalars(
                select(DossierStep).where(col(DossierStep.dossier_code).in_(codes))
            ):
                steps[step.dossier_code].append(step)
            for entry in await session.scalars(
                select(TimelineEntry).where(
                    col(TimelineEntry.dossier_code).in_(codes),
                    col(TimelineEntry.action) == "request-supplement",
                    col(TimelineEntry.from_status) != Status.SUBMITTED.value,
                )
            ):
                asked[entry.dossier_code] += 1
        for row in rows:
            attempts = tuple(
                StepAttempt(
                    step_index=s.idx,
                    attempt=1,
                    unit_code=s.unit_code,
                    unit_name=s.unit_name,
                    agency_code=s.agency_code,
                    agency_name=s.agency_name,
                    started_at=s.started_at,
                    due_at=s.due_at,
                    finished_at=s.finished_at,
                    finished_by=s.handled_by,
                )
                for s in sorted(steps[row.code], key=lambda s: s.idx)
                if s.started_at is not None
            )
            facts = VerdictFacts(
                status=Status(row.status),
                received_at=row.received_at,
                due_at=row.original_due_at or row.due_at,
                ended_at=row.finished_at,
                apologised=row.apologised,
                new_due_at=row.due_at if row.apologised else None,
                supplements_after_reception=asked[row.code],
                attempts=attempts,
            )
            apply_verdict(row, judge(facts, cal, now))
            session.add(row)
        await session.commit()
    return len(rows)
