"""The applicant hands in a requested supplement online, with the receipt's code and secret:
the files become the components' electronic copies and the dossier's clock restarts or
resumes as the procedure's supplement policy says, as when a clerk records it."""

from __future__ import annotations

import httpx
import pytest

from tests.documents.helpers import pdf_bytes

RESTARTS = ("1.004227", "motcua.tnmt", "cc.diachinh", ["DDK", "NGD"], "NGD")
PAUSES = ("1.003010", "motcua.tnmt", "cv.vpdk", ["DBD", "HD", "GCN"], "HD")


async def act(api, headers, code, action, **body):  # type: ignore[no-untyped-def]
    response = await api.post(
        f"/api/v1/dossiers/{code}/actions/{action}", json=body, headers=headers
    )
    assert response.status_code == 200, response.text
    return response.json()


def upload(api: httpx.AsyncClient, code: str, secret: str, component: str, data: bytes):  # type: ignore[no-untyped-def]
    return api.post(
        f"/api/v1/public/dossiers/{code}/supplement",
        params={"secret": secret},
        files=[("files", ("so-do.pdf", data, "application/pdf"))],
        data={"component_codes": [component]},
    )


@pytest.mark.parametrize(
    ("case", "clock_entry"), [(RESTARTS, "restart"), (PAUSES, "resume")], ids=["restart", "pause"]
)
async def test_the_applicants_supplement_moves_the_clock_as_the_policy_says(  # type: ignore[no-untyped-def]
    docs_api: httpx.AsyncClient, login, case, clock_entry: str
) -> None:
    procedure, clerk_name, officer_name, components, asked = case
    clerk, officer = await login(clerk_name), await login(officer_name)
    body = {
        "procedure_code": procedure,
        "channel": 2,
        "pay_online": False,
        "applicant": {"name": "Phan Văn Khoa", "id_number": "079190004321"},
        "components": components,
    }
    created = await docs_api.post("/api/v1/dossiers", json=body, headers=clerk)
    assert created.status_code == 201, created.text
    code, secret = created.json()["code"], created.json()["lookup_secret"]
    await act(docs_api, clerk, code, "accept")
    early = await upload(docs_api, code, secret, asked, pdf_bytes())
    assert early.status_code == 409  # nothing is asked yet
    await act(docs_api, clerk, code, "forward")
    await act(
        docs_api,
        officer,
        code,
        "request-supplement",
        reason="Bản chụp mờ",
        items=["Bản chụp rõ nét"],
    )
    wrong = await upload(docs_api, code, "nope", asked, pdf_bytes())
    assert wrong.status_code == 404
    not_a_file = await upload(docs_api, code, secret, asked, b"plain text, not a scan")
    assert not_a_file.status_code == 422
    unknown = await upload(docs_api, code, secret, "XYZ", pdf_bytes())
    assert unknown.status_code == 422
    still = (await docs_api.get(f"/api/v1/dossiers/{code}", headers=clerk)).json()
    assert still["status"] == "supplement_requested"  # bad input changed nothing

    done = await upload(docs_api, code, secret, asked, pdf_bytes())
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "processing"
    detail = (await docs_api.get(f"/api/v1/dossiers/{code}", headers=clerk)).json()
    last = detail["timeline"][-1]
    assert (last["action"], last["actor"]) == ("supplement", "applicant")
    assert "so-do.pdf" in last["note"]
    deadline = (await docs_api.get(f"/api/v1/dossiers/{code}/deadline", headers=clerk)).json()
    kinds = [entry["kind"] for entry in deadline["ledger"]]
    assert kinds[-2:] == ["pause", clock_entry]
    assert ("restart" in kinds) == (clock_entry == "restart")
    files = (await docs_api.get(f"/api/v1/dossiers/{code}/documents", headers=clerk)).json()
    assert any(f["component_code"] == asked and f["uploaded_by"] == "applicant" for f in files)


async def test_the_self_service_page_sends_the_supplement_and_says_so(  # type: ignore[no-untyped-def]
    docs_api: httpx.AsyncClient, login
) -> None:
    """The form of the look-up page (`/tra-cuu/bo-sung`): a file per component asked for."""
    procedure, clerk_name, officer_name, components, asked = RESTARTS
    clerk, officer = await login(clerk_name), await login(officer_name)
    body = {
        "procedure_code": procedure,
        "channel": 2,
        "pay_online": False,
        "applicant": {"name": "Lý Thị Hoa", "id_number": "079190004322"},
        "components": components,
    }
    created = await docs_api.post("/api/v1/dossiers", json=body, headers=clerk)
    assert created.status_code == 201, created.text
    code, secret = created.json()["code"], created.json()["lookup_secret"]
    for action in ("accept", "forward"):
        await act(docs_api, clerk, code, action)
    await act(docs_api, officer, code, "request-supplement", reason="Thiếu sơ đồ", items=["Sơ đồ"])
    page = {"code": code, "secret": secret, "note": "bản rõ nét"}
    empty = await docs_api.post("/tra-cuu/bo-sung", data=page)
    assert empty.status_code == 422 and "Hãy chọn tệp" in empty.text
    sent = await docs_api.post(
        "/tra-cuu/bo-sung",
        data=page,
        files=[(f"file_{asked}", ("so-do.pdf", pdf_bytes(), "application/pdf"))],
    )
    assert sent.status_code == 200, sent.text
    assert "Đã nộp bổ sung" in sent.text
    detail = (await docs_api.get(f"/api/v1/dossiers/{code}", headers=clerk)).json()
    assert detail["status"] == "processing"
    assert detail["timeline"][-1]["action"] == "supplement"
