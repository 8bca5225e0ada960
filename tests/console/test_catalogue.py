"""The administrator's catalogue and user pages in a real browser: a procedure drafted from
its definition, published, revised and retired, with the API's own refusals shown; a user
created, who then signs in, and switched off, who then cannot."""

from __future__ import annotations

import json
import uuid
from typing import Any

from db.repository import get_procedure, procedure_to_json
from tests.console.conftest import Desk

LAND = "1.004227"


async def _definition(sessions: Any, code: str) -> str:
    async with sessions() as session:
        land = await get_procedure(session, code=LAND)
    assert land is not None
    body = procedure_to_json(land)
    body.update(code=code, name="Thủ tục thử nghiệm của tỉnh")
    return json.dumps(body, ensure_ascii=False)


async def test_the_admin_drafts_publishes_revises_and_retires_a_procedure(
    open_as: Any, sessions: Any
) -> None:
    clerk = await open_as("motcua.tnmt")
    await clerk.goto("/console/catalogue")
    assert await clerk.page.locator("#procedures").count() == 0  # an admin's page only

    admin: Desk = await open_as("admin")
    await admin.goto("/console/catalogue")
    assert await admin.page.locator("#procedures tr", has_text=LAND).count() == 1

    # a definition that is not JSON is refused with the reason, and nothing is created
    await admin.page.get_by_label("Định nghĩa (JSON)").fill('{"name": ')
    await admin.page.get_by_role("button", name="Tạo bản nháp").click()
    await admin.page.wait_for_load_state()
    assert "not valid JSON" in await admin.page.locator("#refusal").inner_text()

    code = f"T-{uuid.uuid4().hex[:6]}"
    await admin.page.get_by_label("Định nghĩa (JSON)").fill(await _definition(sessions, code))
    await admin.page.get_by_role("button", name="Tạo bản nháp").click()
    await admin.page.wait_for_url(f"**/console/catalogue/{code}?*")
    assert "bản nháp phiên bản 1" in await admin.page.locator(".notice.ok").inner_text()

    # an edit the domain refuses (a term of zero days) is shown and the draft stays as it was
    draft = admin.page.get_by_label("Định nghĩa (JSON)")
    body = json.loads(await draft.input_value())
    await draft.fill(json.dumps({**body, "term_days": 0}, ensure_ascii=False))
    await admin.page.get_by_role("button", name="Lưu bản nháp").click()
    await admin.page.wait_for_load_state()
    assert await admin.page.locator("#refusal").count() == 1
    assert json.loads(await draft.input_value())["term_days"] == body["term_days"]

    await admin.page.get_by_role("button", name="Ban hành").click()
    await admin.page.wait_for_load_state()
    assert "đã ban hành" in await admin.page.locator(".notice.ok").inner_text()
    assert "Đã ban hành" in await admin.page.locator("#versions tbody tr").first.inner_text()
    await admin.shot("catalogue-procedure")

    await admin.page.get_by_role("button", name="Tạo phiên bản mới (bản nháp)").click()
    await admin.page.wait_for_load_state()
    assert await admin.page.locator("#versions tbody tr").count() == 2
    assert await admin.page.locator("#h-draft").inner_text() == "Bản nháp phiên bản 2"

    await admin.goto("/console/catalogue")
    row = admin.page.locator("#procedures tr", has_text=code)
    assert "Đang áp dụng" in await row.inner_text()

    await admin.goto(f"/console/catalogue/{code}")
    await admin.page.get_by_role("button", name="Ngừng áp dụng cho hồ sơ mới").click()
    await admin.page.wait_for_load_state()
    assert "đã ngừng áp dụng" in await admin.page.locator(".notice.ok").inner_text()
    await admin.goto("/console/catalogue")
    assert "Không" in await admin.page.locator("#procedures tr", has_text=code).inner_text()


async def save_user(page: Any, username: str, *, password: str = "", active: bool = True) -> None:
    """Fill the account form for an officer of the land department and save it."""
    await page.get_by_label("Tên đăng nhập").fill(username)
    await page.get_by_label("Họ tên").fill("Lê Thị Thử")
    await page.get_by_label("Vai trò").select_option("officer")
    await page.get_by_label("Cơ quan").select_option("000.00.14.H29")
    await page.get_by_label("Mật khẩu mới (ít nhất 12 ký tự)").fill(password)
    await page.get_by_label("Hoạt động").set_checked(active)
    await page.get_by_role("button", name="Lưu tài khoản").click()
    await page.wait_for_load_state()


async def test_the_admin_creates_a_user_who_signs_in_and_switches_them_off(
    open_as: Any, browser: Any, console_url: str
) -> None:
    admin: Desk = await open_as("admin")
    await admin.goto("/console/users")
    username = f"cv.{uuid.uuid4().hex[:6]}"
    page = admin.page
    await save_user(page, username, password="ngan")
    assert await page.locator("#refusal").count() == 1  # too short a password
    assert await page.locator("#users tr", has_text=username).count() == 0

    await save_user(page, username, password="mat-khau-du-dai-1")
    assert "Hoạt động" in await page.locator("#users tr", has_text=username).inner_text()
    await admin.shot("users")

    async def sign_in() -> str:
        context = await browser.new_context(locale="vi-VN")
        try:
            tab = await context.new_page()
            await tab.goto(f"{console_url}/console/login")
            await tab.get_by_label("Tên đăng nhập").fill(username)
            await tab.get_by_label("Mật khẩu").fill("mat-khau-du-dai-1")
            await tab.get_by_role("button", name="Đăng nhập").click()
            await tab.wait_for_load_state()
            return str(tab.url)
        finally:
            await context.close()

    assert (await sign_in()).endswith("/console/")

    await save_user(page, username, active=False)
    assert "Đã khoá" in await page.locator("#users tr", has_text=username).inner_text()
    assert "/console/login" in await sign_in()
