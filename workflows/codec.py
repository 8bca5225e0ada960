"""Payloads compressed on their way to Temporal: the large ones (a dossier's start input with
its procedure, the clock configuration with its days off, a portal round's records) are JSON
that zlib shrinks three- to four-fold, and every byte of a history is stored, replicated and
read back on each replay. Small payloads (an action's request, its outcome) stay as they are,
readable in the Temporal UI without a codec server; compressed ones are readable through the
API's codec endpoint (`api.codec`, the Codec Server Protocol), which the UI and
`temporal workflow show --codec-endpoint` call.

A payload compressed here is the whole original payload (its metadata too), serialised, under
the encoding `binary/zlib`; decoding leaves any other payload as it is, so histories written
before this codec replay unchanged."""

from __future__ import annotations

import zlib
from collections.abc import Sequence

from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

ENCODING = b"binary/zlib"
#: Payloads smaller than this (serialised) are left alone: zlib saves little on them.
THRESHOLD = 1024
#: The most a compressed payload may expand to: Temporal's own limit on a payload is 2 MiB
#: by default, so anything larger is not one we wrote.
MAX_DECODED = 8 * 1024 * 1024


class PayloadTooLarge(ValueError):
    pass


def compress(payload: Payload) -> Payload:
    raw = payload.SerializeToString()
    if len(raw) < THRESHOLD:
        return payload
    packed = zlib.compress(raw, 6)
    if len(packed) >= len(raw):
        return payload
    return Payload(metadata={"encoding": ENCODING}, data=packed)


def decompress(payload: Payload) -> Payload:
    if payload.metadata.get("encoding") != ENCODING:
        return payload
    inflater = zlib.decompressobj()
    raw = inflater.decompress(payload.data, MAX_DECODED)
    if inflater.unconsumed_tail:
        raise PayloadTooLarge(f"a compressed payload expands beyond {MAX_DECODED} bytes")
    return Payload.FromString(raw)


class CompressionCodec(PayloadCodec):
    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [compress(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [decompress(p) for p in payloads]
