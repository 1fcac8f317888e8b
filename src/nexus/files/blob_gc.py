"""Blob garbage collection: contents no entry and no kept version refers to.

The order of the steps is what keeps writes in flight safe (see nexus.blobs.collector):
the stale blobs are listed first, the database is asked second, and each one is removed
only if it is still untouched.
"""

from __future__ import annotations

from dataclasses import dataclass

from nexus.blobs.collector import remove_if_stale, remove_stale_temp_files, stale_blobs
from nexus.files.runtime import Runtime
from nexus.metadata.history import referenced_digests


@dataclass(frozen=True)
class Collected:
    blobs: int
    bytes: int
    temp_files: int


def collect_blobs(runtime: Runtime, now: float) -> Collected:
    cutoff = now - runtime.settings.blob_grace_seconds
    candidates = [blob.name for blob in stale_blobs(runtime.blobs, cutoff)]
    with runtime.db.read() as conn:
        referenced = referenced_digests(conn, candidates)
    blobs = freed = 0
    for digest in candidates:
        if digest in referenced:
            continue
        size = remove_if_stale(runtime.blobs, digest, cutoff)
        if size is not None:
            blobs += 1
            freed += size
    temp = remove_stale_temp_files(runtime.blobs, cutoff)
    return Collected(blobs=blobs, bytes=freed + temp.bytes, temp_files=temp.files)
