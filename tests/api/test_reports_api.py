"""The reports API over a read model with known outcomes: a month (March 2025) no other test
touches, filled with dossiers whose verdicts are known, so every figure is exact."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from db.models import Dossier
from db.seed import DONRE, WARD

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
MONTH = "2025-03"
LAND, BIRTH = "1.004227", "1.001193"
SECRET_NAME = "Nguyễn Thị Riêng Tư"
BLAME = {
    "step_index": 1,
    "attempt": 1,
    "unit_code": "H29.14.VPDK",
    "unit_name": "Văn phòng Đăng ký đất đai",
    "agency_code": DONRE,
    "agency_name": "Sở Tài nguyên và Môi trường",
    "officer": "cv.vpdk",
    "officer_name": "Hoàng Văn Nam",
    "overrun_hours": 12.0,
    "branch": "",
}


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2025, 3, day, hour, tzinfo=HCM)


def dossier(agency: str, n: int, verdict: str, *, channel: int = 1, **fields) -> Dossier:  # type: ignore[no-untyped-def]
    ended = verdict in ("early", "on_time", "late")
    received = at(2)
    due = at(10)
    values = {
        "code": f"{agency}-250302-{n:04d}-{uuid.uuid4().hex[:4]}",
        "procedure_code": LAND if agency == DONRE else BIRTH,
        "agency_code": agency,
        "channel": channel,
        "applicant_name": "Trần Văn Công Khai",
        "status": "resolved" if ended else "processing",
        "portal_code": 9 if ended else 4,
        "submitted_at": received - timedelta(hours=1),
        "received_at": received,
        "due_at": due,
        "finished_at": {"early": at(5), "on_time": at(10, 8), "late": at(12)}.get(verdict),
        "verdict": verdict,
        "verdict_due_at": due,
        "judged_at": at(12),
        "late_hours": 12.0 if verdict == "late" else 0.0,
        "verdict_reasons": [],
        "version": 1,
    }
    values.update(fields)
    return Dossier(**values)


@pytest.fixture(scope="module")
async def march(sessions):  # type: ignore[no-untyped-def]
    """DONRE: 2 early (one online), 1 on time, 1 late (step 2's unit and officer), 1 open
    and overdue by the end of the month; the ward: 2 on time, online."""
    rows = [
        dossier(DONRE, 1, "early", channel=2),
        dossier(DONRE, 2, "early"),
        dossier(DONRE, 3, "on_time"),
        dossier(
            DONRE, 4, "late", applicant_name=SECRET_NAME, late_attribution=[BLAME], apologised=True
        ),
        dossier(DONRE, 5, "in_progress"),
        dossier(WARD, 6, "on_time", channel=2),
        dossier(WARD, 7, "on_time", channel=2),
    ]
    async with sessions() as session:
        session.add_all(rows)
        await session.commit()
    return {r.code.split("-")[2]: r.code for r in rows}


async def get(api: httpx.AsyncClient, path: str, headers, expect: int = 200, **params):  # type: ignore[no-untyped-def]
    response = await api.get(path, params=params, headers=headers)
    assert response.status_code == expect, response.text
    return response


def metric(body: dict, code: str) -> dict:  # type: ignore[type-arg]
    return next(m for m in body["metrics"] if m["code"] == code)


async def test_the_province_sees_every_agency_exactly(api, login, march) -> None:  # type: ignore[no-untyped-def]
    body = (await get(api, "/api/v1/reports/indicators", await login("admin"), month=MONTH)).json()
    assert body["period"]["label"] and body["scope"] is None
    on_time = metric(body, "2.1")
    # 7 judged: 6 on time or early; the open one was overdue by the month's end
    assert (on_time["numerator"], on_time["denominator"]) == (5, 7)
    online = metric(body, "3.3")
    assert (online["numerator"], online["denominator"]) == (3, 7)
    counts = body["counts"]
    assert (counts["resolved_early"], counts["resolved_on_time"], counts["resolved_late"]) == (
        2,
        3,
        1,
    )
    assert counts["late_apologised"] == 1 and counts["in_progress_overdue"] == 1
    target = next(t for t in body["targets"] if t["indicator"] == "2.1")
    assert target["met"] is False and target["more_needed"] == 2
    assert body["forecast"] is None  # the month is over


async def test_an_agency_sees_its_own_figures_only(api, login, march) -> None:  # type: ignore[no-untyped-def]
    clerk = await login("motcua.tnmt")
    body = (await get(api, "/api/v1/reports/indicators", clerk, month=MONTH)).json()
    assert body["scope"] == [DONRE]
    assert metric(body, "2.1")["denominator"] == 5
    await get(api, "/api/v1/reports/indicators", clerk, expect=403, month=MONTH, agency=WARD)
    ward = await get(
        api, "/api/v1/reports/indicators", await login("admin"), month=MONTH, agency=WARD
    )
    assert metric(ward.json(), "2.1")["denominator"] == 2


async def test_drill_down_and_the_dossiers_behind_a_figure(api, login, march) -> None:  # type: ignore[no-untyped-def]
    admin = await login("admin")
    body = (
        await get(
            api,
            "/api/v1/reports/indicators",
            admin,
            month=MONTH,
            group_by="agency",
            metric="2.1",
            list="numerator",
        )
    ).json()
    groups = {g["key"]: g for g in body["groups"]}
    assert metric(groups[DONRE], "2.1")["numerator"] == 3
    assert metric(groups[WARD], "2.1")["ratio"] == 1.0
    listed = set(body["dossiers"]["codes"])
    assert march["0004"] not in listed and march["0005"] not in listed
    assert {march["0001"], march["0006"]} <= listed
    await get(api, "/api/v1/reports/indicators", admin, expect=422, month=MONTH, group_by="x")
    await get(api, "/api/v1/reports/indicators", admin, expect=404, month=MONTH, metric="9.9")
    await get(api, "/api/v1/reports/indicators", admin, expect=422, month="2020-13")
    await get(api, "/api/v1/reports/indicators", admin, expect=422, month=MONTH, year=2020)


async def test_indicators_as_csv(api, login, march) -> None:  # type: ignore[no-untyped-def]
    response = await get(
        api, "/api/v1/reports/indicators", await login("admin"), month=MONTH, format="csv"
    )
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text.lstrip("\ufeff"))))
    on_time = next(r for r in rows if r["code"] == "2.1" and r["breakdown"] == "")
    assert (on_time["numerator"], on_time["denominator"]) == ("5", "7")


async def test_the_register_lists_each_dossier_received(api, login, march) -> None:  # type: ignore[no-untyped-def]
    response = await get(api, "/api/v1/reports/register.csv", await login("admin"), month=MONTH)
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["STT", "Mã hồ sơ", "Tên thủ tục hành chính"]
    codes = {r[1] for r in rows[1:]}
    assert set(march.values()) <= codes
    late = next(r for r in rows if r[1] == march["0004"])
    assert SECRET_NAME in late and "Trễ hạn" in late and "đã xin lỗi" in late[-1]


async def test_the_late_list_names_who_was_responsible(api, login, march) -> None:  # type: ignore[no-untyped-def]
    body = (await get(api, "/api/v1/reports/late", await login("admin"), month=MONTH)).json()
    items = {i["code"]: i for i in body["items"]}
    assert set(items) == {march["0004"], march["0005"]}
    [blame] = items[march["0004"]]["responsible"]
    assert (blame["unit_code"], blame["officer"]) == ("H29.14.VPDK", "cv.vpdk")
    assert items[march["0004"]]["applicant_name"] == SECRET_NAME
    [who] = body["responsible"]
    assert (who["officer_name"], who["dossiers"], who["overrun_hours"]) == (
        "Hoàng Văn Nam",
        1,
        12.0,
    )
    response = await get(
        api, "/api/v1/reports/late", await login("admin"), month=MONTH, format="csv"
    )
    assert "Hoàng Văn Nam" in response.text and SECRET_NAME in response.text
    pdf = await get(api, "/api/v1/reports/late", await login("admin"), month=MONTH, format="pdf")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "DANH SÁCH HỒ SƠ TRỄ HẠN" in text and "Hoàng Văn Nam" in text


async def test_the_public_late_list_carries_no_personal_data(api, march) -> None:  # type: ignore[no-untyped-def]
    response = await api.get("/api/v1/public/reports/late", params={"month": MONTH})
    assert response.status_code == 200, response.text
    assert march["0004"] in response.text and "Hoàng Văn Nam" in response.text
    assert SECRET_NAME not in response.text and "Trần Văn Công Khai" not in response.text
    assert all("applicant_name" not in i for i in response.json()["items"])
    csv_text = (
        await api.get("/api/v1/public/reports/late", params={"month": MONTH, "format": "csv"})
    ).text
    assert march["0004"] in csv_text and SECRET_NAME not in csv_text
    assert "Người nộp" not in csv_text.splitlines()[0]
    pdf = await api.get("/api/v1/public/reports/late", params={"month": MONTH, "format": "pdf"})
    assert pdf.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert march["0004"] in text and SECRET_NAME not in text
    missing = await api.get("/api/v1/public/reports/late", params={"agency": "nope"})
    assert missing.status_code == 404


async def test_the_register_as_a_spreadsheet(api, login, march) -> None:  # type: ignore[no-untyped-def]
    response = await get(api, "/api/v1/reports/register.xlsx", await login("admin"), month=MONTH)
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("STT", "Mã hồ sơ")
    assert set(march.values()) <= {r[1] for r in rows[1:]}


async def test_the_monthly_report_is_a_pdf_an_agency_head_reads(api, login, march) -> None:  # type: ignore[no-untyped-def]
    response = await get(
        api, "/api/v1/reports/monthly.pdf", await login("gd.tnmt"), month=MONTH, agency=DONRE
    )
    reader = PdfReader(io.BytesIO(response.content))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "BÁO CÁO KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH" in text
    assert "SỞ TÀI NGUYÊN VÀ MÔI TRƯỜNG" in text and march["0004"] in text
    assert "Chưa đạt" in text  # 3 of 5 on time against 99.5 %
    await get(api, "/api/v1/reports/monthly.pdf", await login("gd.tnmt"), 403, agency=WARD)


async def test_admin_keeps_the_targets(api, login) -> None:  # type: ignore[no-untyped-def]
    admin, clerk = await login("admin"), await login("motcua.tnmt")
    seeded = (await get(api, "/api/v1/admin/targets", admin)).json()
    assert {(t["indicator"], t["minimum"]) for t in seeded} >= {("2.1", 0.995), ("2.1", 0.98)}
    body = {"indicator": "4.2", "minimum": 0.9, "level": "district", "source": "Kế hoạch 2027"}
    refused = await api.post("/api/v1/admin/targets", json=body, headers=clerk)
    assert refused.status_code == 403
    bad = await api.post("/api/v1/admin/targets", json={**body, "indicator": "X"}, headers=admin)
    assert bad.status_code == 422 and "not one of" in bad.json()["detail"]
    too_big = await api.post("/api/v1/admin/targets", json={**body, "minimum": 99.5}, headers=admin)
    assert too_big.status_code == 422
    created = await api.post("/api/v1/admin/targets", json=body, headers=admin)
    assert created.status_code == 201, created.text
    target_id = created.json()["id"]
    changed = await api.put(
        f"/api/v1/admin/targets/{target_id}", json={**body, "minimum": 0.85}, headers=admin
    )
    assert changed.status_code == 200 and changed.json()["minimum"] == 0.85
    assert (
        await api.delete(f"/api/v1/admin/targets/{target_id}", headers=admin)
    ).status_code == 204
    assert (
        await api.delete(f"/api/v1/admin/targets/{target_id}", headers=admin)
    ).status_code == 404


async def test_the_on_time_chart_is_a_png(api, login, march) -> None:  # type: ignore[no-untyped-def]
    response = await get(api, "/api/v1/reports/on-time.png", await login("admin"), month=MONTH)
    assert response.headers["content-type"] == "image/png"
    assert response.content.startswith(b"\x89PNG") and len(response.content) > 5000
