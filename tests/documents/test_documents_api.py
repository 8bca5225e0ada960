"""Uploading, digitizing, reusing and downloading dossier documents through the API, against
a real Temporal dev server and database; hostile files included."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx

from tests.documents.helpers import (
    BIRTH,
    LAND_CLERK,
    act,
    pdf_bytes,
    scan_required,
    submit,
    upload,
)

EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 64


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and ".incoming" not in p.parts]


def stored_safely(root: Path, digest: str, content: bytes) -> bool:
    """The bytes are under their digest, and nothing landed outside the storage root."""
    inside = all(p.resolve().is_relative_to(root.resolve()) for p in stored_files(root))
    blob = root / digest[:2] / digest[2:4] / digest
    return inside and blob.read_bytes() == content and not (root.parent / "etc").exists()


async def component(api: httpx.AsyncClient, headers, code: str, name: str) -> dict:  # type: ignore[no-untyped-def]
    detail = (await api.get(f"/api/v1/dossiers/{code}", headers=headers)).json()
    return next(c for c in detail["components"] if c["code"] == name)


async def test_pdf_named_png_is_kept_as_pdf(docs_api: httpx.AsyncClient, login) -> None:  # type: ignore[no-untyped-def]
    clerk = await login(LAND_CLERK)
    code = (await submit(docs_api, clerk))["code"]
    content = pdf_bytes()
    response = await upload(
        docs_api, clerk, code, content, filename="Đơn đăng ký.png", content_type="image/png"
    )
    assert response.status_code == 201, response.text
    document = response.json()
    assert document["media_type"] == "application/pdf"
    assert document["display_name"] == "Đơn đăng ký.pdf"
    assert document["sha256"] == hashlib.sha256(content).hexdigest()
    assert document["size"] == len(content) and document["uploaded_by"] == LAND_CLERK

    download = await docs_api.get(response.headers["location"], headers=clerk)
    assert download.status_code == 200
    assert download.content == content
    assert download.headers["content-type"] == "application/pdf"
    disposition = download.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="Don dang ky.pdf"')
    assert "filename*=UTF-8''%C4%90%C6%A1n%20%C4%91%C4%83ng%20k%C3%BD.pdf" in disposition

    ddk = await component(docs_api, clerk, code, "DDK")
    assert ddk["digitized"] and ddk["provided"] and not ddk["reused"]
    assert ddk["file_hash"] == document["sha256"] and ddk["document_id"] == document["id"]


async def test_executables_are_refused_whatever_their_name(  # type: ignore[no-untyped-def]
    docs_api: httpx.AsyncClient, login
) -> None:
    clerk = await login(LAND_CLERK)
    code = (await submit(docs_api, clerk))["code"]
    for content in (EXECUTABLE, ELF):
        response = await upload(docs_api, clerk, code, content, filename="hoso.pdf")
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        problem = response.json()
        assert problem["reason"] == "unsupported_type"
        assert "not a PDF, JPEG, PNG or TIFF" in problem["detail"]
    listed = await docs_api.get(f"/api/v1/dossiers/{code}/documents", headers=clerk)
    assert listed.json() == []
    assert not (await component(docs_api, clerk, code, "DDK"))["digitized"]


async def test_empty_file_is_refused(docs_api: httpx.AsyncClient, login) -> None:  # type: ignore[no-untyped-def]
    clerk = await login(LAND_CLERK)
    code = (await submit(docs_api, clerk))["code"]
    response = await upload(docs_api, clerk, code, b"", filename="empty.pdf")
    assert response.status_code == 422
    assert response.json()["reason"] == "empty"
    assert "empty" in response.json()["detail"]


async def test_oversized_file_is_413(small_api: httpx.AsyncClient, login) -> None:  # type: ignore[no-untyped-def]
    clerk = await login(LAND_CLERK)
    code = (await submit(small_api, clerk))["code"]
    too_big = pdf_bytes() + b"0" * (1024 * 1024)
    response = await upload(small_api, clerk, code, too_big)
    assert response.status_code == 413, response.text
    assert response.json()["reason"] == "too_large"
    assert "1 MB" in response.json()["detail"]
    just_fits = await upload(small_api, clerk, code, pdf_bytes() + b"0" * (1024 * 1000))
    assert just_fits.status_code == 201, just_fits.text


async def test_a_path_as_file_name_is_only_a_display_name(  # type: ignore[no-untyped-def]
    docs_api: httpx.AsyncClient, login, storage_root: Path
) -> None:
    clerk = await login(LAND_CLERK)
    code = (await submit(docs_api, clerk))["code"]
    content = pdf_bytes()
    response = await upload(docs_api, clerk, code, content, filename="../../etc/passwd")
    assert response.status_code == 201, response.text
    document = response.json()
    assert document["display_name"] == "passwd.pdf"
    digest = document["sha256"]
    assert stored_safely(storage_root, digest, content)
    download = await docs_api.get(
        f"/api/v1/dossiers/{code}/documents/{document['id']}", headers=clerk
    )
    assert 'filename="passwd.pdf"' in download.headers["content-disposition"]


async def test_identical_content_is_stored_once(  # type: ignore[no-untyped-def]
    docs_api: httpx.AsyncClient, login, storage_root: Path
) -> None:
    clerk = await login(LAND_CLERK)
    first = (await submit(docs_api, clerk))["code"]
    second = (await submit(docs_api, clerk, id_number="079190009999"))["code"]
    content = pdf_bytes()
    a = (await upload(docs_api, clerk, first, content, component="DDK")).json()
    b = (await upload(docs_api, clerk, first, content, component="NGD")).json()
    c = (await upload(docs_api, clerk, second, content, filename="khac.pdf")).json()
    assert a["sha256"] == b["sha256"] == c["sha256"]
    assert len({a["id"], b["id"], c["id"]}) == 3  # one record per use
    copies = [p for p in stored_files(storage_root) if p.name == a["sha256"]]
    assert len(copies) == 1


async def test_paper_dossier_is_accepted_only_once_digitized(  # type: ignore[no-untyped-def]
    docs_api: httpx.AsyncClient, login
) -> None:
    clerk = await login(LAND_CLERK)
    dossier = await submit(docs_api, clerk, channel=1, components=["DDK", "NGD"])
    code = dossier["code"]
    assert "accept" not in dossier["allowed_actions"]
    problem = await act(docs_api, clerk, code, "accept", expect=409)
    assert "DDK" in problem["detail"] and "NGD" in problem["detail"]
    assert "TKTS" not in problem["detail"]  # optional components do not hold a dossier back
    assert problem["current_status"] == "submitted"

    assert (await upload(docs_api, clerk, code, pdf_bytes(), component="DDK")).status_code == 201
    problem = await act(docs_api, clerk, code, "accept", expect=409)
    assert "NGD" in problem["detail"] and "DDK" not in problem["detail"]

    assert (await upload(docs_api, clerk, code, pdf_bytes(), component="NGD")).status_code == 201
    accepted = await act(docs_api, clerk, code, "accept")
    assert accepted["status"] == "received"
    actions = [t["action"] for t in accepted["timeline"]]
    assert actions == ["submit", "attach-document", "attach-document", "accept"]
    assert {c["code"]: c["digitized"] for c in accepted["components"]} == {
        "DDK": True,
        "NGD": True,
        "TKTS": False,
    }


async def test_online_dossier_is_digitized_by_nature(  # type: ignore[no-untyped-def]
    docs_api: httpx.AsyncClient, login
) -> None:
    clerk = await login("motcua.bennghe")
    dossier = await submit(docs_api, clerk, channel=2, procedure=BIRTH, components=["TK", "GCS"])
    assert all(c["digitized"] for c in dossier["components"])
    assert (await act(docs_api, clerk, dossier["code"], "accept"))["status"] == "received"


async def test_unknown_component_and_missing_code(docs_api: httpx.AsyncClient, login) -> None:  # type: ignore[no-untyped-def]
    clerk = await login(LAND_CLERK)
    code = (await submit(docs_api, clerk))["code"]
    response = await upload(docs_api, clerk, code, pdf_bytes(), component="NOPE")
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "component_code"
    response = await upload(docs_api, clerk, code, pdf_bytes(), component=None)
    assert response.status_code == 422


async def test_reuse_of_the_same_applicants_document(  # type: ignore[no-untyped-def]
    docs_api: httpx.AsyncClient, login
) -> None:
    clerk = await login(LAND_CLERK)
    earlier = (await submit(docs_api, clerk, id_number="079190004321"))["code"]
    source = (await upload(docs_api, clerk, earlier, pdf_bytes(), component="NGD")).json()
    later = (await submit(docs_api, clerk, id_number="079190004321"))["code"]

    response = await docs_api.post(
        f"/api/v1/dossiers/{later}/documents/reuse",
        json={"component_code": "NGD", "document_id": source["id"]},
        headers=clerk,
    )
    assert response.status_code == 201, response.text
    reused = response.json()
    assert reused["reused_from_id"] == source["id"] and reused["sha256"] == source["sha256"]
    ngd = await component(docs_api, clerk, later, "NGD")
    assert ngd["reused"] and ngd["digitized"]

    by_hash = await docs_api.post(
        f"/api/v1/dossiers/{later}/documents/reuse",
        json={"component_code": "DDK", "sha256": source["sha256"].upper()},
        headers=clerk,
    )
    assert by_hash.status_code == 201, by_hash.text
    assert (await component(docs_api, clerk, later, "DDK"))["reused"]


async def test_reuse_of_another_applicants_document_is_refused(  # type: ignore[no-untyped-def]
    docs_api: httpx.AsyncClient, login
) -> None:
    clerk = await login(LAND_CLERK)
    theirs = (await submit(docs_api, clerk, id_number="079190000001"))["code"]
    source = (await upload(docs_api, clerk, theirs, pdf_bytes(), component="NGD")).json()
    mine = (await submit(docs_api, clerk, id_number="079190000002"))["code"]
    for reference in ({"document_id": source["id"]}, {"sha256": source["sha256"]}):
        response = await docs_api.post(
            f"/api/v1/dossiers/{mine}/documents/reuse",
            json={"component_code": "NGD", **reference},
            headers=clerk,
        )
        assert response.status_code == 422, response.text
        assert "another applicant" in response.json()["detail"]
    assert not (await component(docs_api, clerk, mine, "NGD"))["digitized"]
    listed = await docs_api.get(f"/api/v1/dossiers/{mine}/documents", headers=clerk)
    assert listed.json() == []
    unknown = await docs_api.post(
        f"/api/v1/dossiers/{mine}/documents/reuse",
        json={"component_code": "NGD", "document_id": "no-such-document-id-xyz"},
        headers=clerk,
    )
    assert unknown.status_code == 404


async def test_who_may_upload(docs_api: httpx.AsyncClient, login) -> None:  # type: ignore[no-untyped-def]
    clerk = await login(LAND_CLERK)
    code = (await submit(docs_api, clerk))["code"]
    ward_officer = await upload(docs_api, await login("cc.diachinh"), code, pdf_bytes())
    assert ward_officer.status_code == 403  # on the route, but components are the desk's
    other_agency = await upload(docs_api, await login("motcua.sxd"), code, pdf_bytes())
    assert other_agency.status_code == 403
    anonymous = await upload(docs_api, {}, code, pdf_bytes())
    assert anonymous.status_code == 401
    early_result = await upload(docs_api, clerk, code, pdf_bytes(), kind="result", component=None)
    assert early_result.status_code == 403


async def test_download_has_the_dossiers_visibility(docs_api: httpx.AsyncClient, login) -> None:  # type: ignore[no-untyped-def]
    clerk = await login(LAND_CLERK)
    code = (await submit(docs_api, clerk))["code"]
    document = (await upload(docs_api, clerk, code, pdf_bytes())).json()
    path = f"/api/v1/dossiers/{code}/documents/{document['id']}"
    outsider = await login("motcua.sxd")
    assert (await docs_api.get(path, headers=outsider)).status_code == 403
    assert (
        await docs_api.get(f"/api/v1/dossiers/{code}/documents", headers=outsider)
    ).status_code == 403
    assert (await docs_api.get(path)).status_code == 401
    assert (await docs_api.get(f"/api/v1/dossiers/{code}/documents")).status_code == 401
    # an agency on the route may read the dossier's files
    assert (await docs_api.get(path, headers=await login("cc.diachinh"))).status_code == 200
    other = (await submit(docs_api, clerk))["code"]
    wrong_dossier = await docs_api.get(
        f"/api/v1/dossiers/{other}/documents/{document['id']}", headers=clerk
    )
    assert wrong_dossier.status_code == 404


async def test_electronic_result_and_applicant_look_up(  # type: ignore[no-untyped-def]
    docs_api: httpx.AsyncClient, login
) -> None:
    clerk = await login(LAND_CLERK)
    submitted = await submit(docs_api, clerk)
    code, secret = submitted["code"], submitted["lookup_secret"]
    detail = (await docs_api.get(f"/api/v1/dossiers/{code}", headers=clerk)).json()
    assert "lookup_secret" not in detail  # shown once, on the submission's answer

    public = f"/api/v1/public/dossiers/{code}"
    looked_up = await docs_api.get(public, params={"secret": secret})
    assert looked_up.status_code == 200, looked_up.text
    assert looked_up.json()["status"] == "submitted" and looked_up.json()["portal_code"] == 1
    assert looked_up.json()["procedure_name"].startswith("Đăng ký đất đai")
    for params in ({"secret": secret + "x"}, {"secret": ""}, {}):
        miss = await docs_api.get(public, params=params)
        assert miss.status_code == 404
    unknown = await docs_api.get("/api/v1/public/dossiers/NOPE-1", params={"secret": secret})
    assert unknown.status_code == 404 and unknown.json()["detail"] == miss.json()["detail"]

    await scan_required(docs_api, clerk, code)
    await act(docs_api, clerk, code, "accept")
    await act(docs_api, clerk, code, "forward")
    for officer in ("cc.diachinh", "cv.vpdk", "cv.thue"):
        await act(docs_api, await login(officer), code, "forward")
    last = await login("cv.qldd")
    result_pdf = pdf_bytes()
    response = await upload(
        docs_api, last, code, result_pdf, kind="result", component=None, filename="GCN.pdf"
    )
    assert response.status_code == 201, response.text
    result = response.json()
    assert (await docs_api.get(f"{public}/result", params={"secret": secret})).status_code == 404

    resolved = await act(
        docs_api,
        last,
        code,
        "resolve",
        result_kind="approval",
        result_summary="Cấp Giấy chứng nhận số CS 000124",
        result_document_id=result["id"],
    )
    assert resolved["status"] == "resolved"
    assert resolved["electronic_result"] is True and resolved["result_document_id"] == result["id"]
    assert [t["action"] for t in resolved["timeline"]].count("attach-document") == 3

    looked_up = (await docs_api.get(public, params={"secret": secret})).json()
    assert looked_up["status"] == "resolved" and looked_up["electronic_result"] is True
    assert looked_up["result_kind"] == "approval" and looked_up["due_at"] == resolved["due_at"]
    file = await docs_api.get(f"{public}/result", params={"secret": secret})
    assert file.status_code == 200 and file.content == result_pdf
    assert file.headers["content-type"] == "application/pdf"
    assert (await docs_api.get(f"{public}/result", params={"secret": "nope"})).status_code == 404


async def test_result_document_only_with_resolve(docs_api: httpx.AsyncClient, login) -> None:  # type: ignore[no-untyped-def]
    clerk = await login(LAND_CLERK)
    code = (await submit(docs_api, clerk, channel=2, components=["DDK", "NGD"]))["code"]
    problem = await act(docs_api, clerk, code, "accept", expect=422, result_document_id=1)
    assert problem["errors"][0]["field"] == "result_document_id"
