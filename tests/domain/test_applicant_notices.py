"""Which dossier event tells the applicant what, and through which contacts."""

from activities.notify import NoticeTemplates
from config import NOTIFICATION_TEMPLATES
from domain.actions import act
from domain.applicant_notices import (
    Contact,
    ContactChannel,
    NoticeKind,
    contacts,
    feedback_answered,
    notice_for,
    vnd,
)
from domain.dossier import ActionRequest, Applicant
from domain.lifecycle import Action
from tests.domain.test_dossier import CLERK, T0, WARD_OFFICER, new_dossier, run
from tests.domain.test_verdict import CAL


def test_reception_tells_the_appointment_and_forwarding_tells_nothing() -> None:
    state = new_dossier()
    accepted = act(state, ActionRequest(action=Action.ACCEPT, actor=CLERK), T0, CAL)
    notice = notice_for(state, accepted)
    assert notice is not None and notice.kind == NoticeKind.RECEIVED
    assert notice.key == f"applicant-{accepted.seq}"
    assert notice.values["due"] and notice.values["code"] == state.code
    forwarded = run(state, Action.FORWARD, CLERK, 1)
    assert notice_for(state, forwarded) is None


def test_a_supplement_request_lists_every_item() -> None:
    state = new_dossier()
    run(state, Action.ACCEPT, CLERK)
    run(state, Action.FORWARD, CLERK, 1)
    asked = run(
        state,
        Action.REQUEST_SUPPLEMENT,
        WARD_OFFICER,
        2,
        reason="thiếu giấy tờ",
        items=("Bản sao sổ đỏ", "Tờ khai có chữ ký"),
    )
    notice = notice_for(state, asked)
    assert notice is not None and notice.kind == NoticeKind.SUPPLEMENT_REQUESTED
    assert notice.items == ("Bản sao sổ đỏ", "Tờ khai có chữ ký")
    templates = NoticeTemplates(NOTIFICATION_TEMPLATES)
    subject, body = templates.render(notice, "email")
    assert state.code in subject
    assert "- Bản sao sổ đỏ" in body and "- Tờ khai có chữ ký" in body and "thiếu giấy tờ" in body
    _, sms = templates.render(notice, "sms")
    assert "Bản sao sổ đỏ; Tờ khai có chữ ký" in sms and "\n" not in sms


def test_the_applicant_is_reached_through_the_contacts_they_gave() -> None:
    assert contacts(Applicant(name="A")) == []
    assert contacts(Applicant(name="A", email="an@example.vn", phone="0903 123 456")) == [
        Contact(ContactChannel.EMAIL, "an@example.vn"),
        Contact(ContactChannel.SMS, "0903123456"),
    ]
    assert contacts(Applicant(name="A", email="not-a-mail", phone="12")) == []


def test_every_notice_has_both_templates() -> None:
    templates = NoticeTemplates(NOTIFICATION_TEMPLATES)
    answered = feedback_answered(feedback_code="PA-1", subject="Chậm", answer="Đã xử lý")
    for channel in ("email", "sms"):
        subject, body = templates.render(answered, channel)
        assert "PA-1" in subject + body
    names = {p.name for p in NOTIFICATION_TEMPLATES.iterdir()}
    for kind in NoticeKind:
        assert {f"{kind.value}.email.txt", f"{kind.value}.sms.txt"} <= names
    assert vnd(1_250_000) == "1.250.000 đồng"
