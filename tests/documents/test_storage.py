import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from api.storage import (
    BlobNotFound,
    InvalidDigest,
    LocalDocumentStore,
    StoredBlob,
)
from domain.documents import DocumentRejected, RejectionReason

SCAN = b"%PDF-1.7\n" + bytes(range(256)) * 300


def stored_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


async def in_chunks(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


class FakeUpload:
    """Shaped like FastAPI's UploadFile: only `async read(size)`."""

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._pos = 0

    async def read(self, size: int = -1) -> bytes:
        end = len(self._data) if size < 0 else self._pos + size
        chunk = self._data[self._pos : end]
        self._pos += len(chunk)
        return chunk


async def test_put_returns_the_sha256_and_size_and_stores_under_it(tmp_path: Path) -> None:
    store = LocalDocumentStore(tmp_path)

    blob = await store.put(SCAN)

    digest = hashlib.sha256(SCAN).hexdigest()
    assert blob == StoredBlob(sha256=digest, size=len(SCAN))
    assert stored_files(tmp_path) == [tmp_path / digest[:2] / digest[2:4] / digest]
    assert await store.open(digest) == SCAN


async def test_identical_content_is_stored_once(tmp_path: Path) -> None:
    store = LocalDocumentStore(tmp_path)

    first = await store.put(SCAN)
    second = await store.put(in_chunks(SCAN, 1000))
    third = await store.put(FakeUpload(SCAN))

    assert first == second == third
    assert len(stored_files(tmp_path)) == 1


async def test_different_content_gets_different_files(tmp_path: Path) -> None:
    store = LocalDocumentStore(tmp_path)

    a = await store.put(b"%PDF-1.4 a")
    b = await store.put(b"%PDF-1.4 b")

    assert a.sha256 != b.sha256
    assert len(stored_files(tmp_path)) == 2
    assert await store.open(b.sha256) == b"%PDF-1.4 b"


async def test_size_limit_is_enforced_while_streaming(tmp_path: Path) -> None:
    store = LocalDocumentStore(tmp_path, max_bytes=5000)
    pulled = 0

    async def endless() -> AsyncIterator[bytes]:
        nonlocal pulled
        while True:
            pulled += 1
            yield b"\0" * 1000

    with pytest.raises(DocumentRejected) as rejected:
        await store.put(endless())

    assert rejected.value.reason is RejectionReason.TOO_LARGE
    assert pulled == 6  # stopped at the first chunk over the limit, not at the end of input
    assert stored_files(tmp_path) == []  # the partial upload leaves nothing behind


async def test_per_call_limit_overrides_the_default(tmp_path: Path) -> None:
    store = LocalDocumentStore(tmp_path)

    with pytest.raises(DocumentRejected, match="limit"):
        await store.put(SCAN, max_bytes=len(SCAN) - 1)
    assert (await store.put(SCAN, max_bytes=len(SCAN))).size == len(SCAN)


@pytest.mark.parametrize(
    "bad",
    [
        "../../../etc/passwd",
        "ab/../../etc",
        "a" * 63,
        "a" * 65,
        "g" * 64,
        "",
        "../" + "a" * 61,
    ],
)
async def test_a_reference_that_is_not_a_sha256_is_rejected(tmp_path: Path, bad: str) -> None:
    store = LocalDocumentStore(tmp_path)

    with pytest.raises(InvalidDigest):
        await store.open(bad)
    with pytest.raises(InvalidDigest):
        await store.exists(bad)


async def test_exists_and_open_for_unknown_content(tmp_path: Path) -> None:
    store = LocalDocumentStore(tmp_path)
    digest = hashlib.sha256(b"never stored").hexdigest()

    assert await store.exists(digest) is False
    with pytest.raises(BlobNotFound):
        await store.open(digest)

    await store.put(b"never stored")
    assert await store.exists(digest.upper()) is True
