"""A write that is sure to be refused is turned away before its content is stored: a user
without rights cannot fill the disk (or cost fsyncs) with uploads that fail."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from nexus.errors import NexusPermissionError
from nexus.files import NexusService, Principal


def _stored_files(service: NexusService) -> set[Path]:
    root = service.runtime.settings.blob_dir
    return {path for path in root.rglob("*") if path.is_file()}


@pytest.mark.parametrize(
    "target",
    [
        "/workspace/private/plan.md",  # someone else's file
        "/workspace/private/new.md",  # a new file in someone else's folder
        "/workspace/private/deeper/new.md",  # and deeper
    ],
)
def test_a_refused_upload_reads_and_stores_nothing(
    service: NexusService, people: dict[str, Principal], target: str
) -> None:
    alice, bob = people["alice"], people["bob"]
    service.files.write(alice, "/workspace/private/plan.md", b"alice's plan")
    before = _stored_files(service)
    consumed: list[bytes] = []

    def upload() -> Iterator[bytes]:
        for _ in range(64):
            consumed.append(b"x")
            yield b"x" * 1024 * 1024

    with pytest.raises(NexusPermissionError):
        service.files.write(bob, target, upload())
    with pytest.raises(NexusPermissionError):
        service.files.write(bob, target, b"bob was here")
    assert consumed == []  # not one chunk of the body was read
    assert _stored_files(service) == before  # no blob, no temp file
    assert service.files.read(alice, "/workspace/private/plan.md")[0] == b"alice's plan"


def test_allowed_writes_still_go_through_the_early_check(
    service: NexusService, people: dict[str, Principal]
) -> None:
    alice, bob = people["alice"], people["bob"]
    service.files.write(alice, "/workspace/shared/plan.md", b"v1")
    service.permissions.grant(alice, "user", "bob", "file", "/workspace/shared", "can_write")
    assert service.files.write(bob, "/workspace/shared/plan.md", iter([b"v", b"2"]))["version"] == 2
    assert service.files.write(bob, "/workspace/shared/new/notes.md", b"n")["owner"] == "bob"


def test_a_refused_append_stores_nothing(
    service: NexusService, people: dict[str, Principal]
) -> None:
    alice, bob = people["alice"], people["bob"]
    service.files.write(alice, "/workspace/private/log.txt", b"first\n")
    before = _stored_files(service)
    for target in ("/workspace/private/log.txt", "/workspace/private/new-log.txt"):
        with pytest.raises(NexusPermissionError):
            service.files.append(bob, target, b"bob was here\n")
    assert _stored_files(service) == before
    assert service.files.read(alice, "/workspace/private/log.txt")[0] == b"first\n"
