"""Content-addressed blobs: stored once, complete or absent."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from nexus.blobs import LocalBlobStore


def test_round_trip_and_deduplication(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    first = store.put(b"hello")
    second = store.put(b"hello")
    assert first == second == hashlib.sha256(b"hello").hexdigest()
    assert store.get(first) == b"hello"
    stored = [p for p in (tmp_path / "blobs").rglob("*") if p.is_file()]
    assert len(stored) == 1
    assert not list((tmp_path / "blobs" / "tmp").iterdir())


def test_delete_and_exists(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path)
    digest = store.put(b"x")
    assert store.exists(digest)
    store.delete(digest)
    assert not store.exists(digest)
    store.delete(digest)  # deleting twice is harmless


@pytest.mark.parametrize("bad", ["../../etc/passwd", "ab", "Z" * 64])
def test_digests_cannot_escape_the_store(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ValueError):
        LocalBlobStore(tmp_path).get(bad)
