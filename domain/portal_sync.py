"""From our dossier to the national portal's shapes (đồng bộ DVCQG), and what reconciliation
should do when the portal's copy differs. Pure; the outbox and the portal-sync activities use it."""

from __future__ import annotations

from enum import StrEnum

from domain.dossier import DossierEvent, DossierState
from domain.lifecycle import Status
from domain.payment import PaymentState
from domain.portal import (
    PortalDocument,
    PortalDossier,
    PortalFee,
    PortalProgress,
    PortalResultDocument,
    PortalSupplementRound,
)

# --- from our dossier to the portal's shapes --------------------------------------------------

ONE_STOP_DESK = "Bộ phận Một cửa"

#: NoiDungXuLy when the event carries no note of its own (the portal requires the field).
ACTION_LABELS: dict[str, str] = {
    "submit": "Nộp hồ sơ",
    "accept": "Tiếp nhận hồ sơ",
    "request-supplement": "Yêu cầu bổ sung, hoàn thiện hồ sơ",
    "supplement": "Bổ sung hồ sơ",
    "refuse": "Từ chối tiếp nhận hồ sơ",
    "forward": "Chuyển xử lý",
    "return": "Trả lại bước trước",
    "resolve": "Đã xử lý xong",
    "deliver": "Trả kết quả",
    "withdraw": "Công dân rút hồ sơ",
    "rate": "Đánh giá mức độ hài lòng",
    "stop": "Dừng xử lý",
    "request-payment": "Yêu cầu thực hiện nghĩa vụ tài chính",
    "pay": "Đã thực hiện nghĩa vụ tài chính",
    "apologize": "Xin lỗi và hẹn lại ngày trả kết quả",
}


def _handled_step_index(event: DossierEvent) -> int:
    """The route step whose unit acted in ``event`` (-1: the one-stop desk).

    A forward is done by the step it leaves and a return by the step it undoes; other
    actions while processing belong to the current step, everything else to the desk. In a
    parallel stage the event names the branch that acted."""
    if event.branch_index is not None:
        return event.branch_index
    if event.action == "forward":
        return event.step_index - 1
    if event.action == "return":
        return event.step_index + 1
    if event.from_status == Status.PROCESSING:
        return event.step_index
    return -1


def portal_documents(state: DossierState) -> tuple[PortalDocument, ...]:
    """The components handed in, with whether each has an electronic copy (the portal's
    digitization figure), as the workflow holds them."""
    return tuple(
        PortalDocument(
            code=c.code,
            name=c.name,
            digitized=c.digitized,
            reused=c.reused,
            file_hash=c.sha256 or None,
        )
        for c in state.components
        if c.provided
    )


def portal_dossier(state: DossierState, *, paid_online: bool | None = None) -> PortalDossier:
    """The dossier as the portal should hold it after the state's latest event; the
    online-payment flag and the fee lines come from the dossier's payments."""
    step = state.current_step
    if state.status == Status.PROCESSING and step is not None:
        unit = step.agency_name
    elif state.status == Status.PROCESSING and state.current_steps:
        # a parallel consultation: every agency still to answer
        names = dict.fromkeys(s.agency_name for s in state.current_steps)
        unit = "; ".join(names)
    else:
        unit = state.procedure.agency_name
    results: tuple[PortalResultDocument, ...] = ()
    if state.result is not None:
        results = (
            PortalResultDocument(
                code=f"KQ-{state.code}",
                name=state.result.summary or f"Kết quả: {state.procedure.name}",
                # the electronic result (bản điện tử), when one was attached
                file_hash=state.electronic_result.sha256 if state.electronic_result else None,
            ),
        )
    rounds = []
    for i, rnd in enumerate(state.supplement_rounds):
        latest = i == len(state.supplement_rounds) - 1
        # The clock gives the new appointment when the supplement arrives (term restarts).
        new_due = rnd.new_due or (state.due_at if latest and rnd.supplied_at else None)
        rounds.append(
            PortalSupplementRound(
                requested_at=rnd.requested_at,
                reason=rnd.reason + (": " + "; ".join(rnd.items) if rnd.items else ""),
                previous_due=rnd.previous_due,
                new_due=new_due,
                supplied_at=rnd.supplied_at,
            )
        )
    for entry in state.ledger:
        if entry.kind == "reschedule":  # the apology (Form 04) and its new appointment
            rounds.append(
                PortalSupplementRound(
                    requested_at=entry.at,
                    reason=f"{APOLOGY_NOTE}: {entry.reason}",
                    previous_due=state.original_due_at,
                    new_due=entry.new_due,
                    supplied_at=entry.at,
                )
            )
    verdict = state.verdict
    return PortalDossier(
        code=state.code,
        procedure_code=state.procedure.portal_code,
        procedure_name=state.procedure.name,
        channel=state.channel,
        applicant_name=state.applicant.name,
        applicant_id_number=state.applicant.id_number,
        received_at=state.received_at,
        # NgayHenTra stays the original appointment: the portal judges lateness against it
        due=state.original_due_at or state.due_at,
        status_code=state.status.portal_code,
        finished_at=state.finished_at,
        handling_unit_name=unit,
        paid_online=state.paid_online if paid_online is None else paid_online,
        fees=tuple(
            PortalFee(
                code=line.code,
                name=line.name,
                amount=line.amount,
                kind=line.kind.value,
                paid=payment.state == PaymentState.PAID,
                paid_online=payment.state == PaymentState.PAID and payment.online,
            )
            for payment in state.payments
            for line in payment.lines
        ),
        documents=portal_documents(state),
        results=results,
        supplement_rounds=tuple(rounds),
        verdict=verdict.verdict.value if verdict else "",
        late_hours=verdict.late_hours if verdict else 0.0,
    )


APOLOGY_NOTE = "Xin lỗi và hẹn lại ngày trả kết quả (Mẫu 04)"


def portal_progress(
    state: DossierState, event: DossierEvent, actor_title: str = ""
) -> PortalProgress:
    """One progress entry for ``event``: who acted, in which unit, and that unit's time limit."""
    index = _handled_step_index(event)
    if 0 <= index < len(state.steps):
        step = state.steps[index]
        unit_name = step.unit_name
        started, due = step.started_at, step.due_at
    else:
        unit_name = f"{ONE_STOP_DESK} – {state.procedure.agency_name}"
        started, due = state.received_at, state.due_at
    if started is not None and due is not None and due < started:
        due = None
    label = ACTION_LABELS.get(event.action, event.action)
    return PortalProgress(
        actor_name=event.actor_name or event.actor,
        actor_title=actor_title,
        at=event.at,
        unit_name=unit_name,
        content=f"{label}: {event.note}" if event.note else label,
        status_code=event.to_status.portal_code,
        step_started_at=started,
        step_due=due,
    )


# --- reconciliation -------------------------------------------------------------------------


class Divergence(StrEnum):
    """How the portal's copy of a dossier differs from ours, and so what to re-send."""

    IN_SYNC = "in_sync"
    UNKNOWN = "unknown"  # the portal has never heard of it: re-send everything from seq 1
    BEHIND = "behind"  # the portal lacks records we hold as acknowledged: re-send those
    DIFFERENT = "different"  # same seq, other status: send our latest state under a new seq


def compare_with_portal(
    *, acked_seq: int, status_code: int, portal_last_seq: int | None, portal_status: int | None
) -> Divergence:
    """Compare what we hold as acknowledged with what a portal look-up returned
    (``portal_last_seq`` None: the portal does not know the dossier)."""
    if portal_last_seq is None:
        return Divergence.UNKNOWN
    if portal_last_seq < acked_seq:
        return Divergence.BEHIND
    if portal_status != status_code:
        return Divergence.DIFFERENT
    return Divergence.IN_SYNC
