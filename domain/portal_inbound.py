"""Dossiers the national portal (Cổng DVCQG) forwards to us: submitted online there, filed
here as channel-2 dossiers under the portal's own code (MaHoSo), so that the statuses we send
back name the dossier the portal knows.

Pure: reads the portal's payload (its field names, as in domain/portal.py) into a
`ForwardedDossier`, and fingerprints it, so that the same delivery twice files one dossier
and a different payload under the same code is told apart (a conflict)."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

#: A portal dossier code: letters, digits, dots, dashes and underscores.
PORTAL_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,59}$")
#: The portal forwards what was submitted online: KenhThucHien 2.
ONLINE = 2


class ForwardInvalid(ValueError):
    """The payload cannot be filed; `field` names the portal field at fault."""

    def __init__(self, field_name: str, message: str):
        self.field = field_name
        self.message = message
        super().__init__(f"{field_name}: {message}")


@dataclass(frozen=True)
class ForwardedDossier:
    portal_code: str
    procedure_code: str
    applicant_name: str
    applicant_id_number: str
    applicant_phone: str
    applicant_email: str
    applicant_address: str
    components: tuple[str, ...]
    #: the payload's fingerprint (SHA-256 of its canonical JSON)
    digest: str

    @property
    def idempotency_key(self) -> str:
        """The submission's key: the portal's code and what it sent under it."""
        return f"portal:{self.portal_code}:{self.digest}"


def _text(data: dict[str, Any], name: str, *, required: bool = False, limit: int = 200) -> str:
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise ForwardInvalid(name, "is required")
        return ""
    if not isinstance(value, str):
        raise ForwardInvalid(name, "must be text")
    value = value.strip()
    if required and not value:
        raise ForwardInvalid(name, "is required")
    if len(value) > limit:
        raise ForwardInvalid(name, f"is longer than {limit} characters")
    return value


def fingerprint(data: dict[str, Any]) -> str:
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def read_forwarded(data: dict[str, Any]) -> ForwardedDossier:
    """The dossier the portal forwards, or ForwardInvalid naming the field."""
    code = _text(data, "MaHoSo", required=True, limit=60)
    if not PORTAL_CODE.match(code):
        raise ForwardInvalid("MaHoSo", "letters, digits, '.', '-' and '_' only")
    channel = data.get("KenhThucHien", ONLINE)
    if channel != ONLINE:
        raise ForwardInvalid("KenhThucHien", "the portal forwards online submissions (2) only")
    documents = data.get("TaiLieuNop", [])
    if not isinstance(documents, list) or not all(isinstance(d, dict) for d in documents):
        raise ForwardInvalid("TaiLieuNop", "must be a list of documents")
    components = []
    for index, document in enumerate(documents):
        try:
            components.append(_text(document, "MaThanhPhanHoSo", required=True, limit=60))
        except ForwardInvalid as error:
            raise ForwardInvalid(f"TaiLieuNop.{index}.{error.field}", error.message) from None
    return ForwardedDossier(
        portal_code=code,
        procedure_code=_text(data, "MaTTHC", required=True, limit=60),
        applicant_name=_text(data, "ChuHoSo", required=True),
        applicant_id_number=_text(data, "SoGiayToChuHoSo", limit=20),
        applicant_phone=_text(data, "SoDienThoaiChuHoSo", limit=20),
        applicant_email=_text(data, "EmailChuHoSo", limit=200),
        applicant_address=_text(data, "DiaChiChuHoSo", limit=500),
        components=tuple(dict.fromkeys(components)),
        digest=fingerprint(data),
    )
