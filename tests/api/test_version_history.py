"""list_versions, restore_version and collect_garbage through both clients (real HTTP to a
real server process, and embedded): same answers, same errors."""

from __future__ import annotations

import hashlib

import httpx
import pytest

from nexus import NexusConflictError, NexusValidationError
from nexus.api.models import API_PREFIX
from nexus.errors import NexusFileNotFoundError, NexusPermissionError
from tests.api.helpers import clients, grant, raises
from tests.support.deployments import Deployment

DOC = "/workspace/project/doc.md"
VERSION_KEYS = {"version", "size", "etag", "created", "created_by", "current"}


def test_list_and_restore(team: Deployment) -> None:
    alice, bob = clients(team, "alice", "bob")
    alice.write(DOC, b"one")
    alice.write(DOC, b"two")
    grant(alice, "bob", DOC, "can_write")
    bob.write(DOC, b"three")

    listed = bob.list_versions(DOC)
    assert [set(v) for v in listed] == [VERSION_KEYS] * 3
    assert [(v["version"], v["created_by"], v["current"]) for v in listed] == [
        (3, "bob", True),
        (2, "alice", False),
        (1, "alice", False),
    ]
    assert listed[2]["etag"] == hashlib.sha256(b"one").hexdigest()
    assert listed[2]["size"] == 3

    restored = bob.restore_version(DOC, 1)
    assert restored["version"] == 4 and restored["path"] == DOC
    assert restored["etag"] == hashlib.sha256(b"one").hexdigest()
    assert alice.read(DOC) == b"one"
    assert [v["version"] for v in alice.list_versions(DOC)] == [4, 3, 2, 1]
    assert alice.read(DOC, version=3) == b"three"

    with raises(NexusConflictError, "version_conflict"):
        alice.restore_version(DOC, 2, if_version=3)
    assert alice.restore_version(DOC, 2, if_version=4)["version"] == 5

    # Versions follow a rename; a new file at the old path has its own history.
    alice.move(DOC, "/workspace/project/renamed.md")
    assert [v["version"] for v in alice.list_versions("/workspace/project/renamed.md")] == [
        5,
        4,
        3,
        2,
        1,
    ]
    alice.write(DOC, b"new file")
    assert [v["version"] for v in alice.list_versions(DOC)] == [1]


def test_bad_input(team: Deployment) -> None:
    (alice,) = clients(team, "alice")
    alice.write(DOC, b"one")
    for bad in (0, -1, "x", "1", 1.5, True, None):
        with raises(NexusValidationError, "invalid_argument"):
            alice.restore_version(DOC, bad)  # type: ignore[arg-type]
    for huge in (2**31, 10**30):
        with raises(NexusValidationError, "invalid_version"):
            alice.restore_version(DOC, huge)
    with raises(NexusValidationError, "unknown_version"):
        alice.restore_version(DOC, 2)
    with raises(NexusValidationError, "invalid_argument"):
        alice.restore_version(DOC, 1, if_version=-1)
    alice.mkdir("/workspace/project/folder")
    with raises(NexusValidationError, "is_a_directory"):
        alice.list_versions("/workspace/project/folder")
    with raises(NexusValidationError, "is_a_directory"):
        alice.restore_version("/workspace/project/folder", 1)
    with raises(NexusValidationError, "invalid_path"):
        alice.list_versions("relative/path")
    with raises(NexusFileNotFoundError):
        alice.list_versions("/workspace/project/missing.md")
    assert [v["version"] for v in alice.list_versions(DOC)] == [1]


def test_other_users_paths(team: Deployment) -> None:
    alice, bob, carol = clients(team, "alice", "bob", "carol")
    alice.write(DOC, b"one")
    alice.write(DOC, b"two")
    grant(alice, "bob", "/workspace/project", "can_read")
    # Carol sees nothing of the project: 403 whether or not the file exists.
    for path in (DOC, "/workspace/project/missing.md"):
        with raises(NexusPermissionError):
            carol.list_versions(path)
        with raises(NexusPermissionError):
            carol.restore_version(path, 1)
    # Bob reads: he may list, not restore; a missing file next to it is "not found".
    assert [v["version"] for v in bob.list_versions(DOC)] == [2, 1]
    with raises(NexusPermissionError):
        bob.restore_version(DOC, 1)
    with raises(NexusFileNotFoundError):
        bob.list_versions("/workspace/project/missing.md")
    assert alice.read(DOC) == b"two"


def test_collect_garbage_is_for_admins(team: Deployment) -> None:
    alice, admin = clients(team, "alice", "admin")
    alice.write(DOC, b"one")
    alice.delete(DOC)
    with raises(NexusPermissionError):
        alice.collect_garbage()
    swept = admin.collect_garbage()
    assert set(swept) == {"versions_removed", "blobs_removed", "bytes_freed", "temp_files_removed"}
    # The deleted file's blob is within the grace period: it stays for now.
    assert swept["blobs_removed"] == 0
    assert team.system().collect_garbage()["blobs_removed"] == 0


def test_raw_http_bad_bodies(team: Deployment) -> None:
    """What a client that skips our argument checks gets: 400s with stable codes."""
    if team.server is None:
        pytest.skip("HTTP only")
    (alice,) = clients(team, "alice")
    alice.write(DOC, b"one")
    headers = {"Authorization": f"Bearer {team.keys['alice']}"}
    url = f"{team.server.url}{API_PREFIX}/files/restore"
    for body in (
        {"path": DOC, "version": "1"},
        {"path": DOC, "version": "x"},
        {"path": DOC, "version": 1.5},
        {"path": DOC, "version": True},
        {"path": DOC},
        {"path": DOC, "version": 1, "extra": 1},
    ):
        response = httpx.post(url, json=body, headers=headers)
        assert response.status_code == 400, body
        assert response.json()["error"]["code"] == "invalid_argument"
    for version, reason in ((0, "invalid_version"), (10**30, "invalid_version")):
        response = httpx.post(url, json={"path": DOC, "version": version}, headers=headers)
        assert response.status_code == 400
        assert response.json()["error"]["reason"] == reason
    response = httpx.get(f"{team.server.url}{API_PREFIX}/files/versions", headers=headers)
    assert response.status_code == 400
    assert [v["version"] for v in alice.list_versions(DOC)] == [1]
