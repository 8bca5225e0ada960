"""National public-service portal (Cổng DVCQG) simulator: a real HTTP service for dev and tests.

It validates dossier and progress payloads like the portal's sync services (DongBoHoSoMC,
CapNhatTienDoHoSoMC, TraCuuHoSo), stores what it accepts in SQLite (a file survives restarts),
is idempotent on (MaHoSo, seq), records arrival order, and can be told to fail, hang or reject.

Run: ``python -m simulators.portal --host 127.0.0.1 --port 8101 --state-file .data/portal.sqlite3``

Protocol (JSON). ``/dvcqg/*`` needs ``Authorization: Bearer <key>`` or ``X-API-Key: <key>``.

``POST /dvcqg/hoso``  body ``{"seq": int >= 1, "data": <dossier payload>}``, answers 200 with
    ``{"error_code": 0, "message": "created", "created": true, ...}`` the first time,
    ``{"error_code": 0, "message": "already exists; updated", "already_exists": true, ...}``
    when a newer seq updates a known MaHoSo,
    ``{"error_code": 0, "message": "duplicate", "duplicate": true, ...}`` when (MaHoSo, seq) was
    already applied, and ``{..., "message": "stale ...", "duplicate": true, "stale": true}``
    when seq is lower than the dossier's last applied seq; neither of the last two has an effect.
    Every success answer carries the keys ``created``, ``already_exists``, ``duplicate``,
    ``stale``, ``seq`` and ``last_seq``.
``POST /dvcqg/tiendo`` body ``{"seq": int, "MaHoSo": str, "data": <progress payload>}``; the
    same idempotency (one seq space per dossier, shared with ``/hoso``). The dossier must exist.
``GET /dvcqg/hoso/{MaHoSo}`` the stored data, ``last_seq``, ``status_history`` (TrangThaiHoSo
    of each applied update, in order), ``progress`` (``[{"seq", "data"}]`` in order) and
    ``in_order`` (false once a stale seq arrived for it); 404 ``error_code`` 2 if unknown.

Errors: 400 ``{"error_code": 1, "message": "<field>: <reason>"}`` for invalid payloads (also
400 ``error_code`` 2 for progress on an unknown dossier), 401 ``error_code`` 3 for a bad key,
503 ``error_code`` 5 and 504 ``error_code`` 6 for injected failures and hangs.

Rules beyond field types: NgayTiepNhan and NgayHenTra are required for statuses 2, 4, 9 and
10; NgayKetThucXuLy for 9 and 10; NgayHenTra and NgayKetThucXuLy may not precede NgayTiepNhan.

Control API (no auth): ``POST /_sim/faults`` ``{"mode": "fail"|"hang"|"reject"|"none",
"count": int|null, "seconds": float|null, "hang_seconds": float|null}`` (fault the next
``count`` ``/dvcqg`` requests and/or for ``seconds``; both null = until mode "none"),
``GET /_sim/faults``, ``GET /_sim/received``, ``POST /_sim/reset``, ``GET /_sim/stats``.

Forwarding (the portal pushing a dossier submitted on it to the one-stop system):
``POST /_sim/forward`` ``{"target": "<motcua base URL>", "data": <dossier payload>}`` posts
``data`` to ``{target}/api/v1/portal/inbound/dossiers`` with the simulator's key in
``X-API-Key`` and answers ``{"status_code", "body"}`` of motcua's reply (502 if unreachable).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse

from domain.portal import ACTOR_NAME_MAX, CHANNEL_CODES, STATUS_CODES, parse_portal_time

logger = logging.getLogger(__name__)

DEFAULT_API_KEY = "demo-portal-key"
DEFAULT_HANG_SECONDS = 30.0
#: Where the one-stop system takes the dossiers the portal forwards (POST /_sim/forward).
FORWARD_PATH = "/api/v1/portal/inbound/dossiers"
FORWARD_TIMEOUT_SECONDS = 30.0

ERR_OK = 0
ERR_INVALID = 1
ERR_UNKNOWN_DOSSIER = 2
ERR_UNAUTHORIZED = 3
ERR_SIMULATED_FAILURE = 5
ERR_SIMULATED_TIMEOUT = 6

FAULT_MODES = ("fail", "hang", "reject", "none")

# Statuses after acceptance: the portal's indicators need the receipt and due dates for them.
_NEEDS_RECEIPT = frozenset({2, 4, 9, 10})
_NEEDS_END = frozenset({9, 10})

_SCHEMA = """
CREATE TABLE IF NOT EXISTS dossiers (
    code TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    last_seq INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS applied (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL,
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    applied_at TEXT NOT NULL,
    UNIQUE (code, seq)
);
CREATE TABLE IF NOT EXISTS arrivals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL,
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    outcome TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
"""

STAT_NAMES = ("applied", "duplicates", "stale", "rejected", "failed", "unauthorized")


class PortalError(Exception):
    """An answer other than success; rendered as ``{"error_code", "message"}``."""

    def __init__(self, http_status: int, error_code: int, message: str, stat: str | None) -> None:
        super().__init__(message)
        self.http_status = http_status
        self.error_code = error_code
        self.message = message
        self.stat = stat


def _invalid(field: str, reason: str) -> PortalError:
    return PortalError(400, ERR_INVALID, f"{field}: {reason}", "rejected")


# --- validation -----------------------------------------------------------------------------


def _int_field(
    data: dict[str, Any],
    field: str,
    allowed: range | frozenset[int],
    *,
    required: bool,
    label: str | None = None,
) -> int | None:
    """Read an integer the way portal clients send them: a JSON int or a digit string."""
    name = label or field
    value = data.get(field)
    if value is None or value == "":
        if required:
            raise _invalid(name, "is required")
        return None
    if isinstance(value, bool):
        raise _invalid(name, "must be an integer, not a boolean")
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value.strip())
    if not isinstance(value, int):
        raise _invalid(name, "must be an integer")
    if value not in allowed:
        shown = (
            f"{allowed.start}..{allowed.stop - 1}"
            if isinstance(allowed, range)
            else ", ".join(str(v) for v in sorted(allowed))
        )
        raise _invalid(name, f"must be one of {shown}, got {value}")
    return value


def _text_field(
    data: dict[str, Any],
    field: str,
    *,
    required: bool,
    max_length: int | None = None,
    label: str | None = None,
) -> str | None:
    name = label or field
    value = data.get(field)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise _invalid(name, "is required")
        return None
    if not isinstance(value, str):
        raise _invalid(name, "must be a string")
    if max_length is not None and len(value) > max_length:
        raise _invalid(name, f"must be at most {max_length} characters, got {len(value)}")
    return value


def _time_field(
    data: dict[str, Any], field: str, *, required: bool, label: str | None = None
) -> datetime | None:
    name = label or field
    value = data.get(field)
    if value is None or value == "":
        if required:
            raise _invalid(name, "is required")
        return None
    if not isinstance(value, str):
        raise _invalid(name, "must be a yyyyMMddHHmmss string")
    try:
        return parse_portal_time(value)
    except ValueError:
        raise _invalid(name, f"must be a valid yyyyMMddHHmmss date, got {value!r}") from None


def _list_of_objects(data: dict[str, Any], field: str) -> list[dict[str, Any]]:
    value = data.get(field)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise _invalid(field, "must be a list of objects")
    return value


_FLAG = frozenset({0, 1})


def validate_dossier(data: dict[str, Any]) -> None:
    """Raise a 400 ``PortalError`` naming the first invalid field of a dossier payload."""
    for field in ("MaHoSo", "MaTTHC", "TenTTHC", "ChuHoSo", "DonViXuLy"):
        _text_field(data, field, required=True)
    _int_field(data, "KenhThucHien", CHANNEL_CODES, required=True)
    status = _int_field(data, "TrangThaiHoSo", STATUS_CODES, required=True)
    received = _time_field(data, "NgayTiepNhan", required=status in _NEEDS_RECEIPT)
    due = _time_field(data, "NgayHenTra", required=status in _NEEDS_RECEIPT)
    finished = _time_field(data, "NgayKetThucXuLy", required=status in _NEEDS_END)
    if received and due and due < received:
        raise _invalid("NgayHenTra", "is before NgayTiepNhan")
    if received and finished and finished < received:
        raise _invalid("NgayKetThucXuLy", "is before NgayTiepNhan")
    _int_field(data, "DuocThanhToanTrucTuyen", frozenset({0, 1, 2}), required=False)
    _int_field(data, "HoSoCoThanhPhanSoHoa", _FLAG, required=False)

    for i, doc in enumerate(_list_of_objects(data, "TaiLieuNop")):
        at = f"TaiLieuNop[{i}]"
        _text_field(doc, "TenTepDinhKem", required=True, label=f"{at}.TenTepDinhKem")
        _text_field(doc, "MaThanhPhanHoSo", required=False, label=f"{at}.MaThanhPhanHoSo")
        _int_field(doc, "DuocSoHoa", _FLAG, required=False, label=f"{at}.DuocSoHoa")
        _int_field(
            doc, "DuocTaiSuDung", frozenset({0, 1, 2}), required=False, label=f"{at}.DuocTaiSuDung"
        )
    for i, doc in enumerate(_list_of_objects(data, "DanhSachGiayToKetQua")):
        _text_field(doc, "TenGiayTo", required=True, label=f"DanhSachGiayToKetQua[{i}].TenGiayTo")
    for i, rnd in enumerate(_list_of_objects(data, "DanhSachHoSoBoSung")):
        at = f"DanhSachHoSoBoSung[{i}]"
        _time_field(rnd, "NgayBoSung", required=True, label=f"{at}.NgayBoSung")
        for field in ("NgayTiepNhanBoSung", "NgayHenTraTruoc", "NgayHenTraMoi"):
            _time_field(rnd, field, required=False, label=f"{at}.{field}")
        _int_field(rnd, "TrangThaiBoSung", _FLAG, required=False, label=f"{at}.TrangThaiBoSung")


def validate_progress(code: str, data: dict[str, Any]) -> None:
    """Raise a 400 ``PortalError`` naming the first invalid field of a progress entry."""
    inner_code = data.get("MaHoSo")
    if inner_code not in (None, "", code):
        raise _invalid("data.MaHoSo", f"does not match MaHoSo {code!r}")
    _text_field(data, "NguoiXuLy", required=True, max_length=ACTOR_NAME_MAX)
    _text_field(data, "ChucDanh", required=False)
    _text_field(data, "PhongBanXuLy", required=False)
    _text_field(data, "NoiDungXuLy", required=True)
    _time_field(data, "ThoiDiemXuLy", required=True)
    _int_field(data, "TrangThai", STATUS_CODES, required=True)
    started = _time_field(data, "NgayBatDau", required=False)
    step_due = _time_field(data, "NgayKetThucTheoQuyDinh", required=False)
    if started and step_due and step_due < started:
        raise _invalid("NgayKetThucTheoQuyDinh", "is before NgayBatDau")


def _parse_seq(body: dict[str, Any]) -> int:
    seq = body.get("seq")
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
        raise _invalid("seq", "must be a positive integer")
    return seq


def _parse_data(body: dict[str, Any]) -> dict[str, Any]:
    data = body.get("data")
    if not isinstance(data, dict):
        raise _invalid("data", "must be an object")
    return data


async def _json_body(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise _invalid("body", "must be JSON") from None
    if not isinstance(body, dict):
        raise _invalid("body", "must be a JSON object")
    return body


# --- storage --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What happened to one (MaHoSo, seq) arrival."""

    kind: str  # created | updated | duplicate | stale | progress
    last_seq: int
    payload_differs: bool = False

    @property
    def stat(self) -> str:
        return {"duplicate": "duplicates", "stale": "stale"}.get(self.kind, "applied")


class PortalStore:
    """The portal's memory, in SQLite so that a file-backed simulator survives restarts."""

    def __init__(self, path: str) -> None:
        if path != ":memory:":
            parent = os.path.dirname(os.path.abspath(path))
            os.makedirs(parent, exist_ok=True)
        # Every handler runs on the event loop thread; uvicorn may build the app on another.
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        # a commit appends to the log without waiting for the disk, so it no longer holds the
        # event loop (1.3-1.6 ms and 0.37 ms of CPU each in the default rollback journal);
        # what was committed survives the process stopping, if not the machine losing power
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._db:
            yield self._db

    def bump(self, stat: str) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO counters (name, value) VALUES (?, 1) "
                "ON CONFLICT (name) DO UPDATE SET value = value + 1",
                (stat,),
            )

    def stats(self) -> dict[str, int]:
        rows = self._db.execute("SELECT name, value FROM counters").fetchall()
        counts = dict.fromkeys(STAT_NAMES, 0)
        counts.update({row["name"]: row["value"] for row in rows})
        return counts

    def _earlier_arrival(
        self, db: sqlite3.Connection, code: str, seq: int, kind: str, payload: str
    ) -> Outcome | None:
        """Duplicate or stale verdict for an arrival, or None if it should be applied."""
        row = db.execute("SELECT last_seq FROM dossiers WHERE code = ?", (code,)).fetchone()
        if row is None:
            return None
        last_seq = int(row["last_seq"])
        same = db.execute(
            "SELECT kind, payload FROM applied WHERE code = ? AND seq = ?", (code, seq)
        ).fetchone()
        if same is not None:
            differs = same["kind"] != kind or same["payload"] != payload
            return Outcome("duplicate", last_seq, payload_differs=differs)
        if seq < last_seq:
            return Outcome("stale", last_seq)
        return None

    def _record(
        self,
        db: sqlite3.Connection,
        code: str,
        seq: int,
        kind: str,
        outcome: str,
        payload: str | None,
    ) -> None:
        db.execute(
            "INSERT INTO arrivals (code, seq, kind, outcome) VALUES (?, ?, ?, ?)",
            (code, seq, kind, outcome),
        )
        if payload is not None:
            db.execute(
                "INSERT INTO applied (code, seq, kind, payload, applied_at) VALUES (?, ?, ?, ?, ?)",
                (code, seq, kind, payload, datetime.now(UTC).isoformat()),
            )

    def apply_dossier(self, seq: int, data: dict[str, Any]) -> Outcome:
        code = str(data["MaHoSo"])
        payload = json.dumps(data, ensure_ascii=False, sort_keys=True)
        with self._tx() as db:
            earlier = self._earlier_arrival(db, code, seq, "dossier", payload)
            if earlier is not None:
                self._record(db, code, seq, "dossier", earlier.kind, None)
                return earlier
            exists = db.execute("SELECT 1 FROM dossiers WHERE code = ?", (code,)).fetchone()
            db.execute(
                "INSERT INTO dossiers (code, data, last_seq) VALUES (?, ?, ?) "
                "ON CONFLICT (code) DO UPDATE SET data = excluded.data, "
                "last_seq = excluded.last_seq",
                (code, payload, seq),
            )
            kind = "updated" if exists else "created"
            self._record(db, code, seq, "dossier", kind, payload)
            return Outcome(kind, seq)

    def apply_progress(self, code: str, seq: int, data: dict[str, Any]) -> Outcome:
        payload = json.dumps(data, ensure_ascii=False, sort_keys=True)
        with self._tx() as db:
            if db.execute("SELECT 1 FROM dossiers WHERE code = ?", (code,)).fetchone() is None:
                raise PortalError(
                    400,
                    ERR_UNKNOWN_DOSSIER,
                    f"MaHoSo: dossier {code!r} not found; create it first",
                    "rejected",
                )
            earlier = self._earlier_arrival(db, code, seq, "progress", payload)
            if earlier is not None:
                self._record(db, code, seq, "progress", earlier.kind, None)
                return earlier
            db.execute("UPDATE dossiers SET last_seq = ? WHERE code = ?", (seq, code))
            self._record(db, code, seq, "progress", "progress", payload)
            return Outcome("progress", seq)

    def _in_order(self, code: str) -> bool:
        row = self._db.execute(
            "SELECT COUNT(*) AS n FROM arrivals WHERE code = ? AND outcome = 'stale'", (code,)
        ).fetchone()
        return int(row["n"]) == 0

    def lookup(self, code: str) -> dict[str, Any] | None:
        row = self._db.execute(
            "SELECT data, last_seq FROM dossiers WHERE code = ?", (code,)
        ).fetchone()
        if row is None:
            return None
        applied = self._db.execute(
            "SELECT seq, kind, payload FROM applied WHERE code = ? ORDER BY id", (code,)
        ).fetchall()
        history = [
            json.loads(r["payload"]).get("TrangThaiHoSo") for r in applied if r["kind"] == "dossier"
        ]
        progress = [
            {"seq": r["seq"], "data": json.loads(r["payload"])}
            for r in applied
            if r["kind"] == "progress"
        ]
        return {
            "MaHoSo": code,
            "data": json.loads(row["data"]),
            "last_seq": int(row["last_seq"]),
            "status_history": history,
            "progress": progress,
            "in_order": self._in_order(code),
        }

    def received(self) -> dict[str, Any]:
        applied = self._db.execute(
            "SELECT code, seq, kind, payload, applied_at FROM applied ORDER BY id"
        ).fetchall()
        arrivals = self._db.execute(
            "SELECT code, seq, kind, outcome FROM arrivals ORDER BY id"
        ).fetchall()
        order: dict[str, dict[str, Any]] = {}
        for a in arrivals:
            entry = order.setdefault(
                a["code"], {"arrivals": [], "stale_seqs": [], "in_order": True}
            )
            entry["arrivals"].append(a["seq"])
            if a["outcome"] == "stale":
                entry["stale_seqs"].append(a["seq"])
                entry["in_order"] = False
        return {
            "records": [
                {
                    "MaHoSo": r["code"],
                    "seq": r["seq"],
                    "kind": r["kind"],
                    "data": json.loads(r["payload"]),
                    "applied_at": r["applied_at"],
                }
                for r in applied
            ],
            "order": order,
        }

    def reset(self) -> None:
        with self._tx() as db:
            for table in ("dossiers", "applied", "arrivals", "counters"):
                db.execute(f"DELETE FROM {table}")


# --- fault injection ------------------------------------------------------------------------


class FaultInjector:
    """Make the next N requests, or those of the next T seconds, fail, hang or be rejected."""

    def __init__(self, hang_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.default_hang_seconds = hang_seconds
        self._release = asyncio.Event()
        self.clear()

    async def hang(self) -> None:
        """Sleep like a stuck portal, until the hang time passes or an operator intervenes."""
        with suppress(TimeoutError):
            await asyncio.wait_for(self._release.wait(), timeout=self.hang_seconds)

    def release_hanging(self) -> None:
        """Let requests stuck in a hang answer now (and let the server shut down promptly)."""
        self._release.set()
        self._release = asyncio.Event()

    def clear(self) -> None:
        self.mode = "none"
        self.remaining: int | None = None
        self.until: float | None = None
        self.hang_seconds = self.default_hang_seconds

    def set(
        self, mode: str, count: int | None, seconds: float | None, hang_seconds: float | None
    ) -> None:
        self.clear()
        if mode == "none":
            return
        self.mode = mode
        self.remaining = count
        self.until = None if seconds is None else self._clock() + seconds
        if hang_seconds is not None:
            self.hang_seconds = hang_seconds

    def take(self) -> str | None:
        """The fault to apply to this request, if any, consuming one of ``count``."""
        if self.mode == "none":
            return None
        if self.until is not None and self._clock() >= self.until:
            self.clear()
            return None
        mode = self.mode
        if self.remaining is not None:
            self.remaining -= 1
            if self.remaining <= 0:
                self.clear()
        return mode

    def describe(self) -> dict[str, Any]:
        left = None if self.until is None else max(0.0, self.until - self._clock())
        return {
            "mode": self.mode,
            "remaining": self.remaining,
            "seconds_left": left,
            "hang_seconds": self.hang_seconds,
        }


def _parse_fault(body: dict[str, Any]) -> tuple[str, int | None, float | None, float | None]:
    mode = body.get("mode")
    if mode not in FAULT_MODES:
        raise _invalid("mode", f"must be one of {', '.join(FAULT_MODES)}")
    count = body.get("count")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
        raise _invalid("count", "must be a positive integer or null")
    numbers: list[float | None] = []
    for field in ("seconds", "hang_seconds"):
        value = body.get(field)
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int | float) or value < 0
        ):
            raise _invalid(field, "must be a non-negative number or null")
        numbers.append(None if value is None else float(value))
    return mode, count, numbers[0], numbers[1]


# --- the app --------------------------------------------------------------------------------


def _ok(message: str, outcome: Outcome, seq: int) -> dict[str, Any]:
    duplicate = outcome.kind in ("duplicate", "stale")
    answer: dict[str, Any] = {
        "error_code": ERR_OK,
        "message": message,
        "created": outcome.kind == "created",
        "already_exists": outcome.kind in ("updated", "duplicate", "stale"),
        "duplicate": duplicate,
        "stale": outcome.kind == "stale",
        "seq": seq,
        "last_seq": outcome.last_seq,
    }
    if outcome.kind == "duplicate":
        answer["payload_differs"] = outcome.payload_differs
    return answer


def _message(outcome: Outcome, seq: int) -> str:
    if outcome.kind == "stale":
        return f"stale: seq {seq} is older than last applied seq {outcome.last_seq}; ignored"
    return {
        "created": "created",
        "updated": "already exists; updated",
        "duplicate": "duplicate",
        "progress": "progress recorded",
    }[outcome.kind]


def create_app(
    state_file: str | None = None,
    *,
    api_key: str = DEFAULT_API_KEY,
    hang_seconds: float = DEFAULT_HANG_SECONDS,
) -> FastAPI:
    """Build a simulator with its own store; ``state_file=None`` keeps state in memory."""
    store = PortalStore(state_file or ":memory:")
    faults = FaultInjector(hang_seconds)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        faults.release_hanging()
        store.close()

    app = FastAPI(title="DVCQG portal simulator", version="1", lifespan=lifespan)
    app.state.store = store
    app.state.faults = faults

    @app.exception_handler(PortalError)
    async def portal_error(_: Request, exc: PortalError) -> JSONResponse:
        if exc.stat is not None:
            store.bump(exc.stat)
        if exc.stat == "rejected":
            logger.info("portal rejected: %s", exc.message)
        return JSONResponse(
            status_code=exc.http_status,
            content={"error_code": exc.error_code, "message": exc.message},
        )

    async def portal_gate(request: Request) -> None:
        """Authenticate, then apply any injected fault, before a ``/dvcqg`` request runs."""
        auth = request.headers.get("authorization", "")
        given = auth[7:].strip() if auth.lower().startswith("bearer ") else None
        given = given or request.headers.get("x-api-key")
        if given != api_key:
            raise PortalError(
                401, ERR_UNAUTHORIZED, "Authorization: invalid API key", "unauthorized"
            )
        fault = faults.take()
        if fault == "fail":
            raise PortalError(503, ERR_SIMULATED_FAILURE, "simulated outage", "failed")
        if fault == "hang":
            await faults.hang()
            raise PortalError(504, ERR_SIMULATED_TIMEOUT, "simulated timeout", "failed")
        if fault == "reject":
            raise _invalid("data", "simulated rejection")

    gated = [Depends(portal_gate)]

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/dvcqg/hoso", dependencies=gated)
    async def create_or_update(request: Request) -> dict[str, Any]:
        body = await _json_body(request)
        seq = _parse_seq(body)
        data = _parse_data(body)
        validate_dossier(data)
        outcome = store.apply_dossier(seq, data)
        store.bump(outcome.stat)
        return _ok(_message(outcome, seq), outcome, seq)

    @app.post("/dvcqg/tiendo", dependencies=gated)
    async def push_progress(request: Request) -> dict[str, Any]:
        body = await _json_body(request)
        seq = _parse_seq(body)
        code = str(_text_field(body, "MaHoSo", required=True))
        data = _parse_data(body)
        validate_progress(code, data)
        outcome = store.apply_progress(code, seq, data)
        store.bump(outcome.stat)
        return _ok(_message(outcome, seq), outcome, seq)

    @app.get("/dvcqg/hoso/{code}", dependencies=gated, response_model=None)
    async def look_up(code: str) -> dict[str, Any] | JSONResponse:
        found = store.lookup(code)
        if found is None:
            return JSONResponse(
                status_code=404,
                content={"error_code": ERR_UNKNOWN_DOSSIER, "message": f"MaHoSo: {code} not found"},
            )
        return {"error_code": ERR_OK, **found}

    @app.post("/_sim/faults")
    async def set_faults(request: Request) -> dict[str, Any]:
        try:
            mode, count, seconds, hang = _parse_fault(await _json_body(request))
        except PortalError as exc:
            exc.stat = None  # a mistyped control call is not a payload the portal refused
            raise
        faults.release_hanging()
        faults.set(mode, count, seconds, hang)
        return faults.describe()

    @app.get("/_sim/faults")
    async def get_faults() -> dict[str, Any]:
        return faults.describe()

    @app.get("/_sim/received")
    async def received() -> dict[str, Any]:
        return store.received()

    @app.get("/_sim/stats")
    async def stats() -> dict[str, int]:
        return store.stats()

    @app.post("/_sim/forward", response_model=None)
    async def forward(request: Request) -> dict[str, Any] | JSONResponse:
        body = await _json_body(request)
        target, data = body.get("target"), body.get("data")
        if not isinstance(target, str) or not isinstance(data, dict):
            return JSONResponse(
                status_code=400,
                content={"error_code": ERR_INVALID, "message": "give target (URL) and data"},
            )
        url = target.rstrip("/") + FORWARD_PATH
        try:
            async with httpx.AsyncClient(timeout=FORWARD_TIMEOUT_SECONDS) as client:
                answer = await client.post(url, json=data, headers={"X-API-Key": api_key})
        except httpx.HTTPError as exc:
            return JSONResponse(
                status_code=502, content={"error_code": ERR_SIMULATED_FAILURE, "message": repr(exc)}
            )
        try:
            reply: Any = answer.json()
        except ValueError:
            reply = answer.text
        return {"status_code": answer.status_code, "body": reply}

    @app.post("/_sim/reset")
    async def reset() -> dict[str, str]:
        store.reset()
        faults.release_hanging()
        faults.clear()
        return {"status": "reset"}

    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="DVCQG national portal simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8101)
    parser.add_argument(
        "--state-file", default=None, help="SQLite file to keep received data across restarts"
    )
    parser.add_argument("--api-key", default=DEFAULT_API_KEY)
    parser.add_argument(
        "--hang-seconds",
        type=float,
        default=DEFAULT_HANG_SECONDS,
        help="how long the 'hang' fault sleeps before answering 504",
    )
    parser.add_argument("--log-level", default="warning")
    args = parser.parse_args(argv)

    import uvicorn

    logging.basicConfig(level=args.log_level.upper())
    app = create_app(args.state_file, api_key=args.api_key, hang_seconds=args.hang_seconds)
    # A request stuck in the "hang" fault must not hold a shutdown for its full hang time.
    uvicorn.run(
        app, host=args.host, port=args.port, log_level=args.log_level, timeout_graceful_shutdown=2
    )


if __name__ == "__main__":
    main()
