"""Which event of a dossier tells the applicant what (thông báo cho tổ chức, cá nhân), and
through which of the contacts they gave. Pure: the projection writes the notices to the
outbox in the same transaction as the event, rendered from the operator's templates.

One notice per event at most, keyed by the event's seq: a retried projection of the same
event finds its key taken and writes nothing twice."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from domain.clock import format_local
from domain.dossier import Applicant, DossierEvent, DossierState
from domain.lifecycle import Action, Status


class NoticeKind(StrEnum):
    """A notice to the applicant; its value names its templates."""

    RECEIVED = "received"  # tiếp nhận, with the appointment (giấy hẹn)
    SUPPLEMENT_REQUESTED = "supplement_requested"  # yêu cầu bổ sung, with the list
    PAYMENT_REQUESTED = "payment_requested"  # nghĩa vụ tài chính, amount and payment link
    APOLOGY = "apology"  # thư xin lỗi và hẹn lại ngày trả kết quả
    RESULT_READY = "result_ready"  # có kết quả
    STOPPED = "stopped"  # dừng xử lý
    FEEDBACK_ANSWERED = "feedback_answered"  # phản ánh, kiến nghị đã được trả lời


class ContactChannel(StrEnum):
    """The outbox channels that reach an applicant (names of activities.notify channels)."""

    EMAIL = "email"
    SMS = "sms"


@dataclass(frozen=True)
class Contact:
    channel: ContactChannel
    address: str


@dataclass(frozen=True)
class ApplicantNotice:
    kind: NoticeKind
    #: unique per dossier (with the channel): the outbox's `escalation_key`
    key: str
    #: what the templates may use, as text ready to print
    values: dict[str, str]
    #: what the supplement template lists
    items: tuple[str, ...] = ()


#: Who the outbox's rows for applicant notices are addressed to (recipient column).
APPLICANT = "applicant"

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^(\+84|0)\d{8,10}$")


def contacts(applicant: Applicant) -> list[Contact]:
    """The channels the applicant can be reached through: the e-mail and the mobile number
    they gave, when they look usable (a malformed one is skipped, not retried forever)."""
    found = []
    email = applicant.email.strip()
    if _EMAIL.match(email):
        found.append(Contact(ContactChannel.EMAIL, email))
    phone = re.sub(r"[\s.-]", "", applicant.phone)
    if _PHONE.match(phone):
        found.append(Contact(ContactChannel.SMS, phone))
    return found


def vnd(amount: int) -> str:
    """150000 → "150.000 đồng" (the Vietnamese thousands separator)."""
    return f"{amount:,}".replace(",", ".") + " đồng"


def event_key(event: DossierEvent) -> str:
    return f"applicant-{event.seq}"


def notice_for(state: DossierState, event: DossierEvent) -> ApplicantNotice | None:
    """The notice `event` (the last one applied to `state`) owes the applicant, or None."""
    kind = _KINDS.get(event.action)
    if kind is None:
        return None
    if kind == NoticeKind.RECEIVED and event.to_status != Status.RECEIVED:
        return None
    values = {
        "code": state.code,
        "procedure_name": state.procedure.name,
        "applicant_name": state.applicant.name,
        "status": event.to_status.vietnamese,
        "reason": event.note,
        "due": format_local(state.due_at) if state.due_at else "",
    }
    items: tuple[str, ...] = ()
    if kind == NoticeKind.SUPPLEMENT_REQUESTED and state.supplement_rounds:
        items = state.supplement_rounds[-1].items
        values["reason"] = state.supplement_rounds[-1].reason
    if kind == NoticeKind.PAYMENT_REQUESTED:
        owed = [p for p in state.payments if p.outstanding]
        if not owed:
            return None
        payment = owed[-1]
        values["amount"] = vnd(payment.amount)
        values["payment_link"] = payment.payment_url
        values["online"] = "1" if payment.online else ""
    if kind == NoticeKind.RESULT_READY and state.result is not None:
        values["result_summary"] = state.result.summary
    return ApplicantNotice(kind=kind, key=event_key(event), values=values, items=items)


def feedback_answered(
    *, feedback_code: str, subject: str, answer: str, dossier_code: str = ""
) -> ApplicantNotice:
    """The notice that the applicant's feedback or petition has been answered."""
    return ApplicantNotice(
        kind=NoticeKind.FEEDBACK_ANSWERED,
        key=f"feedback-{feedback_code}-answered",
        values={
            "code": dossier_code,
            "feedback_code": feedback_code,
            "subject": subject,
            "answer": answer,
        },
    )


_KINDS: dict[str, NoticeKind] = {
    Action.ACCEPT.value: NoticeKind.RECEIVED,
    Action.REQUEST_SUPPLEMENT.value: NoticeKind.SUPPLEMENT_REQUESTED,
    Action.REQUEST_PAYMENT.value: NoticeKind.PAYMENT_REQUESTED,
    Action.APOLOGIZE.value: NoticeKind.APOLOGY,
    Action.RESOLVE.value: NoticeKind.RESULT_READY,
    Action.STOP.value: NoticeKind.STOPPED,
}
