"""An administrator publishes a procedure with a parallel consultation of three agencies
through the admin API; a dossier runs through it; an officer of a unit outside the stage is
refused (403)."""

from __future__ import annotations

import uuid
from dataclasses import replace

import httpx

from db.repository import procedure_to_json
from tests.api.test_lifecycle_api import act
from tests.support.stages import PARALLEL

BASE = "/api/v1/admin/procedures"


async def test_a_parallel_stage_published_by_the_admin_runs_branch_by_branch(  # type: ignore[no-untyped-def]
    api: httpx.AsyncClient, login
) -> None:
    admin, clerk = await login("admin"), await login("motcua.tnmt")
    code = f"LT.{uuid.uuid4().hex[:6]}"
    definition = procedure_to_json(replace(PARALLEL, code=code))
    # a quorum the stage cannot reach is refused with the reason, and nothing is created
    unreachable = {**definition, "stage_quorum": {"2": 4}}
    bad = await api.post(BASE, json=unreachable, headers=admin)
    assert bad.status_code == 422 and "quorum must be from 1 to 3" in bad.json()["detail"]
    misplaced = {**definition, "steps": [dict(s) for s in definition["steps"]]}
    misplaced["steps"][2]["agency_code"] = misplaced["steps"][1]["agency_code"]
    bad = await api.post(BASE, json=misplaced, headers=admin)
    assert bad.status_code == 422 and "no unit 'H29.20.CPXD' in agency" in bad.json()["detail"]
    assert (await api.get(f"{BASE}/{code}/versions", headers=admin)).status_code == 404

    created = await api.post(BASE, json=definition, headers=admin)
    assert created.status_code == 201, created.text
    published = await api.post(f"{BASE}/{code}/versions/1/publish", json={}, headers=admin)
    assert published.status_code == 200, published.text

    body = {
        "procedure_code": code,
        "channel": 2,
        "applicant": {"name": "Lê Thị Mai"},
        "components": ["DDK", "NGD"],
    }
    submitted = await api.post("/api/v1/dossiers", json=body, headers=clerk)
    assert submitted.status_code == 201, submitted.text
    dossier = submitted.json()["code"]
    await act(api, clerk, dossier, "accept")
    await act(api, clerk, dossier, "forward")
    detail = await act(api, await login("cv.qldd"), dossier, "forward")
    assert [s["stage"] for s in detail["steps"]] == [1, 2, 2, 2, 3]
    assert [s["index"] for s in detail["steps"] if s["current"]] == [1, 2, 3]

    # the land unit of the ward's justice officer is not in the stage; nor is the decision's
    for outsider in ("cc.tuphap", "cv.vpdk"):
        refused = await act(api, await login(outsider), dossier, "forward", expect=403)
        assert "open branches of this stage belong to" in refused["detail"]

    detail = await act(api, await login("cv.thue"), dossier, "forward")
    again = await act(api, await login("cv.thue"), dossier, "forward", expect=403)
    assert "already answered" in again["detail"]
    detail = await act(api, await login("cv.cpxd"), dossier, "forward")
    assert [s["index"] for s in detail["steps"] if s["current"]] == [3]
    assert detail["status"] == "processing"
    detail = await act(api, await login("cc.diachinh"), dossier, "forward")
    assert [s["index"] for s in detail["steps"] if s["current"]] == [4]
    assert [s["handled_by"] for s in detail["steps"][1:4]] == ["cv.thue", "cv.cpxd", "cc.diachinh"]
    branches = [t["branch_index"] for t in detail["timeline"] if t["action"] == "forward"]
    assert branches[-3:] == [1, 2, 3]

    detail = await act(api, await login("cv.vpdk"), dossier, "resolve", result_kind="approval")
    assert detail["status"] == "resolved"
    catalogue = (await api.get(f"/api/v1/procedures/{code}")).json()
    assert [s["stage"] for s in catalogue["steps"]] == [0, 2, 2, 2, 0]
    assert catalogue["lead_agency_code"] == PARALLEL.lead_agency_code
