"""Versions at the service level, on SQLite and PostgreSQL: listing, restoring, stable ids,
retention by count and by age, and blob garbage collection."""

from __future__ import annotations

import os
import time
from dataclasses import replace

import pytest
from sqlalchemy import update

from nexus.blobs.collector import remove_if_stale
from nexus.blobs.store import digest_of
from nexus.db.tables import versions
from nexus.errors import (
    NexusConflictError,
    NexusFileNotFoundError,
    NexusPermissionError,
    NexusValidationError,
)
from nexus.files import NexusService, Principal
from nexus.files.retention import DAY_SECONDS

DOC = "/workspace/doc.txt"
HOUR = 3600.0
HOUR_INT = 3600


def write_versions(service: NexusService, who: Principal, path: str, count: int) -> None:
    for number in range(1, count + 1):
        service.files.write(who, path, f"content {number}".encode())


def numbers(service: NexusService, who: Principal, path: str) -> list[int]:
    return [v.version for v in service.versions.list_versions(who, path).versions]


def settings(service: NexusService, **changes: int) -> None:
    service.runtime.settings = replace(service.runtime.settings, **changes)  # type: ignore[arg-type]


def backdate_versions(service: NexusService, seconds: float) -> None:
    """Make every version look written ``seconds`` earlier (the database holds the times)."""
    with service.runtime.db.write() as conn:
        conn.execute(update(versions).values(created_at=versions.c.created_at - seconds))


def backdate_blob(service: NexusService, digest: str, seconds: float) -> None:
    path = service.runtime.blobs._path(digest)
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_list_versions_newest_first_with_authors(
    service: NexusService, people: dict[str, Principal]
) -> None:
    alice, bob = people["alice"], people["bob"]
    service.files.write(alice, DOC, b"one")
    service.permissions.grant(alice, "user", "bob", "file", DOC, "can_write")
    service.files.write(bob, DOC, b"two!")
    listing = service.versions.list_versions(bob, DOC)
    assert listing.path == DOC
    assert [(v.version, v.size, v.created_by, v.current) for v in listing.versions] == [
        (2, 4, "bob", True),
        (1, 3, "alice", False),
    ]
    assert listing.versions[0].etag == digest_of(b"two!")
    assert listing.versions[1].etag == digest_of(b"one")
    assert listing.versions[0].created >= listing.versions[1].created


def test_restore_makes_a_new_version_and_keeps_history(
    service: NexusService, people: dict[str, Principal]
) -> None:
    alice = people["alice"]
    write_versions(service, alice, DOC, 3)
    info = service.versions.restore_version(alice, DOC, 1)
    assert info["version"] == 4
    assert info["etag"] == digest_of(b"content 1")
    assert service.files.read(alice, DOC)[0] == b"content 1"
    assert numbers(service, alice, DOC) == [4, 3, 2, 1]
    for number in (1, 2, 3):
        assert service.files.read(alice, DOC, number)[0] == f"content {number}".encode()
    # Restoring the current version is a plain new version with the same content.
    assert service.versions.restore_version(alice, DOC, 4)["version"] == 5
    # The same conditions as a write.
    with pytest.raises(NexusConflictError):
        service.versions.restore_version(alice, DOC, 2, if_version=4)
    assert service.versions.restore_version(alice, DOC, 2, if_version=5)["version"] == 6
    assert service.files.read(alice, DOC)[0] == b"content 2"


@pytest.mark.parametrize("bad", [0, -1, 2**31, 10**30, "1", 1.0, True, None])
def test_bad_version_numbers(
    service: NexusService, people: dict[str, Principal], bad: object
) -> None:
    alice = people["alice"]
    write_versions(service, alice, DOC, 2)
    with pytest.raises(NexusValidationError) as info:
        service.versions.restore_version(alice, DOC, bad)  # type: ignore[arg-type]
    assert info.value.detail_code == "invalid_version"
    assert numbers(service, alice, DOC) == [2, 1]


def test_unknown_version_and_directories(
    service: NexusService, people: dict[str, Principal]
) -> None:
    alice = people["alice"]
    write_versions(service, alice, DOC, 2)
    with pytest.raises(NexusValidationError) as info:
        service.versions.restore_version(alice, DOC, 3)
    assert info.value.detail_code == "unknown_version"
    service.files.mkdir(alice, "/workspace/folder")
    for call in (
        lambda: service.versions.list_versions(alice, "/workspace/folder"),
        lambda: service.versions.restore_version(alice, "/workspace/folder", 1),
        lambda: service.versions.list_versions(alice, "/workspace"),
    ):
        with pytest.raises(NexusValidationError) as info:
            call()
        assert info.value.detail_code == "is_a_directory"
    assert numbers(service, alice, DOC) == [2, 1]


def test_the_403_404_rule(service: NexusService, people: dict[str, Principal]) -> None:
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    service.files.write(alice, "/workspace/project/secret.txt", b"v1")
    service.files.write(alice, "/workspace/project/shared.txt", b"v1")
    service.permissions.grant(alice, "user", "bob", "file", "/workspace/project", "can_read")
    # Bob sees the folder: a hidden or missing file there is "not found".
    service.permissions.grant(
        alice, "user", "carol", "file", "/workspace/project/shared.txt", "can_read"
    )
    # Carol does not see the folder: anything in it is "permission denied", existing or not.
    for path in ("/workspace/project/secret.txt", "/workspace/project/missing.txt"):
        with pytest.raises(NexusPermissionError):
            service.versions.list_versions(carol, path)
        with pytest.raises(NexusPermissionError):
            service.versions.restore_version(carol, path, 1)
    with pytest.raises(NexusFileNotFoundError):
        service.versions.list_versions(bob, "/workspace/project/missing.txt")
    # Readers may list but not restore; the refusal changes nothing.
    assert numbers(service, carol, "/workspace/project/shared.txt") == [1]
    assert numbers(service, bob, "/workspace/project/secret.txt") == [1]
    with pytest.raises(NexusPermissionError):
        service.versions.restore_version(bob, "/workspace/project/secret.txt", 1)
    with pytest.raises(NexusPermissionError):
        service.versions.restore_version(carol, "/workspace/project/shared.txt", 1)
    assert numbers(service, alice, "/workspace/project/shared.txt") == [1]


def test_versions_follow_renames_and_a_recreated_path_starts_empty(
    service: NexusService, people: dict[str, Principal]
) -> None:
    alice = people["alice"]
    write_versions(service, alice, DOC, 3)
    service.files.move(alice, DOC, "/workspace/renamed.txt")
    assert numbers(service, alice, "/workspace/renamed.txt") == [3, 2, 1]
    assert service.files.read(alice, "/workspace/renamed.txt", 1)[0] == b"content 1"
    service.versions.restore_version(alice, "/workspace/renamed.txt", 2)
    assert numbers(service, alice, "/workspace/renamed.txt") == [4, 3, 2, 1]
    # A new file at the old path starts with no history.
    service.files.write(alice, DOC, b"fresh")
    assert numbers(service, alice, DOC) == [1]
    # Deleting and recreating: the old history is gone with the old id.
    service.files.delete(alice, "/workspace/renamed.txt")
    service.files.write(alice, "/workspace/renamed.txt", b"again")
    assert numbers(service, alice, "/workspace/renamed.txt") == [1]
    with pytest.raises(NexusValidationError) as info:
        service.versions.restore_version(alice, "/workspace/renamed.txt", 2)
    assert info.value.detail_code == "unknown_version"


def test_retention_by_count_keeps_the_last_n(
    service: NexusService, people: dict[str, Principal]
) -> None:
    alice = people["alice"]
    settings(service, version_keep_last=3, version_keep_days=0)
    write_versions(service, alice, DOC, 5)
    write_versions(service, alice, "/workspace/short.txt", 2)
    swept = service.maintenance.collect_garbage(people["admin"])
    assert swept.versions_removed == 2
    assert numbers(service, alice, DOC) == [5, 4, 3]
    assert numbers(service, alice, "/workspace/short.txt") == [2, 1]
    with pytest.raises(NexusValidationError) as info:
        service.files.read(alice, DOC, 1)
    assert info.value.detail_code == "unknown_version"
    # keep_last=1: only the current version stays.
    settings(service, version_keep_last=1)
    service.maintenance.sweep()
    assert numbers(service, alice, DOC) == [5]
    assert service.files.read(alice, DOC)[0] == b"content 5"


def test_retention_by_age_counts_from_the_replacing_write(
    service: NexusService, people: dict[str, Principal]
) -> None:
    alice = people["alice"]
    settings(service, version_keep_last=0, version_keep_days=30)
    write_versions(service, alice, DOC, 2)  # v1 replaced by v2 "40 days ago"
    service.files.write(alice, "/workspace/old.txt", b"only")
    backdate_versions(service, 40 * DAY_SECONDS)
    service.files.write(alice, DOC, b"content 3")  # v2 replaced just now
    swept = service.maintenance.sweep()
    assert swept.versions_removed == 1
    assert numbers(service, alice, DOC) == [3, 2]
    # The current version stays however old it is.
    assert numbers(service, alice, "/workspace/old.txt") == [1]
    # With both rules, each is a limit: whichever drops a version first.
    settings(service, version_keep_last=1, version_keep_days=30)
    service.maintenance.sweep()
    assert numbers(service, alice, DOC) == [3]


def test_no_retention_keeps_everything(service: NexusService, people: dict[str, Principal]) -> None:
    alice = people["alice"]
    settings(service, version_keep_last=0, version_keep_days=0)
    write_versions(service, alice, DOC, 4)
    backdate_versions(service, 1000 * DAY_SECONDS)
    assert service.maintenance.sweep().versions_removed == 0
    assert numbers(service, alice, DOC) == [4, 3, 2, 1]


def test_gc_removes_only_old_unreferenced_blobs(
    service: NexusService, people: dict[str, Principal]
) -> None:
    alice = people["alice"]
    blobs = service.runtime.blobs
    settings(service, version_keep_last=2, version_keep_days=0)
    write_versions(service, alice, DOC, 3)  # version 1 goes by retention
    # The same content in two files: deleting one must not free it.
    service.files.write(alice, "/workspace/a.txt", b"shared")
    service.files.write(alice, "/workspace/b.txt", b"shared")
    service.files.delete(alice, "/workspace/a.txt")
    service.files.write(alice, "/workspace/gone.txt", b"deleted file")
    service.files.delete(alice, "/workspace/gone.txt")
    # A write in flight: its blob is stored, its metadata not committed yet.
    in_flight = blobs.put(b"not yet referenced")
    old_orphan = blobs.put(b"orphan from long ago")
    for data in (b"content 1", b"content 2", b"content 3", b"shared", b"deleted file"):
        backdate_blob(service, digest_of(data), 2 * HOUR)
    backdate_blob(service, old_orphan, 2 * HOUR)
    leftover = blobs.root / "tmp" / "tmpleftover"
    leftover.write_bytes(b"half a put")
    then = time.time() - 2 * HOUR
    os.utime(leftover, (then, then))
    fresh_temp = blobs.root / "tmp" / "tmpfresh"
    fresh_temp.write_bytes(b"a put in progress")

    swept = service.maintenance.collect_garbage(people["admin"])

    assert swept.versions_removed == 1
    assert swept.blobs_removed == 3  # content 1, the deleted file, the old orphan
    assert swept.temp_files_removed == 1
    assert swept.bytes_freed == len(b"content 1") + len(b"deleted file") + len(
        b"orphan from long ago"
    ) + len(b"half a put")
    for gone in (b"content 1", b"deleted file", b"orphan from long ago"):
        assert not blobs.exists(digest_of(gone))
    for kept in (b"content 2", b"content 3", b"shared"):
        assert blobs.exists(digest_of(kept))
    assert blobs.exists(in_flight)
    assert not leftover.exists() and fresh_temp.exists()
    assert service.files.read(alice, DOC, 2)[0] == b"content 2"
    assert service.files.read(alice, "/workspace/b.txt")[0] == b"shared"
    # Nothing more to do on a second run.
    again = service.maintenance.sweep()
    assert (again.versions_removed, again.blobs_removed, again.temp_files_removed) == (0, 0, 0)


def test_writing_old_content_again_refreshes_its_blob(
    service: NexusService, people: dict[str, Principal]
) -> None:
    """Deduplicated content: a put of bytes whose blob is old and unreferenced makes it
    fresh, so a collection racing the write's commit leaves it alone."""
    alice = people["alice"]
    blobs = service.runtime.blobs
    service.files.write(alice, DOC, b"recycled")
    service.files.delete(alice, DOC)
    digest = digest_of(b"recycled")
    backdate_blob(service, digest, 2 * HOUR)
    assert blobs.put(b"recycled") == digest  # the write's first step, before its commit
    assert service.maintenance.sweep().blobs_removed == 0
    assert blobs.exists(digest)


def test_a_blob_touched_after_the_listing_is_put_back(
    service: NexusService, people: dict[str, Principal]
) -> None:
    """The collector's last check: a put that touched the blob after it was listed as stale
    (but before its removal) wins."""
    blobs = service.runtime.blobs
    digest = blobs.put(b"late writer")
    cutoff = time.time() - HOUR
    assert remove_if_stale(blobs, digest, cutoff) is None  # fresh: put back
    assert blobs.get(digest) == b"late writer"
    backdate_blob(service, digest, 2 * HOUR)
    assert remove_if_stale(blobs, digest, cutoff) == len(b"late writer")
    assert not blobs.exists(digest)
    assert remove_if_stale(blobs, digest, cutoff) is None  # already gone
    assert list(blobs.temp_files()) == []


def test_gc_is_for_admins(service: NexusService, people: dict[str, Principal]) -> None:
    with pytest.raises(NexusPermissionError):
        service.maintenance.collect_garbage(people["alice"])


def test_sweep_if_due_waits_for_the_interval(
    service: NexusService, people: dict[str, Principal]
) -> None:
    settings(service, version_keep_last=1, version_keep_days=0, storage_sweep_seconds=HOUR_INT)
    write_versions(service, people["alice"], DOC, 2)
    first = service.maintenance.sweep_if_due()
    assert first is not None and first.versions_removed == 1
    service.files.write(people["alice"], DOC, b"more")
    assert service.maintenance.sweep_if_due() is None  # not due for another hour
    assert numbers(service, people["alice"], DOC) == [3, 2]


def test_a_version_collected_during_a_read_is_a_conflict_not_a_crash(
    service: NexusService, people: dict[str, Principal]
) -> None:
    # The window: the read's snapshot still names a blob that retention and the collector
    # removed before the bytes were fetched. Simulated by removing the blob outright.
    alice = people["alice"]
    service.files.write(alice, "/workspace/a/doc.txt", b"old")
    service.files.write(alice, "/workspace/a/doc.txt", b"new")
    service.runtime.blobs.delete(digest_of(b"old"))
    with pytest.raises(NexusConflictError) as caught:
        service.files.read(alice, "/workspace/a/doc.txt", version=1)
    assert caught.value.detail_code == "changed_during_read"
    assert service.files.read(alice, "/workspace/a/doc.txt")[0] == b"new"
