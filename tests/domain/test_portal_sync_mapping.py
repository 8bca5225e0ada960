"""From our dossier state and events to the portal's shapes, and the reconciliation verdict."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.dossier import ActionRequest, Actor, Applicant, DossierState, ResultKind, Role
from domain.lifecycle import Action
from domain.portal import dossier_payload
from domain.portal_sync import Divergence, compare_with_portal, portal_dossier, portal_progress
from domain.procedures import Procedure, RouteStep

T0 = datetime(2026, 11, 23, 1, 30, tzinfo=UTC)  # 08:30 in Hà Nội
CLERK = Actor("clerk", "Trần Thị Mai", Role.CLERK, "A", "A.MC", "Công chức Một cửa")
OFFICER = Actor("cv", "Hoàng Văn Nam", Role.OFFICER, "A", "A.1", "Chuyên viên")
PROCEDURE = Procedure(
    code="1.000001",
    name="Thủ tục thử",
    agency_code="A",
    agency_name="Sở A",
    term_days=5,
    steps=(RouteStep("A.1", "Phòng Một", "A", "Sở A", 5),),
)


def dossier() -> DossierState:
    return DossierState.new(
        code="A-261123-0001",
        procedure=PROCEDURE,
        channel=2,
        applicant=Applicant(name="Lê Văn Tám", id_number="001"),
        submitted_at=T0,
    )


def test_a_dossier_through_its_steps_maps_to_the_portal_shapes() -> None:
    state = dossier()
    submitted = portal_progress(state, state.submission_event())
    assert (submitted.actor_name, submitted.status_code, submitted.content) == (
        "Lê Văn Tám",
        1,
        "Nộp hồ sơ: channel 2",
    )
    accepted = state.apply(ActionRequest(Action.ACCEPT, CLERK), T0 + timedelta(hours=1))
    state.due_at = T0 + timedelta(days=7)
    forwarded = state.apply(ActionRequest(Action.FORWARD, CLERK), T0 + timedelta(hours=2))
    state.steps[0].due_at = T0 + timedelta(days=6)
    resolved = state.apply(
        ActionRequest(
            Action.RESOLVE, OFFICER, result_kind=ResultKind.APPROVAL, result_summary="GP 1"
        ),
        T0 + timedelta(days=1),
    )

    progress = [portal_progress(state, e, "t") for e in (accepted, forwarded, resolved)]
    # the desk accepts and forwards; the step's unit resolves, within the step's limit
    assert [p.unit_name for p in progress] == ["Bộ phận Một cửa – Sở A"] * 2 + ["Phòng Một"]
    assert progress[2].step_started_at == T0 + timedelta(hours=2)
    assert progress[2].step_due == T0 + timedelta(days=6)
    assert [p.status_code for p in progress] == [2, 4, 9]

    payload = dossier_payload(portal_dossier(state))
    assert payload["TrangThaiHoSo"] == 9
    assert payload["NgayTiepNhan"] == "20261123093000"
    assert payload["NgayKetThucXuLy"] == "20261124083000"
    assert payload["DanhSachGiayToKetQua"][0]["TenGiayTo"] == "GP 1"
    assert payload["DonViXuLy"] == "Sở A"


@pytest.mark.parametrize(
    ("portal_last_seq", "portal_status", "verdict"),
    [
        (None, None, Divergence.UNKNOWN),
        (6, 4, Divergence.BEHIND),
        (8, 4, Divergence.DIFFERENT),
        (8, 9, Divergence.IN_SYNC),
    ],
)
def test_reconciliation_verdict(
    portal_last_seq: int | None, portal_status: int | None, verdict: Divergence
) -> None:
    assert (
        compare_with_portal(
            acked_seq=8,
            status_code=9,
            portal_last_seq=portal_last_seq,
            portal_status=portal_status,
        )
        == verdict
    )


def test_the_electronic_result_reaches_the_portal_with_its_hash() -> None:
    from domain.dossier import ElectronicResult

    state = dossier()
    state.apply(ActionRequest(Action.ACCEPT, CLERK), T0 + timedelta(hours=1))
    state.apply(ActionRequest(Action.FORWARD, CLERK), T0 + timedelta(hours=2))
    state.apply(
        ActionRequest(
            Action.RESOLVE, OFFICER, result_kind=ResultKind.APPROVAL, result_summary="GP"
        ),
        T0 + timedelta(days=1),
    )
    assert portal_dossier(state).results[0].file_hash is None
    state.electronic_result = ElectronicResult(
        sha256="ab" * 32,
        document_id=7,
        display_name="gp.pdf",
        attached_at=T0 + timedelta(days=1),
        attached_by="cv",
    )
    payload = dossier_payload(portal_dossier(state))
    assert payload["DanhSachGiayToKetQua"][0]["DuongDanTepTinKetQua"] == "sha256:" + "ab" * 32


def test_the_portal_keeps_the_original_appointment_and_hears_of_the_apology() -> None:
    from domain.clock import LedgerEntry

    state = dossier()
    state.apply(ActionRequest(Action.ACCEPT, CLERK), T0 + timedelta(hours=1))
    original, new = T0 + timedelta(days=7), T0 + timedelta(days=12)
    state.due_at = original
    head = Actor("tp", "Vũ Thị Ngọc", Role.UNIT_HEAD, "A", "A.1", "Trưởng phòng")
    state.apply(ActionRequest(Action.FORWARD, CLERK), T0 + timedelta(hours=2))
    apology_at = T0 + timedelta(days=5)
    state.apply(ActionRequest(Action.APOLOGIZE, head, reason="chờ đo đạc", new_due=new), apology_at)
    state.ledger.append(LedgerEntry("reschedule", apology_at, "chờ đo đạc", "tp", "", new))
    assert state.due_at == new and state.original_due_at == original
    payload = dossier_payload(portal_dossier(state))
    assert payload["NgayHenTra"] == "20261130083000"  # the original appointment
    [apology] = payload["DanhSachHoSoBoSung"]
    assert apology["NgayHenTraTruoc"] == "20261130083000"
    assert apology["NgayHenTraMoi"] == "20261205083000"
    assert "Mẫu 04" in apology["NoiDungBoSung"] and "chờ đo đạc" in apology["NoiDungBoSung"]


def test_the_verdict_reaches_the_portal_payload() -> None:
    from domain.outcomes import OnTimeVerdict, Verdict

    state = dossier()
    assert "DanhGiaTienDo" not in dossier_payload(portal_dossier(state))
    state.verdict = OnTimeVerdict(Verdict.LATE, T0, T0, late_hours=12.5)
    payload = dossier_payload(portal_dossier(state))
    assert (payload["DanhGiaTienDo"], payload["SoGioTreHan"]) == ("late", 12.5)


def test_the_portal_hears_the_national_procedure_code() -> None:
    from dataclasses import replace

    state = dossier()
    assert dossier_payload(portal_dossier(state))["MaTTHC"] == "1.000001"
    state.procedure = replace(PROCEDURE, national_code="2.002121", version=3)
    assert dossier_payload(portal_dossier(state))["MaTTHC"] == "2.002121"


def test_the_portal_hears_the_components_handed_in_as_the_workflow_holds_them() -> None:
    from dataclasses import replace

    from domain.procedures import ComponentSpec

    procedure = replace(
        PROCEDURE,
        components=(ComponentSpec("DON", "Đơn đề nghị"), ComponentSpec("BAN", "Bản vẽ")),
    )
    state = DossierState.new(
        code="A-261123-0002",
        procedure=procedure,
        channel=2,
        applicant=Applicant(name="Lê Văn Tám"),
        submitted_at=T0,
        handed_in=("DON",),
    )
    state.component("DON").digitized = True
    state.component("DON").sha256 = "ab" * 32
    payload = dossier_payload(portal_dossier(state))
    # only what was handed in, with its digitization and file address; nothing not provided
    assert [d["MaThanhPhanHoSo"] for d in payload["TaiLieuNop"]] == ["DON"]
    assert payload["HoSoCoThanhPhanSoHoa"] == 1
    assert payload["TaiLieuNop"][0]["DuocSoHoa"] == 1
    assert payload["TaiLieuNop"][0]["DuongDanTaiTepTin"]
