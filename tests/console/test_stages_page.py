"""The console's dossier page shows a parallel consultation as one stage of three branches,
side by side, the open ones marked current (Debian's Chromium through Playwright)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

import httpx

from db.repository import procedure_to_json
from tests.api.test_lifecycle_api import act
from tests.support.stages import PARALLEL


async def test_the_route_groups_the_parallel_branches_of_a_stage(  # type: ignore[no-untyped-def]
    open_as: Any, api: httpx.AsyncClient, login
) -> None:
    admin, clerk = await login("admin"), await login("motcua.tnmt")
    code = f"LT.{uuid.uuid4().hex[:6]}"
    base = "/api/v1/admin/procedures"
    created = await api.post(
        base, json=procedure_to_json(replace(PARALLEL, code=code)), headers=admin
    )
    assert created.status_code == 201, created.text
    await api.post(f"{base}/{code}/versions/1/publish", json={}, headers=admin)
    body = {
        "procedure_code": code,
        "channel": 2,
        "applicant": {"name": "Lê Thị Mai"},
        "components": ["DDK", "NGD"],
    }
    dossier = (await api.post("/api/v1/dossiers", json=body, headers=clerk)).json()["code"]
    await act(api, clerk, dossier, "accept")
    await act(api, clerk, dossier, "forward")
    await act(api, await login("cv.qldd"), dossier, "forward")
    await act(api, await login("cv.thue"), dossier, "forward")

    ward = await open_as("cc.diachinh")
    # the ward's branch is in the ward unit's queue, not yet taken; the tax office's is done
    await ward.goto(f"/console/?view=unit&q={dossier}")
    assert await ward.page.locator(f"tr[data-code='{dossier}']").count() == 1
    tax = await open_as("cv.thue")
    await tax.goto(f"/console/?view=unit&q={dossier}")
    assert await tax.page.locator(f"tr[data-code='{dossier}']").count() == 0
    answer = await ward.goto(f"/console/dossiers/{dossier}")
    assert answer.status == 200
    stage = ward.page.locator("tbody.parallel-stage")
    assert await stage.count() == 1
    assert "song song (3 cơ quan)" in await stage.inner_text()
    rows = stage.locator("tr")
    assert await rows.count() == 3
    current = stage.locator('tr[aria-current="step"]')
    texts = [await current.nth(i).inner_text() for i in range(await current.count())]
    assert len(texts) == 2  # the tax office answered; the construction department and ward not
    assert any("Sở Xây dựng" in t for t in texts) and any("phường" in t for t in texts)
    await ward.shot("dossier-parallel-stage")
    # the ward officer answers their own branch from this page; the tax office has answered
    await ward.page.get_by_role("button", name="Chuyển xử lý", exact=True).click()
    await ward.page.wait_for_load_state()
    current = ward.page.locator('tbody.parallel-stage tr[aria-current="step"]')
    assert await current.count() == 1
    assert "Sở Xây dựng" in await current.inner_text()
