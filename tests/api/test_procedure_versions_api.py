"""The catalogue as managed, versioned data: a procedure revised while dossiers run keeps
the old dossiers on the old version and gives new ones the new."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import httpx

from db.seed import WARD
from tests.api.test_lifecycle_api import act

NAME = "Xác nhận tình trạng nhà ở (thử)"


def definition(code: str, term_days: float, task: str, name: str = NAME) -> dict:  # type: ignore[type-arg]
    return {
        "code": code,
        "name": name,
        "national_code": "1.009999",
        "agency_code": WARD,
        "agency_name": "Ủy ban nhân dân phường Bến Nghé",
        "term_days": term_days,
        "steps": [
            {
                "unit_code": "H29.31.DC",
                "unit_name": "Công chức Địa chính",
                "agency_code": WARD,
                "agency_name": "Ủy ban nhân dân phường Bến Nghé",
                "term_days": term_days,
                "task": task,
            }
        ],
        "components": [{"code": "DON", "name": "Đơn đề nghị"}],
    }


async def submit_and_accept(api: httpx.AsyncClient, clerk, code: str) -> dict:  # type: ignore[no-untyped-def, type-arg]
    body = {
        "procedure_code": code,
        "channel": 2,
        "applicant": {"name": "Lê Thị Mai"},
        "components": ["DON"],
    }
    response = await api.post("/api/v1/dossiers", json=body, headers=clerk)
    assert response.status_code == 201, response.text
    accepted = await act(api, clerk, response.json()["code"], "accept")
    return {**accepted, "lookup_secret": response.json()["lookup_secret"]}


async def test_a_revised_procedure_keeps_running_dossiers_on_their_version(  # type: ignore[no-untyped-def]
    api: httpx.AsyncClient, login
) -> None:
    admin, clerk = await login("admin"), await login("motcua.bennghe")
    code = f"T.{uuid.uuid4().hex[:6]}"
    base = "/api/v1/admin/procedures"
    created = await api.post(base, json=definition(code, 2, "Kiểm tra"), headers=admin)
    assert created.status_code == 201, created.text
    assert created.json()["state"] == "draft"
    # a draft takes no dossier
    assert (await api.get(f"/api/v1/procedures/{code}")).status_code == 404
    published = await api.post(f"{base}/{code}/versions/1/publish", json={}, headers=admin)
    assert published.status_code == 200 and published.json()["state"] == "published"
    # a published version never changes
    frozen = await api.put(
        f"{base}/{code}/versions/1", json=definition(code, 9, "x"), headers=admin
    )
    assert frozen.status_code == 409 and "never changes" in frozen.json()["detail"]

    old = await submit_and_accept(api, clerk, code)
    revised = await api.post(
        f"{base}/{code}/versions",
        json=definition(code, 5, "Kiểm tra thực địa", name=f"{NAME}, sửa đổi"),
        headers=admin,
    )
    assert revised.status_code == 201 and revised.json()["version"] == 2
    await api.post(f"{base}/{code}/versions/2/publish", json={}, headers=admin)
    new = await submit_and_accept(api, clerk, code)

    def term(detail: dict) -> timedelta:  # type: ignore[type-arg]
        return datetime.fromisoformat(detail["due_at"]) - datetime.fromisoformat(
            detail["received_at"]
        )

    assert term(new) > term(old) + timedelta(days=2)  # 5 working days against 2
    old_detail = (await api.get(f"/api/v1/dossiers/{old['code']}", headers=clerk)).json()
    assert old_detail["steps"][0]["term_days"] == 2 and new["steps"][0]["term_days"] == 5
    # each reads the name of its own version, in the clerk's detail and the public look-up
    assert old_detail["procedure_name"] == NAME and new["procedure_name"] == f"{NAME}, sửa đổi"
    secret = {"secret": old["lookup_secret"]}
    public = await api.get(f"/api/v1/public/dossiers/{old['code']}", params=secret)
    assert public.status_code == 200 and public.json()["procedure_name"] == NAME, public.text
    assert (await api.get(f"/api/v1/procedures/{code}")).json()["term_days"] == 5

    retired = await api.post(f"{base}/{code}/retire", headers=admin)
    assert {v["state"] for v in retired.json()} == {"retired"}
    body = {"procedure_code": code, "channel": 2, "applicant": {"name": "A"}, "components": []}
    refused = await api.post("/api/v1/dossiers", json=body, headers=clerk)
    assert refused.status_code == 422
    # a dossier filed under a retired version still reads it
    forms = await api.get(f"/api/v1/dossiers/{old['code']}/forms/1.pdf", headers=clerk)
    assert forms.status_code == 200


async def test_a_version_taking_effect_later_is_not_used_before(  # type: ignore[no-untyped-def]
    api: httpx.AsyncClient, login
) -> None:
    admin = await login("admin")
    code = f"T.{uuid.uuid4().hex[:6]}"
    base = "/api/v1/admin/procedures"
    await api.post(base, json=definition(code, 2, "Kiểm tra"), headers=admin)
    later = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    await api.post(
        f"{base}/{code}/versions/1/publish", json={"effective_from": later}, headers=admin
    )
    assert (await api.get(f"/api/v1/procedures/{code}")).status_code == 404


async def test_bad_definitions_and_other_roles_are_refused(api: httpx.AsyncClient, login) -> None:  # type: ignore[no-untyped-def]
    admin, clerk = await login("admin"), await login("motcua.bennghe")
    code = f"T.{uuid.uuid4().hex[:6]}"
    base = "/api/v1/admin/procedures"
    assert (await api.post(base, json=definition(code, 2, "x"), headers=clerk)).status_code == 403
    shares = definition(code, 2, "x")
    shares["term_days"] = 3  # the steps' shares add up to 2
    bad = await api.post(base, json=shares, headers=admin)
    assert bad.status_code == 422 and "add up to" in bad.json()["detail"]
    nowhere = definition(code, 2, "x")
    nowhere["agency_code"] = "000.99.99.H99"
    missing = await api.post(base, json=nowhere, headers=admin)
    assert missing.status_code == 422 and "no agency" in missing.json()["detail"]
    typed = definition(code, 2, "x")
    typed["term_days"] = "hai"
    assert (await api.post(base, json=typed, headers=admin)).status_code == 422
    assert (await api.post(f"{base}/nope/versions", json=typed, headers=admin)).status_code == 404
