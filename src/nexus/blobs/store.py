"""A content-addressed blob store on a local directory.

A blob is named by the SHA-256 of its bytes and lives at ``ab/abcd...`` (one level of 256
directories, as Git keeps its objects). It is written to a temporary file, fsynced and
renamed into place (then the directory is fsynced), so a blob that is visible is always
complete; identical content is stored once. A new directory is fsynced into its parent
too, so after a power loss a blob that ``put`` returned is still reachable (a killed
process loses nothing: the kernel keeps what it wrote).

One level, not two (``ab/cd/``): with 65,536 leaf directories nearly every write to a young
store made a directory and fsynced its parent, a third more fsyncs per write (measured: the
store wrote ~60% more new files a second with one level). 256 directories hold millions of
blobs each comfortably. A store made with two levels is converted when it is first opened
for writing (``LAYOUT`` records the layout).
A crash in the middle of ``put`` can leave a file in ``tmp/`` (never a partial blob);
``temp_files`` lists them. Content is streamed in (``put_chunks``: hashed while it is
written, so its name is known only at the end) and out (``open`` and ``read_chunks``).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

_TEMP_DIR = "tmp"
# Written once the store is in the one-level layout (new, or converted from two levels).
_LAYOUT_FILE = "LAYOUT"
_LAYOUT = "1: ab/<sha256>\n"
_DIGEST = re.compile("[0-9a-f]{64}")
_SHARD = re.compile("[0-9a-f]{2}")
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


def _is_shard(name: str) -> bool:
    return _SHARD.fullmatch(name) is not None


def _write_durably(path: Path, data: bytes) -> None:
    """A small file that survives a power loss once this returns (file and directory)."""
    temp = path.with_name(path.name + ".tmp")
    with temp.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temp, path)
    _fsync_directory(path.parent)


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
            if self.in_old_layout():
                self._convert_from_two_levels()
            if not (root / _LAYOUT_FILE).exists():
                _write_durably(root / _LAYOUT_FILE, _LAYOUT.encode())

    def in_old_layout(self) -> bool:
        """Whether blobs may still lie at ``ab/cd/<digest>`` (made before the one-level
        layout and not opened for writing since)."""
        if (self.root / _LAYOUT_FILE).exists():
            return False
        return any(self._two_level_directories())

    def _two_level_directories(self) -> Iterator[Path]:
        for first in sorted(self.root.iterdir()) if self.root.is_dir() else ():
            if _is_shard(first.name) and first.is_dir():
                for second in sorted(first.iterdir()):
                    if _is_shard(second.name) and second.is_dir():
                        yield second

    def _convert_from_two_levels(self) -> None:
        """Move ``ab/cd/<digest>`` to ``ab/<digest>``. Each move is one rename, so a crash
        midway leaves every blob whole in one place or the other; the next open goes on."""
        for second in list(self._two_level_directories()):
            first = second.parent
            for path in second.iterdir():
                if _is_digest(path.name) and path.name[:2] == first.name:
                    os.replace(path, first / path.name)
            _fsync_directory(first)
            with contextlib.suppress(OSError):  # something else in there: leave it be
                second.rmdir()

    def _path(self, digest: str) -> Path:
        if not _is_digest(digest):
            raise ValueError(f"not a blob digest: {digest!r}")
        return self.root / digest[:2] / digest

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
        """``ab/``, fsynced into the store's root when new so the blob's path survives."""
        if not directory.is_dir():
            directory.mkdir(exist_ok=True)
            _fsync_directory(directory.parent)

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
        """Every stored blob (``ab/<digest>``); anything else in the tree is skipped."""
        for first in sorted(self.root.iterdir()):
            if not _is_shard(first.name) or not first.is_dir():
                continue
            for path in sorted(first.iterdir()):
                name = path.name
                if _is_digest(name) and name[:2] == first.name:
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
