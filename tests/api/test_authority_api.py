"""Authority through the API: results approved by the unit head, per-agency settings, acting
heads (delegations) and the audit of catalogue and org-chart changes."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx

from db.seed import PROVINCE, WARD
from tests.api.test_lifecycle_api import act
from tests.api.test_procedure_versions_api import definition, submit_and_accept


def tuphap_definition(code: str) -> dict:  # type: ignore[type-arg]
    body = definition(code, 2, "Kiểm tra, trình ký")
    body["steps"][0].update(unit_code="H29.31.TP", unit_name="Công chức Tư pháp - Hộ tịch")
    return body


async def changes(api: httpx.AsyncClient, admin, entity: str, key: str) -> list[dict]:  # type: ignore[no-untyped-def, type-arg]
    response = await api.get(
        "/api/v1/admin/audit", params={"entity": entity, "key": key}, headers=admin
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]  # type: ignore[no-any-return]


async def test_an_officers_result_waits_for_the_unit_heads_approval(  # type: ignore[no-untyped-def]
    api: httpx.AsyncClient, login
) -> None:
    admin, clerk = await login("admin"), await login("motcua.bennghe")
    officer, head = await login("cc.tuphap"), await login("pct.bennghe")
    code = f"A.{uuid.uuid4().hex[:6]}"
    base = "/api/v1/admin/procedures"
    created = await api.post(base, json=tuphap_definition(code), headers=admin)
    assert created.status_code == 201, created.text
    assert created.json()["definition"]["approver_role"] == "unit_head"  # the default
    assert (await api.post(f"{base}/{code}/versions/1/publish", json={}, headers=admin)).is_success
    published = await changes(api, admin, "procedure", f"{code}/1")
    publish = next(row for row in published if row["item"] == "publish")
    assert publish["actor"] == "admin"
    assert publish["before"]["state"] == "draft" and publish["after"]["state"] == "published"

    dossier = (await submit_and_accept(api, clerk, code))["code"]
    await act(api, clerk, dossier, "forward")
    proposal = {"result_kind": "approval", "result_summary": "Xác nhận"}
    proposed = await act(api, officer, dossier, "resolve", **proposal)
    assert proposed["status"] == "processing"  # the portal status does not change
    refused = await api.post(f"/api/v1/dossiers/{dossier}/actions/approve", headers=officer)
    assert refused.status_code == 403 and "approved by the head" in refused.json()["detail"]
    by_admin = await api.post(f"/api/v1/dossiers/{dossier}/actions/approve", headers=admin)
    assert by_admin.status_code == 403 and "administrator" in by_admin.json()["detail"]
    approved = await act(api, head, dossier, "approve")
    assert approved["status"] == "resolved"


async def test_agency_settings_are_set_through_the_org_admin_api_and_audited(  # type: ignore[no-untyped-def]
    api: httpx.AsyncClient, login
) -> None:
    admin = await login("admin")
    agency = f"000.{uuid.uuid4().hex[:6]}.H29"
    url = f"/api/v1/admin/agencies/{agency}"
    body = {"name": "UBND xã Cài đặt", "level": "commune", "parent_code": PROVINCE}
    assert (await api.put(url, json=body, headers=admin)).status_code == 200
    bad = await api.put(
        url, json={**body, "office_hours": {"periods": [["11:30", "07:30"]]}}, headers=admin
    )
    assert bad.status_code == 422 and "office hours" in bad.text
    backwards = {"periods": [["11:30", "07:30"]], "weekdays": [0, 1, 2, 3, 4]}
    bad = await api.put(url, json={**body, "office_hours": backwards}, headers=admin)
    assert bad.status_code == 422 and "must start before it ends" in bad.text
    mornings = {"periods": [["07:30", "11:30"]], "weekdays": [0, 1, 2, 3, 4]}
    settings = {"office_hours": mornings, "warning_before_days": 2, "apology_before_days": 2}
    changed = await api.put(url, json={**body, **settings}, headers=admin)
    assert changed.status_code == 200, changed.text
    assert changed.json()["warning_before_days"] == 2
    assert changed.json()["office_hours"]["periods"] == [["07:30", "11:30"]]
    rows = await changes(api, admin, "agency", agency)
    assert len(rows) == 2  # created, then changed; the refused requests wrote nothing
    latest = rows[0]
    assert (
        latest["before"]["warning_before_days"] == 1.0 and latest["before"]["office_hours"] is None
    )
    assert latest["after"]["warning_before_days"] == 2.0


async def test_a_users_role_change_is_audited_with_before_and_after(  # type: ignore[no-untyped-def]
    api: httpx.AsyncClient, login
) -> None:
    admin = await login("admin")
    user = f"cv.{uuid.uuid4().hex[:6]}"
    person = {
        "full_name": "Phan Văn Vai",
        "role": "officer",
        "agency_code": WARD,
        "unit_code": "H29.31.TP",
        "password": "a-long-enough-password",
    }
    assert (await api.put(f"/api/v1/admin/users/{user}", json=person, headers=admin)).is_success
    promoted = {**person, "role": "unit_head", "password": None}
    assert (await api.put(f"/api/v1/admin/users/{user}", json=promoted, headers=admin)).is_success
    rows = await changes(api, admin, "user", user)
    assert [r["item"] for r in rows] == ["user", "user (password set)"]
    assert rows[0]["before"]["role"] == "officer" and rows[0]["after"]["role"] == "unit_head"
    assert rows[1]["before"] is None
    assert all("password_hash" not in (r["after"] or {}) for r in rows)
    clerk = await login("motcua.bennghe")
    assert (
        await api.get("/api/v1/admin/audit", params={"entity": "user"}, headers=clerk)
    ).status_code == 403


async def test_delegations_are_managed_with_validation(  # type: ignore[no-untyped-def]
    api: httpx.AsyncClient, login
) -> None:
    admin = await login("admin")
    base = "/api/v1/admin/delegations"
    unit = "H29.31.TP"
    start = datetime(2031, 1, 5, 1, 0, tzinfo=UTC) + timedelta(days=uuid.uuid4().int % 3000)
    body = {
        "unit_code": unit,
        "acting_username": "cc.tuphap",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(days=3)).isoformat(),
        "reason": "trưởng phòng đi công tác",
    }
    backwards = {**body, "ends_at": (start - timedelta(days=1)).isoformat()}
    refused = await api.post(base, json=backwards, headers=admin)
    assert refused.status_code == 422 and "ends after it starts" in refused.text
    unknown = await api.post(base, json={**body, "unit_code": "H29.NOPE"}, headers=admin)
    assert unknown.status_code == 422 and "there is no unit" in unknown.json()["detail"]
    outsider = await api.post(base, json={**body, "acting_username": "cv.thue"}, headers=admin)
    assert outsider.status_code == 422 and "is not an officer of the agency" in outsider.text
    itself = await api.post(base, json={**body, "acting_username": "pct.bennghe"}, headers=admin)
    assert itself.status_code == 422 and "already heads" in itself.text
    clerk = await login("motcua.bennghe")
    assert (await api.post(base, json=body, headers=clerk)).status_code == 403

    made = await api.post(base, json=body, headers=admin)
    assert made.status_code == 201, made.text
    number = made.json()["id"]
    assert made.json()["set_by"] == "admin"
    overlap = {**body, "starts_at": (start + timedelta(days=1)).isoformat()}
    clash = await api.post(base, json=overlap, headers=admin)
    assert clash.status_code == 409 and "already has an acting head" in clash.json()["detail"]
    listed = await api.get(base, params={"unit": unit}, headers=admin)
    assert number in [d["id"] for d in listed.json()]
    longer = {**body, "ends_at": (start + timedelta(days=5)).isoformat()}
    moved = await api.put(f"{base}/{number}", json=longer, headers=admin)
    assert moved.status_code == 200 and moved.json()["ends_at"].startswith(
        (start + timedelta(days=5)).date().isoformat()
    )
    assert (await api.delete(f"{base}/{number}", headers=admin)).status_code == 204
    assert (await api.delete(f"{base}/{number}", headers=admin)).status_code == 404
    rows = await changes(api, admin, "delegation", str(number))
    assert len(rows) == 3 and rows[0]["after"] is None and rows[2]["before"] is None
