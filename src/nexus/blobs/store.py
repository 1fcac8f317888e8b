"""A content-addressed blob store on a local directory.

A blob is named by the SHA-256 of its bytes and lives at ``ab/cd/abcd...``. It is written to
a temporary file, fsynced and renamed into place (then the directory is fsynced), so a blob
that is visible is always complete; identical content is stored once. New directories on
the way are fsynced into their parents too, so after a power loss a blob that ``put``
returned is still reachable (a killed process loses nothing: the kernel keeps what it wrote).
A crash in the middle of ``put`` can leave a file in ``tmp/`` (never a partial blob);
``temp_files`` lists them. Content is streamed in (``put_chunks``: hashed while it is
written, so its name is known only at the end) and out (``open`` and ``read_chunks``).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

_TEMP_DIR = "tmp"
_DIGEST = re.compile("[0-9a-f]{64}")
_READ_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class StoredFile:
    """A file found in the store's directory: a blob (``name`` is its digest) or a temp file."""

    name: str
    size: int
    modified_at: float


class BlobStore(Protocol):
    def put(self, data: bytes) -> str: ...
    def put_chunks(self, chunks: Iterable[bytes]) -> tuple[str, int]: ...
    def get(self, digest: str) -> bytes: ...
    def open(self, digest: str) -> BinaryIO: ...
    def exists(self, digest: str) -> bool: ...
    def delete(self, digest: str) -> None: ...


def digest_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _is_digest(name: str) -> bool:
    # One regex match: every read and write names a blob (a per-character test was ~10 us).
    return _DIGEST.fullmatch(name) is not None


def _stored(path: Path) -> StoredFile | None:
    try:
        status = path.stat()
    except FileNotFoundError:  # removed while we looked (a collection, a finished put)
        return None
    return StoredFile(path.name, status.st_size, status.st_mtime)


def _refresh(path: Path) -> bool:
    """Set ``path``'s mtime to now; False when there is no such file."""
    try:
        os.utime(path)
    except FileNotFoundError:
        return False
    return True


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class LocalBlobStore:
    def __init__(self, root: Path, *, create: bool = True):
        """``create=False`` opens an existing store without touching it (for checks)."""
        self.root = root
        if create:
            (root / _TEMP_DIR).mkdir(parents=True, exist_ok=True)

    def _path(self, digest: str) -> Path:
        if not _is_digest(digest):
            raise ValueError(f"not a blob digest: {digest!r}")
        return self.root / digest[:2] / digest[2:4] / digest

    def put(self, data: bytes) -> str:
        """Store ``data`` durably and return its digest."""
        digest = digest_of(data)
        if self._refresh_stored(digest):
            return digest  # known content: no temp file, no fsync
        return self.put_chunks((data,))[0]

    def put_chunks(self, chunks: Iterable[bytes]) -> tuple[str, int]:
        """Store the concatenated ``chunks`` durably; their digest and size.

        Each chunk goes to a temp file as it comes (hashed on the way), so memory stays at
        one chunk whatever the size. An exception from ``chunks`` (a size limit, a client
        that hung up) propagates after the temp file is removed: nothing is stored.
        """
        hasher = hashlib.sha256()
        size = 0
        fd, temp_name = tempfile.mkstemp(dir=self.root / _TEMP_DIR)
        try:
            with os.fdopen(fd, "wb") as handle:
                for chunk in chunks:
                    hasher.update(chunk)
                    handle.write(chunk)
                    size += len(chunk)
                digest = hasher.hexdigest()
                stored = self._refresh_stored(digest)
                if not stored:
                    handle.flush()
                    os.fsync(handle.fileno())
            if stored:
                Path(temp_name).unlink()
            else:
                target = self._path(digest)
                self._make_directories(target.parent)
                os.replace(temp_name, target)
                _fsync_directory(target.parent)
        except BaseException:
            Path(temp_name).unlink(missing_ok=True)
            raise
        return digest, size

    def _refresh_stored(self, digest: str) -> bool:
        """Whether ``digest`` is stored; if so its mtime is set to now."""
        target = self._path(digest)
        if not _refresh(target):
            return False
        # Stored already: its fresh mtime keeps the garbage collector off it until our
        # caller's metadata commits (nexus.blobs.collector). Gone meanwhile: store it anew.
        # Another put may have renamed it without its directory fsync yet.
        _fsync_directory(target.parent)
        return True

    def _make_directories(self, directory: Path) -> None:
        """``ab/cd/``, each new one fsynced into its parent so the blob's path survives."""
        for level in (directory.parent, directory):
            if not level.is_dir():
                level.mkdir(exist_ok=True)
                _fsync_directory(level.parent)

    def get(self, digest: str) -> bytes:
        return self._path(digest).read_bytes()

    def open(self, digest: str) -> BinaryIO:
        """The blob opened for reading (FileNotFoundError when there is none). An open
        blob stays readable to its end even if the collector removes it meanwhile."""
        return self._path(digest).open("rb")

    def exists(self, digest: str) -> bool:
        return self._path(digest).exists()

    def delete(self, digest: str) -> None:
        self._path(digest).unlink(missing_ok=True)

    def content_hash(self, digest: str) -> tuple[str, int]:
        """The SHA-256 and size of the bytes stored under ``digest``, read in chunks
        (FileNotFoundError when there is no such blob)."""
        hasher = hashlib.sha256()
        size = 0
        with self._path(digest).open("rb") as handle:
            while chunk := handle.read(_READ_CHUNK):
                hasher.update(chunk)
                size += len(chunk)
        return hasher.hexdigest(), size

    def blobs(self) -> Iterator[StoredFile]:
        """Every stored blob (``ab/cd/<digest>``); anything else in the tree is skipped."""
        for first in sorted(self.root.iterdir()):
            if len(first.name) != 2 or not first.is_dir():
                continue
            for second in sorted(first.iterdir()):
                if not second.is_dir():
                    continue
                for path in sorted(second.iterdir()):
                    name = path.name
                    if _is_digest(name) and name[:2] == first.name and name[2:4] == second.name:
                        found = _stored(path)
                        if found is not None:
                            yield found

    def temp_files(self) -> Iterator[StoredFile]:
        """Files in ``tmp/``: puts in progress, or left behind by a process that died."""
        temp_dir = self.root / _TEMP_DIR
        if not temp_dir.is_dir():
            return
        for path in sorted(temp_dir.iterdir()):
            found = _stored(path)
            if found is not None:
                yield found


def read_chunks(
    handle: BinaryIO, start: int = 0, length: int | None = None, chunk_size: int = _READ_CHUNK
) -> Iterator[bytes]:
    """``length`` bytes (to the end when None) from ``start`` of an open blob, in chunks of
    at most ``chunk_size``; closes ``handle`` when done or abandoned."""
    with handle:
        handle.seek(start)
        remaining = length
        while remaining is None or remaining > 0:
            want = chunk_size if remaining is None else min(chunk_size, remaining)
            chunk = handle.read(want)
            if not chunk:
                return
            if remaining is not None:
                remaining -= len(chunk)
            yield chunk
