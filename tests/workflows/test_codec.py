"""Large payloads are stored compressed; small ones and payloads written before the codec are
left as they are; what comes back is what went in."""

from __future__ import annotations

import os
import uuid
import zlib

import pytest
from temporalio import workflow
from temporalio.api.common.v1 import Payload
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from workflows.codec import (
    ENCODING,
    MAX_DECODED,
    THRESHOLD,
    CompressionCodec,
    PayloadTooLarge,
    compress,
    decompress,
)
from workflows.sandbox import workflow_runner


def json_payload(text: str) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=text.encode())


def test_a_small_payload_is_left_readable() -> None:
    small = json_payload('{"action":"accept"}')
    assert compress(small) is small


def test_a_large_payload_is_compressed_and_comes_back_whole() -> None:
    large = json_payload(
        '{"days_off":{'
        + ",".join(f'"2026-{m:02}-{d:02}":"Tết"' for m in range(1, 4) for d in range(1, 29))
        + "}}"
    )
    assert large.ByteSize() >= THRESHOLD
    packed = compress(large)
    assert packed.metadata["encoding"] == ENCODING
    assert packed.ByteSize() < large.ByteSize() / 2
    assert decompress(packed) == large


def test_incompressible_data_is_left_as_it_is() -> None:
    noise = Payload(metadata={"encoding": b"binary/plain"}, data=os.urandom(4096))
    assert compress(noise) is noise


def test_payloads_from_before_the_codec_pass_through() -> None:
    legacy = json_payload('"x"' * 2000)
    assert decompress(legacy) is legacy


def test_a_payload_expanding_beyond_the_limit_is_refused() -> None:
    bomb = Payload(metadata={"encoding": ENCODING}, data=zlib.compress(b"\0" * (MAX_DECODED + 1)))
    with pytest.raises(PayloadTooLarge):
        decompress(bomb)


async def test_the_codec_keeps_the_order_of_payloads() -> None:
    codec = CompressionCodec()
    payloads = [json_payload('"a"'), json_payload('"' + "b" * 4000 + '"'), json_payload('"c"')]
    encoded = await codec.encode(payloads)
    assert [p.metadata["encoding"] for p in encoded] == [b"json/plain", ENCODING, b"json/plain"]
    assert await codec.decode(encoded) == payloads


@workflow.defn
class Echo:
    @workflow.run
    async def run(self, text: str) -> str:
        return text.upper()


async def test_history_holds_the_large_input_compressed(skipping_env: WorkflowEnvironment) -> None:
    queue = f"codec-{uuid.uuid4().hex[:8]}"
    text = "ngày nghỉ lễ " * 500
    async with Worker(
        skipping_env.client, task_queue=queue, workflows=[Echo], workflow_runner=workflow_runner()
    ):
        handle = await skipping_env.client.start_workflow(
            Echo.run, text, id=f"codec-{uuid.uuid4().hex}", task_queue=queue
        )
        assert await handle.result() == text.upper()
    history = await handle.fetch_history()
    started = history.events[0].workflow_execution_started_event_attributes
    [stored] = started.input.payloads
    assert stored.metadata["encoding"] == ENCODING
    assert stored.ByteSize() < len(text.encode()) / 4
