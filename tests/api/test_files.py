"""Files and directories: write, read, stat, list, append, delete, move; the creator owns."""

from __future__ import annotations

from nexus import (
    NexusFileExistsError,
    NexusFileNotFoundError,
    NexusPermissionError,
    NexusValidationError,
)
from tests.api.helpers import check, clients, grant, paths, raises
from tests.support.deployments import Deployment

PROJECT = "/workspace/team-project"


def test_write_read_stat_list_and_the_creator_owns(team: Deployment) -> None:
    alice, bob = clients(team, "alice", "bob")

    made = alice.mkdir(PROJECT)
    assert (made["path"], made["type"], made["owner"]) == (PROJECT, "directory", "alice")

    info = alice.write(f"{PROJECT}/README.md", b"# Team Project\n")
    assert info["path"] == f"{PROJECT}/README.md"
    assert (info["type"], info["size"], info["owner"], info["version"]) == ("file", 15, "alice", 1)
    assert alice.read(f"{PROJECT}/README.md") == b"# Team Project\n"

    # bytearray and memoryview are file content too; a write makes missing parents.
    alice.write(f"{PROJECT}/docs/a.txt", bytearray(b"a"))
    alice.write(f"{PROJECT}/docs/deep/b.txt", memoryview(b"bb"))
    assert alice.read(f"{PROJECT}/docs/deep/b.txt") == b"bb"
    for made_path in (f"{PROJECT}/docs", f"{PROJECT}/docs/deep"):
        assert alice.stat(made_path)["type"] == "directory"
        assert alice.stat(made_path)["owner"] == "alice"

    stat = alice.stat(f"{PROJECT}/docs/a.txt")
    assert (stat["name"], stat["size"], stat["owner"]) == ("a.txt", 1, "alice")

    assert paths(alice.list_files(PROJECT)) == {f"{PROJECT}/README.md", f"{PROJECT}/docs"}
    assert paths(alice.list_files(PROJECT, recursive=True)) == {
        f"{PROJECT}/README.md",
        f"{PROJECT}/docs",
        f"{PROJECT}/docs/a.txt",
        f"{PROJECT}/docs/deep",
        f"{PROJECT}/docs/deep/b.txt",
    }
    assert alice.exists(f"{PROJECT}/docs/a.txt") is True
    assert alice.exists(f"{PROJECT}/docs/nothing.txt") is False
    assert alice.exists(PROJECT) is True

    # mkdir is idempotent by default, strict with exist_ok=False.
    assert alice.mkdir(PROJECT)["path"] == PROJECT
    with raises(NexusFileExistsError, "already_exists"):
        alice.mkdir(PROJECT, exist_ok=False)
    with raises(NexusFileExistsError, "already_exists"):
        alice.mkdir(f"{PROJECT}/README.md")
    with raises(NexusFileNotFoundError, "not_found"):
        alice.mkdir(f"{PROJECT}/missing/child", parents=False)
    assert alice.exists(f"{PROJECT}/missing") is False

    # Files and directories are not interchangeable.
    alice.write(f"{PROJECT}/file.txt", b"x")

    with raises(NexusValidationError, "is_a_directory"):
        alice.read(PROJECT)
    with raises(NexusValidationError, "is_a_directory"):
        alice.write(PROJECT, b"x")
    with raises(NexusValidationError, "not_a_directory"):
        alice.write(f"{PROJECT}/file.txt/below", b"x")
    assert alice.read(f"{PROJECT}/file.txt") == b"x"
    assert alice.stat(PROJECT)["type"] == "directory"

    # append creates a file, then extends it; a reader may not append.
    log = "/workspace/.audit/access.log"
    first = alice.append(log, b"one\n")
    assert (first["version"], first["size"], first["owner"]) == (1, 4, "alice")
    second = alice.append(log, b"two\n")
    assert (second["version"], second["size"]) == (2, 8)
    assert alice.read(log) == b"one\ntwo\n"
    grant(alice, "bob", log, "can_read")
    with raises(NexusPermissionError, "permission_denied"):
        bob.append(log, b"bob\n")
    assert alice.read(log) == b"one\ntwo\n"

    # Names with spaces, URL metacharacters and non-ASCII round-trip (NFC-normalised).
    names = ["a b+c%20d?e#f&g=h.txt", "caf\u00e9.md", "日本語.txt", "..dots", "%2F"]
    for name in names:
        assert alice.write(f"{PROJECT}/names/{name}", name.encode())["name"] == name
    assert sorted(e["name"] for e in alice.list_files(f"{PROJECT}/names")) == sorted(names)
    assert alice.read(f"{PROJECT}/names/cafe\u0301.md") == "caf\u00e9.md".encode()
    assert alice.stat(f"{PROJECT}/names/")["path"] == f"{PROJECT}/names"
    assert alice.write(f"{PROJECT}/empty", b"")["size"] == 0
    assert alice.read(f"{PROJECT}/empty") == b""


def test_tutorial_team_collaboration(team: Deployment) -> None:
    """Tutorial steps 4-6: Alice shares a project, Bob writes, Carol only reads."""
    alice, bob, carol = clients(team, "alice", "bob", "carol")
    alice.mkdir(PROJECT)
    alice.write(f"{PROJECT}/README.md", b"# Team Project\n")
    alice.write(f"{PROJECT}/design-doc.md", b"# Design Document\n")

    assert grant(alice, "bob", PROJECT, "can_write")["created"] is True
    assert grant(alice, "carol", PROJECT, "can_read")["created"] is True
    assert check(alice, "bob", f"{PROJECT}/design-doc.md", "can_write") is True
    assert check(alice, "carol", f"{PROJECT}/design-doc.md", "can_write") is False
    assert check(alice, "carol", f"{PROJECT}/design-doc.md", "can_read") is True

    assert bob.read(f"{PROJECT}/design-doc.md") == b"# Design Document\n"
    assert bob.write(f"{PROJECT}/implementation.md", b"# Plan\n")["owner"] == "bob"
    bob.write(f"{PROJECT}/api.py", b"app = None\n")

    assert paths(carol.list_files(PROJECT, recursive=True)) == {
        f"{PROJECT}/README.md",
        f"{PROJECT}/design-doc.md",
        f"{PROJECT}/implementation.md",
        f"{PROJECT}/api.py",
    }
    assert carol.read(f"{PROJECT}/implementation.md") == b"# Plan\n"
    with raises(NexusPermissionError, "permission_denied"):
        carol.write(f"{PROJECT}/designs.md", b"# UI Designs\n")
    with raises(NexusPermissionError, "permission_denied"):
        carol.write(f"{PROJECT}/design-doc.md", b"overwritten")
    with raises(NexusPermissionError, "permission_denied"):
        carol.delete(f"{PROJECT}/design-doc.md")
    assert alice.exists(f"{PROJECT}/designs.md") is False
    assert alice.read(f"{PROJECT}/design-doc.md") == b"# Design Document\n"


def test_delete_and_move(team: Deployment) -> None:
    alice, bob = clients(team, "alice", "bob")
    alice.write(f"{PROJECT}/a.txt", b"a")
    alice.write(f"{PROJECT}/sub/b.txt", b"b")

    # A file moved to a path spelled as a directory would become a file of that name.
    with raises(NexusValidationError, "not_a_directory"):
        alice.move(f"{PROJECT}/a.txt", f"{PROJECT}/new/")
    assert alice.exists(f"{PROJECT}/new") is False
    alice.move(f"{PROJECT}/sub", f"{PROJECT}/sub2/")  # a folder may be named so
    alice.move(f"{PROJECT}/sub2", f"{PROJECT}/sub")

    alice.delete(f"{PROJECT}/a.txt")
    assert alice.exists(f"{PROJECT}/a.txt") is False
    with raises(NexusFileNotFoundError, "not_found"):
        alice.read(f"{PROJECT}/a.txt")
    with raises(NexusFileNotFoundError, "not_found"):
        alice.delete(f"{PROJECT}/a.txt")

    with raises(NexusValidationError, "directory_not_empty"):
        alice.delete(f"{PROJECT}/sub")
    assert alice.read(f"{PROJECT}/sub/b.txt") == b"b"

    # Deleting needs can_write on the entry: a reader cannot.
    grant(alice, "bob", f"{PROJECT}/sub", "can_read")
    with raises(NexusPermissionError, "permission_denied"):
        bob.delete(f"{PROJECT}/sub", recursive=True)
    assert alice.read(f"{PROJECT}/sub/b.txt") == b"b"

    alice.delete(f"{PROJECT}/sub", recursive=True)
    assert alice.exists(f"{PROJECT}/sub") is False
    assert alice.exists(f"{PROJECT}/sub/b.txt") is False
    assert paths(alice.list_files(PROJECT)) == set()

    for root in ("/workspace", "/sessions", "/workspace/.notifications"):
        with raises(NexusValidationError, "namespace_root"):
            team.system().delete(root, recursive=True)
    assert paths(team.system().list_files("/")) == {"/workspace", "/sessions"}

    # Moving keeps content, versions, owner and grants (they hang on the id, not the path).
    alice.write(f"{PROJECT}/draft.md", b"v1")
    alice.write(f"{PROJECT}/draft.md", b"v2")
    grant(alice, "bob", f"{PROJECT}/draft.md", "can_read")
    alice.mkdir(f"{PROJECT}/final")

    moved = alice.move(f"{PROJECT}/draft.md", f"{PROJECT}/final/spec.md")
    assert (moved["path"], moved["version"], moved["owner"]) == (
        f"{PROJECT}/final/spec.md",
        2,
        "alice",
    )
    assert alice.exists(f"{PROJECT}/draft.md") is False
    assert alice.read(f"{PROJECT}/final/spec.md") == b"v2"
    assert alice.read(f"{PROJECT}/final/spec.md", version=1) == b"v1"
    # The grant hangs on the file, not on its old path.
    assert bob.read(f"{PROJECT}/final/spec.md") == b"v2"

    alice.write(f"{PROJECT}/other.md", b"other")
    with raises(NexusFileExistsError, "already_exists"):
        alice.move(f"{PROJECT}/other.md", f"{PROJECT}/final/spec.md")
    with raises(NexusValidationError, "move_into_itself"):
        alice.move(f"{PROJECT}/final", f"{PROJECT}/final/inner")
    with raises(NexusFileNotFoundError, "not_found"):
        alice.move(f"{PROJECT}/nothing.md", f"{PROJECT}/x.md")
    assert alice.read(f"{PROJECT}/other.md") == b"other"
    assert alice.read(f"{PROJECT}/final/spec.md") == b"v2"

    # Moving needs can_write on the source and on the destination directory.
    with raises(NexusPermissionError, "permission_denied"):
        bob.move(f"{PROJECT}/final/spec.md", "/workspace/stolen.md")
    assert alice.exists("/workspace/stolen.md") is False
    bob.mkdir("/workspace/bob-dir")
    # A folder alice cannot see is, to her, not there (decision 3); one she reads, she
    # sees, and may still not move into.
    with raises(NexusFileNotFoundError, "not_found", path="/workspace/bob-dir"):
        alice.move(f"{PROJECT}/other.md", "/workspace/bob-dir/other.md")
    grant(bob, "alice", "/workspace/bob-dir", "can_read")
    with raises(NexusPermissionError, "permission_denied"):
        alice.move(f"{PROJECT}/other.md", "/workspace/bob-dir/other.md")
    assert alice.read(f"{PROJECT}/other.md") == b"other"

    # Owners delete and rename what they made directly in /workspace; others cannot.
    alice.write("/workspace/scratch.txt", b"x")
    alice.mkdir("/workspace/scratch-dir/inner")
    with raises(NexusFileNotFoundError, "not_found"):
        bob.delete("/workspace/scratch.txt")
    with raises(NexusFileNotFoundError, "not_found"):
        bob.move("/workspace/scratch-dir", "/workspace/bob-dir/taken")
    alice.delete("/workspace/scratch.txt")
    assert alice.exists("/workspace/scratch.txt") is False
    renamed = alice.move("/workspace/scratch-dir", "/workspace/renamed-dir")
    assert (renamed["path"], renamed["owner"]) == ("/workspace/renamed-dir", "alice")
    assert alice.stat("/workspace/renamed-dir/inner")["type"] == "directory"
    alice.delete("/workspace/renamed-dir", recursive=True)
    assert alice.exists("/workspace/renamed-dir") is False
