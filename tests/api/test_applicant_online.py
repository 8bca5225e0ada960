"""The applicant files online without a clerk: a one-time code to their e-mail (sent once,
over real SMTP, by the outbox's sender) or phone (an `sms` outbox row), wrong codes refused
and then spent, the right one files an ordinary channel-2 dossier that waits in the desk's
reception queue; the new endpoints are throttled like the look-up."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlmodel import col, select

from activities.notifier import Notifier
from activities.notify import EmailChannel
from api.applicant import CODE_SENDS
from console import queues
from db.calendar import working_calendar
from db.clock_models import Notification
from db.models import Officer
from db.seed import WARD
from domain.throttle import ADDRESS
from domain.verification import POLICY
from tests.clock.test_notifier import mails_about, smtp_sink
from tests.support.processes import free_port

BIRTH = "1.001193"  # components TK and GCS, no fee
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
BASE = "/api/v1/public/submissions"


def files_for(*codes: str) -> dict[str, tuple[str, bytes, str]]:
    return {f"file_{c}": (f"{c.lower()}.pdf", PDF, "application/pdf") for c in codes}


async def outbox_rows(sessions: Any, challenge_id: str) -> list[Notification]:
    async with sessions() as session:
        return list(
            await session.scalars(
                select(Notification)
                .where(Notification.dossier_code == f"otp-{challenge_id}")
                .order_by(col(Notification.id))
            )
        )


async def code_by_mail(sessions: Any, challenge_id: str) -> str:
    """The code, as the applicant reads it in the mail the outbox's sender delivers."""
    port = free_port()
    notifier = Notifier(sessions, [EmailChannel("127.0.0.1", port, "motcua@example.gov.vn")])
    ids = [r.id for r in await outbox_rows(sessions, challenge_id) if r.state == "pending"]
    with smtp_sink(port) as inbox:
        swept = await notifier.sweep([i for i in ids if i is not None])
        assert swept.sent == len(ids) == 1
        mails = mails_about(inbox, "Mã xác thực")
    assert len(mails) == 1, mails  # the code arrives once
    found = re.search(r"Mã xác thực của bạn là (\d{6})", mails[0])
    assert found, mails[0]
    return found.group(1)


async def in_reception_queue(sessions: Any, code: str) -> bool:
    async with sessions() as session:
        clerk = await session.get(Officer, "motcua.bennghe")
        assert clerk is not None
        view = next(v for v in queues.views_for(clerk) if v.key == "reception")
        rows, _ = await queues.queue(
            session,
            view=view,
            officer=clerk,
            filters=queues.QueueFilter(text=code),
            cal=await working_calendar(session),
            now=datetime.now(UTC),
            limit=10,
            offset=0,
        )
    return any(r.dossier.code == code for r in rows)


async def test_an_emailed_code_files_the_dossier_into_the_desks_reception_queue(  # type: ignore[no-untyped-def]
    api: httpx.AsyncClient, login, sessions
) -> None:
    email = "hoa.online@example.vn"
    asked = await api.post(f"{BASE}/verification", json={"contact": email.upper()})
    assert asked.status_code == 201, asked.text
    challenge = asked.json()
    assert (challenge["channel"], challenge["contact"]) == ("email", email)
    code = await code_by_mail(sessions, challenge["challenge_id"])
    (row,) = await outbox_rows(sessions, challenge["challenge_id"])
    assert (row.channel, row.address) == ("email", email)

    confirm = f"{BASE}/verification/{challenge['challenge_id']}/confirm"
    wrong_code = "000000" if code != "000000" else "111111"
    wrong = await api.post(confirm, json={"code": wrong_code})
    assert wrong.status_code == 400
    assert "không đúng" in wrong.json()["detail"] and wrong.json()["attempts_left"] == 4

    # without a token nothing is filed
    anonymous = await api.post(BASE, data={"procedure_code": BIRTH}, files=files_for("TK", "GCS"))
    assert anonymous.status_code == 401

    right = await api.post(confirm, json={"code": code})
    assert right.status_code == 200, right.text
    headers = {"Authorization": f"Bearer {right.json()['token']}"}
    # an applicant token is no officer's token
    assert (await api.get("/api/v1/dossiers", headers=headers)).status_code == 401

    form = {"procedure_code": BIRTH, "name": "Nguyễn Thị Hoa", "email": "other@example.vn"}
    missing = await api.post(BASE, data=form, files=files_for("TK"), headers=headers)
    assert missing.status_code == 422 and "Giấy chứng sinh" in missing.text
    not_a_pdf = {"file_TK": ("tk.pdf", b"MZ\x90\x00 not a document", "application/pdf")}
    bad = await api.post(BASE, data=form, files={**files_for("GCS"), **not_a_pdf}, headers=headers)
    assert bad.status_code in (415, 422), bad.text

    filed = await api.post(BASE, data=form, files=files_for("TK", "GCS"), headers=headers)
    assert filed.status_code == 201, filed.text
    dossier = filed.json()
    assert dossier["status"] == "submitted" and dossier["lookup_secret"]
    # the same verification files one dossier: a retried request answers it again
    again = await api.post(BASE, data=form, files=files_for("TK", "GCS"), headers=headers)
    assert again.status_code == 201 and again.json()["code"] == dossier["code"]

    clerk = await login("motcua.bennghe")
    detail = (await api.get(f"/api/v1/dossiers/{dossier['code']}", headers=clerk)).json()
    assert detail["channel"] == 2 and detail["applicant"]["email"] == email  # the verified one
    assert detail["agency_code"] == WARD
    documents = (
        await api.get(f"/api/v1/dossiers/{dossier['code']}/documents", headers=clerk)
    ).json()
    assert sorted(d["component_code"] for d in documents) == ["GCS", "TK"]
    assert detail["timeline"][0]["actor"] == "applicant"
    assert await in_reception_queue(sessions, dossier["code"])

    # the code was used: a second confirmation is refused
    assert (await api.post(confirm, json={"code": code})).status_code == 409


async def test_wrong_codes_spend_the_challenge(api: httpx.AsyncClient, sessions) -> None:  # type: ignore[no-untyped-def]
    asked = (await api.post(f"{BASE}/verification", json={"contact": "0912 000 111"})).json()
    assert asked["channel"] == "sms" and asked["contact"] == "0912000111"
    (row,) = await outbox_rows(sessions, asked["challenge_id"])
    assert (row.channel, row.address, row.state) == ("sms", "0912000111", "pending")
    code = re.search(r"(\d{6})", row.body)
    assert code
    confirm = f"{BASE}/verification/{asked['challenge_id']}/confirm"
    wrong = "000000" if code.group(1) != "000000" else "111111"
    statuses = [
        (await api.post(confirm, json={"code": wrong})).status_code
        for _ in range(POLICY.max_attempts)
    ]
    assert statuses == [400] * (POLICY.max_attempts - 1) + [429]
    spent = await api.post(confirm, json={"code": code.group(1)})
    assert spent.status_code == 429 and "quá số lần" in spent.json()["detail"]
    # a resend is refused too early, and for a spent challenge
    resend = await api.post(f"{BASE}/verification/{asked['challenge_id']}/resend")
    assert resend.status_code == 429


async def test_a_bad_contact_is_refused_and_sends_nothing(api: httpx.AsyncClient) -> None:
    refused = await api.post(f"{BASE}/verification", json={"contact": "not a contact"})
    assert refused.status_code == 422 and "e-mail" in refused.text
    unknown = await api.post(f"{BASE}/verification/nope/confirm", json={"code": "123456"})
    assert unknown.status_code == 404


async def test_a_resent_code_replaces_the_first(api: httpx.AsyncClient, sessions) -> None:  # type: ignore[no-untyped-def]
    from db.verification_models import OtpChallenge

    asked = (await api.post(f"{BASE}/verification", json={"contact": "an@example.vn"})).json()
    async with sessions() as session:  # as if the minute's wait had passed
        row = await session.get(OtpChallenge, asked["challenge_id"])
        row.sent_at = row.sent_at - timedelta(minutes=2)
        session.add(row)
        await session.commit()
    resent = await api.post(f"{BASE}/verification/{asked['challenge_id']}/resend")
    assert resent.status_code == 200, resent.text
    first, second = await outbox_rows(sessions, asked["challenge_id"])
    old = re.search(r"(\d{6})", first.body)
    new = re.search(r"(\d{6})", second.body)
    assert old and new
    confirm = f"{BASE}/verification/{asked['challenge_id']}/confirm"
    if old.group(1) != new.group(1):
        assert (await api.post(confirm, json={"code": old.group(1)})).status_code == 400
    assert (await api.post(confirm, json={"code": new.group(1)})).status_code == 200


@pytest.fixture
async def from_address(settings, dev_env, engine):  # type: ignore[no-untyped-def]
    """A client of the API from an address of its own (the counters are per address)."""
    from api.app import create_app

    app = create_app(settings, temporal=dev_env.client, engine=engine)
    clients = []

    async def client() -> httpx.AsyncClient:
        address = f"203.0.113.{uuid.uuid4().int % 250 + 1}-{uuid.uuid4().hex[:4]}"
        transport = httpx.ASGITransport(app=app, client=(address, 40000))
        c = httpx.AsyncClient(transport=transport, base_url="http://test")
        clients.append(c)
        return c

    async with app.router.lifespan_context(app):
        yield client
    for c in clients:
        await c.aclose()


async def test_one_address_guessing_codes_is_locked(from_address) -> None:  # type: ignore[no-untyped-def]
    client = await from_address()
    failures = 0
    while failures < ADDRESS.free_failures:
        asked = (await client.post(f"{BASE}/verification", json={"contact": "g@example.vn"})).json()
        confirm = f"{BASE}/verification/{asked['challenge_id']}/confirm"
        for _ in range(min(POLICY.max_attempts - 1, ADDRESS.free_failures - failures)):
            assert (await client.post(confirm, json={"code": "12345x"})).status_code == 400
            failures += 1
    asked = (await client.post(f"{BASE}/verification", json={"contact": "g@example.vn"})).json()
    locked = await client.post(
        f"{BASE}/verification/{asked['challenge_id']}/confirm", json={"code": "000000"}
    )
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0
    # another address is not locked by this one's guesses
    other = await from_address()
    fine = await other.post(
        f"{BASE}/verification/{asked['challenge_id']}/confirm", json={"code": "12345x"}
    )
    assert fine.status_code == 400


async def test_one_address_asking_for_many_codes_is_locked(from_address) -> None:  # type: ignore[no-untyped-def]
    client = await from_address()
    for n in range(CODE_SENDS.free_failures):
        sent = await client.post(f"{BASE}/verification", json={"contact": f"s{n}@example.vn"})
        assert sent.status_code == 201
    locked = await client.post(f"{BASE}/verification", json={"contact": "last@example.vn"})
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 0


async def test_the_lookup_page_is_throttled_like_the_api(api, login, from_address) -> None:  # type: ignore[no-untyped-def]
    from domain.throttle import DOSSIER_LOOKUP
    from tests.api.test_lifecycle_api import submit

    dossier = await submit(api, await login("motcua.bennghe"), BIRTH)
    code, secret = dossier["code"], dossier["lookup_secret"]
    for _ in range(DOSSIER_LOOKUP.free_failures):
        client = await from_address()
        wrong = await client.post("/tra-cuu", data={"code": code, "secret": "guess"})
        assert wrong.status_code == 404 and "Không tìm thấy hồ sơ" in wrong.text
    client = await from_address()
    locked = await client.post("/tra-cuu", data={"code": code, "secret": secret})
    assert locked.status_code == 429 and "thử lại sau" in locked.text
    # and so are the page's actions, which take the same code and secret
    withdraw = await client.post(
        "/tra-cuu/rut", data={"code": code, "secret": secret, "reason": "x"}
    )
    assert withdraw.status_code == 429


async def test_the_self_service_page_rates_the_returned_result(api, login) -> None:  # type: ignore[no-untyped-def]
    from tests.api.test_lifecycle_api import act, submit

    clerk = await login("motcua.bennghe")
    dossier = await submit(api, clerk, BIRTH)
    code, secret = dossier["code"], dossier["lookup_secret"]
    opened = await api.post("/tra-cuu", data={"code": code, "secret": secret})
    assert opened.status_code == 200 and "Rút hồ sơ" in opened.text
    assert "Đánh giá mức độ hài lòng" not in opened.text  # nothing to rate yet
    await act(api, clerk, code, "accept")
    await act(api, clerk, code, "forward")
    await act(
        api,
        await login("cc.tuphap"),
        code,
        "resolve",
        result_kind="approval",
        result_summary="Giấy khai sinh số 9",
    )
    await act(api, clerk, code, "deliver")
    page = await api.post("/tra-cuu", data={"code": code, "secret": secret})
    assert "Rất hài lòng" in page.text and "Rút hồ sơ" not in page.text
    unchosen = await api.post("/tra-cuu/danh-gia", data={"code": code, "secret": secret})
    assert unchosen.status_code == 422 and "Hãy chọn mức độ hài lòng" in unchosen.text
    rated = await api.post(
        "/tra-cuu/danh-gia",
        data={"code": code, "secret": secret, "rating": "4", "comment": "Nhanh chóng"},
    )
    assert rated.status_code == 200 and "Cảm ơn bạn đã đánh giá" in rated.text
    detail = (await api.get(f"/api/v1/dossiers/{code}", headers=clerk)).json()
    assert detail["rating"] == 4 and detail["timeline"][-1]["note"] == "rated 4/5: Nhanh chóng"
    no_result = await api.post("/tra-cuu/ket-qua", data={"code": code, "secret": secret})
    assert no_result.status_code == 404 and "chưa có kết quả điện tử" in no_result.text
