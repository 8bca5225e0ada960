"""The audit trail: every read and change of a dossier, its documents and forms, reports and
settings, by whom and from where; for an admin only; never the documents' content."""

from __future__ import annotations

import uuid

import httpx
from sqlmodel import select

from db.audit_models import AuditEvent
from tests.documents.helpers import submit, upload

SECRET_TEXT = b"noi-dung-mat-" + uuid.uuid4().hex.encode()


def pdf_with(text: bytes) -> bytes:
    return b"%PDF-1.7\n% " + text + b"\n%%EOF\n"


async def test_reads_and_changes_are_audited_for_the_admin(  # type: ignore[no-untyped-def]
    docs_api: httpx.AsyncClient, login, sessions
) -> None:
    clerk, admin = await login("motcua.tnmt"), await login("admin")
    code = (await submit(docs_api, clerk))["code"]
    uploaded = await upload(docs_api, clerk, code, pdf_with(SECRET_TEXT), filename="cccd.pdf")
    assert uploaded.status_code == 201, uploaded.text
    document_id = uploaded.json()["id"]
    assert (await docs_api.get(f"/api/v1/dossiers/{code}", headers=clerk)).status_code == 200
    file = await docs_api.get(f"/api/v1/dossiers/{code}/documents/{document_id}", headers=clerk)
    assert file.status_code == 200
    outsider = await login("motcua.sxd")
    assert (await docs_api.get(f"/api/v1/dossiers/{code}", headers=outsider)).status_code == 403

    trail = await docs_api.get("/api/v1/admin/audit", params={"dossier": code}, headers=admin)
    assert trail.status_code == 200, trail.text
    events = trail.json()["items"]
    seen = {(e["actor"], e["access"], e["kind"], e["item"], e["status_code"]) for e in events}
    assert ("motcua.tnmt", "change", "dossier", "submit", 201) in seen
    assert ("motcua.tnmt", "change", "document", None, 201) in seen
    assert ("motcua.tnmt", "read", "dossier", None, 200) in seen
    assert ("motcua.tnmt", "read", "document", str(document_id), 200) in seen
    assert ("motcua.sxd", "read", "dossier", None, 403) in seen
    assert all(e["address"] and e["route"].startswith("/api/v1/dossiers") for e in events)
    assert events == sorted(events, key=lambda e: (e["at"], e["id"]), reverse=True)

    by_clerk = await docs_api.get(
        "/api/v1/admin/audit", params={"actor": "motcua.sxd", "kind": "dossier"}, headers=admin
    )
    assert {e["actor"] for e in by_clerk.json()["items"]} == {"motcua.sxd"}
    refused = await docs_api.get("/api/v1/admin/audit", headers=clerk)
    assert refused.status_code == 403
    async with sessions() as session:
        rows = (await session.exec(select(AuditEvent))).all()
    stored = " ".join(str(r.model_dump()) for r in rows)
    assert SECRET_TEXT.decode() not in stored and "cccd.pdf" not in stored


async def test_settings_and_the_applicant_look_up_are_audited(  # type: ignore[no-untyped-def]
    docs_api: httpx.AsyncClient, login
) -> None:
    clerk, admin = await login("motcua.tnmt"), await login("admin")
    submitted = await submit(docs_api, clerk)
    code, secret = submitted["code"], submitted["lookup_secret"]
    looked = await docs_api.get(f"/api/v1/public/dossiers/{code}", params={"secret": secret})
    assert looked.status_code == 200
    assert (await docs_api.get("/api/v1/reports/overdue", headers=admin)).status_code == 200
    trail = (
        await docs_api.get("/api/v1/admin/audit", params={"dossier": code}, headers=admin)
    ).json()["items"]
    assert any(e["actor"] == "applicant" and e["kind"] == "dossier" for e in trail)
    assert all(secret not in str(e) for e in trail)
    reports = (
        await docs_api.get("/api/v1/admin/audit", params={"kind": "report"}, headers=admin)
    ).json()["items"]
    assert reports and reports[0]["actor"] == "admin" and reports[0]["access"] == "read"
