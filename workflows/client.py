"""The one way processes connect to Temporal: same data converter everywhere."""

from __future__ import annotations

import dataclasses
import functools
import secrets
from typing import Any

from pydantic import TypeAdapter
from temporalio.api.common.v1 import Payload
from temporalio.client import Client, WorkflowHandle
from temporalio.contrib.pydantic import (
    PydanticJSONPlainPayloadConverter,
    PydanticPayloadConverter,
)
from temporalio.converter import DataConverter, EncodingPayloadConverter

from config import Settings
from domain.dossier import ActionRequest
from messages import ActionOutcome, update_name
from workflows.codec import CompressionCodec

#: One pydantic TypeAdapter per type for the whole process (thread-safe, bounded).
_TYPE_ADAPTERS = functools.lru_cache(maxsize=1024)(TypeAdapter)


class CompactJSONPayloadConverter(PydanticJSONPlainPayloadConverter):
    """JSON as the SDK's pydantic converter writes it, without the fields of a dataclass that
    hold their default: decoding puts the default back, and a dossier's history, its cached
    state and every message are that much smaller (an action's request is mostly empty
    fields). The rule that follows: a default of a message field never changes meaning."""

    def to_payload(self, value: Any) -> Payload | None:
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            data = _TYPE_ADAPTERS(type(value)).dump_json(value, exclude_defaults=True)
            return Payload(metadata={"encoding": self.encoding.encode()}, data=data)
        return super().to_payload(value)


class SharedAdapterPayloadConverter(PydanticPayloadConverter):
    """The SDK's pydantic converter with compact dataclasses, its TypeAdapter cache shared by
    the whole process. The worker builds a payload converter for every workflow instance it
    creates, so with the stock one each new (or evicted and replayed) dossier rebuilt the schema
    of its whole state: a few milliseconds of CPU per workflow, about 6 % of the dossier
    worker's time (bench/). The encoding converters themselves hold no state either, so every
    instance shares one set of them: building them per workflow was another 1.7 % of the
    dossier worker's time and a few hundred bytes held by each cached workflow."""

    def __init__(self) -> None:
        self.converters = _shared_converters()


@functools.cache
def _shared_converters() -> dict[bytes, EncodingPayloadConverter]:
    stock = PydanticPayloadConverter()
    compact = CompactJSONPayloadConverter()
    compact._type_adapter = _TYPE_ADAPTERS  # noqa: SLF001 (SDK 1.35 internal)
    return {
        encoding: compact if isinstance(converter, PydanticJSONPlainPayloadConverter) else converter
        for encoding, converter in stock.converters.items()
    }


#: The wire format of `temporalio.contrib.pydantic.pydantic_data_converter`, dataclasses
#: compact, large payloads compressed (`workflows.codec`).
data_converter = DataConverter(
    payload_converter_class=SharedAdapterPayloadConverter, payload_codec=CompressionCodec()
)


async def connect(settings: Settings) -> Client:
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=data_converter,
    )


def new_update_id() -> str:
    """An update's id when the caller has none of its own: 12 random characters, not the
    SDK's 36-character UUID. An update id need only be unique within its workflow, and the
    history holds it four times (≈ 100 bytes of every action)."""
    return secrets.token_urlsafe(9)


async def run_action(
    handle: WorkflowHandle[Any, Any], request: ActionRequest, *, update_id: str | None = None
) -> ActionOutcome:
    """Send an action to a dossier workflow as the Workflow Update named after it. With an
    `update_id`, Temporal runs it once and answers a repeat with the first outcome."""
    outcome: ActionOutcome = await handle.execute_update(
        update_name(request.action),
        request,
        id=update_id or new_update_id(),
        result_type=ActionOutcome,
    )
    return outcome
