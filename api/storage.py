"""Content-addressed storage of digitized components and results (số hóa), keyed by SHA-256.

The digest is both the name and the integrity proof the national portal asks for; a path is
always derived from it, never from anything a client sent.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import uuid
from collections.abc import AsyncIterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol, runtime_checkable

from domain.documents import DEFAULT_MAX_UPLOAD_BYTES, too_large

CHUNK_BYTES = 1024 * 1024

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class StoredBlob:
    sha256: str
    size: int


@runtime_checkable
class AsyncReadable(Protocol):
    """Anything with `async read(size)`, such as FastAPI's UploadFile."""

    async def read(self, size: int = -1) -> bytes: ...


Content = bytes | bytearray | memoryview | AsyncIterable[bytes] | AsyncReadable


class DocumentStore(Protocol):
    """Where document bytes live; local disk by default, object storage by setting."""

    async def put(self, content: Content, *, max_bytes: int | None = None) -> StoredBlob:
        """Store content (at most `max_bytes`, else DocumentRejected) and return its digest."""
        ...

    async def open(self, sha256: str) -> bytes:
        """The stored bytes; BlobNotFound if absent, InvalidDigest if not a SHA-256 hex."""
        ...

    async def exists(self, sha256: str) -> bool: ...


class InvalidDigest(ValueError):
    """A document reference that is not 64 hexadecimal characters."""


class BlobNotFound(LookupError):
    """No document is stored under this digest."""


def normalize_sha256(sha256: str) -> str:
    """The lower-case digest, or InvalidDigest; keeps '../' and friends out of paths."""
    digest = sha256.lower() if isinstance(sha256, str) else ""
    if not _SHA256_HEX.fullmatch(digest):
        raise InvalidDigest(f"not a SHA-256 digest: {sha256!r:.80}")
    return digest


async def _chunks(content: Content) -> AsyncIterable[bytes]:
    if isinstance(content, bytes | bytearray | memoryview):
        view = memoryview(content)
        for start in range(0, len(view), CHUNK_BYTES):
            yield bytes(view[start : start + CHUNK_BYTES])
    elif isinstance(content, AsyncReadable):
        while chunk := await content.read(CHUNK_BYTES):
            yield chunk
    else:
        async for chunk in content:
            yield chunk


class LocalDocumentStore:
    """Documents on a local directory as `root/ab/cd/<sha256>`; identical content is kept once.

    Uploads are streamed into `root/.incoming/` (same file system, so the final `os.replace`
    is atomic: a reader sees the whole file or none), hashed on the way, and moved into place
    once the digest is known.
    """

    def __init__(self, root: Path, *, max_bytes: int = DEFAULT_MAX_UPLOAD_BYTES) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes
        self._incoming = self.root / ".incoming"

    def path_for(self, sha256: str) -> Path:
        digest = normalize_sha256(sha256)
        return self.root / digest[:2] / digest[2:4] / digest

    async def put(self, content: Content, *, max_bytes: int | None = None) -> StoredBlob:
        limit = self.max_bytes if max_bytes is None else max_bytes
        await asyncio.to_thread(self._incoming.mkdir, parents=True, exist_ok=True)
        temp = self._incoming / f"{uuid.uuid4().hex}.part"
        hasher = hashlib.sha256()
        size = 0
        handle: BinaryIO = await asyncio.to_thread(temp.open, "xb")

        def hash_and_write(chunk: bytes) -> None:
            hasher.update(chunk)
            handle.write(chunk)

        try:
            try:
                async for chunk in _chunks(content):
                    size += len(chunk)
                    if size > limit:
                        raise too_large(limit)
                    await asyncio.to_thread(hash_and_write, chunk)
                await asyncio.to_thread(_flush_and_sync, handle)
            finally:
                await asyncio.to_thread(handle.close)
            blob = StoredBlob(sha256=hasher.hexdigest(), size=size)
            await asyncio.to_thread(self._move_into_place, temp, self.path_for(blob.sha256))
            return blob
        finally:
            await asyncio.to_thread(temp.unlink, missing_ok=True)

    async def open(self, sha256: str) -> bytes:
        path = self.path_for(sha256)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except FileNotFoundError:
            raise BlobNotFound(f"no document stored under {sha256}") from None

    async def exists(self, sha256: str) -> bool:
        return await asyncio.to_thread(self.path_for(sha256).is_file)

    @staticmethod
    def _move_into_place(temp: Path, final: Path) -> None:
        if final.is_file():
            return  # Same digest, same bytes: keep the copy that is already there.
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(temp, final)


def _flush_and_sync(handle: BinaryIO) -> None:
    handle.flush()
    os.fsync(handle.fileno())
