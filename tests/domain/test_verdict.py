"""The on-time verdict by the national portal's rule, one row per rule, and who a late
dossier's lateness belongs to (the step, its unit and the officer who held it)."""

from __future__ import annotations

from copy import deepcopy
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.actions import act
from domain.calendar import build_calendar
from domain.clock import add_working_time, subtract_working_time
from domain.dossier import ActionRequest, Actor, Applicant, DossierState, ResultKind, Role
from domain.lifecycle import Action, IllegalTransition, Status
from domain.outcomes import Verdict
from domain.payment import FeeLineDraft
from domain.procedures import ComponentSpec, Procedure, RouteStep, SupplementPolicy
from domain.verdict import judge_state

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
CAL = build_calendar(range(2025, 2029))
A, B = "000.00.14.H29", "000.00.22.H29"
PROC = Procedure(
    code="T.1",
    name="Thủ tục thử",
    agency_code=A,
    agency_name="Sở Tài nguyên và Môi trường",
    term_days=3,
    steps=(
        RouteStep("U.A", "Phòng A", A, "Sở Tài nguyên và Môi trường", 1),
        RouteStep("U.B", "Phòng B", B, "Cục Thuế tỉnh", 2),
    ),
    components=(ComponentSpec("DON", "Đơn"),),
    supplement_policy=SupplementPolicy.PAUSE,
)
CLERK = Actor("clerk", "Trần Thị Mai", Role.CLERK, A, "U.MC")
OFF_A = Actor("off.a", "Nguyễn Văn An", Role.OFFICER, A, "U.A")
OFF_B = Actor("off.b", "Lê Thị Bình", Role.OFFICER, B, "U.B")
OFF_B2 = Actor("off.b2", "Phạm Văn Cường", Role.OFFICER, B, "U.B")
HEAD_B = Actor("head.b", "Võ Thị Dung", Role.UNIT_HEAD, B, "U.B")
HEAD_A = Actor("head.a", "Đỗ Văn Em", Role.UNIT_HEAD, A, "U.A")
APPLICANT = Actor("applicant", "Người nộp", Role.APPLICANT)
SYSTEM = Actor("system", "motcua", Role.SYSTEM)

#: Monday 2 November 2026, 08:00: the clock starts at once; the term of 3 working days ends
#: Thursday 5 November 08:00.
ACCEPTED = datetime(2026, 11, 2, 8, 0, tzinfo=HCM)
DUE = datetime(2026, 11, 5, 8, 0, tzinfo=HCM)


def vn(day: int, hh: int = 8, mm: int = 0, month: int = 11, year: int = 2026) -> datetime:
    return datetime(year, month, day, hh, mm, tzinfo=HCM)


class Dossier:
    """A dossier driven action by action at given moments, as the workflow drives it."""

    def __init__(self, procedure: Procedure = PROC, accepted: datetime = ACCEPTED) -> None:
        self.state = DossierState.new(
            code="X-1",
            procedure=procedure,
            channel=2,
            applicant=Applicant("Nguyễn Văn Dân"),
            submitted_at=accepted - timedelta(hours=1),
            handed_in=["DON"],
        )
        self.do(Action.ACCEPT, CLERK, accepted)

    def do(self, action: Action, actor: Actor, at: datetime, **kw: object) -> Dossier:
        request = ActionRequest(action=action, actor=actor, **kw)  # type: ignore[arg-type]
        act(self.state, request, at, CAL)
        return self

    def to_step_b(self, at: datetime) -> Dossier:
        self.do(Action.FORWARD, CLERK, ACCEPTED)
        return self.do(Action.FORWARD, OFF_A, at)

    def resolve(self, at: datetime, actor: Actor = OFF_B, **kw: object) -> Dossier:
        kw.setdefault("result_kind", ResultKind.APPROVAL)
        return self.do(Action.RESOLVE, actor, at, **kw)

    def verdict(self, now: datetime | None = None):  # type: ignore[no-untyped-def]
        return judge_state(self.state, CAL, now or vn(30, 8))


def supplement_round(d: Dossier, asked: datetime, back: datetime, by: Actor = OFF_B) -> None:
    d.do(Action.REQUEST_SUPPLEMENT, by, asked, reason="thiếu giấy tờ", items=("Bản vẽ",))
    d.do(Action.SUPPLEMENT, CLERK, back)


def test_the_term_ends_when_the_tests_expect() -> None:
    assert Dossier().state.due_at == DUE


def test_resolved_on_an_earlier_day_is_early() -> None:
    v = Dossier().to_step_b(vn(2, 10)).resolve(vn(4, 15)).verdict()
    assert v.verdict == Verdict.EARLY and v.late_hours == 0
    assert v.due_at == DUE and v.judged_at == vn(4, 15)


def test_resolved_on_the_appointment_day_before_its_moment_is_on_time() -> None:
    late_appointment = replace(
        PROC, term_days=2.5, steps=(PROC.steps[0], replace(PROC.steps[1], term_days=1.5))
    )
    d = Dossier(late_appointment)  # due Wednesday 4 November 13:00 + 2 h = 15:00? see below
    due = d.state.due_at
    assert due is not None
    v = d.to_step_b(vn(2, 10)).resolve(due - timedelta(minutes=30)).verdict()
    assert v.verdict == Verdict.ON_TIME


def test_resolved_exactly_at_the_due_moment_is_on_time() -> None:
    v = Dossier().to_step_b(vn(2, 10)).resolve(DUE).verdict()
    assert v.verdict == Verdict.ON_TIME and v.late_hours == 0


def test_resolved_after_the_due_moment_is_late_by_working_time() -> None:
    v = Dossier().to_step_b(vn(2, 10)).resolve(vn(5, 10, 30)).verdict()
    assert v.verdict == Verdict.LATE
    assert v.late_hours == 2.5  # 08:00 → 10:30 on the same working morning
    assert "2.5 working hours after the appointment" in v.reasons[0]


def test_late_across_the_weekend_counts_working_time_only() -> None:
    # due Thursday 08:00; resolved Monday 9 November 08:00 = Thu 7.5 h + Fri 8 h + Mon 0.5 h
    v = Dossier().to_step_b(vn(2, 10)).resolve(vn(9, 8)).verdict()
    assert v.verdict == Verdict.LATE and v.late_hours == 16.0
    assert v.late_days == 2.0


def test_across_tet_the_holidays_do_not_count() -> None:
    # a dossier due at the close of the last working day before Tết 2027, resolved one
    # working hour into the first working day after it
    day = datetime(2027, 1, 25, tzinfo=HCM).date()
    while CAL.is_working_day(day + timedelta(days=1)) or CAL.is_working_day(
        day + timedelta(days=4)
    ):
        day += timedelta(days=1)
    assert day.month == 2  # the days off of Tết follow `day`
    close = datetime(day.year, day.month, day.day, 17, 0, tzinfo=HCM)
    d = Dossier(accepted=subtract_working_time(CAL, close, 3 * 480))
    due = d.state.due_at
    assert due is not None and due.astimezone(HCM).date() == day
    resolved = add_working_time(CAL, due, 60)
    assert resolved - due > timedelta(days=5)  # Tết lies between them
    v = d.to_step_b(due - timedelta(days=1)).resolve(resolved).verdict()
    assert v.verdict == Verdict.LATE and v.late_hours == 1.0


def test_pause_policy_excludes_the_applicants_waiting() -> None:
    d = Dossier().to_step_b(vn(2, 10))
    supplement_round(d, vn(3, 8), vn(6, 8))  # the applicant held it 3 days
    assert d.state.due_at == vn(10, 8)  # moved by the 3 working days the applicant held it
    v = d.resolve(vn(10, 7, 45)).verdict()  # days after the first due moment
    assert v.verdict == Verdict.ON_TIME, v.reasons


def test_restart_policy_judges_against_the_restarted_term() -> None:
    d = Dossier(replace(PROC, supplement_policy=SupplementPolicy.RESTART)).to_step_b(vn(2, 10))
    supplement_round(d, vn(3, 8), vn(9, 8))
    assert d.state.due_at == vn(12, 8)  # 3 working days from Monday 9 November 08:00
    assert d.resolve(vn(11, 9)).verdict().verdict == Verdict.EARLY


def test_waiting_for_a_financial_obligation_is_excluded() -> None:
    d = Dossier().to_step_b(vn(2, 10))
    lines = (FeeLineDraft(code="TNCN", name="Thuế", amount=1000),)
    d.do(Action.REQUEST_PAYMENT, OFF_B, vn(3, 8), fee_lines=lines)
    d.do(Action.PAY, CLERK, vn(10, 8))
    assert d.resolve(vn(10, 9)).verdict().verdict == Verdict.EARLY


def test_a_second_supplement_request_makes_it_late_whatever_the_dates() -> None:
    d = Dossier().to_step_b(vn(2, 10))
    supplement_round(d, vn(2, 11), vn(2, 13))
    supplement_round(d, vn(2, 14), vn(2, 15))
    v = d.resolve(vn(3, 8)).verdict()
    assert v.verdict == Verdict.LATE and v.late_hours == 0
    assert any("2 supplement requests" in r for r in v.reasons)


def test_one_supplement_request_after_reception_is_allowed() -> None:
    d = Dossier().to_step_b(vn(2, 10))
    supplement_round(d, vn(2, 11), vn(2, 13))
    assert d.resolve(vn(3, 8)).verdict().verdict == Verdict.EARLY


def test_apology_in_time_is_late_apologised_against_the_original_appointment() -> None:
    d = Dossier().to_step_b(vn(2, 10))
    d.do(Action.APOLOGIZE, HEAD_B, vn(3, 9), reason="chờ đo đạc", new_due=vn(10, 8))
    assert d.state.due_at == vn(10, 8)
    v = d.resolve(vn(9, 8)).verdict()  # before the new appointment, after the original
    assert v.verdict == Verdict.LATE and v.late_apologised and not v.late_silent
    assert v.due_at == DUE
    assert any("judged against the original" in r for r in v.reasons)


def test_late_without_an_apology_is_late_silent() -> None:
    v = Dossier().to_step_b(vn(2, 10)).resolve(vn(9, 8)).verdict()
    assert v.late_silent and not v.late_apologised


def test_apology_after_the_limit_is_refused() -> None:
    d = Dossier().to_step_b(vn(2, 10))
    # the due moment is Thursday 08:00; 1 working day before is Wednesday 08:00
    with pytest.raises(IllegalTransition, match="at the latest 1 working day before"):
        d.do(Action.APOLOGIZE, HEAD_B, vn(4, 9), reason="chờ", new_due=vn(10, 8))
    assert not d.state.apologised
    d.do(Action.APOLOGIZE, HEAD_B, vn(4, 8), reason="chờ", new_due=vn(10, 8))  # exactly at it
    assert d.state.apologised


def test_refusal_as_the_result_is_judged_like_any_result() -> None:
    d = Dossier().do(Action.FORWARD, CLERK, ACCEPTED)
    d.resolve(vn(2, 15), actor=OFF_A, result_kind=ResultKind.REFUSAL, result_summary="không đủ")
    assert d.state.status == Status.RESOLVED
    assert d.verdict().verdict == Verdict.EARLY


def test_stopped_while_waiting_is_judged_when_the_wait_began() -> None:
    d = Dossier().to_step_b(vn(2, 10))
    d.do(Action.REQUEST_SUPPLEMENT, OFF_B, vn(4, 9), reason="thiếu", items=("Bản vẽ",))
    d.do(Action.STOP, SYSTEM, vn(30, 9), reason="hết hạn chờ")
    v = d.verdict()
    assert d.state.status == Status.STOPPED
    assert v.verdict == Verdict.EARLY and v.judged_at == vn(4, 9)


def test_stopped_after_a_late_wait_is_late() -> None:
    d = Dossier().to_step_b(vn(2, 10))
    d.do(Action.REQUEST_SUPPLEMENT, OFF_B, vn(5, 9), reason="thiếu", items=("Bản vẽ",))
    d.do(Action.STOP, SYSTEM, vn(30, 9), reason="hết hạn chờ")
    v = d.verdict()
    assert v.verdict == Verdict.LATE and v.late_hours == 1.0


def test_withdrawn_is_not_judged() -> None:
    d = Dossier().to_step_b(vn(2, 10)).do(Action.WITHDRAW, CLERK, vn(9, 8), reason="không cần")
    assert d.verdict().verdict == Verdict.NOT_JUDGED


def test_refused_at_reception_is_not_judged() -> None:
    state = DossierState.new(
        code="X-2", procedure=PROC, channel=2, applicant=Applicant("A"), submitted_at=ACCEPTED
    )
    request = ActionRequest(action=Action.REFUSE, actor=CLERK, reason="không thuộc thẩm quyền")
    state.apply(request, ACCEPTED)
    v = judge_state(state, CAL, ACCEPTED)
    assert v.verdict == Verdict.NOT_JUDGED and "refused at reception" in v.reasons[0]


def test_open_dossiers_are_in_progress_then_overdue() -> None:
    d = Dossier().to_step_b(vn(2, 10))
    assert d.verdict(vn(4, 16)).verdict == Verdict.IN_PROGRESS
    overdue = d.verdict(vn(5, 9))
    assert overdue.verdict == Verdict.OVERDUE and overdue.late_hours == 1.0


def test_an_open_dossier_waiting_for_the_applicant_is_judged_at_the_request() -> None:
    d = Dossier().to_step_b(vn(2, 10))
    d.do(Action.REQUEST_SUPPLEMENT, OFF_B, vn(4, 9), reason="thiếu", items=("Bản vẽ",))
    assert d.verdict(vn(20, 9)).verdict == Verdict.IN_PROGRESS


# --------------------------------------------------------------------------- attempts


def test_a_return_keeps_the_earlier_attempts_times() -> None:
    d = Dossier().to_step_b(vn(2, 10))
    d.do(Action.RETURN, OFF_B, vn(2, 14), reason="kiểm tra lại")
    d.do(Action.FORWARD, OFF_A, vn(3, 9))
    attempts = [
        (a.step_index, a.attempt, a.started_at, a.finished_at, a.outcome)
        for a in d.state.step_attempts
    ]
    assert attempts == [
        (0, 1, ACCEPTED, vn(2, 10), "forward"),
        (1, 1, vn(2, 10), vn(2, 14), "return"),
        (0, 2, vn(2, 14), vn(3, 9), "forward"),
        (1, 2, vn(3, 9), None, ""),
    ]
    assert all(a.due_at is not None for a in d.state.step_attempts)


def test_assignment_rules() -> None:
    d = Dossier().to_step_b(vn(2, 10))
    with pytest.raises(Exception, match="assigned by the head"):
        d.do(Action.ASSIGN, OFF_B, vn(2, 11), assignee=OFF_B2)
    with pytest.raises(Exception, match="not an officer of Phòng B"):
        d.do(Action.ASSIGN, HEAD_B, vn(2, 11), assignee=OFF_A)
    d.do(Action.TAKE, OFF_B, vn(2, 11))
    with pytest.raises(IllegalTransition, match="held by Lê Thị Bình"):
        d.do(Action.TAKE, OFF_B2, vn(2, 12))
    with pytest.raises(Exception, match="assigned to Lê Thị Bình"):
        d.resolve(vn(2, 13), actor=OFF_B2)
    d.do(Action.ASSIGN, HEAD_B, vn(2, 14), assignee=OFF_B2)
    assert d.state.steps[1].assignee == "off.b2"
    holdings = [(h.officer, h.since, h.by) for h in d.state.step_attempts[-1].holdings]
    assert holdings == [("off.b", vn(2, 11), "off.b"), ("off.b2", vn(2, 14), "head.b")]


def test_lateness_is_the_overrunning_step_its_unit_and_its_officer() -> None:
    d = Dossier().do(Action.FORWARD, CLERK, ACCEPTED)
    d.do(Action.FORWARD, OFF_A, vn(2, 16))  # step 1 in time (due Tuesday 08:00)
    d.do(Action.TAKE, OFF_B, vn(3, 8))
    v = d.resolve(vn(5, 12)).verdict()  # step 2 due Thursday 16:00 + …; dossier late
    assert v.verdict == Verdict.LATE
    [blame] = v.attribution
    assert (blame.step_index, blame.unit_code, blame.agency_code, blame.officer) == (
        1,
        "U.B",
        B,
        "off.b",
    )
    assert blame.overrun_hours > 0


def test_a_reassigned_step_is_the_officer_who_held_it_when_it_overran() -> None:
    d = Dossier().to_step_b(vn(2, 10))
    d.do(Action.TAKE, OFF_B, vn(2, 11))
    step_due = d.state.steps[1].due_at
    assert step_due is not None
    d.do(Action.ASSIGN, HEAD_B, step_due + timedelta(hours=1), assignee=OFF_B2)
    [blame] = d.resolve(vn(9, 8), actor=OFF_B2).verdict().attribution
    assert blame.officer == "off.b" and blame.officer_name == "Lê Thị Bình"


def test_a_step_nobody_took_is_the_units() -> None:
    [blame] = Dossier().to_step_b(vn(2, 10)).resolve(vn(9, 8)).verdict().attribution
    assert blame.unit_code == "U.B" and blame.officer == ""


def test_a_stored_in_progress_verdict_becomes_overdue_as_time_passes() -> None:
    from domain.verdict import as_of

    d = Dossier().to_step_b(vn(2, 10))
    stored = d.verdict(vn(2, 10))
    assert stored.verdict == Verdict.IN_PROGRESS
    read = as_of(stored.verdict, stored.due_at, 0.0, waiting=False, now=vn(5, 9), cal=CAL)
    assert read == (Verdict.OVERDUE, 1.0)
    assert as_of(stored.verdict, stored.due_at, 0.0, waiting=True, now=vn(5, 9), cal=CAL) == (
        Verdict.IN_PROGRESS,
        0.0,
    )
    late = Dossier().to_step_b(vn(2, 10)).resolve(vn(9, 8)).verdict()
    read = as_of(late.verdict, late.due_at, late.late_hours, waiting=False, now=vn(30), cal=CAL)
    assert read == (Verdict.LATE, 16.0)


def test_reading_a_verdict_needs_the_calendar_only_past_the_appointment() -> None:
    from domain.verdict import as_of, counts_hours

    d = Dossier().to_step_b(vn(2, 10))
    stored = d.verdict(vn(2, 10))
    assert stored.due_at is not None
    before = stored.due_at - timedelta(hours=1)
    assert not counts_hours(stored.verdict, stored.due_at, waiting=False, now=before)
    assert as_of(stored.verdict, stored.due_at, 0.0, waiting=False, now=before, cal=None) == (
        Verdict.IN_PROGRESS,
        0.0,
    )
    assert not counts_hours(stored.verdict, stored.due_at, waiting=True, now=vn(5, 9))
    assert counts_hours(stored.verdict, stored.due_at, waiting=False, now=vn(5, 9))
    with pytest.raises(ValueError, match="needs the calendar"):
        as_of(stored.verdict, stored.due_at, 0.0, waiting=False, now=vn(5, 9), cal=None)
    late = Dossier().to_step_b(vn(2, 10)).resolve(vn(9, 8)).verdict()
    assert not counts_hours(late.verdict, late.due_at, waiting=False, now=vn(30))


def test_an_officer_of_another_unit_of_the_same_agency_is_refused() -> None:
    from domain.dossier import Forbidden

    other_unit = Actor("off.c", "Trương Văn Cảnh", Role.OFFICER, B, "U.C")
    d = Dossier().to_step_b(vn(2, 10))
    with pytest.raises(Forbidden, match="belongs to Phòng B"):
        d.resolve(vn(2, 11), actor=other_unit)
    head_of_agency = Actor("head.agency", "Ngô Đức Long", Role.AGENCY_HEAD, B, "U.X")
    d.resolve(vn(2, 11), actor=head_of_agency)
    assert d.state.status == Status.RESOLVED


def test_a_preview_shows_what_an_action_does_to_the_clock_and_changes_nothing() -> None:
    from domain.actions import preview

    d = Dossier().to_step_b(vn(2, 10))
    before = deepcopy(d.state)
    request = ActionRequest(
        action=Action.APOLOGIZE, actor=HEAD_B, reason="chờ đo đạc", new_due=vn(10, 8)
    )
    shown = preview(d.state, request, vn(3, 9), CAL)
    assert (shown.due_before, shown.due_after) == (DUE, vn(10, 8))
    assert any("new appointment" in line for line in shown.explanation)
    assert d.state == before
    asked = ActionRequest(
        action=Action.REQUEST_SUPPLEMENT, actor=OFF_B, reason="thiếu", items=("Bản vẽ",)
    )
    paused = preview(d.state, asked, vn(3, 9), CAL)
    assert paused.due_after is None and paused.status_after == "supplement_requested"
    assert any("paused since" in line for line in paused.explanation)
    with pytest.raises(IllegalTransition):
        preview(d.state, request, vn(4, 9), CAL)  # past the apology's limit
