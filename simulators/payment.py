"""Payment-gateway simulator: a real HTTP service speaking the INIT / CONFIRM / QUERY
protocol of DESIGN §7, with a payment page and fault controls under ``/_sim/``.

Run it with ``python -m simulators.payment --host 127.0.0.1 --port 8102 --secret ...``.

Protocol (JSON both ways; business errors answer 4xx with ``{"MaLoi", "MoTa"}``):

- ``POST /gateway/init`` ``{PartnerCode, MaThamChieu, SoTien, MaHoSo, MaTTHC,
  DanhSachPhiLePhi: [{Ma, Ten, SoTien, Loai}], CallbackUrl}`` →
  ``{MaLoi: "00", PaymentUrl, MaGiaoDich}``; the same ``MaThamChieu`` again gives the same
  transaction.
- ``GET /gateway/pay/{txn}``: the applicant's page; its buttons post to
  ``POST /gateway/pay/{txn}/complete?outcome=paid|failed``, which settles the transaction
  and sends the CONFIRM callback in the background (see :mod:`domain.payment` for the
  checksum).
- ``POST /gateway/query`` ``{PartnerCode, MaThamChieu}`` →
  ``{MaLoi: "00", MaThamChieu, TrangThai, SoTien, MaGiaoDich, MaXacThuc}``.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import itertools
import json
import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Annotated, Any, Literal

import httpx
import uvicorn
from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field, StrictInt

from api.outbound import SharedClient
from domain.payment import (
    CURRENCY,
    SUCCESS_CODE,
    FeeKind,
    FeeLine,
    GatewayErrorCode,
    GatewayStatus,
    PaymentRuleError,
    build_confirm,
    confirm_checksum,
    query_checksum,
    total,
)

log = logging.getLogger(__name__)

VIETNAM_TIME = timezone(timedelta(hours=7))
CALLBACK_TIMEOUT_SECONDS = 5.0
DEFAULT_FAILURE_CODE = "24"  # the applicant cancelled at the gateway


class GatewayError(Exception):
    def __init__(self, status_code: int, code: GatewayErrorCode, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message


# --- wire models -----------------------------------------------------------------------

Amount = Annotated[StrictInt, Field(gt=0)]
Code = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[^|]+$")]


class FeeLineIn(BaseModel):
    Ma: Code
    Ten: str = Field(min_length=1)
    SoTien: Amount
    Loai: FeeKind


class InitIn(BaseModel):
    PartnerCode: str
    MaThamChieu: Code
    SoTien: Amount
    MaHoSo: Code
    MaTTHC: Code
    DanhSachPhiLePhi: list[FeeLineIn] = Field(min_length=1)
    CallbackUrl: str = Field(pattern=r"^https?://")


class QueryIn(BaseModel):
    PartnerCode: str
    MaThamChieu: str


class CallbackModeIn(BaseModel):
    mode: Literal["normal", "drop", "delay", "duplicate"] = "normal"
    delay_seconds: float = Field(default=0.0, ge=0)
    count: int | None = Field(default=None, ge=1)


class QueryForceIn(BaseModel):
    force: GatewayStatus | None = None


class ForgeIn(BaseModel):
    txn: str | None = None
    MaThamChieu: str | None = None
    tamper: Literal["checksum", "amount", "reference", "currency"] = "checksum"


# --- state -----------------------------------------------------------------------------


@dataclass
class Transaction:
    txn: str
    reference: str
    amount: int
    dossier_code: str
    procedure_code: str
    lines: list[dict[str, Any]]
    callback_url: str
    status: GatewayStatus = GatewayStatus.PENDING
    result_code: str | None = None
    paid_at: str | None = None


@dataclass
class CallbackFault:
    """How the next callbacks are delivered; ``remaining`` None means until changed."""

    mode: str = "normal"
    delay_seconds: float = 0.0
    remaining: int | None = None


@dataclass
class Gateway:
    secret: str
    partner_code: str
    public_base_url: str
    clock: Callable[[], datetime]
    callback_transport: httpx.AsyncBaseTransport | None = None
    by_txn: dict[str, Transaction] = field(default_factory=dict)
    by_reference: dict[str, Transaction] = field(default_factory=dict)
    fault: CallbackFault = field(default_factory=CallbackFault)
    forced_status: GatewayStatus | None = None
    callback_log: list[dict[str, Any]] = field(default_factory=list)
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    sequence: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    #: Where the transactions are kept across restarts (None: in memory only, for tests)
    state_file: Path | None = None
    #: the callbacks' one client (`api.outbound`), made at the first
    _http: SharedClient = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._http = SharedClient(
            transport=self.callback_transport, timeout=CALLBACK_TIMEOUT_SECONDS
        )

    def load(self) -> None:
        """The transactions a previous run kept in `state_file`, if any."""
        if self.state_file is None or not self.state_file.exists():
            return
        for raw in json.loads(self.state_file.read_text(encoding="utf-8")):
            txn = Transaction(**{**raw, "status": GatewayStatus(raw["status"])})
            self.by_txn[txn.txn] = txn
            self.by_reference[txn.reference] = txn
        last = max((int(t.removeprefix("GD")) for t in self.by_txn), default=0)
        self.sequence = itertools.count(last + 1)

    def save(self) -> None:
        """Write every transaction to `state_file` (whole, then renamed: never half written)."""
        if self.state_file is None:
            return
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        rows = [{**asdict(t), "status": t.status.value} for t in self.by_txn.values()]
        partial = self.state_file.with_suffix(self.state_file.suffix + ".tmp")
        partial.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
        os.replace(partial, self.state_file)

    def check_partner(self, partner_code: str) -> None:
        if partner_code != self.partner_code:
            raise GatewayError(
                403, GatewayErrorCode.UNKNOWN_PARTNER, f"Unknown partner {partner_code}."
            )

    def get(self, txn: str) -> Transaction:
        try:
            return self.by_txn[txn]
        except KeyError:
            raise GatewayError(
                404, GatewayErrorCode.UNKNOWN_TRANSACTION, f"No transaction {txn}."
            ) from None

    def init(self, body: InitIn) -> Transaction:
        self.check_partner(body.PartnerCode)
        try:
            lines_total = total(
                FeeLine(code=line.Ma, name=line.Ten, amount=line.SoTien, kind=line.Loai)
                for line in body.DanhSachPhiLePhi
            )
        except PaymentRuleError as error:
            raise GatewayError(422, GatewayErrorCode.INVALID_REQUEST, str(error)) from None
        if lines_total != body.SoTien:
            raise GatewayError(
                422,
                GatewayErrorCode.AMOUNT_MISMATCH,
                f"SoTien {body.SoTien} is not the sum of the fee lines ({lines_total}).",
            )
        lines = [line.model_dump(mode="json") for line in body.DanhSachPhiLePhi]
        existing = self.by_reference.get(body.MaThamChieu)
        if existing is not None:
            if (existing.amount, existing.dossier_code, existing.lines) != (
                body.SoTien,
                body.MaHoSo,
                lines,
            ):
                raise GatewayError(
                    409,
                    GatewayErrorCode.CONFLICTING_INIT,
                    f"MaThamChieu {body.MaThamChieu} was initiated with other details.",
                )
            existing.callback_url = body.CallbackUrl
            self.save()
            return existing
        txn = Transaction(
            txn=f"GD{next(self.sequence):08d}",
            reference=body.MaThamChieu,
            amount=body.SoTien,
            dossier_code=body.MaHoSo,
            procedure_code=body.MaTTHC,
            lines=lines,
            callback_url=body.CallbackUrl,
        )
        self.by_txn[txn.txn] = txn
        self.by_reference[txn.reference] = txn
        self.save()
        return txn

    def payment_url(self, txn: Transaction) -> str:
        return f"{self.public_base_url.rstrip('/')}/gateway/pay/{txn.txn}"

    def complete(self, txn: Transaction, outcome: str, failure_code: str) -> None:
        if txn.status is GatewayStatus.SUCCESS:
            raise GatewayError(
                409, GatewayErrorCode.ALREADY_PAID, f"Transaction {txn.txn} is paid."
            )
        paid = outcome == "paid"
        result_code = SUCCESS_CODE if paid else failure_code
        paid_at = self.now_text()
        txn.status = GatewayStatus.SUCCESS if paid else GatewayStatus.FAILED
        txn.result_code, txn.paid_at = result_code, paid_at
        self.save()
        body = build_confirm(
            result_code=result_code,
            reference=txn.reference,
            amount=txn.amount,
            gateway_txn=txn.txn,
            paid_at=paid_at,
            secret=self.secret,
        )
        fault = self.take_fault()
        self.spawn(self.deliver(txn, body, fault))

    def now_text(self) -> str:
        """Now in Vietnam time as yyyyMMddHHmmss, the platform's date format."""
        return self.clock().astimezone(VIETNAM_TIME).strftime("%Y%m%d%H%M%S")

    def take_fault(self) -> CallbackFault:
        current = CallbackFault(self.fault.mode, self.fault.delay_seconds)
        if self.fault.remaining is not None:
            self.fault.remaining -= 1
            if self.fault.remaining <= 0:
                self.fault = CallbackFault()
        return current

    def spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def deliver(
        self, txn: Transaction, body: dict[str, object], fault: CallbackFault
    ) -> None:
        if fault.mode == "drop":
            self.record(txn, body, kind="confirm", delivery="dropped")
            return
        if fault.mode == "delay":
            await asyncio.sleep(fault.delay_seconds)
        for _ in range(2 if fault.mode == "duplicate" else 1):
            await self.post(txn, body, kind="confirm", delivery=fault.mode)

    async def post(
        self, txn: Transaction, body: dict[str, object], *, kind: str, delivery: str
    ) -> dict[str, Any]:
        try:
            response = await self._http.client().post(txn.callback_url, json=body)
        except httpx.HTTPError as error:
            log.warning("callback to %s failed: %r", txn.callback_url, error)
            return self.record(txn, body, kind=kind, delivery=delivery, error=repr(error))
        return self.record(
            txn, body, kind=kind, delivery=delivery, status_code=response.status_code
        )

    def record(
        self,
        txn: Transaction,
        body: dict[str, object],
        *,
        kind: str,
        delivery: str,
        status_code: int | None = None,
        error: str | None = None,
    ) -> dict[str, Any]:
        entry = {
            "kind": kind,
            "delivery": delivery,
            "MaGiaoDich": txn.txn,
            "MaThamChieu": txn.reference,
            "url": txn.callback_url,
            "body": body,
            "status_code": status_code,
            "error": error,
            "at": self.clock().isoformat(),
        }
        self.callback_log.append(entry)
        return entry

    def query(self, body: QueryIn) -> dict[str, object]:
        self.check_partner(body.PartnerCode)
        txn = self.by_reference.get(body.MaThamChieu)
        if txn is None:
            raise GatewayError(
                404, GatewayErrorCode.UNKNOWN_TRANSACTION, f"No transaction for {body.MaThamChieu}."
            )
        status = self.forced_status or txn.status
        return {
            "MaLoi": SUCCESS_CODE,
            "MaThamChieu": txn.reference,
            "TrangThai": status.value,
            "SoTien": txn.amount,
            "MaGiaoDich": txn.txn,
            "MaXacThuc": query_checksum(
                result_code=SUCCESS_CODE,
                reference=txn.reference,
                status=status.value,
                amount=txn.amount,
                gateway_txn=txn.txn,
                secret=self.secret,
            ),
        }

    def forged(self, txn: Transaction, tamper: str) -> dict[str, object]:
        """A success CONFIRM for ``txn`` with one thing wrong. ``checksum`` breaks the
        signature; the others are re-signed with the true secret so that the rules behind
        the checksum are the ones that must refuse them."""
        fields: dict[str, Any] = {
            "result_code": SUCCESS_CODE,
            "reference": txn.reference,
            "amount": txn.amount,
            "currency": CURRENCY,
            "gateway_txn": txn.txn,
            "paid_at": self.now_text(),
        }
        if tamper == "amount":
            fields["amount"] = txn.amount + 1000
        elif tamper == "reference":
            fields["reference"] = f"{txn.reference}-FORGED"
        elif tamper == "currency":
            fields["currency"] = "USD"
        body = build_confirm(secret=self.secret, **fields)
        if tamper == "checksum":
            body["MaXacThuc"] = confirm_checksum(secret="not-the-secret", **fields)
        return body

    async def aclose(self) -> None:
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        await self._http.aclose()


# --- the app ---------------------------------------------------------------------------


def _error(status_code: int, code: GatewayErrorCode, message: str) -> JSONResponse:
    return JSONResponse({"MaLoi": code.value, "MoTa": message}, status_code=status_code)


def _vnd(amount: int) -> str:
    return f"{amount:,}".replace(",", ".") + " ₫"


def _pay_page(txn: Transaction) -> str:
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(line['Ma'])}</td><td>{e(line['Ten'])}</td>"
        f"<td style='text-align:right'>{_vnd(line['SoTien'])}</td></tr>"
        for line in txn.lines
    )
    action = f"/gateway/pay/{e(txn.txn)}/complete"
    return f"""<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>Thanh toán {e(txn.txn)}</title></head>
<body style="font-family:sans-serif;max-width:40em;margin:2em auto">
<h1>Cổng thanh toán (mô phỏng)</h1>
<p>Hồ sơ <b>{e(txn.dossier_code)}</b> — thủ tục {e(txn.procedure_code)}<br>
Mã tham chiếu {e(txn.reference)} — giao dịch {e(txn.txn)}<br>
Trạng thái: <b>{e(txn.status.value)}</b></p>
<table border="1" cellpadding="4" style="border-collapse:collapse">
<tr><th>Mã</th><th>Khoản phí, lệ phí</th><th>Số tiền</th></tr>{rows}
<tr><th colspan="2">Tổng cộng</th><th style="text-align:right">{_vnd(txn.amount)}</th></tr>
</table>
<form method="post" action="{action}?outcome=paid" style="display:inline">
<button type="submit">Thanh toán (Pay)</button></form>
<form method="post" action="{action}?outcome=failed" style="display:inline">
<button type="submit">Hủy (Fail)</button></form>
</body></html>"""


def create_app(
    secret: str = "demo-payment-secret",
    partner_code: str = "MOTCUA",
    public_base_url: str = "http://127.0.0.1:8102",
    *,
    clock: Callable[[], datetime] | None = None,
    callback_transport: httpx.AsyncBaseTransport | None = None,
    state_file: Path | None = None,
) -> FastAPI:
    """A gateway with the transactions kept in ``state_file`` (none without one).
    ``callback_transport`` lets in-process tests receive callbacks without a network."""
    gateway = Gateway(
        secret=secret,
        partner_code=partner_code,
        public_base_url=public_base_url,
        clock=clock or (lambda: datetime.now(UTC)),
        callback_transport=callback_transport,
        state_file=state_file,
    )
    gateway.load()

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        await gateway.aclose()

    app = FastAPI(title="Payment gateway simulator", lifespan=lifespan)
    app.state.gateway = gateway

    @app.exception_handler(GatewayError)
    async def gateway_error(_: Request, error: GatewayError) -> JSONResponse:
        return _error(error.status_code, error.code, error.message)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in item['loc'][1:])}: {item['msg']}" for item in error.errors()
        )
        return _error(422, GatewayErrorCode.INVALID_REQUEST, problems)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/gateway/init")
    async def init(body: InitIn) -> dict[str, str]:
        txn = gateway.init(body)
        return {
            "MaLoi": SUCCESS_CODE,
            "PaymentUrl": gateway.payment_url(txn),
            "MaGiaoDich": txn.txn,
        }

    @app.get("/gateway/pay/{txn}", response_class=HTMLResponse)
    async def pay_page(txn: str) -> HTMLResponse:
        transaction = gateway.by_txn.get(txn)
        if transaction is None:
            return HTMLResponse("<h1>Không tìm thấy giao dịch</h1>", status_code=404)
        return HTMLResponse(_pay_page(transaction))

    @app.post("/gateway/pay/{txn}/complete")
    async def complete(
        txn: str,
        request: Request,
        outcome: Literal["paid", "failed"],
        code: Annotated[str, Query(pattern=r"^\d{2}$")] = DEFAULT_FAILURE_CODE,
    ) -> Response:
        transaction = gateway.get(txn)
        gateway.complete(transaction, outcome, code)
        if "text/html" in request.headers.get("accept", ""):
            message = (
                "Thanh toán thành công" if outcome == "paid" else "Thanh toán không thành công"
            )
            return HTMLResponse(f"<h1>{message}</h1><p>Giao dịch {html.escape(txn)}</p>")
        return JSONResponse(
            {
                "MaLoi": SUCCESS_CODE,
                "MaGiaoDich": transaction.txn,
                "TrangThai": transaction.status.value,
            }
        )

    @app.post("/gateway/query")
    async def query(body: QueryIn) -> dict[str, object]:
        return gateway.query(body)

    @app.post("/_sim/callbacks")
    async def set_callback_mode(body: CallbackModeIn) -> dict[str, Any]:
        gateway.fault = CallbackFault(body.mode, body.delay_seconds, body.count)
        return asdict(gateway.fault)

    @app.get("/_sim/callbacks")
    async def callback_log() -> list[dict[str, Any]]:
        return gateway.callback_log

    @app.post("/_sim/query")
    async def force_query(body: QueryForceIn) -> dict[str, str | None]:
        gateway.forced_status = body.force
        return {"force": body.force.value if body.force else None}

    @app.post("/_sim/forge")
    async def forge(body: ForgeIn) -> dict[str, Any]:
        if body.txn is not None:
            transaction = gateway.get(body.txn)
        else:
            found = gateway.by_reference.get(body.MaThamChieu or "")
            if found is None:
                raise GatewayError(
                    404,
                    GatewayErrorCode.UNKNOWN_TRANSACTION,
                    f"No transaction for {body.MaThamChieu}.",
                )
            transaction = found
        forged = gateway.forged(transaction, body.tamper)
        return await gateway.post(transaction, forged, kind="forged", delivery=body.tamper)

    @app.get("/_sim/transactions")
    async def transactions() -> list[dict[str, Any]]:
        return [asdict(txn) for txn in gateway.by_txn.values()]

    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Payment-gateway simulator (DESIGN §7).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8102)
    parser.add_argument("--secret", default="demo-payment-secret")
    parser.add_argument("--partner-code", default="MOTCUA")
    parser.add_argument(
        "--public-base-url", help="base of payment URLs (default http://<host>:<port>)"
    )
    parser.add_argument(
        "--state-file", type=Path, help="keep the transactions here across restarts (JSON)"
    )
    parser.add_argument("--log-level", default="info")
    args = parser.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper())
    app = create_app(
        secret=args.secret,
        partner_code=args.partner_code,
        public_base_url=args.public_base_url or f"http://{args.host}:{args.port}",
        state_file=args.state_file,
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)


if __name__ == "__main__":
    main()
