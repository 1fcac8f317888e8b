"""Removing blobs nothing refers to, without racing a write in flight.

A write stores its blob *before* the metadata that refers to it commits, so for a moment a
live blob looks unreferenced. The rule that makes collection safe, also between several
server processes sharing one blob directory:

1. ``put`` leaves every blob it returns with a fresh mtime: a new one is fresh anyway, an
   existing one (deduplicated content) is touched (``LocalBlobStore.put``).
2. The collector considers only blobs whose mtime is older than a grace period, and only
   *after* listing them asks the database which are referenced. A writer whose metadata
   commits later put its blob within the grace period (writes slower than that may lose
   their blob: the grace period is an hour by default), so the blob was either too young to
   be listed or is touched after the listing.
3. A candidate is renamed into ``tmp/`` (atomic), and its mtime is read again on the renamed
   file. A touch that landed before the rename shows there: the blob is put back. A touch
   after the rename fails, and that ``put`` stores the blob anew. Only then is it unlinked.

A restore points a new version at an old blob without ``put``; it holds the old version's
row locked until it commits (nexus.metadata.history.lock_version), so some committed row
refers to the blob at every moment.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass

from nexus.blobs.store import _TEMP_DIR, LocalBlobStore, StoredFile


@dataclass(frozen=True)
class Removed:
    files: int = 0
    bytes: int = 0


def stale_blobs(store: LocalBlobStore, cutoff: float) -> list[StoredFile]:
    """Blobs not written or touched since ``cutoff`` (seconds since the epoch)."""
    return [blob for blob in store.blobs() if blob.modified_at < cutoff]


def remove_if_stale(store: LocalBlobStore, digest: str, cutoff: float) -> int | None:
    """Delete a blob unless it was touched since ``cutoff``; the bytes freed, or None when
    it stays (touched meanwhile, or already gone)."""
    target = store._path(digest)
    trash = store.root / _TEMP_DIR / f"collected-{digest}-{uuid.uuid4().hex}"
    try:
        os.rename(target, trash)
    except FileNotFoundError:
        return None  # another collector got it first
    status = trash.stat()
    if status.st_mtime >= cutoff:
        # A put touched it before our rename: its writer is about to refer to it.
        os.replace(trash, target)
        return None
    trash.unlink()
    return status.st_size


def remove_stale_temp_files(store: LocalBlobStore, cutoff: float) -> Removed:
    """Delete files in ``tmp/`` older than ``cutoff``: left by a put or a collection that
    died midway (a live put's temp file is seconds old)."""
    files = size = 0
    for found in store.temp_files():
        if found.modified_at >= cutoff:
            continue
        try:
            (store.root / _TEMP_DIR / found.name).unlink()
        except FileNotFoundError:
            continue
        files += 1
        size += found.size
    return Removed(files, size)
