"""The statutory forms (Mẫu 01–05) rendered for real dossiers through the API, read back
with pypdf: the code, the Vietnamese names and the due moment must be on the page."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
from sqlalchemy import select

from db.models import Dossier, TimelineEntry
from domain.forms import format_moment
from tests.documents.helpers import APPLICANT, LAND_CLERK, act, pdf_text, scan_required, submit

LAND_NAME = "Đăng ký đất đai, tài sản gắn liền với đất, cấp Giấy chứng nhận lần đầu"
DONRE_NAME_PART = "Tài nguyên và Môi trường"


def moment(value: str) -> str:
    return format_moment(datetime.fromisoformat(value))


async def form(api: httpx.AsyncClient, headers, code: str, number: int, expect: int = 200):  # type: ignore[no-untyped-def]
    response = await api.get(f"/api/v1/dossiers/{code}/forms/{number}.pdf", headers=headers)
    assert response.status_code == expect, response.text
    if expect != 200:
        return response.json()
    assert response.headers["content-type"] == "application/pdf"
    return pdf_text(response.content)


async def received(api: httpx.AsyncClient, headers) -> dict:  # type: ignore[no-untyped-def]
    code = (await submit(api, headers))["code"]
    await scan_required(api, headers, code)
    return await act(api, headers, code, "accept")


async def test_form_01_receipt_with_appointment(docs_api: httpx.AsyncClient, login) -> None:  # type: ignore[no-untyped-def]
    clerk = await login(LAND_CLERK)
    code = (await submit(docs_api, clerk))["code"]
    problem = await form(docs_api, clerk, code, 1, expect=409)
    assert "accepted" in problem["detail"] and code in problem["detail"]

    await scan_required(docs_api, clerk, code)
    dossier = await act(docs_api, clerk, code, "accept")
    text = await form(docs_api, clerk, code, 1)
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in text
    assert code in text and APPLICANT in text and LAND_NAME in text
    assert DONRE_NAME_PART in text
    assert moment(dossier["due_at"]) in text
    assert "Giấy tờ về quyền sử dụng đất" in text  # a digitized component is listed
    assert "Trần Thị Mai" in text  # the clerk who received it
    assert "20 ngày làm việc" in text


async def test_form_02_lists_the_latest_supplement_request(  # type: ignore[no-untyped-def]
    docs_api: httpx.AsyncClient, login
) -> None:
    clerk = await login(LAND_CLERK)
    code = (await submit(docs_api, clerk))["code"]
    assert "no" in (await form(docs_api, clerk, code, 2, expect=409))["detail"]
    await act(
        docs_api,
        clerk,
        code,
        "request-supplement",
        reason="Hồ sơ chưa đầy đủ",
        items=["Bản sao Giấy chứng minh nhân dân", "Sơ đồ thửa đất có xác nhận"],
    )
    text = await form(docs_api, clerk, code, 2)
    assert "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ" in text
    assert code in text and APPLICANT in text
    assert "Bản sao Giấy chứng minh nhân dân" in text and "Sơ đồ thửa đất có xác nhận" in text
    assert "Hồ sơ chưa đầy đủ" in text and "Trần Thị Mai" in text


async def test_form_03_only_for_a_refused_dossier(docs_api: httpx.AsyncClient, login) -> None:  # type: ignore[no-untyped-def]
    clerk = await login(LAND_CLERK)
    code = (await submit(docs_api, clerk))["code"]
    problem = await form(docs_api, clerk, code, 3, expect=409)
    assert problem["detail"].startswith("Form 03 (refusal) applies only to a refused dossier")
    await act(docs_api, clerk, code, "refuse", reason="Thửa đất thuộc khu vực đang có tranh chấp")
    text = await form(docs_api, clerk, code, 3)
    assert "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ" in text
    assert code in text and APPLICANT in text
    assert "Thửa đất thuộc khu vực đang có tranh chấp" in text


async def test_form_04_after_an_apology(docs_api: httpx.AsyncClient, login, sessions) -> None:  # type: ignore[no-untyped-def]
    clerk = await login(LAND_CLERK)
    dossier = await received(docs_api, clerk)
    code = dossier["code"]
    assert "no apology" in (await form(docs_api, clerk, code, 4, expect=409))["detail"]
    original = datetime.fromisoformat(dossier["due_at"])
    new_due = original + timedelta(days=7)
    # the read model as the projection leaves it after an apology (Form 04 reads only that)
    async with sessions() as session, session.begin():
        row = await session.get(Dossier, code)
        row.apologised, row.original_due_at, row.due_at = True, original, new_due
        last = max(
            t.seq
            for t in await session.scalars(
                select(TimelineEntry).where(TimelineEntry.dossier_code == code)
            )
        )
        session.add(
            TimelineEntry(
                dossier_code=code,
                seq=last + 1,
                action="apologize",
                actor="gd.vpdk",
                actor_name="Lê Hoàng Phúc",
                at=original - timedelta(days=1),
                from_status="received",
                to_status="received",
                step_index=-1,
                note="Phải đo đạc lại ranh giới thửa đất",
            )
        )
    text = await form(docs_api, clerk, code, 4)
    assert "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ" in text
    assert code in text and APPLICANT in text
    assert format_moment(original) in text and format_moment(new_due) in text
    assert "Phải đo đạc lại ranh giới thửa đất" in text


async def test_form_05_tracks_every_step(docs_api: httpx.AsyncClient, login) -> None:  # type: ignore[no-untyped-def]
    clerk = await login(LAND_CLERK)
    dossier = await received(docs_api, clerk)
    code = dossier["code"]
    await act(docs_api, clerk, code, "forward")
    detail = await act(docs_api, await login("cc.diachinh"), code, "forward")
    text = await form(docs_api, clerk, code, 5)
    assert "PHIẾU KIỂM SOÁT QUÁ TRÌNH GIẢI QUYẾT HỒ SƠ" in text
    assert code in text and APPLICANT in text and moment(dossier["due_at"]) in text
    for step in detail["steps"]:
        assert step["unit_name"] in text and step["agency_name"] in text
        assert f"{step['term_days']:g} ngày làm việc" in text
    first, second = detail["steps"][0], detail["steps"][1]
    assert moment(first["started_at"]) in text and moment(first["finished_at"]) in text
    assert "Đúng hạn" in text  # step 1 finished before its due moment
    assert "Đang xử lý" in text  # step 2 is running
    assert "Quách Thị Diệu" in text  # who handled step 1
    assert moment(second["started_at"]) in text


async def test_forms_share_the_dossiers_visibility(docs_api: httpx.AsyncClient, login) -> None:  # type: ignore[no-untyped-def]
    clerk = await login(LAND_CLERK)
    code = (await received(docs_api, clerk))["code"]
    await form(docs_api, await login("motcua.sxd"), code, 1, expect=403)
    await form(docs_api, {}, code, 1, expect=401)
    await form(docs_api, clerk, code, 6, expect=404)
    await form(docs_api, clerk, "NOPE-1", 1, expect=404)
