"""Builds a preset dictionary for `workflows.codec` from the recorded replay histories: the
payloads' JSON with every value that names a person, a unit, an agency, a dossier or a moment
blanked, so what it holds is the payloads' shape (keys, statuses, actions, roles, the national
days off and office hours), never the seed's people or places.

    .venv/bin/python -m tests.replay.codec_dictionary v5 > workflows/codec-dictionary-<n>.txt

A dictionary in use is frozen (every history compressed with it needs it byte for byte): a
new one is a new file and a new encoding in `workflows.codec`, the old ones kept."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload
from temporalio.client import WorkflowHistory

from domain.dossier import Role
from domain.lifecycle import Action, Status
from workflows.codec import decompress

HISTORIES = Path(__file__).parent / "histories"
VOCABULARY = {s.value for s in Status} | {a.value for a in Action} | {r.value for r in Role}
#: Values kept whole: an enumeration's member, or public and the same in every province.
KEPT = {"kind", "result_kind", "status", "action", "role", "requested_by"}
PUBLIC = {"days_off", "periods", "weekdays"}
#: Payloads longer than this go first: zlib reaches the end of its dictionary with the
#: shortest distances, so the small and frequent ones (requests, outcomes) go last.
LARGE = 600


def blank(value: Any, key: str | None = None) -> Any:
    if key in PUBLIC:
        return value
    if isinstance(value, dict):
        return {k: blank(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [blank(v, key) for v in value]
    if isinstance(value, str):
        return value if value in VOCABULARY or key in KEPT else ""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return value if abs(value) < 20 else 0  # small counts and codes, not amounts or ids
    return value


def payloads(message: Message) -> Iterator[Payload]:
    for field, value in message.ListFields():
        if field.message_type is None:
            continue
        if isinstance(value, Message):
            values = [value]
        elif hasattr(value, "keys"):
            values = list(value.values())
        else:
            values = list(value)
        for item in values:
            if isinstance(item, Payload):
                yield item
            elif isinstance(item, Message):
                yield from payloads(item)


def build(label: str) -> str:
    large: list[str] = []
    small: list[str] = []
    seen: set[str] = set()
    for path in sorted(HISTORIES.glob(f"**/{label}-*.json")):
        history = WorkflowHistory.from_json(path.stem, path.read_text())
        for event in history.events:
            if event.HasField("marker_recorded_event_attributes"):
                continue  # the SDK's own markers do not pass the codec
            if event.HasField("upsert_workflow_search_attributes_event_attributes"):
                continue  # nor do search attributes
            for payload in payloads(event):
                payload = decompress(payload)
                if payload.metadata.get("encoding") != b"json/plain":
                    continue
                text = json.dumps(
                    blank(json.loads(payload.data)), ensure_ascii=False, separators=(",", ":")
                )
                if text not in seen:
                    seen.add(text)
                    (large if len(text) > LARGE else small).append(text)
    return "\n".join(large + small) + "\n"


if __name__ == "__main__":
    sys.stdout.write(build(sys.argv[1] if len(sys.argv) > 1 else "v5"))
