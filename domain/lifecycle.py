"""The dossier lifecycle (vòng đời hồ sơ): statuses, their national-portal codes, the actions
and the transition table. Everything that moves a dossier goes through `next_status`."""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class Status(StrEnum):
    """A dossier status; the value order follows the portal's TrangThaiHoSo codes."""

    SUBMITTED = "submitted"
    RECEIVED = "received"
    REFUSED = "refused"
    PROCESSING = "processing"
    SUPPLEMENT_REQUESTED = "supplement_requested"
    AWAITING_PAYMENT = "awaiting_payment"
    WITHDRAWN = "withdrawn"
    STOPPED = "stopped"
    RESOLVED = "resolved"
    RETURNED = "returned"

    @property
    def portal_code(self) -> int:
        """The DVCQG `TrangThaiHoSo` code."""
        return PORTAL_CODES[self]

    @property
    def vietnamese(self) -> str:
        return VIETNAMESE_LABELS[self]

    @property
    def terminal(self) -> bool:
        return self in TERMINAL


PORTAL_CODES: Final[dict[Status, int]] = {
    Status.SUBMITTED: 1,
    Status.RECEIVED: 2,
    Status.REFUSED: 3,
    Status.PROCESSING: 4,
    Status.SUPPLEMENT_REQUESTED: 5,
    Status.AWAITING_PAYMENT: 6,
    Status.WITHDRAWN: 7,
    Status.STOPPED: 8,
    Status.RESOLVED: 9,
    Status.RETURNED: 10,
}

VIETNAMESE_LABELS: Final[dict[Status, str]] = {
    Status.SUBMITTED: "Mới đăng ký",
    Status.RECEIVED: "Được tiếp nhận",
    Status.REFUSED: "Không được tiếp nhận",
    Status.PROCESSING: "Đang xử lý",
    Status.SUPPLEMENT_REQUESTED: "Yêu cầu bổ sung giấy tờ",
    Status.AWAITING_PAYMENT: "Yêu cầu thực hiện nghĩa vụ tài chính",
    Status.WITHDRAWN: "Công dân yêu cầu rút hồ sơ",
    Status.STOPPED: "Dừng xử lý",
    Status.RESOLVED: "Đã xử lý xong",
    Status.RETURNED: "Đã trả kết quả",
}

TERMINAL: Final[frozenset[Status]] = frozenset(
    {Status.REFUSED, Status.WITHDRAWN, Status.STOPPED, Status.RETURNED}
)


class Action(StrEnum):
    """What an officer, the applicant or the system does to a dossier (URL-friendly values)."""

    ACCEPT = "accept"
    REQUEST_SUPPLEMENT = "request-supplement"
    SUPPLEMENT = "supplement"
    REFUSE = "refuse"
    FORWARD = "forward"
    RETURN = "return"
    RESOLVE = "resolve"
    DELIVER = "deliver"
    WITHDRAW = "withdraw"
    RATE = "rate"
    STOP = "stop"
    REQUEST_PAYMENT = "request-payment"
    PAY = "pay"
    APOLOGIZE = "apologize"
    #: The unit head gives the current step to an officer of the unit (phân công), or an
    #: officer of the unit takes a step nobody holds (nhận xử lý). The status stays.
    ASSIGN = "assign"
    TAKE = "take"
    #: The approver of the step's unit (the unit head, an acting head, or the procedure's
    #: approver role) approves the result an officer proposed (its RESOLVE waited), or
    #: rejects the proposal and the step goes on being processed (duyệt / trả lại dự thảo).
    APPROVE = "approve"
    REJECT = "reject"
    #: Not a transition: attaching a digitized component or the electronic result keeps the
    #: status; named so that refusals and the timeline can say what was attempted.
    ATTACH_DOCUMENT = "attach-document"


class _Previous:
    """Marker in the table: go back to the status the dossier had before it waited."""

    def __repr__(self) -> str:
        return "PREVIOUS"


PREVIOUS: Final = _Previous()

_NON_TERMINAL_WITHDRAWABLE = (
    Status.SUBMITTED,
    Status.RECEIVED,
    Status.PROCESSING,
    Status.SUPPLEMENT_REQUESTED,
    Status.AWAITING_PAYMENT,
    Status.RESOLVED,
)

TRANSITIONS: Final[dict[tuple[Status, Action], Status | _Previous]] = {
    # reception at the one-stop desk (Decree 61 Art. 17)
    (Status.SUBMITTED, Action.ACCEPT): Status.RECEIVED,
    (Status.SUBMITTED, Action.REQUEST_SUPPLEMENT): Status.SUPPLEMENT_REQUESTED,
    (Status.SUBMITTED, Action.REFUSE): Status.REFUSED,
    # an online submission whose fees are never paid (waiting limit)
    (Status.SUBMITTED, Action.STOP): Status.STOPPED,
    # hand-over to the first unit of the route (Art. 18)
    (Status.RECEIVED, Action.FORWARD): Status.PROCESSING,
    (Status.RECEIVED, Action.REQUEST_SUPPLEMENT): Status.SUPPLEMENT_REQUESTED,
    (Status.RECEIVED, Action.APOLOGIZE): Status.RECEIVED,
    # processing along the route (Art. 19)
    (Status.PROCESSING, Action.FORWARD): Status.PROCESSING,
    (Status.PROCESSING, Action.RETURN): Status.PROCESSING,
    (Status.PROCESSING, Action.REQUEST_SUPPLEMENT): Status.SUPPLEMENT_REQUESTED,
    (Status.PROCESSING, Action.REQUEST_PAYMENT): Status.AWAITING_PAYMENT,
    (Status.PROCESSING, Action.RESOLVE): Status.RESOLVED,
    (Status.PROCESSING, Action.APOLOGIZE): Status.PROCESSING,
    (Status.PROCESSING, Action.ASSIGN): Status.PROCESSING,
    (Status.PROCESSING, Action.TAKE): Status.PROCESSING,
    (Status.PROCESSING, Action.APPROVE): Status.RESOLVED,
    (Status.PROCESSING, Action.REJECT): Status.PROCESSING,
    # waiting for the applicant
    (Status.SUPPLEMENT_REQUESTED, Action.SUPPLEMENT): PREVIOUS,
    (Status.SUPPLEMENT_REQUESTED, Action.STOP): Status.STOPPED,
    (Status.AWAITING_PAYMENT, Action.PAY): PREVIOUS,
    (Status.AWAITING_PAYMENT, Action.STOP): Status.STOPPED,
    # returning the result (Art. 20)
    (Status.RESOLVED, Action.DELIVER): Status.RETURNED,
    (Status.RETURNED, Action.RATE): Status.RETURNED,
    # the applicant may withdraw at any non-terminal status
    **{(status, Action.WITHDRAW): Status.WITHDRAWN for status in _NON_TERMINAL_WITHDRAWABLE},
}


class IllegalTransition(Exception):
    """An action that the lifecycle does not allow in the dossier's current status."""

    def __init__(self, status: Status, action: Action, allowed: list[Action], reason: str = ""):
        self.status = status
        self.action = action
        self.allowed = allowed
        self.reason = reason or (
            f"'{action.value}' is not allowed while the dossier is {status.value} "
            f"({status.vietnamese})"
        )
        super().__init__(self.reason)


def table_actions(status: Status) -> list[Action]:
    """Actions the table allows from `status`, in declaration order."""
    return [action for (source, action) in TRANSITIONS if source == status]


def next_status(status: Status, action: Action, previous: Status | None = None) -> Status:
    """Apply `action` to `status` by the table, or raise `IllegalTransition`.

    `previous` is the status the dossier had before it started waiting for the applicant;
    it is where `supplement` and `pay` lead back to."""
    target = TRANSITIONS.get((status, action))
    if target is None:
        raise IllegalTransition(status, action, table_actions(status))
    if isinstance(target, _Previous):
        if previous is None:
            raise IllegalTransition(status, action, table_actions(status), "no status to return to")
        return previous
    return target
