"""Routes as stages: a parallel consultation (liên thông song song) of several agencies, each
branch with its own share, clock, timers and attempt, joined when all (or the quorum) have
answered. Pure domain."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.actions import act
from domain.calendar import build_calendar
from domain.clock import add_working_time
from domain.dossier import (
    ActionRequest,
    Actor,
    Applicant,
    DossierState,
    Forbidden,
    ResultKind,
    Role,
)
from domain.lifecycle import Action, IllegalTransition, Status
from domain.outcomes import Verdict
from domain.portal_sync import portal_dossier, portal_progress
from domain.procedures import ComponentSpec, Procedure, ProcedureError, RouteStep
from domain.responsibility import NOT_NEEDED
from domain.statutory import pending_timers
from domain.verdict import judge_state
from tests.support.workflows import clock_config

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
CAL = build_calendar(range(2025, 2029))
DAY = 8 * 60
LEAD, B, C, D = "000.00.14.H29", "000.00.22.H29", "000.00.23.H29", "000.00.24.H29"
PROC = Procedure(
    code="LT.1",
    name="Thủ tục liên thông thử",
    agency_code=LEAD,
    agency_name="Sở Kế hoạch và Đầu tư",
    lead_agency_code=LEAD,
    term_days=5,
    steps=(
        RouteStep("U.A", "Phòng Thẩm định", LEAD, "Sở Kế hoạch và Đầu tư", 1),
        RouteStep("U.B", "Phòng Quy hoạch", B, "Sở Xây dựng", 2, stage=2),
        RouteStep("U.C", "Phòng Môi trường", C, "Sở Tài nguyên và Môi trường", 1, stage=2),
        RouteStep("U.D", "Phòng Kinh tế", D, "Sở Công Thương", 2, stage=2),
        RouteStep("U.E", "Lãnh đạo Sở", LEAD, "Sở Kế hoạch và Đầu tư", 2),
    ),
    components=(ComponentSpec("DON", "Đơn"),),
)
CLERK = Actor("clerk", "Trần Thị Mai", Role.CLERK, LEAD, "U.MC")
OFF_A = Actor("off.a", "Nguyễn Văn An", Role.OFFICER, LEAD, "U.A")
OFF_B = Actor("off.b", "Lê Thị Bình", Role.OFFICER, B, "U.B")
OFF_C = Actor("off.c", "Phạm Văn Cường", Role.OFFICER, C, "U.C")
OFF_D = Actor("off.d", "Võ Thị Dung", Role.OFFICER, D, "U.D")
OFF_E = Actor("off.e", "Đỗ Văn Em", Role.OFFICER, LEAD, "U.E")
OUTSIDER = Actor("off.x", "Hồ Văn Xa", Role.OFFICER, B, "U.X")
ADMIN = Actor("admin", "Quản trị", Role.ADMIN)
#: Monday 2 November 2026, 08:00.
ACCEPTED = datetime(2026, 11, 2, 8, 0, tzinfo=HCM)


def later(minutes: int, start: datetime = ACCEPTED) -> datetime:
    return add_working_time(CAL, start, minutes)


class Dossier:
    def __init__(self, procedure: Procedure = PROC) -> None:
        self.state = DossierState.new(
            code="LT-1",
            procedure=procedure.validate(),
            channel=2,
            applicant=Applicant("Nguyễn Văn Dân"),
            submitted_at=ACCEPTED - timedelta(hours=1),
            handed_in=["DON"],
        )
        self.do(Action.ACCEPT, CLERK, ACCEPTED)
        self.do(Action.FORWARD, CLERK, ACCEPTED)

    def do(self, action: Action, actor: Actor, at: datetime, **kw: object) -> Dossier:
        act(self.state, ActionRequest(action=action, actor=actor, **kw), at, CAL)  # type: ignore[arg-type]
        return self

    def to_consultation(self) -> Dossier:
        return self.do(Action.FORWARD, OFF_A, later(DAY // 2))

    def open_units(self) -> list[str]:
        return [s.unit_code for s in self.state.current_steps]


# --------------------------------------------------------------------------- validation


def test_a_sequential_route_is_one_step_a_stage() -> None:
    sequential = replace(PROC, steps=tuple(replace(s, stage=0) for s in PROC.steps), term_days=8)
    assert sequential.validate().stages == ((0,), (1,), (2,), (3,), (4,))
    assert PROC.validate().stages == ((0,), (1, 2, 3), (4,))
    assert PROC.quorum(1) == 3 and PROC.quorum(0) == 1


@pytest.mark.parametrize(
    ("change", "says"),
    [
        ({"term_days": 7}, "shares add up to 5"),
        ({"stage_quorum": {2: 4}}, "quorum must be from 1 to 3"),
        ({"stage_quorum": {2: 0}}, "quorum must be from 1 to 3"),
        ({"stage_quorum": {9: 1}}, "not a parallel stage"),
        ({"lead_agency_code": "000.00.99.H29"}, "lead agency 000.00.99.H29 has no step"),
        (
            {"steps": (*PROC.steps[:4], replace(PROC.steps[4], stage=2))},
            "last stage decides the result",
        ),
        (
            {"steps": (PROC.steps[1], PROC.steps[0], *PROC.steps[2:])},
            "must follow each other",
        ),
        (
            {
                "steps": (
                    PROC.steps[0],
                    PROC.steps[1],
                    replace(PROC.steps[2], unit_code="U.B"),
                    *PROC.steps[3:],
                )
            },
            "two branches of the same unit",
        ),
    ],
)
def test_an_unusable_stage_definition_is_refused(change: dict[str, object], says: str) -> None:
    with pytest.raises(ProcedureError, match=says):
        replace(PROC, **change).validate()  # type: ignore[arg-type]


# --------------------------------------------------------------------------- the join


def test_three_branches_each_answer_and_the_dossier_moves_on_after_the_last() -> None:
    d = Dossier().to_consultation()
    state = d.state
    assert d.open_units() == ["U.B", "U.C", "U.D"] and state.current_step is None
    assert all(s.ledger and s.due_at for s in state.current_steps)
    # each branch its own due moment, from its own share
    due = {s.unit_code: s.due_at for s in state.current_steps}
    assert due["U.C"] == later(DAY, later(DAY // 2)) and due["U.B"] == due["U.D"]
    d.do(Action.FORWARD, OFF_C, later(DAY // 2, later(DAY // 2)))
    assert d.open_units() == ["U.B", "U.D"] and state.step_index == 1
    d.do(Action.FORWARD, OFF_B, later(DAY, later(DAY // 2)))
    assert d.open_units() == ["U.D"] and state.status == Status.PROCESSING
    d.do(Action.FORWARD, OFF_D, later(DAY + 60, later(DAY // 2)))
    assert state.step_index == 4 and state.current_step is state.steps[4]
    assert [s.handled_by for s in state.steps[1:4]] == ["off.b", "off.c", "off.d"]
    attempts = [(a.step_index, a.branch, a.outcome) for a in state.step_attempts]
    assert attempts[1:4] == [(1, "U.B", "forward"), (2, "U.C", "forward"), (3, "U.D", "forward")]
    assert d.state.step_attempts[-1].step_index == 4 and d.state.step_attempts[-1].open
    d.do(Action.RESOLVE, OFF_E, later(2 * DAY), result_kind=ResultKind.APPROVAL)
    assert state.status == Status.RESOLVED


def test_with_a_quorum_the_rest_are_closed_as_not_needed() -> None:
    d = Dossier(replace(PROC, stage_quorum={2: 2})).to_consultation()
    d.do(Action.FORWARD, OFF_B, later(DAY))
    assert d.state.step_index == 1
    d.do(Action.FORWARD, OFF_D, later(DAY + 60))
    assert d.state.step_index == 4
    c = d.state.steps[2]
    assert c.closed and c.finished_at == later(DAY + 60) and not c.handled_by
    [attempt_c] = [a for a in d.state.step_attempts if a.step_index == 2]
    assert attempt_c.outcome == NOT_NEEDED and attempt_c.finished_by == ""
    with pytest.raises(Forbidden, match="belongs to another agency"):  # C: nothing left
        d.state.check(
            ActionRequest(action=Action.REQUEST_SUPPLEMENT, actor=OFF_C, reason="x", items=("y",))
        )
    # closed past its own due moment, it is not blamed
    d.do(Action.RESOLVE, OFF_E, later(20 * DAY), result_kind=ResultKind.APPROVAL)
    verdict = judge_state(d.state, CAL, later(30 * DAY))
    assert verdict.verdict == Verdict.LATE
    assert "U.C" not in {a.unit_code for a in verdict.attribution}


def test_only_the_branch_units_act_and_each_answers_once() -> None:
    d = Dossier().to_consultation()
    with pytest.raises(Forbidden, match="open branches of this stage belong to"):
        d.state.check(ActionRequest(action=Action.FORWARD, actor=OUTSIDER))
    with pytest.raises(Forbidden):
        d.state.check(ActionRequest(action=Action.FORWARD, actor=OFF_A))
    d.do(Action.FORWARD, OFF_B, later(DAY))
    with pytest.raises(Forbidden, match="already answered"):
        d.state.check(ActionRequest(action=Action.FORWARD, actor=OFF_B))
    assert Action.FORWARD not in d.state.allowed_actions(OFF_B)
    assert Action.FORWARD in d.state.allowed_actions(OFF_C)
    # an administrator manages the catalogue and the org chart, not the dossiers
    with pytest.raises(Forbidden, match="administrator"):
        d.state.check(ActionRequest(action=Action.FORWARD, actor=ADMIN, step_index=2))
    d.do(Action.FORWARD, OFF_C, later(DAY))
    assert d.open_units() == ["U.D"] and d.state.steps[2].handled_by == OFF_C.username


def test_an_officer_takes_their_own_branch() -> None:
    d = Dossier().to_consultation()
    d.do(Action.TAKE, OFF_C, later(DAY))
    assert d.state.steps[2].assignee == "off.c"
    assert not d.state.steps[1].assignee and not d.state.steps[3].assignee
    [attempt_c] = [a for a in d.state.step_attempts if a.step_index == 2]
    assert [h.officer for h in attempt_c.holdings] == ["off.c"]


def test_return_from_the_next_stage_reopens_every_branch() -> None:
    d = Dossier().to_consultation()
    for officer in (OFF_B, OFF_C, OFF_D):
        d.do(Action.FORWARD, officer, later(DAY))
    d.do(Action.RETURN, OFF_E, later(DAY + 120), reason="cần ý kiến lại")
    state = d.state
    assert state.step_index == 1 and d.open_units() == ["U.B", "U.C", "U.D"]
    assert all(s.attempt == 2 and s.started_at == later(DAY + 120) for s in state.current_steps)
    assert all(s.ledger[0].at == later(DAY + 120) for s in state.current_steps)
    assert state.steps[4].started_at is None
    open_attempts = [(a.step_index, a.attempt) for a in state.step_attempts if a.open]
    assert open_attempts == [(1, 2), (2, 2), (3, 2)]
    # and a return from the parallel stage goes back to the single step before it
    d.do(Action.RETURN, OFF_C, later(DAY + 180), reason="thiếu thẩm định")
    assert state.step_index == 0 and d.open_units() == ["U.A"]
    assert all(s.started_at is None for s in state.steps[1:4])
    assert not [a for a in state.step_attempts if a.open and a.step_index != 0]


def test_the_first_stage_has_nothing_to_return_to() -> None:
    first = replace(
        PROC,
        steps=tuple(replace(s, stage=2) for s in PROC.steps[1:4]) + PROC.steps[4:],
        term_days=4,
    )
    d = Dossier(first)
    with pytest.raises(IllegalTransition, match="first step"):
        d.state.check(ActionRequest(action=Action.RETURN, actor=OFF_B, reason="x"))


# --------------------------------------------------------------------------- time


def test_one_warning_and_escalation_chain_per_open_branch() -> None:
    d = Dossier().to_consultation()
    config = clock_config()
    timers = [t for t in pending_timers(d.state, config, CAL) if t.step_index is not None]
    assert {(t.step_index, t.unit_code, t.agency_code) for t in timers} == {
        (1, "U.B", B),
        (2, "U.C", C),
        (3, "U.D", D),
    }
    for index in (1, 2, 3):
        kinds = [t.kind for t in timers if t.step_index == index]
        assert kinds.count("escalation") == 3
        assert all(t.due_at == d.state.steps[index].due_at for t in timers if t.step_index == index)
    d.do(Action.FORWARD, OFF_B, later(DAY))
    left = {t.step_index for t in pending_timers(d.state, config, CAL) if t.step_index is not None}
    assert left == {2, 3}


def test_a_late_branch_is_blamed_on_its_own_agency_and_unit_only() -> None:
    d = Dossier().to_consultation()
    start = later(DAY // 2)
    d.do(Action.FORWARD, OFF_B, later(DAY, start))
    d.do(Action.FORWARD, OFF_D, later(2 * DAY, start))
    d.do(Action.FORWARD, OFF_C, later(6 * DAY, start))  # its share is 1 day: 5 days over
    d.do(Action.RESOLVE, OFF_E, later(7 * DAY, start), result_kind=ResultKind.APPROVAL)
    verdict = judge_state(d.state, CAL, later(30 * DAY))
    assert verdict.verdict == Verdict.LATE
    [blame] = verdict.attribution
    assert (blame.step_index, blame.unit_code, blame.agency_code, blame.branch) == (
        2,
        "U.C",
        C,
        "U.C",
    )
    assert blame.overrun_hours == 40


def test_a_supplement_request_pauses_every_open_branch() -> None:
    d = Dossier(replace(PROC, supplement_policy="pause")).to_consultation()  # type: ignore[arg-type]
    d.do(Action.FORWARD, OFF_B, later(DAY))
    before = {s.index: s.due_at for s in d.state.steps[2:4]}
    d.do(Action.REQUEST_SUPPLEMENT, OFF_C, later(DAY), reason="thiếu", items=("Bản vẽ",))
    assert all(s.due_at is None for s in d.state.current_steps)  # both clocks stopped
    d.do(Action.SUPPLEMENT, CLERK, later(DAY) + timedelta(days=7))
    after = {s.index: s.due_at for s in d.state.steps[2:4]}
    assert all(after[i] > before[i] for i in (2, 3))  # type: ignore[operator]
    assert d.state.steps[1].due_at == later(2 * DAY, later(DAY // 2))


# --------------------------------------------------------------------------- portal


def test_the_portal_hears_which_branch_answered_and_who_is_still_consulted() -> None:
    d = Dossier().to_consultation()
    event = act(d.state, ActionRequest(action=Action.FORWARD, actor=OFF_C), later(DAY), CAL)
    assert event.branch_index == 2 and event.step_index == 1
    progress = portal_progress(d.state, event)
    assert progress.unit_name == "Phòng Môi trường"
    assert progress.step_due == d.state.steps[2].due_at
    assert portal_dossier(d.state).handling_unit_name == "Sở Xây dựng; Sở Công Thương"
    last = act(d.state, ActionRequest(action=Action.FORWARD, actor=OFF_B), later(DAY), CAL)
    last = act(d.state, ActionRequest(action=Action.FORWARD, actor=OFF_D), later(DAY), CAL)
    assert last.branch_index == 3 and last.step_index == 4
    assert portal_progress(d.state, last).unit_name == "Phòng Kinh tế"
    assert portal_dossier(d.state).handling_unit_name == "Sở Kế hoạch và Đầu tư"
