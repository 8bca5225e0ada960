"""Payloads compressed on their way to Temporal: every byte of a history is stored,
replicated and read back on each replay. Large payloads (a dossier's start input with its
procedure, the clock configuration with its days off, a portal round's records) are JSON that
zlib shrinks three- to four-fold; the small ones (an action's request, its outcome: 150-300
bytes each, sixteen of them in a typical dossier) shrink by half to three quarters against a
preset dictionary of what such payloads hold (`codec-dictionary-1.txt`: their keys, statuses,
actions and roles, the national days off; no person, unit or dossier, see
`tests/replay/codec_dictionary.py`). Compressed payloads are readable through the API's codec
endpoint (`api.codec`, the Codec Server Protocol), which the UI and `temporal workflow show
--codec-endpoint` call.

A payload compressed here is the whole original payload (its metadata too), serialised, under
the encoding `binary/zlib-d1` (raw deflate against dictionary 1); one is left as it is when
compression would not make it smaller. Decoding leaves any other payload as it is and still
reads `binary/zlib` (zlib without a dictionary, from 1 KiB up, written before dictionary 1),
so every history written before replays unchanged. A dictionary is frozen once used: a new
one is a new file and a new encoding, and the old ones stay for decoding."""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from pathlib import Path

from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

#: Before dictionary 1 (decoded, no longer written).
ENCODING = b"binary/zlib"
#: Raw deflate (no zlib header or checksum: 6 bytes of every small payload) against DICTIONARY.
DICTIONARY_ENCODING = b"binary/zlib-d1"
#: How every JSON payload's serialised form starts (metadata encoding=json/plain, then data).
_JSON_PAYLOAD_PREFIX = Payload(metadata={"encoding": b"json/plain"}).SerializeToString()
DICTIONARY = Path(__file__).with_name("codec-dictionary-1.txt").read_bytes() + _JSON_PAYLOAD_PREFIX
#: Payloads this small (serialised) are left alone: a null, a bare number or short string.
SMALLEST = 40
#: The most a compressed payload may expand to: Temporal's own limit on a payload is 2 MiB
#: by default, so anything larger is not one we wrote.
MAX_DECODED = 8 * 1024 * 1024
#: A compressor that has read the dictionary, copied for each payload: hashing the 12.8 KB
#: dictionary afresh was most of a small payload's cost. memLevel 8, zlib's default (9 before;
#: the same bytes out for every payload of the replay histories): 9 gave each compressor a
#: 128 KiB hash table, glibc's mmap threshold, so every one was mapped and faulted in anew.
#: 230 µs a payload before, 34 now (the 189 payloads of the replay tests' latest histories,
#: compressed one after another). `copy` holds the object's lock, so the workers' threads
#: can share it.
_PRIMED = zlib.compressobj(9, zlib.DEFLATED, -15, 8, zlib.Z_DEFAULT_STRATEGY, DICTIONARY)


class PayloadTooLarge(ValueError):
    pass


def compress(payload: Payload) -> Payload:
    raw = payload.SerializeToString()
    if len(raw) < SMALLEST:
        return payload
    deflater = _PRIMED.copy()
    packed = Payload(
        metadata={"encoding": DICTIONARY_ENCODING}, data=deflater.compress(raw) + deflater.flush()
    )
    return packed if packed.ByteSize() < len(raw) else payload


def decompress(payload: Payload) -> Payload:
    encoding = payload.metadata.get("encoding")
    if encoding == DICTIONARY_ENCODING:
        inflater = zlib.decompressobj(-15, zdict=DICTIONARY)
    elif encoding == ENCODING:
        inflater = zlib.decompressobj()
    else:
        return payload
    raw = inflater.decompress(payload.data, MAX_DECODED)
    if not inflater.eof:
        if inflater.unconsumed_tail or len(raw) >= MAX_DECODED:
            raise PayloadTooLarge(f"a compressed payload expands beyond {MAX_DECODED} bytes")
        raise zlib.error("a compressed payload ends before its data does")
    return Payload.FromString(raw)


class CompressionCodec(PayloadCodec):
    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [compress(p) for p in payloads]

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        return [decompress(p) for p in payloads]
