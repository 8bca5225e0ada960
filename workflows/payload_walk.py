"""One walk over a workflow task's payloads instead of three.

The SDK (1.35) decodes every workflow activation in three walks over all of its messages
(external-storage references, external storage, then the codec) and encodes every completion
in three more (the codec, external storage, references). A walk is generated Python that asks
each command and job which of its ≈ 20 kinds it is: the six cost a dossier worker ≈ 250 µs
per workflow task against ≈ 35 µs of compression, and 14 % of its CPU in a deadline storm
(BENCHMARKS.md). motcua configures no external storage, so two of each three walks find
nothing: `install` makes the worker apply the steps that are left, in the SDK's order and
with its own data converter's methods, to each payload sequence in one walk. A data converter
with external storage keeps the SDK's three walks."""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import temporalio.bridge.worker as bridge_worker
from temporalio.api.common.v1 import Payload
from temporalio.converter import DataConverter
from temporalio.converter._extstore import StorageOperationMetrics
from temporalio.worker._command_aware_visitor import CommandAwarePayloadVisitor

logger = logging.getLogger(__name__)

#: One of a data converter's steps over a payload sequence.
Step = Callable[[Sequence[Payload]], Awaitable[list[Payload]]]

#: The SDK's own functions, kept for converters with external storage.
_SDK_DECODE = bridge_worker.decode_activation
_SDK_ENCODE = bridge_worker.encode_completion


async def decode_activation(
    activation: Any,
    data_converter: DataConverter,
    decode_headers: bool,
    storage_concurrency_limit: int,
) -> StorageOperationMetrics:
    if data_converter.external_storage is not None:
        return await _SDK_DECODE(
            activation, data_converter, decode_headers, storage_concurrency_limit
        )
    # The reference step refuses a reference payload, as the retrieval step would.
    steps = (
        data_converter._decode_reference_payload_sequence,  # noqa: SLF001
        data_converter._decode_payload_sequence,  # noqa: SLF001
    )
    return await _walk(activation, steps, headers=decode_headers)


async def encode_completion(
    completion: Any,
    data_converter: DataConverter,
    encode_headers: bool,
    storage_concurrency_limit: int,
) -> StorageOperationMetrics:
    if data_converter.external_storage is not None:
        return await _SDK_ENCODE(
            completion, data_converter, encode_headers, storage_concurrency_limit
        )
    steps = (
        data_converter._encode_payload_sequence,  # noqa: SLF001
        data_converter._encode_reference_payload_sequence,  # noqa: SLF001
    )
    return await _walk(completion, steps, headers=encode_headers)


async def _walk(root: Any, steps: Sequence[Step], *, headers: bool) -> StorageOperationMetrics:
    """Apply `steps`, in order, to each payload sequence of `root` in one visitor walk."""

    first, *rest = steps

    async def apply(payloads: Sequence[Payload]) -> list[Payload]:
        out = await first(payloads)
        for step in rest:
            out = await step(out)
        return out

    visitor = CommandAwarePayloadVisitor(skip_search_attributes=True, skip_headers=not headers)
    await visitor.visit(bridge_worker._Visitor(apply), root)  # noqa: SLF001
    return StorageOperationMetrics()


def install() -> bool:
    """From now on every worker of this process walks each workflow task's payloads once.
    The SDK's worker looks both functions up on `temporalio.bridge.worker` at every task. An
    SDK whose functions take other arguments keeps its own (and a test says so)."""
    for sdk, ours in ((_SDK_DECODE, decode_activation), (_SDK_ENCODE, encode_completion)):
        if list(inspect.signature(sdk).parameters) != list(inspect.signature(ours).parameters):
            logger.warning("temporalio's %s has changed: its payload walks stay", sdk.__name__)
            return False
    bridge_worker.decode_activation = decode_activation
    bridge_worker.encode_completion = encode_completion
    return True
