"""Payloads are stored compressed against the preset dictionary when that makes them smaller;
payloads written before it (uncompressed, or zlib without a dictionary) read back as they
were; what comes back is what went in."""

from __future__ import annotations

import hashlib
import os
import uuid
import zlib
from pathlib import Path
from typing import Any

import pytest
from temporalio import workflow
from temporalio.api.common.v1 import Payload
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

import workflows.codec
from domain.dossier import ActionRequest, Actor, Role
from domain.lifecycle import Action
from workflows.codec import (
    DICTIONARY,
    DICTIONARY_ENCODING,
    ENCODING,
    MAX_DECODED,
    SMALLEST,
    CompressionCodec,
    PayloadTooLarge,
    compress,
    decompress,
)
from workflows.sandbox import workflow_runner

#: Dictionary 1 as every history compressed with it needs it, byte for byte.
DICTIONARY_1_SHA256 = "f268171505c3cfbad7d86e37f49b6924517e13c70b23ca1d9712dfeee8169170"


def json_payload(text: str) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=text.encode())


def test_a_tiny_payload_is_left_as_it_is() -> None:
    tiny = json_payload('"ok"')
    assert tiny.ByteSize() < SMALLEST
    assert compress(tiny) is tiny


def test_an_action_request_shrinks_by_about_half_against_the_dictionary() -> None:
    """A person and a unit the dictionary has never seen: only the shape is shared."""
    from workflows.client import data_converter  # not in the module: the sandbox imports it

    request = ActionRequest(
        Action.FORWARD,
        actor=Actor("cv.lamdong", "Ka Sô Liễng", Role.OFFICER, "000.00.19.H40", "H40.19.VP"),
    )
    [payload] = data_converter.payload_converter.to_payloads([request])
    packed = compress(payload)
    assert packed.metadata["encoding"] == DICTIONARY_ENCODING
    assert packed.ByteSize() < payload.ByteSize() * 0.6  # zlib alone: 0.9
    assert decompress(packed) == payload


def test_a_large_payload_is_compressed_and_comes_back_whole() -> None:
    large = json_payload(
        '{"days_off":{'
        + ",".join(f'"2026-{m:02}-{d:02}":"Tết"' for m in range(1, 4) for d in range(1, 29))
        + "}}"
    )
    packed = compress(large)
    assert packed.metadata["encoding"] == DICTIONARY_ENCODING
    assert packed.ByteSize() < large.ByteSize() / 2
    assert decompress(packed) == large


def test_the_dictionary_is_the_one_histories_were_written_with() -> None:
    """Dictionary 1 is frozen: a payload compressed against it reads back only with it. A
    new dictionary is a new file and a new encoding, this one kept."""
    file = Path(workflows.codec.__file__).with_name("codec-dictionary-1.txt")
    assert hashlib.sha256(file.read_bytes()).hexdigest() == DICTIONARY_1_SHA256
    assert len(DICTIONARY) <= 32 * 1024  # zlib's window: more would never be referred to


def test_payloads_written_with_zlib_alone_still_read_back() -> None:
    """`binary/zlib`, written before the dictionary (payloads of 1 KiB or more)."""
    original = json_payload('"' + "ngày nghỉ " * 200 + '"')
    legacy = Payload(
        metadata={"encoding": ENCODING}, data=zlib.compress(original.SerializeToString(), 6)
    )
    assert decompress(legacy) == original


def test_a_truncated_payload_is_refused() -> None:
    packed = compress(json_payload('"' + "ngày nghỉ " * 200 + '"'))
    cut = Payload(metadata=packed.metadata, data=packed.data[: len(packed.data) // 2])
    with pytest.raises(zlib.error):
        decompress(cut)


def test_incompressible_data_is_left_as_it_is() -> None:
    noise = Payload(metadata={"encoding": b"binary/plain"}, data=os.urandom(4096))
    assert compress(noise) is noise


def test_payloads_from_before_the_codec_pass_through() -> None:
    legacy = json_payload('"x"' * 2000)
    assert decompress(legacy) is legacy


def test_each_payload_is_compressed_as_a_fresh_compressor_would() -> None:
    """The primed compressor is copied, never used: what one payload leaves in a compressor
    must not reach the next, and histories written with memLevel 9 read back the same."""
    first, second = json_payload('{"status": "DANG_XU_LY"}' * 30), json_payload('"x"' * 500)
    for payload in (first, second, first):
        raw = payload.SerializeToString()
        fresh = zlib.compressobj(9, zlib.DEFLATED, -15, 8, zlib.Z_DEFAULT_STRATEGY, DICTIONARY)
        packed = compress(payload)
        assert packed.data == fresh.compress(raw) + fresh.flush()
        assert decompress(packed) == payload
        written_before = Payload(metadata={"encoding": DICTIONARY_ENCODING}, data=raw_deflate(raw))
        assert decompress(written_before) == payload


def raw_deflate(data: bytes) -> bytes:
    deflater = zlib.compressobj(9, zlib.DEFLATED, -15, 9, zlib.Z_DEFAULT_STRATEGY, DICTIONARY)
    return deflater.compress(data) + deflater.flush()


@pytest.mark.parametrize(
    ("encoding", "pack"), [(ENCODING, zlib.compress), (DICTIONARY_ENCODING, raw_deflate)]
)
def test_a_payload_expanding_beyond_the_limit_is_refused(encoding: bytes, pack: Any) -> None:
    bomb = Payload(metadata={"encoding": encoding}, data=pack(b"\0" * (MAX_DECODED + 1)))
    with pytest.raises(PayloadTooLarge):
        decompress(bomb)


async def test_the_codec_keeps_the_order_of_payloads() -> None:
    codec = CompressionCodec()
    payloads = [json_payload('"a"'), json_payload('"' + "b" * 4000 + '"'), json_payload('"c"')]
    encoded = await codec.encode(payloads)
    assert [p.metadata["encoding"] for p in encoded] == [
        b"json/plain",
        DICTIONARY_ENCODING,
        b"json/plain",
    ]
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
    assert stored.metadata["encoding"] == DICTIONARY_ENCODING
    assert stored.ByteSize() < len(text.encode()) / 4
