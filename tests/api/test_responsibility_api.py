"""Assigning steps and the on-time verdict through the API, against a real Temporal dev
server and database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlmodel import select

from db.models import Dossier
from db.outcomes import backfill_verdicts
from tests.api.test_lifecycle_api import act, submit


async def at_step_two(api: httpx.AsyncClient, login) -> str:  # type: ignore[no-untyped-def]
    clerk = await login("motcua.tnmt")
    code = (await submit(api, clerk))["code"]
    await act(api, clerk, code, "accept")
    await act(api, clerk, code, "forward")
    await act(api, await login("cc.diachinh"), code, "forward")
    return code


async def test_unit_head_assigns_and_officers_take(api: httpx.AsyncClient, login) -> None:  # type: ignore[no-untyped-def]
    code = await at_step_two(api, login)
    officer, head = await login("cv.vpdk"), await login("gd.vpdk")
    refused = await act(api, officer, code, "assign", expect=403, assignee="cv.vpdk")
    assert "assigned by the head" in refused["detail"]
    unknown = await act(api, head, code, "assign", expect=422, assignee="nobody.here")
    assert "no officer" in unknown["detail"]
    outsider = await act(api, head, code, "assign", expect=422, assignee="cv.thue")
    assert "not an officer of" in outsider["detail"]
    other_agency = await act(api, await login("cv.thue"), code, "take", expect=403)
    assert "another agency" in other_agency["detail"] or "taken by" in other_agency["detail"]

    taken = await act(api, officer, code, "take")
    step = taken["steps"][1]
    assert (step["assignee"], step["assignee_name"]) == ("cv.vpdk", "Hoàng Văn Nam")
    assert taken["attempts"][-1]["holdings"][0]["officer"] == "cv.vpdk"
    assert taken["timeline"][-1]["action"] == "take"
    again = await act(api, officer, code, "take", expect=409)
    assert "already hold" in again["detail"]
    reassigned = await act(api, head, code, "assign", assignee="gd.vpdk")
    assert reassigned["steps"][1]["assignee"] == "gd.vpdk"
    # the officer no longer holds the step: the unit head does
    blocked = await act(api, officer, code, "forward", expect=403)
    assert "assigned to Võ Minh Quân" in blocked["detail"]
    forwarded = await act(api, head, code, "forward")
    attempts = [(a["step_index"], a["outcome"]) for a in forwarded["attempts"]]
    assert attempts == [(0, "forward"), (1, "forward"), (2, "")]


async def test_the_detail_carries_the_verdict(api: httpx.AsyncClient, login) -> None:  # type: ignore[no-untyped-def]
    clerk = await login("motcua.tnmt")
    code = (await submit(api, clerk))["code"]
    accepted = await act(api, clerk, code, "accept")
    verdict = accepted["verdict"]
    assert verdict["verdict"] == "in_progress" and verdict["label"] == "Đang xử lý, trong hạn"
    assert verdict["due_at"] == accepted["due_at"] and verdict["late_hours"] == 0
    await act(api, clerk, code, "forward")
    for username in ("cc.diachinh", "cv.vpdk", "cv.thue"):
        await act(api, await login(username), code, "forward")
    resolved = await act(
        api, await login("cv.qldd"), code, "resolve", result_kind="approval", result_summary="GCN"
    )
    assert resolved["verdict"]["verdict"] == "early"
    assert "by the appointment" in resolved["verdict"]["reasons"][0]


async def test_backfill_judges_dossiers_projected_before_verdicts(
    api: httpx.AsyncClient, login, sessions
) -> None:  # type: ignore[no-untyped-def]
    clerk = await login("motcua.tnmt")
    code = (await submit(api, clerk))["code"]
    await act(api, clerk, code, "accept")
    await act(api, clerk, code, "forward")
    # a dossier resolved late, as an old projection left it: no verdict stored
    async with sessions() as session:
        row = await session.get(Dossier, code)
        assert row is not None and row.due_at is not None
        # a month late: late in working time whatever the holidays after the appointment
        # (three days after a 31 December appointment are New Year's holidays and a weekend)
        row.status, row.finished_at = "resolved", row.due_at + timedelta(days=30)
        row.verdict = None
        session.add(row)
        await session.commit()
    judged = await backfill_verdicts(sessions, datetime.now(UTC))
    assert judged >= 1
    async with sessions() as session:
        row = (await session.scalars(select(Dossier).where(Dossier.code == code))).one()
        assert row.verdict == "late" and row.late_hours > 0
        assert row.late_attribution and row.late_attribution[0]["unit_code"] == "H29.31.DC"
    assert await backfill_verdicts(sessions, datetime.now(UTC)) == 0


async def test_a_preview_shows_the_new_due_moment_and_changes_nothing(
    api: httpx.AsyncClient, login
) -> None:  # type: ignore[no-untyped-def]
    code = await at_step_two(api, login)
    head = await login("gd.vpdk")
    before = (await api.get(f"/api/v1/dossiers/{code}", headers=head)).json()
    path = f"/api/v1/dossiers/{code}/actions"
    new_due = (datetime.fromisoformat(before["due_at"]) + timedelta(days=10)).isoformat()
    body = {"reason": "chờ kết quả đo đạc", "new_due": new_due}
    shown = await api.post(f"{path}/apologize/preview", json=body, headers=head)
    assert shown.status_code == 200, shown.text
    assert shown.json()["due_before"] == before["due_at"]
    assert datetime.fromisoformat(shown.json()["due_after"]) == datetime.fromisoformat(new_due)
    asked = await api.post(
        f"{path}/request-supplement/preview",
        json={"reason": "thiếu", "items": ["Bản vẽ"]},
        headers=await login("cv.vpdk"),
    )
    assert asked.status_code == 200 and asked.json()["due_after"] is None
    assert any("paused since" in line for line in asked.json()["explanation"])
    # refused as the action itself would be, and nothing changed
    early = {"reason": "x", "new_due": before["received_at"]}
    refused = await api.post(f"{path}/apologize/preview", json=early, headers=head)
    assert refused.status_code == 422 and "later than" in refused.json()["detail"]
    other = await api.post(f"{path}/apologize/preview", json=body, headers=await login("tp.thue"))
    assert other.status_code == 403
    after = (await api.get(f"/api/v1/dossiers/{code}", headers=head)).json()
    assert (after["due_at"], after["timeline"], after["apologised"]) == (
        before["due_at"],
        before["timeline"],
        False,
    )
