"""Digitization rules of the dossier state (số hóa): the reception gate for paper dossiers,
who attaches what and when, reuse of the same applicant's documents, the electronic result."""

from datetime import UTC, datetime, timedelta

import pytest

from db.seed import DONRE, PROCEDURES, WARD
from domain.documents import DocumentKind
from domain.dossier import (
    ActionRequest,
    Actor,
    Applicant,
    DocumentAttachment,
    DossierState,
    Forbidden,
    InvalidAction,
    ResultKind,
    Role,
)
from domain.lifecycle import Action, IllegalTransition, Status

LAND = next(p for p in PROCEDURES if p.code == "1.004227")  # DDK, NGD required; TKTS not
T0 = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
ID = "079190001234"

CLERK = Actor("motcua.tnmt", "Trần Thị Mai", Role.CLERK, DONRE, "H29.14.MC")
OTHER_CLERK = Actor("motcua.sxd", "Tạ Thị Hạnh", Role.CLERK, "000.00.20.H29", "H29.20.MC")
WARD_OFFICER = Actor("cc.diachinh", "Quách Thị Diệu", Role.OFFICER, WARD, "H29.31.DC")
VPDK = Actor("cv.vpdk", "Hoàng Văn Nam", Role.OFFICER, DONRE, "H29.14.VPDK")


def dossier(channel: int, handed_in: tuple[str, ...] = ()) -> DossierState:
    return DossierState.new(
        code="000.00.14.H29-261123-0001",
        procedure=LAND,
        channel=channel,
        applicant=Applicant(name="Nguyễn Văn An", id_number=ID),
        submitted_at=T0,
        handed_in=handed_in,
    )


def scan(component: str, actor: Actor = CLERK, **extra: str) -> DocumentAttachment:
    return DocumentAttachment(
        kind=DocumentKind.COMPONENT,
        actor=actor,
        sha256="ab" * 32,
        document_id=7,
        display_name=f"{component}.pdf",
        component_code=component,
        **extra,
    )


def result(actor: Actor) -> DocumentAttachment:
    return DocumentAttachment(
        kind=DocumentKind.RESULT, actor=actor, sha256="cd" * 32, document_id=9, display_name="kq"
    )


def accept(state: DossierState) -> None:
    state.apply(ActionRequest(action=Action.ACCEPT, actor=CLERK), T0)


@pytest.mark.parametrize("channel", [1, 3])
def test_paper_dossier_waits_for_every_required_scan(channel: int) -> None:
    state = dossier(channel, handed_in=("DDK", "NGD"))
    with pytest.raises(IllegalTransition) as refused:
        accept(state)
    assert "DDK" in refused.value.reason and "NGD" in refused.value.reason
    assert "TKTS" not in refused.value.reason
    assert Action.ACCEPT not in state.allowed_actions()
    state.attach(scan("DDK"), T0)
    state.attach(scan("NGD"), T0)
    accept(state)
    assert state.status == Status.RECEIVED


def test_online_components_are_digitized_by_nature() -> None:
    state = dossier(2, handed_in=("DDK", "NGD"))
    assert [c.digitized for c in state.components] == [True, True, False]
    accept(state)
    assert state.status == Status.RECEIVED


def test_attaching_is_one_timeline_line_and_keeps_the_status() -> None:
    state = dossier(1)
    event = state.attach(scan("NGD"), T0 + timedelta(minutes=3))
    assert (event.action, event.from_status, event.to_status) == (
        "attach-document",
        Status.SUBMITTED,
        Status.SUBMITTED,
    )
    assert event.seq == state.seq == 1 and "NGD" in event.note
    ngd = state.component("NGD")
    assert ngd.digitized and ngd.provided and not ngd.reused and ngd.document_id == 7


def test_components_are_the_receiving_desks() -> None:
    state = dossier(1)
    with pytest.raises(Forbidden):
        state.check_attachment(scan("DDK", OTHER_CLERK))
    with pytest.raises(Forbidden):
        state.check_attachment(scan("DDK", WARD_OFFICER))
    with pytest.raises(InvalidAction) as unknown:
        state.check_attachment(scan("XYZ"))
    assert unknown.value.field == "component_code"


def test_reuse_only_from_the_same_applicant() -> None:
    state = dossier(1)
    with pytest.raises(InvalidAction, match="another applicant"):
        state.check_attachment(scan("DDK", reused_from="X-1", owner_id_number="079190009999"))
    with pytest.raises(InvalidAction, match="earlier dossier"):
        state.check_attachment(scan("DDK", reused_from=state.code, owner_id_number=ID))
    state.attach(scan("DDK", reused_from="X-1", owner_id_number=ID), T0)
    assert state.component("DDK").reused and state.component("DDK").digitized


def test_reuse_needs_a_known_applicant() -> None:
    state = dossier(1)
    state.applicant = Applicant(name="Nguyễn Văn An")
    with pytest.raises(InvalidAction):
        state.check_attachment(scan("DDK", reused_from="X-1", owner_id_number=""))


def test_electronic_result_comes_from_the_agency_at_work() -> None:
    state = dossier(2, handed_in=("DDK", "NGD"))
    with pytest.raises(IllegalTransition, match="processed"):
        state.check_attachment(result(CLERK))
    accept(state)
    state.apply(ActionRequest(action=Action.FORWARD, actor=CLERK), T0)
    with pytest.raises(Forbidden):
        state.check_attachment(result(VPDK))  # step 1 belongs to the ward
    with pytest.raises(Forbidden):
        state.check_attachment(result(CLERK))
    state.attach(result(WARD_OFFICER), T0)
    assert state.electronic_result is not None and state.electronic_result.document_id == 9


def test_nothing_changes_on_a_closed_dossier() -> None:
    state = dossier(1)
    state.apply(ActionRequest(action=Action.REFUSE, actor=CLERK, reason="sai thủ tục"), T0)
    with pytest.raises(IllegalTransition, match="no longer change"):
        state.check_attachment(scan("DDK"))


def test_components_are_frozen_once_resolved() -> None:
    state = dossier(2, handed_in=("DDK", "NGD"))
    accept(state)
    state.apply(ActionRequest(action=Action.FORWARD, actor=CLERK), T0)
    state.apply(
        ActionRequest(
            action=Action.RESOLVE,
            actor=WARD_OFFICER,
            result_kind=ResultKind.REFUSAL,
            result_summary="không đủ điều kiện",
        ),
        T0,
    )
    with pytest.raises(IllegalTransition, match="resolved"):
        state.check_attachment(scan("TKTS"))
    state.attach(result(WARD_OFFICER), T0)  # the result may still be attached
