"""Content in chunks through the service, on SQLite and PostgreSQL: streamed writes, the size
limit counted while streaming (nothing stored on refusal), appends that copy the old content
in chunks, and reads of a range of any version."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import replace

import pytest

from nexus.errors import (
    NexusFileNotFoundError,
    NexusPayloadTooLargeError,
    NexusPermissionError,
    NexusValidationError,
)
from nexus.files import NexusService, Principal

PATH = "/workspace/big.bin"


def pieces(count: int, size: int, byte: int = 0x61) -> Iterator[bytes]:
    for index in range(count):
        yield bytes([byte + index % 26]) * size


def temp_files(service: NexusService) -> list[str]:
    return [found.name for found in service.runtime.blobs.temp_files()]


def test_a_streamed_write_stores_the_chunks_in_order(
    service: NexusService, people: dict[str, Principal]
) -> None:
    alice = people["alice"]
    expected = b"".join(pieces(40, 10_000))
    info = service.files.write(alice, PATH, pieces(40, 10_000))
    assert info["size"] == len(expected)
    assert info["etag"] == hashlib.sha256(expected).hexdigest()
    assert service.files.read(alice, PATH)[0] == expected
    # The same content again is deduplicated: one blob, and no temp file left behind.
    assert service.files.write(alice, PATH, iter([expected]))["etag"] == info["etag"]
    assert len(list(service.runtime.blobs.blobs())) == 1
    assert temp_files(service) == []


def test_a_stream_over_the_limit_is_refused_and_nothing_changes(
    service: NexusService, people: dict[str, Principal]
) -> None:
    alice = people["alice"]
    service.runtime.settings = replace(service.runtime.settings, max_file_bytes=100_000)
    service.files.write(alice, PATH, b"old")
    consumed: list[int] = []

    def endless() -> Iterator[bytes]:
        while True:
            consumed.append(1)
            yield b"x" * 30_000

    with pytest.raises(NexusPayloadTooLargeError) as refused:
        service.files.write(alice, PATH, endless())
    assert refused.value.path == PATH
    assert len(consumed) == 4  # refused at the chunk that passed the limit, not later
    assert service.files.read(alice, PATH)[0] == b"old"
    assert service.files.stat(alice, PATH)["version"] == 1
    assert temp_files(service) == []
    # Exactly at the limit is fine.
    assert service.files.write(alice, PATH, pieces(10, 10_000))["size"] == 100_000
    with pytest.raises(NexusPayloadTooLargeError):
        service.files.append(alice, PATH, b"!")
    assert service.files.stat(alice, PATH)["size"] == 100_000


def test_a_failing_stream_stores_nothing(
    service: NexusService, people: dict[str, Principal]
) -> None:
    alice = people["alice"]
    service.files.write(alice, PATH, b"old")

    def broken() -> Iterator[bytes]:
        yield b"partial"
        raise NexusValidationError("the body ended early", code="incomplete_body")

    with pytest.raises(NexusValidationError):
        service.files.write(alice, PATH, broken())
    assert service.files.read(alice, PATH)[0] == b"old"
    assert temp_files(service) == []
    assert len(list(service.runtime.blobs.blobs())) == 1


def test_append_copies_a_large_old_content_in_chunks(
    service: NexusService, people: dict[str, Principal]
) -> None:
    alice = people["alice"]
    old = b"".join(pieces(3, 1024 * 1024))  # spans several of the store's read chunks
    service.files.write(alice, PATH, old)
    info = service.files.append(alice, PATH, b"tail")
    assert info["size"] == len(old) + 4
    assert info["version"] == 2
    assert service.files.read(alice, PATH)[0] == old + b"tail"
    assert service.files.read(alice, PATH, offset=len(old) - 2)[0] == old[-2:] + b"tail"


def test_ranges_of_any_version(service: NexusService, people: dict[str, Principal]) -> None:
    alice = people["alice"]
    service.files.write(alice, PATH, b"0123456789")
    service.files.write(alice, PATH, b"abcdef")
    read = service.files.read
    assert read(alice, PATH, offset=2, length=3)[0] == b"cde"
    assert read(alice, PATH, offset=4)[0] == b"ef"
    assert read(alice, PATH, length=2)[0] == b"ab"
    assert read(alice, PATH, offset=6)[0] == b""
    assert read(alice, PATH, offset=1_000)[0] == b""
    assert read(alice, PATH, offset=5, length=100)[0] == b"f"
    assert read(alice, PATH, length=0)[0] == b""
    content, info = read(alice, PATH, 1, offset=7, length=2)
    assert content == b"78"
    # The info describes the version read, its etag included.
    assert info["version"] == 1
    assert info["size"] == 10
    assert info["etag"] == hashlib.sha256(b"0123456789").hexdigest()


@pytest.mark.parametrize(
    ("offset", "length"), [(-1, None), (None, -1), (True, None), (None, False), ("1", None)]
)
def test_bad_offsets_and_lengths_are_refused(
    service: NexusService,
    people: dict[str, Principal],
    offset: object,
    length: object,
) -> None:
    alice = people["alice"]
    service.files.write(alice, PATH, b"data")
    with pytest.raises(NexusValidationError) as refused:
        service.files.read(alice, PATH, offset=offset, length=length)  # type: ignore[arg-type]
    assert refused.value.detail_code == "invalid_argument"


def test_ranges_follow_the_read_rules(service: NexusService, people: dict[str, Principal]) -> None:
    alice, bob = people["alice"], people["bob"]
    service.files.mkdir(alice, "/workspace/private")
    service.files.write(alice, "/workspace/private/secret", b"secret")
    # A range is refused exactly as the whole file is (the 403/404 rule included).
    with pytest.raises(NexusPermissionError) as whole:
        service.files.read(bob, "/workspace/private/secret")
    with pytest.raises(NexusPermissionError) as part:
        service.files.read(bob, "/workspace/private/secret", offset=0, length=0)
    assert str(part.value) == str(whole.value)
    with pytest.raises(NexusFileNotFoundError):
        service.files.read(alice, "/workspace/private/missing", length=0)
    with pytest.raises(NexusValidationError) as directory:
        service.files.read(alice, "/workspace/private", length=0)
    assert directory.value.detail_code == "is_a_directory"
    # Bob cannot write into it by streaming either; the file keeps its content.
    with pytest.raises(NexusPermissionError):
        service.files.write(bob, "/workspace/private/secret", pieces(2, 10))
    assert service.files.read(alice, "/workspace/private/secret")[0] == b"secret"
