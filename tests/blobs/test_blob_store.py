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
    stored = [p for p in (tmp_path / "blobs").rglob("*") if p.is_file() and p.name != "LAYOUT"]
    assert stored == [tmp_path / "blobs" / first[:2] / first]  # one level: ab/<digest>
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


def _two_level_store(root: Path, contents: list[bytes]) -> list[str]:
    """A store as the two-level layout left it: ab/cd/<digest>, no LAYOUT file."""
    digests = []
    for data in contents:
        digest = hashlib.sha256(data).hexdigest()
        place = root / digest[:2] / digest[2:4]
        place.mkdir(parents=True, exist_ok=True)
        (place / digest).write_bytes(data)
        digests.append(digest)
    (root / "tmp").mkdir(exist_ok=True)
    return digests


def test_a_two_level_store_is_converted_when_opened_for_writing(tmp_path: Path) -> None:
    contents = [f"blob {n}".encode() for n in range(50)]
    digests = _two_level_store(tmp_path, contents)
    checking = LocalBlobStore(tmp_path, create=False)
    assert checking.in_old_layout()  # a read-only open changes nothing
    assert (tmp_path / digests[0][:2] / digests[0][2:4] / digests[0]).exists()
    store = LocalBlobStore(tmp_path)
    assert not store.in_old_layout()
    assert (tmp_path / "LAYOUT").exists()
    for digest, data in zip(digests, contents, strict=True):
        assert store.get(digest) == data
        assert (tmp_path / digest[:2] / digest).exists()
        assert not (tmp_path / digest[:2] / digest[2:4]).exists()  # emptied and removed
    assert sorted(blob.name for blob in store.blobs()) == sorted(digests)
    assert not LocalBlobStore(tmp_path, create=False).in_old_layout()


def test_a_conversion_cut_short_goes_on_at_the_next_open(tmp_path: Path) -> None:
    contents = [f"blob {n}".encode() for n in range(20)]
    digests = _two_level_store(tmp_path, contents)
    for digest in digests[:10]:  # as if a crash stopped the conversion halfway
        (tmp_path / digest[:2] / digest[2:4] / digest).rename(tmp_path / digest[:2] / digest)
    store = LocalBlobStore(tmp_path)
    assert sorted(blob.name for blob in store.blobs()) == sorted(digests)
    assert all(store.get(d) == data for d, data in zip(digests, contents, strict=True))


def test_a_new_store_is_one_level_from_the_start(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "fresh")
    assert (tmp_path / "fresh" / "LAYOUT").read_text().startswith("1:")
    digest = store.put(b"hello")
    assert [blob.name for blob in store.blobs()] == [digest]
