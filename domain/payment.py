"""Payment rules: fee lines and their totals, payment references, and the checks every
gateway callback (CONFIRM) and reconciliation answer (QUERY) must pass.

The gateway protocol is shaped like the national portal's payment platform (DESIGN §7).
Both directions are signed with ``MaXacThuc``: SHA-256, hex, over the fields joined by
``|`` in a fixed order, with the shared secret appended as the last field.

CONFIRM (gateway → us)::

    MaKetQua|MaThamChieu|SoTien|LoaiTienTe|MaGiaoDich|ThoiGianThanhToan|<secret>

QUERY answer (gateway → us)::

    MaLoi|MaThamChieu|TrangThai|SoTien|MaGiaoDich|<secret>

``SoTien`` is written as a plain decimal integer (VND has no minor unit).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

SUCCESS_CODE = "00"
"""``MaKetQua`` / ``MaLoi`` meaning success; every other code is a failure."""

CURRENCY = "VND"

CONFIRM_FIELDS = (
    "MaKetQua",
    "MaThamChieu",
    "SoTien",
    "LoaiTienTe",
    "MaGiaoDich",
    "ThoiGianThanhToan",
)
"""The CONFIRM fields covered by ``MaXacThuc``, in checksum order."""

QUERY_FIELDS = ("MaLoi", "MaThamChieu", "TrangThai", "SoTien", "MaGiaoDich")
"""The QUERY answer fields covered by ``MaXacThuc``, in checksum order."""


class GatewayErrorCode(StrEnum):
    """``MaLoi`` values a gateway answers INIT / QUERY with besides ``"00"``."""

    INVALID_REQUEST = "01"
    UNKNOWN_PARTNER = "02"
    AMOUNT_MISMATCH = "03"
    UNKNOWN_TRANSACTION = "04"
    CONFLICTING_INIT = "05"
    ALREADY_PAID = "06"


_SAFE_CODE = re.compile(r"^[A-Za-z0-9._\-/]+$")


class PaymentRuleError(ValueError):
    """A payment that breaks a rule; the message is meant for the clerk."""


class FeeKind(StrEnum):
    """What an amount is due as."""

    FEE = "fee"  # phí
    CHARGE = "charge"  # lệ phí
    OBLIGATION = "obligation"  # nghĩa vụ tài chính


class PaymentPurpose(StrEnum):
    SUBMISSION = "submission"  # phí, lệ phí due when the dossier is submitted
    OBLIGATION = "obligation"  # nghĩa vụ tài chính determined during processing


class PaymentState(StrEnum):
    PENDING = "pending"
    PAID = "paid"
    FAILED = "failed"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class FeeLine:
    """One amount due (một khoản phí, lệ phí): ``amount`` in whole VND."""

    code: str
    name: str
    amount: int
    kind: FeeKind

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", _fee_kind(self.kind, self.code))
        if not self.code.strip():
            raise PaymentRuleError(f"Fee line '{self.name}' has no code.")
        if type(self.amount) is not int or self.amount <= 0:
            raise PaymentRuleError(
                f"Fee line {self.code} ('{self.name}') must be a positive whole number of "
                f"đồng, not {self.amount!r}."
            )


def _fee_kind(kind: str, code: str) -> FeeKind:
    try:
        return FeeKind(kind)
    except ValueError:
        allowed = ", ".join(k.value for k in FeeKind)
        raise PaymentRuleError(
            f"Fee line {code} has kind {kind!r}; expected one of {allowed}."
        ) from None


def validate_lines(lines: Iterable[FeeLine]) -> tuple[FeeLine, ...]:
    """The lines as a tuple, or :class:`PaymentRuleError` if a code appears twice."""
    result = tuple(lines)
    seen: set[str] = set()
    for line in result:
        if line.code in seen:
            raise PaymentRuleError(f"Fee line {line.code} is listed more than once.")
        seen.add(line.code)
    return result


def total(lines: Iterable[FeeLine]) -> int:
    """Sum of the lines in VND (0 for none); duplicate codes are refused."""
    return sum(line.amount for line in validate_lines(lines))


def make_reference(dossier_code: str, purpose: PaymentPurpose | str, n: int) -> str:
    """Our ``MaThamChieu`` for the n-th payment (n ≥ 1) of a purpose on a dossier.

    Deterministic, so a retried activity or a replayed workflow asks for the same
    reference and the gateway's INIT stays idempotent: ``<dossier>-P01`` for submission
    fees, ``<dossier>-NV01`` for financial obligations.
    """
    purpose = PaymentPurpose(purpose)
    if not _SAFE_CODE.match(dossier_code):
        raise PaymentRuleError(
            f"Dossier code {dossier_code!r} cannot be used in a payment reference."
        )
    if type(n) is not int or n < 1:
        raise PaymentRuleError(f"Payment attempt number must be 1 or more, not {n!r}.")
    tag = "P" if purpose is PaymentPurpose.SUBMISSION else "NV"
    return f"{dossier_code}-{tag}{n:02d}"


@dataclass(frozen=True, slots=True)
class PaymentRequest:
    """One payment asked of the applicant: what the gateway is told at INIT.

    ``gateway_txn`` (MaGiaoDich) is known once the gateway has answered or confirmed.
    """

    reference: str
    dossier_code: str
    procedure_code: str
    amount: int
    lines: tuple[FeeLine, ...]
    purpose: PaymentPurpose
    state: PaymentState = PaymentState.PENDING
    gateway_txn: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "purpose", PaymentPurpose(self.purpose))
        object.__setattr__(self, "state", PaymentState(self.state))
        object.__setattr__(self, "lines", validate_lines(self.lines))
        if not self.reference or "|" in self.reference:
            raise PaymentRuleError(f"Payment reference {self.reference!r} is not usable.")
        if not self.lines:
            raise PaymentRuleError(f"Payment {self.reference} has no fee lines.")
        expected = total(self.lines)
        if self.amount != expected:
            raise PaymentRuleError(
                f"Payment {self.reference} asks for {self.amount} đồng but its fee lines "
                f"add up to {expected} đồng."
            )


# --- checksums -------------------------------------------------------------------------


def _sha256_joined(parts: Iterable[str], secret: str) -> str:
    return hashlib.sha256("|".join([*parts, secret]).encode("utf-8")).hexdigest()


def confirm_checksum(
    *,
    result_code: str,
    reference: str,
    amount: int,
    currency: str,
    gateway_txn: str,
    paid_at: str,
    secret: str,
) -> str:
    """``MaXacThuc`` of a CONFIRM: sha256(MaKetQua|MaThamChieu|SoTien|LoaiTienTe|MaGiaoDich|
    ThoiGianThanhToan|secret), hex."""
    parts = (result_code, reference, str(amount), currency, gateway_txn, paid_at)
    return _sha256_joined(parts, secret)


def query_checksum(
    *, result_code: str, reference: str, status: str, amount: int, gateway_txn: str, secret: str
) -> str:
    """``MaXacThuc`` of a QUERY answer: sha256(MaLoi|MaThamChieu|TrangThai|SoTien|MaGiaoDich|
    secret), hex."""
    return _sha256_joined((result_code, reference, status, str(amount), gateway_txn), secret)


def build_confirm(
    *,
    result_code: str,
    reference: str,
    amount: int,
    gateway_txn: str,
    paid_at: str,
    secret: str,
    currency: str = CURRENCY,
) -> dict[str, object]:
    """A signed CONFIRM body, as the gateway sends it."""
    return {
        "MaKetQua": result_code,
        "MaThamChieu": reference,
        "SoTien": amount,
        "MaGiaoDich": gateway_txn,
        "LoaiTienTe": currency,
        "ThoiGianThanhToan": paid_at,
        "MaXacThuc": confirm_checksum(
            result_code=result_code,
            reference=reference,
            amount=amount,
            currency=currency,
            gateway_txn=gateway_txn,
            paid_at=paid_at,
            secret=secret,
        ),
    }


def _checksum_matches(received: str, expected: str) -> bool:
    return hmac.compare_digest(received.lower().encode("ascii", "replace"), expected.encode())


# --- CONFIRM ---------------------------------------------------------------------------


class RejectReason(StrEnum):
    MALFORMED = "malformed"
    BAD_CHECKSUM = "bad_checksum"
    UNKNOWN_REFERENCE = "unknown_reference"
    CURRENCY = "currency"
    AMOUNT_MISMATCH = "amount_mismatch"
    ALREADY_SETTLED = "already_settled"


class CallbackRejected(ValueError):
    """A callback we refuse (and log); nothing about the payment changes."""

    def __init__(self, reason_code: RejectReason, message: str) -> None:
        super().__init__(message)
        self.reason_code = reason_code
        self.message = message


@dataclass(frozen=True, slots=True)
class ConfirmMessage:
    """A parsed CONFIRM; not yet trusted."""

    result_code: str
    reference: str
    amount: int
    currency: str
    gateway_txn: str
    paid_at: str
    checksum: str

    @property
    def succeeded(self) -> bool:
        return self.result_code == SUCCESS_CODE


@dataclass(frozen=True, slots=True)
class ConfirmVerdict:
    message: ConfirmMessage
    authentic: bool


def _text(callback: Mapping[str, object], name: str) -> str:
    value = callback.get(name)
    if not isinstance(value, str) or not value:
        raise CallbackRejected(RejectReason.MALFORMED, f"Callback field {name} is missing.")
    return value


def _amount(value: object) -> int:
    if type(value) is int:
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    raise CallbackRejected(
        RejectReason.MALFORMED, f"Callback amount SoTien {value!r} is not a whole number."
    )


def parse_confirm(callback: Mapping[str, object]) -> ConfirmMessage:
    """The CONFIRM fields, or :class:`CallbackRejected` (malformed) if any is missing."""
    return ConfirmMessage(
        result_code=_text(callback, "MaKetQua"),
        reference=_text(callback, "MaThamChieu"),
        amount=_amount(callback.get("SoTien")),
        currency=_text(callback, "LoaiTienTe"),
        gateway_txn=_text(callback, "MaGiaoDich"),
        paid_at=_text(callback, "ThoiGianThanhToan"),
        checksum=_text(callback, "MaXacThuc"),
    )


def verify_confirm(callback: Mapping[str, object], secret: str) -> ConfirmVerdict:
    """Parse a CONFIRM and check its ``MaXacThuc`` in constant time."""
    message = parse_confirm(callback)
    expected = confirm_checksum(
        result_code=message.result_code,
        reference=message.reference,
        amount=message.amount,
        currency=message.currency,
        gateway_txn=message.gateway_txn,
        paid_at=message.paid_at,
        secret=secret,
    )
    return ConfirmVerdict(message=message, authentic=_checksum_matches(message.checksum, expected))


class CallbackOutcome(StrEnum):
    PAID = "paid"
    FAILED = "failed"
    DUPLICATE = "duplicate"
    """Changes nothing: a repeated callback, or a failure reported for a settled request."""


@dataclass(frozen=True, slots=True)
class CallbackDecision:
    outcome: CallbackOutcome
    reference: str
    amount: int
    gateway_txn: str
    result_code: str
    paid_at: str
    new_state: PaymentState


def check_callback(
    callback: Mapping[str, object], expected: PaymentRequest | None, secret: str
) -> CallbackDecision:
    """Decide what a CONFIRM does to the request it names.

    ``expected`` is our request looked up by the callback's ``MaThamChieu`` (None if we
    have none). Refused with :class:`CallbackRejected`: a malformed body, a bad checksum
    (checked first, before any field is trusted), and everything
    :func:`decide_confirmation` refuses.
    """
    verdict = verify_confirm(callback, secret)
    message = verdict.message
    if not verdict.authentic:
        raise CallbackRejected(
            RejectReason.BAD_CHECKSUM,
            f"Callback for {message.reference} has an invalid checksum (MaXacThuc).",
        )
    return decide_confirmation(message, expected)


def decide_confirmation(
    message: ConfirmMessage, expected: PaymentRequest | None
) -> CallbackDecision:
    """What an authentic confirmation (a CONFIRM whose checksum was verified, or a QUERY
    answer) does to the request it names.

    Refused with :class:`CallbackRejected`: an unknown reference, a currency other than
    VND, an amount that is not the one asked, and a success for a request already paid
    through another gateway transaction. A failure code is a ``FAILED`` decision, not a
    refusal. Money taken after the request expired is still recorded as paid.
    """
    if expected is None or expected.reference != message.reference:
        raise CallbackRejected(
            RejectReason.UNKNOWN_REFERENCE,
            f"No payment with reference {message.reference} is awaiting a callback.",
        )
    if message.currency != CURRENCY:
        raise CallbackRejected(
            RejectReason.CURRENCY,
            f"Callback for {message.reference} is in {message.currency}, not {CURRENCY}.",
        )
    if message.amount != expected.amount:
        raise CallbackRejected(
            RejectReason.AMOUNT_MISMATCH,
            f"Callback for {message.reference} reports {message.amount} đồng; "
            f"{expected.amount} đồng were asked.",
        )

    def decide(outcome: CallbackOutcome, new_state: PaymentState) -> CallbackDecision:
        return CallbackDecision(
            outcome=outcome,
            reference=message.reference,
            amount=message.amount,
            gateway_txn=message.gateway_txn,
            result_code=message.result_code,
            paid_at=message.paid_at,
            new_state=new_state,
        )

    if expected.state is PaymentState.PAID:
        if not message.succeeded or expected.gateway_txn in (None, message.gateway_txn):
            return decide(CallbackOutcome.DUPLICATE, PaymentState.PAID)
        raise CallbackRejected(
            RejectReason.ALREADY_SETTLED,
            f"Payment {message.reference} was already paid in gateway transaction "
            f"{expected.gateway_txn}; transaction {message.gateway_txn} needs a refund.",
        )
    if message.succeeded:
        return decide(CallbackOutcome.PAID, PaymentState.PAID)
    if expected.state is PaymentState.PENDING:
        return decide(CallbackOutcome.FAILED, PaymentState.FAILED)
    return decide(CallbackOutcome.DUPLICATE, expected.state)


class RefundReason(StrEnum):
    """Why money the gateway took must go back to the applicant."""

    #: the dossier was withdrawn, refused, stopped or finished before the payment arrived
    DOSSIER_CLOSED = "dossier_closed"
    #: the request was already paid at the one-stop desk
    DOUBLE_PAYMENT = "double_payment"


def refund_reason(
    message: ConfirmMessage, *, state: PaymentState, paid_at_desk: bool, dossier_closed: bool
) -> RefundReason | None:
    """Whether an authentic CONFIRM reports money that no open request of ours can take:
    it is recorded for a refund instead of refused, so the gateway never holds money that
    we have no record of. A failure report takes no money and needs nothing."""
    if not message.succeeded:
        return None
    if state is PaymentState.PAID and paid_at_desk:
        return RefundReason.DOUBLE_PAYMENT
    if dossier_closed and state is not PaymentState.PAID:
        return RefundReason.DOSSIER_CLOSED
    return None


# --- QUERY -----------------------------------------------------------------------------


class GatewayStatus(StrEnum):
    """``TrangThai`` in a QUERY answer."""

    SUCCESS = "success"
    PENDING = "pending"
    FAILED = "failed"


_STATE_OF_STATUS = {
    GatewayStatus.SUCCESS: PaymentState.PAID,
    GatewayStatus.PENDING: PaymentState.PENDING,
    GatewayStatus.FAILED: PaymentState.FAILED,
}


def state_of_status(status: GatewayStatus | str) -> PaymentState:
    """Our payment state for the gateway's ``TrangThai``."""
    return _STATE_OF_STATUS[GatewayStatus(status)]


@dataclass(frozen=True, slots=True)
class QueryAnswer:
    result_code: str
    reference: str
    status: GatewayStatus
    amount: int
    gateway_txn: str
    authentic: bool


def verify_query(answer: Mapping[str, object], secret: str) -> QueryAnswer:
    """Parse a QUERY answer and check its ``MaXacThuc``; malformed answers raise
    :class:`CallbackRejected` (malformed)."""
    status_text = _text(answer, "TrangThai")
    try:
        status = GatewayStatus(status_text)
    except ValueError:
        raise CallbackRejected(
            RejectReason.MALFORMED, f"Unknown transaction status TrangThai={status_text!r}."
        ) from None
    result_code = _text(answer, "MaLoi")
    reference = _text(answer, "MaThamChieu")
    amount = _amount(answer.get("SoTien"))
    gateway_txn = _text(answer, "MaGiaoDich")
    expected = query_checksum(
        result_code=result_code,
        reference=reference,
        status=status.value,
        amount=amount,
        gateway_txn=gateway_txn,
        secret=secret,
    )
    return QueryAnswer(
        result_code=result_code,
        reference=reference,
        status=status,
        amount=amount,
        gateway_txn=gateway_txn,
        authentic=_checksum_matches(_text(answer, "MaXacThuc"), expected),
    )


# --- payments on a dossier --------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FeeLineDraft:
    """A fee line as an officer typed it, not yet checked (see :func:`checked_fee_lines`)."""

    code: str
    name: str
    amount: int
    kind: str = FeeKind.OBLIGATION.value


class FeeLineInvalid(PaymentRuleError):
    """A fee line an officer sent that cannot be used; ``field`` names the offending input."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name
        self.message = message


#: No single payment asked of an applicant comes near this (10 000 000 000 đồng); a larger
#: figure is a typing error, not an obligation.
MAX_PAYMENT = 10_000_000_000


def checked_fee_lines(drafts: Iterable[FeeLineDraft]) -> tuple[FeeLine, ...]:
    """The drafts as fee lines, or :class:`FeeLineInvalid` naming the first bad field
    (``fee_lines.<i>.amount`` …): at least one line, codes and names given, amounts
    positive whole đồng, a known kind, no code twice, a plausible total."""
    drafts = tuple(drafts)
    if not drafts:
        raise FeeLineInvalid("fee_lines", "list what the applicant must pay: at least one line")
    lines = []
    for i, draft in enumerate(drafts):
        where = f"fee_lines.{i}"
        if not draft.code.strip():
            raise FeeLineInvalid(f"{where}.code", "every fee line needs a code")
        if not draft.name.strip():
            raise FeeLineInvalid(f"{where}.name", "every fee line needs a name")
        if type(draft.amount) is not int or draft.amount <= 0:
            raise FeeLineInvalid(
                f"{where}.amount", f"must be a positive whole number of đồng, not {draft.amount!r}"
            )
        try:
            kind = FeeKind(draft.kind)
        except ValueError:
            allowed = ", ".join(k.value for k in FeeKind)
            raise FeeLineInvalid(f"{where}.kind", f"must be one of {allowed}") from None
        lines.append(FeeLine(draft.code.strip(), draft.name.strip(), draft.amount, kind))
    try:
        checked = validate_lines(lines)
    except PaymentRuleError as error:
        raise FeeLineInvalid("fee_lines", str(error)) from None
    if total(checked) > MAX_PAYMENT:
        raise FeeLineInvalid("fee_lines", f"the total exceeds {MAX_PAYMENT:,} đồng")
    return checked


#: Reconciliation backs off up to this multiple of the configured QUERY delay.
MAX_QUERY_BACKOFF = 64
#: A gateway that could not be reached for INIT is tried again after this long.
INIT_RETRY_AFTER = timedelta(minutes=5)


@dataclass(slots=True)
class DossierPayment:
    """One payment asked of the applicant on a dossier, as the dossier keeps it: what is
    owed (fee lines), where to pay (the gateway's URL) and how it was settled.

    ``online`` is True for a payment through the gateway and False for money collected at
    the one-stop desk. ``next_attempt_at`` is when the engine next talks to the gateway
    about it: INIT while there is no URL yet, then QUERY while no callback has settled it.
    """

    reference: str
    purpose: PaymentPurpose
    amount: int
    lines: list[FeeLine]
    requested_at: datetime
    requested_by: str
    online: bool
    state: PaymentState = PaymentState.PENDING
    payment_url: str = ""
    gateway_txn: str | None = None
    paid_at: datetime | None = None
    settled_by: str = ""  # "callback", "query", or the clerk who collected the money
    gateway_paid_at: str = ""  # ThoiGianThanhToan as the gateway wrote it
    next_attempt_at: datetime | None = None
    attempts: int = 0
    query_every_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def outstanding(self) -> bool:
        """Still owed: not paid (a failed attempt may be paid again at the same URL)."""
        return self.state in (PaymentState.PENDING, PaymentState.FAILED)

    @property
    def needs_init(self) -> bool:
        return self.online and self.outstanding and not self.payment_url

    def as_request(self, dossier_code: str, procedure_code: str) -> PaymentRequest:
        return PaymentRequest(
            reference=self.reference,
            dossier_code=dossier_code,
            procedure_code=procedure_code,
            amount=self.amount,
            lines=tuple(self.lines),
            purpose=self.purpose,
            state=self.state,
            gateway_txn=self.gateway_txn,
        )

    def initiated(
        self, *, payment_url: str, gateway_txn: str, now: datetime, query_every: timedelta
    ) -> None:
        """The gateway answered INIT: the applicant can pay at ``payment_url``; without a
        callback, ask the gateway (QUERY) after ``query_every``."""
        self.payment_url = payment_url
        self.gateway_txn = self.gateway_txn or gateway_txn
        self.query_every_seconds = query_every.total_seconds()
        self.attempts = 0
        self.next_attempt_at = now + query_every

    def gateway_unreachable(self, now: datetime, error: str) -> None:
        """INIT or QUERY failed: try again later, backing off."""
        self.attempts += 1
        self.notes.append(error[:200])
        del self.notes[:-5]
        self.next_attempt_at = now + self._backoff(INIT_RETRY_AFTER if self.needs_init else None)

    def still_pending(self, now: datetime) -> None:
        """QUERY found no payment yet: ask again later, backing off."""
        self.attempts += 1
        self.next_attempt_at = now + self._backoff(None)

    def _backoff(self, base: timedelta | None) -> timedelta:
        base = base or timedelta(seconds=self.query_every_seconds or 300)
        factor: int = min(2 ** max(self.attempts - 1, 0), MAX_QUERY_BACKOFF)
        return base * factor

    def settle(self, *, now: datetime, by: str, online: bool) -> None:
        self.state = PaymentState.PAID
        self.paid_at = now
        self.settled_by = by
        self.online = online
        self.next_attempt_at = None


def new_dossier_payment(
    *,
    dossier_code: str,
    purpose: PaymentPurpose,
    lines: Iterable[FeeLine],
    attempt: int,
    now: datetime,
    requested_by: str,
    online: bool,
) -> DossierPayment:
    """A pending payment whose amount is the total of its lines."""
    checked = validate_lines(lines)
    return DossierPayment(
        reference=make_reference(dossier_code, purpose, attempt),
        purpose=purpose,
        amount=total(checked),
        lines=list(checked),
        requested_at=now,
        requested_by=requested_by,
        online=online,
        next_attempt_at=now if online else None,
    )


@dataclass(frozen=True, slots=True)
class PaymentConfirmation:
    """A gateway's word that a payment succeeded or failed, already known to be authentic:
    a CONFIRM whose checksum was verified, or a verified QUERY answer."""

    reference: str
    amount: int
    gateway_txn: str
    result_code: str
    currency: str = CURRENCY
    paid_at: str = ""
    source: str = "callback"  # or "query"

    @classmethod
    def of(cls, decision: CallbackDecision) -> PaymentConfirmation:
        return cls(
            reference=decision.reference,
            amount=decision.amount,
            gateway_txn=decision.gateway_txn,
            result_code=decision.result_code,
            paid_at=decision.paid_at,
        )

    @classmethod
    def from_query(
        cls, reference: str, state: PaymentState, amount: int, txn: str
    ) -> PaymentConfirmation:
        code = SUCCESS_CODE if state is PaymentState.PAID else "query-" + state.value
        return cls(
            reference=reference, amount=amount, gateway_txn=txn, result_code=code, source="query"
        )

    def message(self) -> ConfirmMessage:
        return ConfirmMessage(
            result_code=self.result_code,
            reference=self.reference,
            amount=self.amount,
            currency=self.currency,
            gateway_txn=self.gateway_txn,
            paid_at=self.paid_at,
            checksum="",
        )
