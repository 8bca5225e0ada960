"""The statutory clock through the API (real Temporal dev server and database)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import httpx
from sqlalchemy import delete

from db.clock_models import CalendarOverrideRecord, Escalation
from db.models import Dossier
from domain.calendar import build_calendar

LAND = "1.004227"


async def submit_and_accept(api: httpx.AsyncClient, login) -> str:  # type: ignore[no-untyped-def]
    clerk = await login("motcua.tnmt")
    body = {
        "procedure_code": LAND,
        "channel": 2,
        "pay_online": False,  # fees at the desk; online payment: tests/payments
        "applicant": {"name": "Phạm Minh Châu", "id_number": "079190005555"},
        "components": ["DDK", "NGD"],
    }
    response = await api.post("/api/v1/dossiers", json=body, headers=clerk)
    assert response.status_code == 201, response.text
    code = response.json()["code"]
    accepted = await api.post(f"/api/v1/dossiers/{code}/actions/accept", json={}, headers=clerk)
    assert accepted.status_code == 200, accepted.text
    return code


async def test_deadline_explains_the_due_moment(api: httpx.AsyncClient, login) -> None:  # type: ignore[no-untyped-def]
    code = await submit_and_accept(api, login)
    clerk = await login("motcua.tnmt")
    response = await api.get(f"/api/v1/dossiers/{code}/deadline", headers=clerk)
    assert response.status_code == 200, response.text
    view = response.json()
    assert view["term_days"] == 20 and view["supplement_policy"] == "restart"
    assert view["ledger"][0]["kind"] == "start"
    assert view["explanation"][0].startswith("20 working days")
    assert any(line.startswith("due ") for line in view["explanation"])
    detail = (await api.get(f"/api/v1/dossiers/{code}", headers=clerk)).json()
    assert detail["due_at"] == view["due_at"]
    outsider = await login("motcua.sxd")
    assert (await api.get(f"/api/v1/dossiers/{code}/deadline", headers=outsider)).status_code == 403


async def test_calendar_override_moves_open_dossiers(api: httpx.AsyncClient, login) -> None:  # type: ignore[no-untyped-def]
    code = await submit_and_accept(api, login)
    clerk, admin = await login("motcua.tnmt"), await login("admin")
    before = (await api.get(f"/api/v1/dossiers/{code}/deadline", headers=clerk)).json()
    due = datetime.fromisoformat(before["due_at"])
    # a working day strictly between now and the due moment becomes a day off
    # (a public holiday near the due moment, 1 January say, is no working day to take away)
    calendar = build_calendar(range(due.year - 1, due.year + 1))
    day = (due - timedelta(days=3)).date()
    while not calendar.is_working_day(day):
        day -= timedelta(days=1)
    body = {"day": day.isoformat(), "kind": "day_off", "name": "Nghỉ theo quyết định của tỉnh"}
    assert (
        await api.post("/api/v1/admin/calendar/overrides", json=body, headers=clerk)
    ).status_code == 403
    bad = await api.post(
        "/api/v1/admin/calendar/overrides", json={**body, "kind": "holiday"}, headers=admin
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "kind"
    try:
        added = await api.post("/api/v1/admin/calendar/overrides", json=body, headers=admin)
        assert added.status_code == 201, added.text
        assert added.json()["open_dossiers_notified"] >= 1
        after = (await api.get(f"/api/v1/dossiers/{code}/deadline", headers=clerk)).json()
        assert datetime.fromisoformat(after["due_at"]) > due
        assert any("Nghỉ theo quyết định" in line for line in after["explanation"])
        listed = (await api.get("/api/v1/admin/calendar/overrides", headers=admin)).json()
        assert [o["day"] for o in listed] == [day.isoformat()]
        removed = await api.delete(f"/api/v1/admin/calendar/overrides/{day}", headers=admin)
        assert removed.status_code == 200
        restored = (await api.get(f"/api/v1/dossiers/{code}/deadline", headers=clerk)).json()
        assert restored["due_at"] == before["due_at"]
        detail = (await api.get(f"/api/v1/dossiers/{code}", headers=clerk)).json()
        assert "calendar-changed" in [t["action"] for t in detail["timeline"]]
    finally:
        await api.delete(f"/api/v1/admin/calendar/overrides/{day}", headers=admin)
    missing = await api.delete(
        f"/api/v1/admin/calendar/overrides/{date(2030, 1, 2)}", headers=admin
    )
    assert missing.status_code == 404


async def test_apology_through_the_api(api: httpx.AsyncClient, login) -> None:  # type: ignore[no-untyped-def]
    code = await submit_and_accept(api, login)
    clerk = await login("motcua.tnmt")
    await api.post(f"/api/v1/dossiers/{code}/actions/forward", json={}, headers=clerk)
    head = await login("ct.bennghe")  # the ward's chairman heads the agency of step 1
    detail = (await api.get(f"/api/v1/dossiers/{code}", headers=head)).json()
    new_due = (datetime.fromisoformat(detail["due_at"]) + timedelta(days=5)).isoformat()
    path = f"/api/v1/dossiers/{code}/actions/apologize"
    first = await api.post(path, json={"reason": "Chờ đo đạc", "new_due": new_due}, headers=head)
    assert first.status_code == 200, first.text
    assert first.json()["apologised"] is True
    assert first.json()["original_due_at"] == detail["due_at"]
    again = await api.post(path, json={"reason": "Lần hai", "new_due": new_due}, headers=head)
    assert again.status_code == 409 and "only once" in again.json()["detail"]


async def test_overdue_report_names_the_responsible_unit(  # type: ignore[no-untyped-def]
    api: httpx.AsyncClient, login, sessions
) -> None:
    code = await submit_and_accept(api, login)
    clerk = await login("motcua.tnmt")
    await api.post(f"/api/v1/dossiers/{code}/actions/forward", json={}, headers=clerk)
    past = datetime.now(UTC) - timedelta(days=10)
    # the report reads the read model: make this dossier's due moment lie in the past
    async with sessions() as session, session.begin():
        row = await session.get(Dossier, code)
        row.due_at = past
        session.add(
            Escalation(
                dossier_code=code,
                key=f"test-{uuid.uuid4().hex}",
                kind="escalation",
                level=1,
                step_index=0,
                unit_code="H29.31.DC",
                agency_code="000.31.25.H29",
                fired_at=past,
                note="test",
            )
        )
    admin = await login("admin")
    report = (await api.get("/api/v1/reports/overdue", headers=admin)).json()
    item = next(i for i in report["items"] if i["code"] == code)
    assert item["responsible_unit_code"] == "H29.31.DC"
    assert item["unit_head"] == "pct.bennghe" and "cc.diachinh" in item["responsible_officers"]
    assert item["escalations"] == 1 and item["late_kind"] == "late, silent"
    assert item["working_days_late"] >= 5
    listed = (await api.get("/api/v1/dossiers", params={"overdue": True}, headers=admin)).json()
    assert code in [d["code"] for d in listed["items"]]
    async with sessions() as session, session.begin():
        await session.execute(delete(Escalation).where(Escalation.dossier_code == code))
        await session.execute(delete(CalendarOverrideRecord))
