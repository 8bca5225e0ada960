import ast
import hashlib
from dataclasses import replace
from pathlib import Path

import pytest

from domain.payment import (
    CallbackOutcome,
    CallbackRejected,
    FeeKind,
    FeeLine,
    GatewayStatus,
    PaymentPurpose,
    PaymentRequest,
    PaymentRuleError,
    PaymentState,
    RejectReason,
    build_confirm,
    check_callback,
    confirm_checksum,
    make_reference,
    query_checksum,
    state_of_status,
    total,
    verify_confirm,
    verify_query,
)
from tests.support.payments import new_payment_request, with_decision

SECRET = "s3cret"

LINES = (
    FeeLine("LP01", "Lệ phí cấp giấy phép", 100_000, FeeKind.CHARGE),
    FeeLine("P01", "Phí thẩm định", 50_000, FeeKind.FEE),
)


def request(state: PaymentState = PaymentState.PENDING, txn: str | None = None) -> PaymentRequest:
    req = new_payment_request(
        dossier_code="H29.1-240101-0001",
        procedure_code="1.004227",
        purpose="submission",
        lines=LINES,
    )
    return replace(req, state=state, gateway_txn=txn)


def confirm(**overrides: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "result_code": "00",
        "reference": "H29.1-240101-0001-P01",
        "amount": 150_000,
        "gateway_txn": "GD00000001",
        "paid_at": "20240102093000",
    }
    fields.update(overrides)
    return build_confirm(secret=SECRET, **fields)


# --- fee lines ------------------------------------------------------------------------


def test_total_adds_the_lines_in_dong():
    assert total(LINES) == 150_000
    assert total([]) == 0


@pytest.mark.parametrize("amount", [0, -5, 10.5, "1000", True])
def test_fee_line_amount_must_be_a_positive_whole_number(amount):
    with pytest.raises(PaymentRuleError, match="positive whole number"):
        FeeLine("P01", "Phí", amount, FeeKind.FEE)


def test_fee_line_kind_is_checked_and_accepts_its_text():
    assert FeeLine("P01", "Phí", 1, "obligation").kind is FeeKind.OBLIGATION
    with pytest.raises(PaymentRuleError, match="expected one of fee, charge, obligation"):
        FeeLine("P01", "Phí", 1, "tax")


def test_duplicate_line_codes_are_refused():
    with pytest.raises(PaymentRuleError, match="P01 is listed more than once"):
        total([LINES[1], LINES[1]])


def test_request_amount_must_equal_its_lines():
    with pytest.raises(PaymentRuleError, match="asks for 1 đồng but its fee lines add up"):
        PaymentRequest("R-1", "D1", "T1", 1, LINES, PaymentPurpose.SUBMISSION)


def test_request_needs_lines_and_a_usable_reference():
    with pytest.raises(PaymentRuleError, match="no fee lines"):
        PaymentRequest("R-1", "D1", "T1", 0, (), PaymentPurpose.SUBMISSION)
    with pytest.raises(PaymentRuleError, match="not usable"):
        PaymentRequest("R|1", "D1", "T1", 150_000, LINES, PaymentPurpose.SUBMISSION)


def test_new_request_is_pending_with_the_total_and_a_reference():
    req = request()
    assert (req.reference, req.amount, req.state) == (
        "H29.1-240101-0001-P01",
        150_000,
        PaymentState.PENDING,
    )


# --- references -----------------------------------------------------------------------


def test_references_are_deterministic_and_distinct_per_purpose_and_attempt():
    assert make_reference("D-1", "submission", 1) == make_reference("D-1", "submission", 1)
    refs = {make_reference("D-1", purpose, n) for purpose in PaymentPurpose for n in (1, 2)}
    assert refs == {"D-1-P01", "D-1-P02", "D-1-NV01", "D-1-NV02"}


@pytest.mark.parametrize(("code", "n"), [("D|1", 1), ("", 1), ("D 1", 1), ("D-1", 0)])
def test_references_refuse_unsafe_codes_and_attempts(code, n):
    with pytest.raises(PaymentRuleError):
        make_reference(code, "obligation", n)


# --- checksums ------------------------------------------------------------------------


def test_confirm_checksum_known_answer():
    by_hand = hashlib.sha256(
        b"00|H29.1-240101-0001-P01|150000|VND|GD00000001|20240102093000|s3cret"
    ).hexdigest()
    assert confirm()["MaXacThuc"] == by_hand
    assert (
        confirm_checksum(
            result_code="00",
            reference="H29.1-240101-0001-P01",
            amount=150000,
            currency="VND",
            gateway_txn="GD00000001",
            paid_at="20240102093000",
            secret=SECRET,
        )
        == by_hand
    )


def test_query_checksum_known_answer():
    by_hand = hashlib.sha256(b"00|R-1|success|150000|GD1|s3cret").hexdigest()
    value = query_checksum(
        result_code="00",
        reference="R-1",
        status="success",
        amount=150000,
        gateway_txn="GD1",
        secret=SECRET,
    )
    assert value == by_hand


def test_verify_confirm_accepts_amount_as_digits_and_upper_case_hex():
    body = confirm()
    body["SoTien"] = "150000"
    body["MaXacThuc"] = str(body["MaXacThuc"]).upper()
    assert verify_confirm(body, SECRET).authentic


def test_verify_confirm_detects_the_wrong_secret():
    assert not verify_confirm(confirm(), "other").authentic


# --- callbacks ------------------------------------------------------------------------


def test_success_callback_marks_a_pending_request_paid():
    decision = check_callback(confirm(), request(), SECRET)
    assert decision.outcome is CallbackOutcome.PAID
    paid = with_decision(request(), decision)
    assert (paid.state, paid.gateway_txn) == (PaymentState.PAID, "GD00000001")


def test_repeated_callback_is_a_duplicate_that_changes_nothing():
    paid = with_decision(request(), check_callback(confirm(), request(), SECRET))
    decision = check_callback(confirm(), paid, SECRET)
    assert decision.outcome is CallbackOutcome.DUPLICATE
    assert with_decision(paid, decision) is paid


def test_failure_code_is_a_failed_decision_not_a_rejection():
    decision = check_callback(confirm(result_code="24"), request(), SECRET)
    assert (decision.outcome, decision.new_state) == (CallbackOutcome.FAILED, PaymentState.FAILED)


def test_late_failure_for_a_paid_request_changes_nothing():
    paid = request(PaymentState.PAID, "GD00000001")
    decision = check_callback(confirm(result_code="24"), paid, SECRET)
    assert decision.outcome is CallbackOutcome.DUPLICATE
    assert with_decision(paid, decision).state is PaymentState.PAID


def test_payment_after_a_failed_attempt_or_expiry_is_recorded():
    for state in (PaymentState.FAILED, PaymentState.EXPIRED):
        assert check_callback(confirm(), request(state), SECRET).outcome is CallbackOutcome.PAID


def test_second_payment_in_another_transaction_is_refused_for_a_human():
    paid = request(PaymentState.PAID, "GD00000001")
    with pytest.raises(CallbackRejected) as caught:
        check_callback(confirm(gateway_txn="GD00000002"), paid, SECRET)
    assert caught.value.reason_code is RejectReason.ALREADY_SETTLED


def rejection(callback: dict[str, object], expected: PaymentRequest | None) -> RejectReason:
    with pytest.raises(CallbackRejected) as caught:
        check_callback(callback, expected, SECRET)
    return caught.value.reason_code


def test_forged_checksum_is_refused():
    body = confirm()
    body["MaXacThuc"] = "0" * 64
    assert rejection(body, request()) is RejectReason.BAD_CHECKSUM


def test_amount_changed_after_signing_is_refused_as_bad_checksum():
    body = confirm()
    body["SoTien"] = 1_000
    assert rejection(body, request()) is RejectReason.BAD_CHECKSUM


def test_signed_wrong_amount_is_refused():
    assert rejection(confirm(amount=149_000), request()) is RejectReason.AMOUNT_MISMATCH


def test_unknown_reference_is_refused():
    assert rejection(confirm(), None) is RejectReason.UNKNOWN_REFERENCE
    assert rejection(confirm(reference="OTHER-P01"), request()) is RejectReason.UNKNOWN_REFERENCE


def test_currency_other_than_vnd_is_refused():
    assert rejection(confirm(currency="USD"), request()) is RejectReason.CURRENCY


@pytest.mark.parametrize("missing", ["MaKetQua", "MaThamChieu", "SoTien", "MaXacThuc"])
def test_malformed_callback_is_refused(missing):
    body = confirm()
    del body[missing]
    assert rejection(body, request()) is RejectReason.MALFORMED


def test_bad_checksum_is_checked_before_anything_is_trusted():
    body = confirm(currency="USD")
    body["MaXacThuc"] = "f" * 64
    assert rejection(body, None) is RejectReason.BAD_CHECKSUM


def test_rejection_message_names_the_reference():
    with pytest.raises(CallbackRejected, match="H29.1-240101-0001-P01.*150000 đồng"):
        check_callback(confirm(amount=1), request(), SECRET)


# --- QUERY ----------------------------------------------------------------------------


def test_verify_query_maps_status_and_checks_the_signature():
    answer = {
        "MaLoi": "00",
        "MaThamChieu": "R-1",
        "TrangThai": "success",
        "SoTien": 150000,
        "MaGiaoDich": "GD1",
    }
    signed = {
        **answer,
        "MaXacThuc": query_checksum(
            result_code="00",
            reference="R-1",
            status="success",
            amount=150000,
            gateway_txn="GD1",
            secret=SECRET,
        ),
    }
    parsed = verify_query(signed, SECRET)
    assert parsed.authentic and parsed.status is GatewayStatus.SUCCESS
    assert not verify_query({**signed, "TrangThai": "failed"}, SECRET).authentic
    assert [state_of_status(s) for s in ("success", "pending", "failed")] == [
        PaymentState.PAID,
        PaymentState.PENDING,
        PaymentState.FAILED,
    ]


def test_domain_module_is_pure():
    source = Path(__file__).parents[2] / "domain" / "payment.py"
    imported = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(ast.parse(source.read_text()))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported <= {
        "__future__",
        "hashlib",
        "hmac",
        "re",
        "collections",
        "dataclasses",
        "datetime",
        "enum",
    }
