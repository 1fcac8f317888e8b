"""copy(src, dst) on SQLite and PostgreSQL: a new entry owned by the copier, with the
source's content and nothing else (no versions, grants or locks), and the 403/404 rule."""

from __future__ import annotations

import threading

import pytest

from nexus.errors import (
    NexusError,
    NexusFileExistsError,
    NexusFileNotFoundError,
    NexusPermissionError,
    NexusValidationError,
)
from nexus.files import NexusService, Principal
from nexus.files import copy_ops as copy_module
from nexus.metadata.history import list_versions

PROJECT = "/workspace/project"
DOC = f"{PROJECT}/doc.md"


def expect(cls: type[NexusError], code: str, path: str | None = None) -> pytest.RaisesExc:
    return pytest.raises(
        cls, check=lambda e: e.detail_code == code and (path is None or e.path == path)
    )


def grants_on(service: NexusService, who: Principal, path: str) -> set[tuple[str, str]]:
    listed = service.permissions.list(who, object_type="file", object_id=path)
    return {(record.subject_id, record.relation) for record in listed}


def history(service: NexusService, who: Principal, path: str) -> list[tuple[int, str]]:
    return [
        (version.version, version.created_by)
        for version in service.versions.list_versions(who, path).versions
    ]


def test_a_file_copy_is_a_new_file_of_the_copier_with_only_the_content(
    service: NexusService, people: dict[str, Principal]
) -> None:
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    service.files.write(alice, DOC, b"one")
    service.files.write(alice, DOC, b"two")
    service.permissions.grant(alice, "user", "carol", "file", DOC, "can_write")
    service.permissions.grant(alice, "user", "bob", "file", PROJECT, "can_read")
    service.locks.lock(alice, DOC, 600)
    service.files.mkdir(bob, "/workspace/bob")

    copied = service.copies.copy(bob, DOC, "/workspace/bob/doc-copy.md")

    assert (copied["path"], copied["owner"], copied["version"]) == (
        "/workspace/bob/doc-copy.md",
        "bob",
        1,
    )
    source = service.files.stat(alice, DOC)
    assert copied["etag"] == source["etag"] and copied["size"] == 3
    assert service.files.read(bob, "/workspace/bob/doc-copy.md")[0] == b"two"
    assert history(service, bob, "/workspace/bob/doc-copy.md") == [(1, "bob")]
    assert grants_on(service, bob, "/workspace/bob/doc-copy.md") == {("bob", "owner")}
    assert service.locks.info(bob, "/workspace/bob/doc-copy.md").locked is False
    # The copy is bob's alone: carol's grant and alice's lock stayed on the original.
    with pytest.raises(NexusPermissionError):
        service.files.read(carol, "/workspace/bob/doc-copy.md")
    service.files.write(bob, "/workspace/bob/doc-copy.md", b"bob's")
    assert service.files.read(alice, DOC)[0] == b"two"
    assert history(service, alice, DOC) == [(2, "alice"), (1, "alice")]
    assert service.locks.info(alice, DOC).holder == "alice"
    # The activity log names the copy, not the source (its readers need not see that).
    events = service.activity.activity(bob, "/workspace/bob/doc-copy.md").events
    copies = [event for event in events if event.action == "copy"]
    assert [(e.actor, e.path, e.target, e.details) for e in copies] == [
        ("bob", "/workspace/bob/doc-copy.md", None, {"entries": 1})
    ]
    # Same content, one stored blob: nothing was copied byte by byte.
    with service.runtime.db.read() as conn:
        entry = service.runtime.tree.resolve(conn, DOC)[-1]
        kept = list_versions(conn, entry.id)
    assert kept[0].blob_hash == copied["etag"]


def test_a_directory_copy_takes_what_the_caller_sees_and_keeps_restrictions(
    service: NexusService, people: dict[str, Principal]
) -> None:
    alice, bob = people["alice"], people["bob"]
    service.files.write(alice, f"{PROJECT}/a.txt", b"a")
    service.files.write(alice, f"{PROJECT}/sub/b.txt", b"b")
    service.files.mkdir(alice, f"{PROJECT}/sub/empty")
    service.files.write(alice, f"{PROJECT}/closed/secret.txt", b"secret")
    service.files.set_restricted(alice, f"{PROJECT}/closed", True)
    service.permissions.grant(alice, "user", "bob", "file", PROJECT, "can_read")

    copied = service.copies.copy(bob, PROJECT, "/workspace/bob-copy")

    assert (copied["type"], copied["owner"]) == ("directory", "bob")
    listed = {info["path"]: info for info in service.files.list(bob, "/workspace/bob-copy", True)}
    # The restricted folder bob cannot read is left out, as from his recursive listing.
    assert set(listed) == {
        "/workspace/bob-copy/a.txt",
        "/workspace/bob-copy/sub",
        "/workspace/bob-copy/sub/b.txt",
        "/workspace/bob-copy/sub/empty",
    }
    assert {info["owner"] for info in listed.values()} == {"bob"}
    assert service.files.read(bob, "/workspace/bob-copy/sub/b.txt")[0] == b"b"
    assert history(service, bob, "/workspace/bob-copy/sub/b.txt") == [(1, "bob")]

    # Alice sees everything: her copy has the restricted folder, still restricted.
    service.copies.copy(alice, PROJECT, "/workspace/alice-copy")
    closed = service.files.stat(alice, "/workspace/alice-copy/closed")
    assert closed["restricted"] is True
    assert service.files.read(alice, "/workspace/alice-copy/closed/secret.txt")[0] == b"secret"
    service.permissions.grant(alice, "user", "bob", "file", "/workspace/alice-copy", "can_read")
    with pytest.raises(NexusPermissionError):
        service.files.read(bob, "/workspace/alice-copy/closed/secret.txt")
    assert service.files.read(bob, "/workspace/alice-copy/a.txt")[0] == b"a"


def test_copy_refuses_what_it_must(service: NexusService, people: dict[str, Principal]) -> None:
    alice, admin = people["alice"], people["admin"]
    service.files.write(alice, DOC, b"doc")
    service.files.write(alice, f"{PROJECT}/other.md", b"other")

    with expect(NexusFileExistsError, "already_exists", f"{PROJECT}/other.md"):
        service.copies.copy(alice, DOC, f"{PROJECT}/other.md")
    assert service.files.read(alice, f"{PROJECT}/other.md")[0] == b"other"
    with expect(NexusValidationError, "copy_into_itself"):
        service.copies.copy(alice, PROJECT, f"{PROJECT}/inner")
    with expect(NexusValidationError, "copy_into_itself"):
        service.copies.copy(alice, PROJECT, PROJECT)
    with expect(NexusFileNotFoundError, "not_found", f"{PROJECT}/missing.md"):
        service.copies.copy(alice, f"{PROJECT}/missing.md", "/workspace/x.md")
    with expect(NexusValidationError, "namespace_root"):
        service.copies.copy(admin, "/workspace", "/workspace-copy")
    with expect(NexusValidationError, "session_directory"):
        service.copies.copy(admin, PROJECT, "/sessions/fake")
    with expect(NexusValidationError, "not_a_directory"):
        service.copies.copy(alice, f"{PROJECT}/other.md", f"{DOC}/inside.md")
    for bad in ("", "relative/path", "/workspace/../etc", "/workspace/a\x00b"):
        with expect(NexusValidationError, "invalid_path"):
            service.copies.copy(alice, bad, "/workspace/x")
        with expect(NexusValidationError, "invalid_path"):
            service.copies.copy(alice, DOC, bad)
    assert not service.files.exists(alice, "/workspace/x")


def test_the_403_404_rule_for_source_and_destination(
    service: NexusService, people: dict[str, Principal]
) -> None:
    alice, bob = people["alice"], people["bob"]
    service.files.write(alice, DOC, b"doc")
    service.files.mkdir(bob, "/workspace/bob")
    # bob cannot see the project: existing and missing sources answer the same.
    for source in (DOC, f"{PROJECT}/missing.md"):
        with expect(NexusPermissionError, "permission_denied", source):
            service.copies.copy(bob, source, "/workspace/bob/x.md")
    # Seeing the folder but not what is asked for: not found; below that, denied.
    service.files.write(alice, f"{PROJECT}/closed/secret.md", b"secret")
    service.files.set_restricted(alice, f"{PROJECT}/closed", True)
    service.permissions.grant(alice, "user", "bob", "file", PROJECT, "can_read")
    for source in (f"{PROJECT}/closed", f"{PROJECT}/missing.md"):
        with expect(NexusFileNotFoundError, "not_found", source):
            service.copies.copy(bob, source, "/workspace/bob/x")
    for source in (f"{PROJECT}/closed/secret.md", f"{PROJECT}/closed/missing.md"):
        with expect(NexusPermissionError, "permission_denied", source):
            service.copies.copy(bob, source, "/workspace/bob/x")
    assert not service.files.exists(bob, "/workspace/bob/x")
    # Reading is enough to copy; creating at the destination is needed too.
    with expect(NexusPermissionError, "permission_denied", f"{PROJECT}/copy.md"):
        service.copies.copy(bob, DOC, f"{PROJECT}/copy.md")
    assert not service.files.exists(alice, f"{PROJECT}/copy.md")
    assert service.copies.copy(bob, DOC, "/workspace/bob/doc.md")["owner"] == "bob"
    # A destination bob cannot see is denied whether or not something is there.
    service.files.write(alice, "/workspace/alice-only/taken.md", b"x")
    for target in ("/workspace/alice-only/taken.md", "/workspace/alice-only/free.md"):
        with expect(NexusPermissionError, "permission_denied", target):
            service.copies.copy(bob, DOC, target)
    assert not service.files.exists(alice, "/workspace/alice-only/free.md")


def test_a_copy_is_bounded_and_all_or_nothing(
    service: NexusService, people: dict[str, Principal], monkeypatch: pytest.MonkeyPatch
) -> None:
    alice = people["alice"]
    for index in range(5):
        service.files.write(alice, f"{PROJECT}/f{index}.txt", b"x")
    monkeypatch.setattr(copy_module, "MAX_COPY_ENTRIES", 5)
    with expect(NexusValidationError, "copy_too_large", PROJECT):
        service.copies.copy(alice, PROJECT, "/workspace/too-big")
    assert not service.files.exists(alice, "/workspace/too-big")
    monkeypatch.setattr(copy_module, "MAX_COPY_ENTRIES", 6)
    service.copies.copy(alice, PROJECT, "/workspace/fits")
    assert len(service.files.list(alice, "/workspace/fits")) == 5


def test_copies_racing_writes_and_deletes_are_whole(
    service: NexusService, people: dict[str, Principal]
) -> None:
    """Folder copies while the folder's files are rewritten, deleted and recreated: no
    error but the expected ones, and every copied file holds bytes that were written."""
    alice = people["alice"]
    written = {b"start"}
    for index in range(4):
        service.files.write(alice, f"{PROJECT}/f{index}.txt", b"start")
    stop = threading.Event()
    unexpected: list[str] = []

    def churn() -> None:
        round_number = 0
        while not stop.is_set():
            round_number += 1
            data = f"round {round_number}".encode()
            written.add(data)
            target = f"{PROJECT}/f{round_number % 4}.txt"
            try:
                if round_number % 3 == 0:
                    service.files.delete(alice, target)
                service.files.write(alice, target, data)
            except NexusError as error:
                unexpected.append(f"churn: {error!r}")

    churner = threading.Thread(target=churn)
    churner.start()
    try:
        for copy_number in range(15):
            try:
                service.copies.copy(alice, PROJECT, f"/workspace/copy-{copy_number}")
            except NexusError as error:
                unexpected.append(f"copy: {error!r}")
    finally:
        stop.set()
        churner.join()
    assert unexpected == []
    for copy_number in range(15):
        for info in service.files.list(alice, f"/workspace/copy-{copy_number}"):
            content, read_info = service.files.read(alice, info["path"])
            assert content in written and read_info["version"] == 1
