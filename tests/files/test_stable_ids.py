"""Stable ids on SQLite and PostgreSQL: renaming a folder carries the grants, versions and
locks of everything below it; deleting a folder recursively and recreating the same paths
inherits none of them. (Single files: tests/api/test_files.py, test_locks.py and
tests/files/test_version_history.py.)"""

from __future__ import annotations

import pytest

from nexus.errors import NexusLockedError, NexusPermissionError
from nexus.files import NexusService, Principal

PROJECT = "/workspace/project"


def kept_versions(service: NexusService, who: Principal, path: str) -> list[int]:
    return [v.version for v in service.versions.list_versions(who, path).versions]


def grants_on(service: NexusService, who: Principal, path: str) -> set[tuple[str, str]]:
    listed = service.permissions.list(who, object_type="file", object_id=path)
    return {(record.subject_id, record.relation) for record in listed}


def populate(service: NexusService, alice: Principal, folder: str) -> None:
    """A file with two versions, carol's grant on it and alice's lock, in a subfolder
    bob may read."""
    service.files.write(alice, f"{folder}/docs/spec.md", b"one")
    service.files.write(alice, f"{folder}/docs/spec.md", b"two")
    service.permissions.grant(alice, "user", "bob", "file", f"{folder}/docs", "can_read")
    service.permissions.grant(alice, "user", "carol", "file", f"{folder}/docs/spec.md", "can_write")
    service.locks.lock(alice, f"{folder}/docs/spec.md", 600)


def test_a_folder_rename_carries_grants_versions_and_locks_below_it(
    service: NexusService, people: dict[str, Principal]
) -> None:
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    populate(service, alice, PROJECT)
    service.files.move(alice, PROJECT, "/workspace/renamed")
    spec = "/workspace/renamed/docs/spec.md"
    assert service.files.read(bob, spec)[0] == b"two"
    assert kept_versions(service, alice, spec) == [2, 1]
    assert ("carol", "can_write") in grants_on(service, alice, spec)
    assert ("bob", "can_read") in grants_on(service, alice, "/workspace/renamed/docs")
    assert service.locks.info(carol, spec).holder == "alice"
    with pytest.raises(NexusLockedError):
        service.files.write(carol, spec, b"carol")
    # Nothing stayed behind at the old paths.
    assert not service.files.exists(alice, f"{PROJECT}/docs/spec.md")


def test_a_recursively_deleted_folder_recreated_inherits_nothing(
    service: NexusService, people: dict[str, Principal]
) -> None:
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    populate(service, alice, PROJECT)
    # alice's own lock does not stop alice: the folder goes with everything below it.
    service.files.delete(alice, PROJECT, recursive=True)
    spec = f"{PROJECT}/docs/spec.md"
    service.files.write(alice, spec, b"new")
    assert kept_versions(service, alice, spec) == [1]
    assert grants_on(service, alice, spec) == {("alice", "owner")}
    assert grants_on(service, alice, f"{PROJECT}/docs") == {("alice", "owner")}
    assert service.locks.info(alice, spec).locked is False
    for reader in (bob, carol):
        with pytest.raises(NexusPermissionError):
            service.files.read(reader, spec)
    with pytest.raises(NexusPermissionError):
        service.files.write(carol, spec, b"carol")
