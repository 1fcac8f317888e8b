"""read(path, offset=, length=), streamed writes and read_to, through the embedded client and
over HTTP (which asks with a Range header): the same answers in both."""

from __future__ import annotations

import io
from collections.abc import Iterator

from nexus import NexusPermissionError, NexusValidationError
from nexus.errors import NexusFileNotFoundError
from tests.api.helpers import clients, raises
from tests.support.deployments import Deployment

DOC = "/workspace/ranges/doc.bin"
DIGITS = b"0123456789"


def test_ranges_of_the_current_and_older_versions(team: Deployment) -> None:
    (alice,) = clients(team, "alice")
    alice.write(DOC, DIGITS)
    alice.write(DOC, b"abcdef")
    assert alice.read(DOC, offset=2, length=3) == b"cde"
    assert alice.read(DOC, offset=4) == b"ef"
    assert alice.read(DOC, length=2) == b"ab"
    assert alice.read(DOC, offset=0) == b"abcdef"
    assert alice.read(DOC, offset=5, length=100) == b"f"
    # A length past any file size means "the rest" (it was an empty answer over HTTP: a
    # Range end of 31 digits was refused as malformed).
    assert alice.read(DOC, offset=2, length=10**30) == b"cdef"
    assert alice.read(DOC, length=10**30) == b"abcdef"
    # Like a file's seek + read: from the end on there is nothing, not an error.
    assert alice.read(DOC, offset=6) == b""
    assert alice.read(DOC, offset=6, length=3) == b""
    assert alice.read(DOC, offset=10**12) == b""
    assert alice.read(DOC, length=0) == b""
    assert alice.read(DOC, offset=3, length=0) == b""
    assert alice.read(DOC, version=1, offset=7) == b"789"
    assert alice.read(DOC, version=1, offset=8, length=1) == b"8"
    assert alice.read(DOC, version=1, offset=10) == b""
    with raises(NexusValidationError, "unknown_version"):
        alice.read(DOC, version=3, offset=0, length=1)
    alice.write(DOC, b"")  # an empty file has no byte to start from
    assert alice.read(DOC, offset=0) == b""
    assert alice.read(DOC, length=5) == b""
    assert alice.read(DOC, length=0) == b""


BAD_POSITIONS = [(-1, None), (None, -1), (True, None), (None, False), ("2", None), (1.5, None)]


def test_bad_arguments_are_refused_and_write_nothing(team: Deployment) -> None:
    (alice,) = clients(team, "alice")
    alice.write(DOC, b"kept")
    for offset, length in BAD_POSITIONS:
        with raises(NexusValidationError, "invalid_argument"):
            alice.read(DOC, offset=offset, length=length)  # type: ignore[arg-type]
    # Content is checked as it streams: a bad chunk ends the upload, nothing is written.
    for bad in (io.StringIO("text"), iter(["text"]), [b"ok", 3], {"a": b"b"}, 42):
        with raises(NexusValidationError, "invalid_argument"):
            alice.write(DOC, bad)  # type: ignore[arg-type]
    assert alice.read(DOC) == b"kept"
    assert alice.stat(DOC)["version"] == 1


def test_ranges_follow_the_read_rules(team: Deployment) -> None:
    alice, bob = clients(team, "alice", "bob")
    alice.mkdir("/workspace/private")
    alice.write("/workspace/private/secret", b"secret")
    with raises(NexusPermissionError):
        bob.read("/workspace/private/secret", offset=1, length=2)
    with raises(NexusPermissionError):
        bob.read("/workspace/private/secret", length=0)
    with raises(NexusPermissionError):
        bob.read_to("/workspace/private/secret", io.BytesIO())
    with raises(NexusFileNotFoundError):
        alice.read("/workspace/private/missing", offset=0, length=0)
    with raises(NexusValidationError, "is_a_directory"):
        alice.read("/workspace/private", offset=0, length=1)
    with raises(NexusValidationError, "is_a_directory"):
        alice.read_to("/workspace/private", io.BytesIO())
    # Nor can bob stream over it; the file keeps its content.
    with raises(NexusPermissionError):
        bob.write("/workspace/private/secret", iter([b"not", b" yours"]))
    assert alice.read("/workspace/private/secret") == b"secret"


def chunks(count: int) -> Iterator[bytes]:
    for index in range(count):
        yield bytes([65 + index % 26]) * 100_000


def test_streamed_writes_and_read_to(team: Deployment) -> None:
    (alice,) = clients(team, "alice")
    expected = b"".join(chunks(30))
    assert alice.write(DOC, chunks(30))["size"] == len(expected)
    assert alice.read(DOC) == expected
    assert alice.write(DOC, io.BytesIO(DIGITS))["version"] == 2
    assert alice.write(DOC, [b"ab", bytearray(b"cd"), memoryview(b"ef")])["size"] == 6
    assert alice.read(DOC) == b"abcdef"

    into = io.BytesIO()
    assert alice.read_to(DOC, into) == 6
    assert into.getvalue() == b"abcdef"
    into = io.BytesIO()
    assert alice.read_to(DOC, into, version=1) == len(expected)
    assert into.getvalue() == expected
