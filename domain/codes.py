"""Dossier codes (mã số hồ sơ): `<agency identifier>-YYMMDD-NNNN` (Circular 01/2018)."""

from __future__ import annotations

import re
from datetime import date

CODE_PATTERN = re.compile(r"^(?P<agency>[0-9A-Za-z.]+)-(?P<day>\d{6})-(?P<seq>\d{4})$")
MAX_SEQUENCE = 9999


class InvalidDossierCode(ValueError):
    pass


def format_dossier_code(agency_identifier: str, day: date, sequence: int) -> str:
    """`000.00.31.H29`, 2026-11-22, 7 → `000.00.31.H29-261122-0007`."""
    if not 1 <= sequence <= MAX_SEQUENCE:
        raise InvalidDossierCode(
            f"sequence {sequence} is outside 1..{MAX_SEQUENCE} for agency {agency_identifier}"
        )
    if not re.fullmatch(r"[0-9A-Za-z.]+", agency_identifier):
        raise InvalidDossierCode(f"agency identifier {agency_identifier!r} is not valid")
    return f"{agency_identifier}-{day:%y%m%d}-{sequence:04d}"


def parse_dossier_code(code: str) -> tuple[str, date, int]:
    match = CODE_PATTERN.match(code)
    if match is None:
        raise InvalidDossierCode(f"{code!r} is not a dossier code like 000.00.31.H29-261122-0007")
    raw = match["day"]
    try:
        day = date(2000 + int(raw[:2]), int(raw[2:4]), int(raw[4:]))
    except ValueError as exc:
        raise InvalidDossierCode(f"{code!r} carries an impossible date") from exc
    return match["agency"], day, int(match["seq"])


def workflow_id(code: str) -> str:
    return f"dossier-{code}"
