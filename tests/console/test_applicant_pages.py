"""The applicant's own pages in a real browser: filing online with a one-time code (no
clerk), the self-service page it leads to, the dossier waiting in the desk's reception
queue, and a wrong secret refused on the look-up page."""

from __future__ import annotations

import re
from typing import Any

from sqlmodel import select

from db.clock_models import Notification
from db.verification_models import OtpChallenge
from tests.console.conftest import PHONE
from tests.console.test_console import scan

BIRTH = "1.001193"


async def the_code_sent_to(sessions: Any, contact: str) -> str:
    async with sessions() as session:
        challenge = (
            await session.scalars(
                select(OtpChallenge)
                .where(OtpChallenge.contact == contact)
                .order_by(OtpChallenge.created_at.desc())  # type: ignore[attr-defined]
            )
        ).first()
        assert challenge is not None
        row = (
            await session.scalars(
                select(Notification).where(Notification.dossier_code == f"otp-{challenge.id}")
            )
        ).one()
    found = re.search(r"(\d{6})", row.body)
    assert found
    return found.group(1)


async def test_the_applicant_files_online_and_sees_the_self_service(  # type: ignore[no-untyped-def]
    open_as: Any, sessions
) -> None:
    applicant = await open_as(None, PHONE)
    page = applicant.page
    await applicant.goto("/nop-ho-so")
    email = "lan.web@example.vn"
    await page.get_by_label("Thư điện tử hoặc số điện thoại di động").fill(email)
    await page.get_by_role("button", name="Gửi mã xác thực").click()
    await page.get_by_label("Mã xác thực", exact=True).wait_for()
    assert email in await page.locator("main").inner_text()

    await page.get_by_label("Mã xác thực", exact=True).fill("00000x")
    await page.get_by_role("button", name="Xác thực").click()
    assert "không đúng" in await page.locator("#refusal").inner_text()
    await page.get_by_label("Mã xác thực", exact=True).fill(await the_code_sent_to(sessions, email))
    await page.get_by_role("button", name="Xác thực").click()

    await page.get_by_label("Thủ tục hành chính").select_option(BIRTH)
    await page.locator("#filing").wait_for()
    await page.locator("#file_TK").set_input_files(scan("to-khai.pdf"))
    await page.locator("#file_GCS").set_input_files(scan("giay-chung-sinh.pdf"))
    await page.get_by_label("Họ và tên").fill("Phạm Thị Lan")
    assert await page.get_by_label("Thư điện tử", exact=True).input_value() == email
    await page.get_by_role("button", name="Nộp hồ sơ").click()

    await page.locator("#filed-code").wait_for()
    code = (await page.locator("#filed-code").inner_text()).strip()
    secret = (await page.locator("#filed-secret").inner_text()).strip()
    assert code and secret
    assert await page.locator("#status").inner_text() == "Mới đăng ký"
    assert await page.get_by_role("button", name="Rút hồ sơ").is_visible()
    await applicant.shot("applicant-filed")

    # a code files one dossier: filing another asks for a new code
    await applicant.goto("/nop-ho-so")
    assert await page.get_by_role("button", name="Gửi mã xác thực").is_visible()

    # the desk finds it among the dossiers waiting for reception
    clerk = await open_as("motcua.bennghe")
    await clerk.goto(f"/console/?view=reception&q={code}")
    assert code in await clerk.page.locator("main").inner_text()

    # the look-up page: a wrong secret is refused, the right one opens the self-service
    await applicant.goto(f"/tra-cuu?code={code}")
    assert await page.get_by_label("Mã hồ sơ").input_value() == code
    await page.get_by_label("Mã bí mật").fill("not-the-secret")
    await page.get_by_role("button", name="Tra cứu").click()
    assert "Không tìm thấy hồ sơ" in await page.locator("#refusal").inner_text()
    await page.get_by_label("Mã bí mật").fill(secret)
    await page.get_by_role("button", name="Tra cứu").click()
    await page.get_by_label("Lý do").fill("Nộp nhầm thủ tục")
    await page.get_by_role("button", name="Rút hồ sơ").click()
    await page.get_by_text("Đã rút hồ sơ.").wait_for()
    assert await page.locator("#status").inner_text() != "Mới đăng ký"
