"""The transition table: statuses, portal codes, and `next_status`."""

from collections import deque

import pytest

from domain.lifecycle import (
    PORTAL_CODES,
    PREVIOUS,
    TERMINAL,
    TRANSITIONS,
    Action,
    IllegalTransition,
    Status,
    next_status,
    table_actions,
)


def test_every_status_has_its_portal_code_one_to_ten() -> None:
    assert sorted(PORTAL_CODES.values()) == list(range(1, 11))
    assert Status.SUBMITTED.portal_code == 1
    assert Status.AWAITING_PAYMENT.portal_code == 6
    assert Status.RETURNED.portal_code == 10


def test_terminal_statuses() -> None:
    assert {s for s in Status if s.terminal} == {
        Status.REFUSED,
        Status.WITHDRAWN,
        Status.STOPPED,
        Status.RETURNED,
    }


MAIN_PATH = [
    (Status.SUBMITTED, Action.ACCEPT, Status.RECEIVED),
    (Status.RECEIVED, Action.FORWARD, Status.PROCESSING),
    (Status.PROCESSING, Action.FORWARD, Status.PROCESSING),
    (Status.PROCESSING, Action.REQUEST_PAYMENT, Status.AWAITING_PAYMENT),
    (Status.PROCESSING, Action.RESOLVE, Status.RESOLVED),
    (Status.RESOLVED, Action.DELIVER, Status.RETURNED),
    (Status.SUBMITTED, Action.REFUSE, Status.REFUSED),
    (Status.SUPPLEMENT_REQUESTED, Action.STOP, Status.STOPPED),
    (Status.AWAITING_PAYMENT, Action.STOP, Status.STOPPED),
]


@pytest.mark.parametrize(("source", "action", "target"), MAIN_PATH)
def test_table_moves(source: Status, action: Action, target: Status) -> None:
    assert next_status(source, action) == target


@pytest.mark.parametrize("status", [s for s in Status if not s.terminal])
def test_withdraw_from_every_non_terminal_status(status: Status) -> None:
    assert next_status(status, Action.WITHDRAW) == Status.WITHDRAWN


def test_waiting_returns_to_the_previous_status() -> None:
    assert next_status(Status.SUPPLEMENT_REQUESTED, Action.SUPPLEMENT, Status.SUBMITTED) == (
        Status.SUBMITTED
    )
    assert next_status(Status.AWAITING_PAYMENT, Action.PAY, Status.PROCESSING) == (
        Status.PROCESSING
    )
    with pytest.raises(IllegalTransition):
        next_status(Status.SUPPLEMENT_REQUESTED, Action.SUPPLEMENT, None)


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("action", list(Action))
def test_anything_not_in_the_table_is_illegal(status: Status, action: Action) -> None:
    if (status, action) in TRANSITIONS:
        return
    with pytest.raises(IllegalTransition) as caught:
        next_status(status, action, Status.PROCESSING)
    assert caught.value.status == status
    assert caught.value.allowed == table_actions(status)
    assert action.value in caught.value.reason


@pytest.mark.parametrize("status", [s for s in Status if s not in TERMINAL])
def test_every_non_terminal_status_can_reach_a_terminal_one(status: Status) -> None:
    seen, queue = {status}, deque([status])
    while queue:
        current = queue.popleft()
        if current.terminal:
            return
        for (source, _), target in TRANSITIONS.items():
            if source != current:
                continue
            nxt = Status.PROCESSING if target is PREVIOUS else target
            assert isinstance(nxt, Status)
            if nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    pytest.fail(f"{status} cannot reach a terminal status")


def test_terminal_statuses_allow_nothing_but_rating() -> None:
    for status in TERMINAL:
        assert set(table_actions(status)) <= {Action.RATE}
