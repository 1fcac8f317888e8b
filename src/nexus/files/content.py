"""File content in chunks: an opened version to read (whole or a range), and the size limit
counted while content streams in.

Whole files never need to fit in memory: uploads go chunk by chunk into the blob store,
downloads come out of an open blob chunk by chunk.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from nexus.api.models import FileInfo
from nexus.blobs.store import read_chunks
from nexus.errors import NexusPayloadTooLargeError, NexusValidationError

# What write and append take: the whole content, or its chunks in order.
Content = bytes | Iterable[bytes]


@dataclass
class OpenedFile:
    """One version of a file, opened: ``info`` describes exactly these bytes. The blob is
    open already, so a collection or a newer write cannot take it away mid-read."""

    info: FileInfo
    size: int
    handle: BinaryIO | None  # None for empty content (no blob)

    def chunks(self, start: int = 0, length: int | None = None) -> Iterator[bytes]:
        """``length`` bytes from ``start`` (to the end when None); closes the blob after."""
        if self.handle is None:
            return iter(())
        return read_chunks(self.handle, start, length)

    def read(self, offset: int = 0, length: int | None = None) -> bytes:
        """Like a file's ``seek(offset); read(length)``: past the end is b""."""
        return b"".join(self.chunks(min(offset, self.size), length))

    def close(self) -> None:
        if self.handle is not None:
            self.handle.close()


def optional_position(field: str, value: object) -> int | None:
    """An offset or length: None, or a whole number from 0."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise NexusValidationError(f"{field} must be a whole number", code="invalid_argument")
    if value < 0:
        raise NexusValidationError(
            f"{field} must be at least 0, got {value}", code="invalid_argument"
        )
    return value


def size_limit_error(path: str, limit: int, size: int | None = None) -> NexusPayloadTooLargeError:
    what = "file" if size is None else f"file of {size} bytes"
    return NexusPayloadTooLargeError(f"{what} is over the limit of {limit} bytes", path=path)


def within_limit(chunks: Iterable[bytes], limit: int, path: str) -> Iterator[bytes]:
    """``chunks`` unchanged, refused as soon as their total passes ``limit`` (the blob store
    then drops what it wrote: nothing is stored)."""
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if total > limit:
            raise size_limit_error(path, limit)
        yield chunk
