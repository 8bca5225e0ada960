"""The org chart and users as data: an admin adds an agency, a unit and an officer who can
then sign in and act; bad input is refused and changes nothing."""

from __future__ import annotations

import uuid

import httpx

from db.seed import PROVINCE


async def test_admin_builds_an_agency_with_a_unit_and_an_officer(
    api: httpx.AsyncClient, login
) -> None:  # type: ignore[no-untyped-def]
    admin, clerk = await login("admin"), await login("motcua.tnmt")
    tag = uuid.uuid4().hex[:6]
    agency, unit, user = f"000.{tag}.H29", f"U.{tag}", f"cv.{tag}"
    body = {"name": "UBND xã Thử", "level": "commune", "parent_code": PROVINCE}
    assert (
        await api.put(f"/api/v1/admin/agencies/{agency}", json=body, headers=clerk)
    ).status_code == 403
    created = await api.put(f"/api/v1/admin/agencies/{agency}", json=body, headers=admin)
    assert created.status_code == 200 and created.json()["level"] == "commune"
    looped = await api.put(
        f"/api/v1/admin/agencies/{PROVINCE}", json={**body, "parent_code": agency}, headers=admin
    )
    assert looped.status_code == 422 and "supervise itself" in looped.json()["detail"]
    made = await api.put(
        f"/api/v1/admin/units/{unit}",
        json={"agency_code": agency, "name": "Địa chính"},
        headers=admin,
    )
    assert made.status_code == 200
    person = {
        "full_name": "Phan Thị Thử",
        "role": "officer",
        "agency_code": agency,
        "unit_code": unit,
        "password": "a-long-enough-password",
    }
    short = await api.put(
        f"/api/v1/admin/users/{user}", json={**person, "password": "short"}, headers=admin
    )
    assert short.status_code == 422
    wrong_unit = await api.put(
        f"/api/v1/admin/users/{user}", json={**person, "unit_code": "H29.14.VPDK"}, headers=admin
    )
    assert wrong_unit.status_code == 422 and "is not a unit of" in wrong_unit.json()["detail"]
    added = await api.put(f"/api/v1/admin/users/{user}", json=person, headers=admin)
    assert added.status_code == 200 and "password" not in added.json()
    signed = await api.post(
        "/api/v1/auth/token", data={"username": user, "password": "a-long-enough-password"}
    )
    assert signed.status_code == 200
    gone = await api.put(
        f"/api/v1/admin/users/{user}",
        json={**person, "active": False, "password": None},
        headers=admin,
    )
    assert gone.status_code == 200 and gone.json()["active"] is False
    refused = await api.post(
        "/api/v1/auth/token", data={"username": user, "password": "a-long-enough-password"}
    )
    assert refused.status_code == 401
    demote_self = await api.put(
        "/api/v1/admin/users/admin",
        json={"full_name": "Quản trị hệ thống", "role": "clerk", "agency_code": PROVINCE},
        headers=admin,
    )
    assert demote_self.status_code == 409
