"""Versions, read_with_metadata and conditional writes (if_version, if_none_match)."""

from __future__ import annotations

import hashlib
import threading
from datetime import datetime

from nexus import (
    NexusConflictError,
    NexusError,
    NexusFileExistsError,
    NexusValidationError,
)
from tests.api.helpers import clients, raises
from tests.support.deployments import Deployment

DOC = "/workspace/project/doc.md"
# NexusClient.read_with_metadata documents exactly these metadata keys.
METADATA_KEYS = {"version", "etag", "size", "modified", "owner", "path", "created", "type"}


def test_versions_and_conditional_writes(team: Deployment) -> None:
    alice, bob = clients(team, "alice", "bob")

    assert alice.write(DOC, b"one")["version"] == 1
    assert alice.write(DOC, b"two")["version"] == 2
    assert alice.append(DOC, b"+three")["version"] == 3
    assert alice.stat(DOC)["version"] == 3

    assert alice.read(DOC) == b"two+three"
    assert alice.read(DOC, version=1) == b"one"
    assert alice.read(DOC, version=2) == b"two"
    assert alice.read(DOC, version=3) == b"two+three"
    with raises(NexusValidationError, "unknown_version"):
        alice.read(DOC, version=4)

    current = alice.read_with_metadata(DOC)
    assert current["content"] == b"two+three"
    meta = current["metadata"]
    assert set(meta) == METADATA_KEYS
    assert meta["version"] == 3
    assert meta["size"] == len(b"two+three")
    assert meta["owner"] == "alice"
    assert meta["etag"] == hashlib.sha256(b"two+three").hexdigest()
    assert meta["path"] == DOC
    assert meta["type"] == "file"
    datetime.fromisoformat(meta["modified"])
    datetime.fromisoformat(meta["created"])
    assert meta["modified"] >= meta["created"]

    # The etag follows the content: the same bytes give the same etag.
    assert alice.write(DOC, b"one")["etag"] == hashlib.sha256(b"one").hexdigest()
    assert alice.read_with_metadata(DOC)["metadata"]["version"] == 4

    # Conditional writes: if_version is a compare-and-swap.
    plan = "/workspace/project/plan.md"
    alice.write(plan, b"base")
    alice.grant_permission("user", "bob", "file", plan, "can_write")

    # The tutorial's optimistic update: read the version, write only if it is unchanged.
    version = alice.read_with_metadata(plan)["metadata"]["version"]
    assert alice.write(plan, b"alice's edit", if_version=version)["version"] == 2

    # Bob still holds version 1: his write loses and changes nothing.
    with raises(NexusConflictError, "version_conflict"):
        bob.write(plan, b"bob's edit", if_version=version)
    assert alice.read(plan) == b"alice's edit"
    assert alice.stat(plan)["version"] == 2
    with raises(NexusConflictError, "version_conflict"):
        alice.write(plan, b"from the future", if_version=7)
    assert alice.stat(plan)["version"] == 2

    assert bob.write(plan, b"bob's edit", if_version=2)["version"] == 3
    assert alice.read(plan) == b"bob's edit"

    # if_none_match: only where nothing exists yet.
    lock = "/workspace/project/design-doc.md.lock"
    assert alice.write(lock, b"alice", if_none_match=True)["version"] == 1
    with raises(NexusFileExistsError, "already_exists"):
        alice.write(lock, b"bob", if_none_match=True)
    assert alice.read(lock) == b"alice"
    assert alice.stat(lock)["version"] == 1
    alice.mkdir("/workspace/project/folder")
    with raises(NexusFileExistsError, "already_exists"):
        alice.write("/workspace/project/folder", b"x", if_none_match=True)
    assert alice.stat("/workspace/project/folder")["type"] == "directory"


def test_concurrent_conditional_writes_and_appends(team: Deployment) -> None:
    """Exactly one of several writers holding the same version wins; appends never get lost."""
    alice, bob = clients(team, "alice", "bob")
    alice.write(DOC, b"base")
    alice.grant_permission("user", "bob", "file", "/workspace/project", "can_write")
    writers = [alice, bob] * 3
    outcomes: list[str] = []
    barrier = threading.Barrier(len(writers))

    def conditional(index: int) -> None:
        barrier.wait()
        try:
            writers[index].write(DOC, f"writer {index}".encode(), if_version=1)
            outcomes.append("won")
        except NexusConflictError:
            outcomes.append("conflict")
        except NexusError as exc:  # anything else is a failure of the compare-and-swap
            outcomes.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=conditional, args=(i,)) for i in range(len(writers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["conflict"] * (len(writers) - 1) + ["won"]
    assert alice.stat(DOC)["version"] == 2

    log = "/workspace/project/log.txt"
    alice.write(log, b"")
    lines = [f"line {i}\n".encode() for i in range(len(writers))]
    errors: list[str] = []

    def append(index: int) -> None:
        barrier.wait()
        try:
            writers[index].append(log, lines[index])
        except NexusError as exc:
            errors.append(f"{type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=append, args=(i,)) for i in range(len(writers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    content = alice.read(log)
    assert sorted(content.splitlines(keepends=True)) == sorted(lines)
    assert alice.stat(log)["version"] == 1 + len(writers)
