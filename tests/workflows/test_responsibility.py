"""Who made a dossier late, inside DossierWorkflow on the time-skipping server: the step that
overran, its unit and the officer who held it when it overran."""

from __future__ import annotations

from datetime import datetime, timedelta

from domain.clock import add_working_time
from domain.dossier import ActionRequest, Actor, ResultKind, Role
from domain.lifecycle import Action
from domain.outcomes import Verdict
from tests.support.workflows import Harness
from tests.workflows.test_statutory_timers import (
    DAY,
    DONRE,
    WARD_OFFICER,
    at_first_step,
    calendar,
    state_of,
)
from workflows.client import run_action

VPDK = Actor("cv.vpdk", "Hoàng Văn Nam", Role.OFFICER, DONRE, "H29.14.VPDK")
VPDK_2 = Actor("cv2.vpdk", "Lý Thị Hoa", Role.OFFICER, DONRE, "H29.14.VPDK")
VPDK_HEAD = Actor("gd.vpdk", "Võ Minh Quân", Role.UNIT_HEAD, DONRE, "H29.14.VPDK")


async def at_step_two(harness: Harness):  # type: ignore[no-untyped-def]
    handle, _ = await at_first_step(harness)
    await run_action(handle, ActionRequest(Action.FORWARD, actor=WARD_OFFICER))
    return handle, await state_of(handle)


async def sleep_until(harness: Harness, moment: datetime) -> None:
    await harness.env.sleep(moment - await harness.env.get_current_time())


async def refuse(handle, actor: Actor) -> None:  # type: ignore[no-untyped-def]
    await run_action(
        handle,
        ActionRequest(
            Action.RESOLVE,
            actor=actor,
            result_kind=ResultKind.REFUSAL,
            result_summary="không đủ điều kiện",
        ),
    )


async def test_a_dossier_that_overran_step_two_is_step_twos_unit_and_officer(
    harness: Harness,
) -> None:
    handle, state = await at_step_two(harness)
    await run_action(handle, ActionRequest(Action.TAKE, actor=VPDK))
    step_due = (await state_of(handle)).steps[1].due_at
    assert step_due is not None
    # step 1 took no time, step 2 runs 14 working days over its 7: past the dossier's 20
    await sleep_until(harness, add_working_time(calendar(), step_due, 14 * DAY))
    await refuse(handle, VPDK)
    final = await state_of(handle)
    assert final.verdict is not None and final.verdict.verdict == Verdict.LATE
    [blame] = final.verdict.attribution
    assert (blame.step_index, blame.unit_code, blame.agency_code) == (1, "H29.14.VPDK", DONRE)
    assert (blame.officer, blame.officer_name) == ("cv.vpdk", "Hoàng Văn Nam")
    assert 111.5 <= blame.overrun_hours <= 112.0  # 14 working days, to the minute the test ran
    # the warning and the first escalation of step 2 went to the officer holding it
    notices = [n for n in harness.projection.notices_of(state.code) if n.timer.step_index == 1]
    assert notices and {n.timer.assignee for n in notices} == {"cv.vpdk"}


async def test_a_reassigned_step_is_the_officer_who_held_it_when_it_overran(
    harness: Harness,
) -> None:
    handle, _ = await at_step_two(harness)
    await run_action(handle, ActionRequest(Action.TAKE, actor=VPDK))
    step_due = (await state_of(handle)).steps[1].due_at
    assert step_due is not None
    # past the due moment, clear of the escalation ladder's next rung (2 working days on)
    await sleep_until(harness, step_due + timedelta(hours=27))
    await run_action(handle, ActionRequest(Action.ASSIGN, actor=VPDK_HEAD, assignee=VPDK_2))
    await sleep_until(harness, add_working_time(calendar(), step_due, 14 * DAY))
    await refuse(handle, VPDK_2)
    final = await state_of(handle)
    assert final.verdict is not None and final.verdict.verdict == Verdict.LATE
    [blame] = final.verdict.attribution
    assert blame.officer == "cv.vpdk"
    holders = [h.officer for h in final.step_attempts[1].holdings]
    assert holders == ["cv.vpdk", "cv2.vpdk"]
    assert final.step_attempts[1].finished_by == "cv2.vpdk"
