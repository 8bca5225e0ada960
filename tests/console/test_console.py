"""The console in a real browser (Debian's Chromium through Playwright): the desk registers
and forwards a paper dossier, the ward officer takes it, a unit head assigns an overdue one,
a refused action changes nothing, and strangers see nothing. Screenshots of the main pages go
to `.artifacts/screenshots/` (not committed)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import col

from db.clock_models import Escalation, Notification
from db.models import Dossier, DossierStep
from db.seed import DEMO_PASSWORD
from tests.console.conftest import PHONE

SCAN = b"%PDF-1.7\n% scanned at the desk\n%%EOF\n"
LAND = "1.004227"  # 4 steps: ward land officer, land registration office, tax, land division


def scan(name: str) -> dict[str, Any]:
    return {"name": name, "mimeType": "application/pdf", "buffer": SCAN}


async def register(
    desk: Any, applicant: str, *, scans: tuple[str, ...], then: str, id_number: str = "079190001234"
) -> str:
    """Fill in the reception desk for a land dossier; returns the new dossier's code."""
    page = desk.page
    await desk.goto("/console/reception")
    await page.get_by_label("Thủ tục hành chính").select_option(LAND)
    await page.locator("#file-DDK").wait_for()  # htmx brought the procedure's components in
    for component in scans:
        await page.locator(f"#file-{component}").set_input_files(scan(f"{component}.pdf"))
    await page.get_by_label("Họ và tên").fill(applicant)
    await page.get_by_label("Số định danh cá nhân / CCCD").fill(id_number)
    button = "Tiếp nhận hồ sơ" if then == "accept" else "Chỉ đăng ký (xử lý tiếp ở trang hồ sơ)"
    await page.get_by_role("button", name=button).click()
    await page.wait_for_url(re.compile(r"/console/dossiers/"))
    return page.url.split("/console/dossiers/")[1].split("?")[0]


async def act(desk: Any, label: str) -> None:
    await desk.page.get_by_role("button", name=label, exact=True).click()
    await desk.page.wait_for_load_state()


async def status_of(desk: Any) -> str:
    return str(await desk.page.locator("#status").inner_text())


async def test_desk_registers_accepts_forwards_and_the_ward_officer_takes_it(open_as: Any) -> None:
    clerk = await open_as("motcua.tnmt")
    await clerk.goto("/console/reception")
    await clerk.page.get_by_label("Thủ tục hành chính").select_option(LAND)
    await clerk.page.locator("#file-DDK").wait_for()
    await clerk.shot("reception")

    code = await register(clerk, "Nguyễn Văn An", scans=("DDK", "NGD"), then="accept")
    assert await status_of(clerk) == "Được tiếp nhận"
    assert await clerk.page.locator("#portal-code").inner_text() == "2"
    digitized = clerk.page.get_by_role("link", name="Có, tải về")
    assert await digitized.count() == 2

    form01 = clerk.page.get_by_role("link", name=re.compile("Mẫu 01"))
    receipt = await clerk.page.request.get(clerk.base + str(await form01.get_attribute("href")))
    assert receipt.status == 200
    assert receipt.headers["content-type"] == "application/pdf"
    assert (await receipt.body()).startswith(b"%PDF")

    await act(clerk, "Chuyển xử lý")
    assert await status_of(clerk) == "Đang xử lý"
    await clerk.shot("dossier")

    officer = await open_as("cc.diachinh")
    # filtered by the code: other tests' dossiers may fill the unit's first page
    await officer.goto(f"/console/?view=unit&q={code}")
    row = officer.page.locator(f"tr[data-code='{code}']")
    await row.wait_for()
    assert "chưa ai nhận" in await row.inner_text()
    await officer.shot("queue-officer-unit")
    await row.get_by_role("button", name="Nhận xử lý").click()
    await officer.page.wait_for_load_state()
    assert await officer.page.locator(f"tr[data-code='{code}']").count() == 0

    await officer.goto(f"/console/?view=mine&q={code}")
    mine = officer.page.locator(f"tr[data-code='{code}']")
    assert "Quách Thị Diệu" in await mine.inner_text()
    await mine.get_by_role("link", name=code).click()
    await act(officer, "Chuyển xử lý")
    current = officer.page.locator("tr.current")
    assert "Văn phòng Đăng ký đất đai" in await current.inner_text()
    assert "2 (hiện tại)" in await current.inner_text()

    phone = await open_as("cc.diachinh", viewport=PHONE)
    await phone.goto(f"/console/dossiers/{code}")
    await phone.shot("dossier-phone")


async def _at_step_two(open_as: Any, applicant: str, id_number: str = "079190001234") -> str:
    """A land dossier handed to the land registration office (step 2), through the console."""
    clerk = await open_as("motcua.tnmt")
    code = await register(
        clerk, applicant, scans=("DDK", "NGD"), then="accept", id_number=id_number
    )
    await act(clerk, "Chuyển xử lý")
    ward = await open_as("cc.diachinh")
    await ward.goto(f"/console/dossiers/{code}")
    await act(ward, "Nhận xử lý")
    await act(ward, "Chuyển xử lý")
    return code


async def test_a_unit_head_sees_an_overdue_dossier_and_assigns_it(open_as: Any, sessions) -> None:  # type: ignore[no-untyped-def]
    code = await _at_step_two(open_as, "Trần Thị Bình")
    # Time moved by the harness: the read model's due moments (the dossier's and its current
    # step's) are put two working weeks in the past; the workflow itself still runs and its
    # next event projects its own due moments again.
    past = datetime.now(UTC) - timedelta(days=14)
    async with sessions() as session, session.begin():
        await session.execute(update(Dossier).where(col(Dossier.code) == code).values(due_at=past))
        await session.execute(
            update(DossierStep)
            .where(col(DossierStep.dossier_code) == code, col(DossierStep.idx) == 1)
            .values(due_at=past)
        )
        # and the escalation the step's due moment would have fired, as the clock records it
        key = f"escalation-step-1-{code}"
        session.add(
            Escalation(
                dossier_code=code,
                key=key,
                kind="escalation",
                level=1,
                step_index=1,
                unit_code="H29.14.VPDK",
                agency_code="000.00.14.H29",
                recipient_username="gd.vpdk",
                recipient_name="Võ Minh Quân",
                due_at=past,
                fired_at=past,
            )
        )
        session.add(
            Notification(
                dossier_code=code,
                escalation_key=key,
                channel="log",
                recipient="gd.vpdk",
                subject="Hồ sơ quá hạn",
                body="",
                created_at=past,
            )
        )

    head = await open_as("gd.vpdk")
    await head.goto(f"/console/?view=overdue&q={code}")
    row = head.page.locator(f"tr[data-code='{code}']")
    await row.wait_for()
    assert await row.get_attribute("class") == "row-late"
    late = row.locator(".left.late")
    assert await late.count() == 2  # the step and the dossier
    assert re.match(r"quá hạn \d+ ngày", await late.first.inner_text())
    # the overdue colour is a strong red on a light red, not a hue alone
    colour = await late.first.evaluate("e => getComputedStyle(e).color")
    assert colour == "rgb(155, 17, 17)"
    await head.shot("queue-unit-head-overdue")
    await head.goto(f"/console/?view=escalated&q={code}")
    await head.page.locator(f"tr[data-code='{code}']").wait_for()
    await head.goto(f"/console/?view=overdue&q={code}")

    await row.get_by_label(f"Giao {code} cho").select_option("cv.vpdk")
    await row.get_by_role("button", name="Phân công").click()
    await head.page.wait_for_load_state()
    assert "đã thực hiện" in await head.page.locator(".notice.ok").inner_text()
    await head.goto(f"/console/dossiers/{code}")
    assert "Hoàng Văn Nam" in await head.page.locator("tr.current").inner_text()

    phone = await open_as("gd.vpdk", viewport=PHONE)
    await phone.goto("/console/?view=unit")
    await phone.shot("queue-unit-head-phone")


async def test_bulk_assignment_gives_every_checked_dossier_to_the_officer(open_as: Any) -> None:
    first = await _at_step_two(open_as, "Lê Văn Cường", id_number="079190777001")
    second = await _at_step_two(open_as, "Phạm Thị Dung", id_number="079190777001")
    head = await open_as("gd.vpdk")
    await head.goto("/console/?view=unit&q=079190777001")  # the two of them, by id number
    for code in (first, second):
        await head.page.get_by_label(f"Chọn {code}").check()
    await head.page.get_by_label("Phân công các hồ sơ đã chọn cho").select_option("cv.vpdk")
    await head.page.get_by_role("button", name="Phân công hàng loạt").click()
    await head.page.wait_for_load_state()
    assert "Đã phân công 2 hồ sơ." in await head.page.locator(".notice.ok").inner_text()
    for code in (first, second):
        assert "Hoàng Văn Nam" in await head.page.locator(f"tr[data-code='{code}']").inner_text()

    # the agency head narrows the agency's queue to the office and to the officer, in the URL
    director = await open_as("gd.tnmt")
    await director.goto("/console/?view=open&q=079190777001")
    await director.page.get_by_label("Đơn vị đang xử lý").select_option("H29.14.VPDK")
    await director.page.get_by_label("Người xử lý (tên đăng nhập)").fill("cv.vpdk")
    await director.page.get_by_label("Sắp xếp").select_option("code")
    await director.page.get_by_role("button", name="Lọc").click()
    await director.page.wait_for_load_state()
    assert "unit=H29.14.VPDK" in director.page.url and "officer=cv.vpdk" in director.page.url
    listed = await director.page.locator("tr[data-code]").evaluate_all(
        "rows => rows.map(r => r.dataset.code)"
    )
    assert listed == sorted([first, second])
    await director.goto("/console/?view=open&q=079190777001&officer=cv.qldd")
    assert await director.page.locator("tr[data-code]").count() == 0


async def test_a_refused_action_shows_the_engines_message_and_changes_nothing(
    open_as: Any, sessions
) -> None:  # type: ignore[no-untyped-def]
    code = await _at_step_two(open_as, "Võ Văn Em")
    async with sessions() as session:
        due_before = (await session.get(Dossier, code)).due_at
    head = await open_as("gd.vpdk")
    await head.goto(f"/console/dossiers/{code}")
    timeline = await head.page.locator(".timeline li").count()
    apology = head.page.locator("form.action", has=head.page.locator("#new-due"))

    # a "new" appointment before the current one: the engine refuses it
    tomorrow = (datetime.now(UTC) + timedelta(hours=7, days=1)).strftime("%Y-%m-%dT10:00")
    await apology.get_by_label("Lý do (Xin lỗi, hẹn lại)").fill("Chờ kết quả đo đạc")
    await apology.get_by_label("Ngày hẹn mới (giờ Việt Nam)").fill(tomorrow)
    await act(head, "Xin lỗi, hẹn lại")
    refusal = head.page.locator("#refusal")
    assert "new_due: the new appointment must be later than" in await refusal.inner_text()
    assert await status_of(head) == "Đang xử lý"
    assert await head.page.locator(".timeline li").count() == timeline
    assert await head.page.get_by_role("heading", name=f"Hồ sơ {code}").count() == 1
    await head.shot("dossier-refused")
    async with sessions() as session:
        row = await session.get(Dossier, code)
        assert (row.due_at, row.apologised) == (due_before, False)

    # a later one: first previewed (the clock's own derivation, nothing recorded) …
    later = (due_before + timedelta(hours=7, days=14)).strftime("%Y-%m-%dT10:00")
    apology = head.page.locator("form.action", has=head.page.locator("#new-due"))
    await apology.get_by_label("Lý do (Xin lỗi, hẹn lại)").fill("Chờ kết quả đo đạc")
    await apology.get_by_label("Ngày hẹn mới (giờ Việt Nam)").fill(later)
    await apology.get_by_role("button", name="Xem trước hạn mới").click()
    await head.page.wait_for_load_state()
    shown = await head.page.locator("#preview").inner_text()
    assert "chưa thực hiện" in shown and "new appointment" in shown
    assert later.replace("T", " ") in shown
    assert await head.page.locator(".timeline li").count() == timeline
    async with sessions() as session:
        row = await session.get(Dossier, code)
        assert (row.due_at, row.apologised) == (due_before, False)
    # … then it is the apology (Form 04), once, with the form kept as typed
    apology = head.page.locator("form.action", has=head.page.locator("#new-due"))
    assert await apology.get_by_label("Ngày hẹn mới (giờ Việt Nam)").input_value() == later
    await act(head, "Xin lỗi, hẹn lại")
    assert "đã thực hiện" in await head.page.locator(".notice.ok").inner_text()
    assert await head.page.locator("#new-due").count() == 0  # no second apology offered
    form04 = head.page.get_by_role("link", name=re.compile("Mẫu 04"))
    letter = await head.page.request.get(head.base + str(await form04.get_attribute("href")))
    assert letter.status == 200


async def test_signed_out_visitors_sign_in_and_other_agencies_see_nothing(open_as: Any) -> None:
    clerk = await open_as("motcua.tnmt")
    code = await register(clerk, "Đỗ Thị Giang", scans=(), then="register")

    stranger = await open_as(None)
    await stranger.goto(f"/console/dossiers/{code}")
    assert "/console/login" in stranger.page.url
    assert await stranger.page.get_by_label("Mật khẩu").count() == 1
    await stranger.shot("login")
    # keyboard first: the skip link leads past the header to the form, with a visible ring
    focused = "document.activeElement"
    await stranger.page.keyboard.press("Tab")
    assert await stranger.page.evaluate(f"{focused}.textContent") == "Bỏ qua, đến nội dung chính"
    await stranger.page.keyboard.press("Enter")
    await stranger.page.keyboard.press("Tab")
    assert await stranger.page.evaluate(f"{focused}.id") == "username"
    ring = await stranger.page.evaluate(f"getComputedStyle({focused}).outlineStyle")
    assert ring == "solid"
    await stranger.page.get_by_label("Tên đăng nhập").fill("motcua.tnmt")
    await stranger.page.get_by_label("Mật khẩu").fill("not-the-password")
    await stranger.page.get_by_role("button", name="Đăng nhập").click()
    assert (
        "Sai tên đăng nhập hoặc mật khẩu." in await stranger.page.locator("#refusal").inner_text()
    )
    await stranger.page.get_by_label("Mật khẩu").fill(DEMO_PASSWORD)
    await stranger.page.get_by_role("button", name="Đăng nhập").click()
    await stranger.page.wait_for_url(re.compile(f"/console/dossiers/{re.escape(code)}$"))
    assert await status_of(stranger) == "Mới đăng ký"  # back where the link pointed

    building = await open_as("motcua.sxd")  # the construction department's desk
    answer = await building.goto(f"/console/dossiers/{code}")
    assert answer.status == 403
    text = await building.page.locator("main").inner_text()
    assert "Không có quyền xem" in text
    assert "Đỗ Thị Giang" not in text

    await building.page.get_by_role("button", name="Đăng xuất").click()
    await building.page.wait_for_url(re.compile("/console/login"))
    await building.goto("/console/")
    assert "/console/login" in building.page.url


async def test_the_province_page_shows_the_indicators_and_the_late_list(open_as: Any) -> None:
    admin = await open_as("admin")
    await admin.shot("queue-admin-overview")
    await admin.goto("/console/reports")
    assert await admin.page.locator("#targets tbody tr").count() > 0
    assert await admin.page.locator("#late").count() == 1
    chart = admin.page.locator("#on-time-chart")
    await chart.scroll_into_view_if_needed()
    assert await chart.evaluate("img => img.complete && img.naturalWidth > 0")
    await admin.shot("reports")


async def test_the_session_cookie_is_http_only_and_a_form_without_its_token_changes_nothing(
    open_as: Any,
) -> None:
    clerk = await open_as("motcua.tnmt")
    cookie = next(c for c in await clerk.page.context.cookies() if c["name"] == "motcua_console")
    assert (cookie["httpOnly"], cookie["sameSite"], cookie["path"]) == (True, "Lax", "/console")
    code = await register(clerk, "Bùi Văn Hải", scans=(), then="register")

    # a request forged from elsewhere carries the cookie but not the page's token
    forged = await clerk.page.request.post(
        f"{clerk.base}/console/dossiers/{code}/actions/refuse", form={"reason": "giả mạo"}
    )
    assert forged.status == 403
    await clerk.goto(f"/console/dossiers/{code}")
    assert await status_of(clerk) == "Mới đăng ký"

    exported = await clerk.page.request.get(
        f"{clerk.base}/console/?view=reception&q={code}&format=csv"
    )
    assert exported.headers["content-type"].startswith("text/csv")
    lines = (await exported.text()).lstrip("\ufeff").splitlines()
    assert lines[0].startswith("Mã hồ sơ,Thủ tục,Người nộp,Trạng thái")
    assert len(lines) == 2 and lines[1].startswith(f"{code},") and "Bùi Văn Hải" in lines[1]


async def test_taking_a_step_from_a_stale_queue_shows_the_refusal_there(open_as: Any) -> None:
    code = await _at_step_two(open_as, "Ngô Thị Hoa")
    stale = await open_as("cv.vpdk")
    await stale.goto(f"/console/?view=unit&q={code}")
    other_tab = await open_as("gd.vpdk")  # the unit head takes it meanwhile
    await other_tab.goto(f"/console/dossiers/{code}")
    await act(other_tab, "Nhận xử lý")

    row = stale.page.locator(f"tr[data-code='{code}']")
    await row.get_by_role("button", name="Nhận xử lý").click()
    await stale.page.wait_for_load_state()
    refusal = await stale.page.locator("#refusal").inner_text()
    assert refusal.startswith(f"{code}: this step is held by Võ Minh Quân")
    assert await stale.page.locator(f"tr[data-code='{code}']").count() == 0  # no longer free
    await stale.goto(f"/console/dossiers/{code}")
    assert "Võ Minh Quân" in await stale.page.locator("tr.current").inner_text()


async def test_from_reception_to_the_returned_result_without_a_command_line(
    open_as: Any,
) -> None:
    code = await _at_step_two(open_as, "Hồ Văn Khoa")
    for username in ("cv.vpdk", "cv.thue"):  # steps 2 and 3
        officer = await open_as(username)
        await officer.goto(f"/console/dossiers/{code}")
        await act(officer, "Nhận xử lý")
        await act(officer, "Chuyển xử lý")

    last = await open_as("cv.qldd")  # step 4 issues the certificate, with its scan
    await last.goto(f"/console/dossiers/{code}")
    await act(last, "Nhận xử lý")
    await last.page.get_by_label("Loại tài liệu").select_option("result")
    await last.page.get_by_label("Tệp (PDF, JPEG, PNG, TIFF)").set_input_files(scan("gcn.pdf"))
    await last.page.get_by_role("button", name="Tải lên").click()
    await last.page.wait_for_load_state()
    await last.page.get_by_label("Tóm tắt kết quả").fill("Cấp GCN số CS 000123")
    await last.page.get_by_label("Kết quả điện tử (tệp đã tải lên)").select_option(label="gcn.pdf")
    await act(last, "Hoàn thành xử lý")
    assert await status_of(last) == "Đã xử lý xong"

    clerk = await open_as("motcua.tnmt")
    await clerk.goto(f"/console/?view=deliver&q={code}")
    await clerk.page.get_by_role("link", name=code).click()
    await act(clerk, "Trả kết quả")
    assert await status_of(clerk) == "Đã trả kết quả"
    assert await clerk.page.locator("#portal-code").inner_text() == "10"
    assert "Cấp GCN số CS 000123" in await clerk.page.locator(".summary").inner_text()
    await clerk.shot("dossier-returned")


async def test_a_supplement_requested_at_the_desk_comes_back_to_its_queue(open_as: Any) -> None:
    clerk = await open_as("motcua.tnmt")
    code = await register(clerk, "Trương Văn Lâm", scans=("DDK",), then="register")
    request = clerk.page.locator("form.action", has=clerk.page.locator("#items-request-supplement"))
    await request.get_by_label("Lý do (Yêu cầu bổ sung)").fill("Thiếu giấy tờ về quyền sử dụng đất")
    await request.get_by_label("Giấy tờ cần bổ sung (mỗi dòng một giấy tờ)").fill(
        "Giấy tờ về quyền sử dụng đất\nSơ đồ thửa đất"
    )
    await act(clerk, "Yêu cầu bổ sung")
    assert await status_of(clerk) == "Yêu cầu bổ sung giấy tờ"
    form02 = clerk.page.get_by_role("link", name=re.compile("Mẫu 02"))
    letter = await clerk.page.request.get(clerk.base + str(await form02.get_attribute("href")))
    assert letter.status == 200

    await clerk.goto(f"/console/?view=waiting&q={code}")
    assert await clerk.page.locator(f"tr[data-code='{code}']").count() == 1
    await clerk.page.get_by_role("link", name=code).click()
    await act(clerk, "Ghi nhận bổ sung")
    assert await status_of(clerk) == "Mới đăng ký"
    await clerk.goto(f"/console/?view=supplemented&q={code}")
    assert await clerk.page.locator(f"tr[data-code='{code}']").count() == 1
    await clerk.goto(f"/console/?view=reception&q={code}")
    assert await clerk.page.locator(f"tr[data-code='{code}']").count() == 0


async def test_the_operator_keeps_the_calendar_and_sees_the_portal_sync(open_as: Any) -> None:
    clerk = await open_as("motcua.tnmt")
    await clerk.goto("/console/operations")
    assert await clerk.page.locator("#h-sync").count() == 0  # an admin's page only

    admin = await open_as("admin")
    await admin.goto("/console/operations")
    assert "hồ sơ đã đồng bộ" in await admin.page.locator("#sync-rate").inner_text()
    await admin.page.get_by_label("Ngày", exact=True).fill("2029-06-13")
    await admin.page.get_by_label("Loại").select_option("day_off")
    await admin.page.get_by_label("Tên (theo quyết định)").fill("Nghỉ bù theo quyết định của tỉnh")
    await admin.page.get_by_role("button", name="Thêm và tính lại hạn").click()
    await admin.page.wait_for_load_state()
    assert "đã lưu" in await admin.page.locator(".notice.ok").inner_text()
    row = admin.page.locator("#overrides tr", has_text="2029-06-13")
    assert "Nghỉ bù theo quyết định của tỉnh" in await row.inner_text()
    await admin.shot("operations")
    await row.get_by_role("button", name="Bỏ").click()
    await admin.page.wait_for_load_state()
    assert await admin.page.locator("#overrides tr", has_text="2029-06-13").count() == 0
