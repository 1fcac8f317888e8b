"""copy through both clients (embedded and a real HTTP server): the same records and
exceptions, bad bodies refused with stable codes on the wire, wrong keys refused."""

from __future__ import annotations

import httpx
import pytest

from nexus import (
    NexusAuthenticationError,
    NexusFileExistsError,
    NexusFileNotFoundError,
    NexusPermissionError,
    NexusValidationError,
)
from tests.api.helpers import clients, grant, grants_on, paths, raises
from tests.support.deployments import Deployment

PROJECT = "/workspace/project"
DOC = f"{PROJECT}/doc.md"


def test_copy_a_file_and_a_folder(team: Deployment) -> None:
    alice, bob, carol = clients(team, "alice", "bob", "carol")
    alice.write(DOC, b"v1")
    alice.write(DOC, b"v2")
    alice.write(f"{PROJECT}/notes/todo.txt", b"todo")
    grant(alice, "bob", PROJECT, "can_read")
    grant(alice, "carol", DOC, "can_write")
    alice.lock(DOC, ttl=600)

    copied = bob.copy(DOC, "/workspace/bob/doc.md")
    assert (copied["path"], copied["owner"], copied["version"], copied["type"]) == (
        "/workspace/bob/doc.md",
        "bob",
        1,
        "file",
    )
    assert copied["etag"] == alice.stat(DOC)["etag"]
    assert bob.read("/workspace/bob/doc.md") == b"v2"
    assert [v["version"] for v in bob.list_versions("/workspace/bob/doc.md")] == [1]
    assert grants_on(bob, "/workspace/bob/doc.md") == {("user", "bob", "owner")}
    assert bob.lock_info("/workspace/bob/doc.md")["locked"] is False
    with raises(NexusPermissionError, "permission_denied"):
        carol.read("/workspace/bob/doc.md")

    folder = bob.copy(PROJECT, "/workspace/bob/project")
    assert (folder["type"], folder["owner"]) == ("directory", "bob")
    assert paths(bob.list_files("/workspace/bob/project", recursive=True)) == {
        "/workspace/bob/project/doc.md",
        "/workspace/bob/project/notes",
        "/workspace/bob/project/notes/todo.txt",
    }
    assert bob.read("/workspace/bob/project/notes/todo.txt") == b"todo"


def test_copy_refusals_match_in_both_clients(team: Deployment) -> None:
    alice, bob = clients(team, "alice", "bob")
    alice.write(DOC, b"doc")
    alice.write(f"{PROJECT}/other.md", b"other")
    with raises(NexusFileExistsError, "already_exists", path=f"{PROJECT}/other.md"):
        alice.copy(DOC, f"{PROJECT}/other.md")
    with raises(NexusValidationError, "copy_into_itself"):
        alice.copy(PROJECT, f"{PROJECT}/again")
    with raises(NexusFileNotFoundError, "not_found"):
        alice.copy(f"{PROJECT}/missing.md", "/workspace/x.md")
    with raises(NexusPermissionError, "permission_denied", path=DOC):
        bob.copy(DOC, "/workspace/x.md")
    with raises(NexusPermissionError, "permission_denied", path=f"{PROJECT}/missing.md"):
        bob.copy(f"{PROJECT}/missing.md", "/workspace/x.md")
    for bad in ("relative", "/a/../b", 7):
        with raises(NexusValidationError, "invalid_path"):
            alice.copy(bad, "/workspace/x.md")  # type: ignore[arg-type]
        with raises(NexusValidationError, "invalid_path"):
            alice.copy(DOC, bad)  # type: ignore[arg-type]
    assert alice.exists("/workspace/x.md") is False
    assert alice.read(f"{PROJECT}/other.md") == b"other"
    # A file copied to a path spelled as a directory would be a file of that name.
    with raises(NexusValidationError, "not_a_directory"):
        alice.copy(DOC, "/workspace/newdir/")
    assert alice.exists("/workspace/newdir") is False
    alice.copy(PROJECT, "/workspace/project-copy/")  # a folder may be named so
    assert alice.stat("/workspace/project-copy")["type"] == "directory"


def test_copy_on_the_wire(team: Deployment) -> None:
    if team.server is None:
        pytest.skip("raw HTTP only")
    alice = team.as_user("alice")
    alice.write(DOC, b"doc")
    headers = {"Authorization": f"Bearer {team.keys['alice']}"}
    with httpx.Client(base_url=team.server.url + "/api/v1", headers=headers) as http:
        made = http.post("/files/copy", json={"src": DOC, "dst": f"{PROJECT}/copy.md"})
        assert made.status_code == 200 and made.json()["owner"] == "alice"
        again = http.post("/files/copy", json={"src": DOC, "dst": f"{PROJECT}/copy.md"})
        assert (again.status_code, again.json()["error"]["code"]) == (409, "already_exists")
        for body in ({"src": DOC}, {"src": DOC, "dst": 5}, {"src": DOC, "dst": "/x", "y": 1}):
            refused = http.post("/files/copy", json=body)
            assert refused.status_code == 400, refused.text
        refused = http.post("/files/copy", content=b"not json")
        assert refused.status_code == 400, refused.text
    wrong = httpx.post(
        team.server.url + "/api/v1/files/copy",
        json={"src": DOC, "dst": f"{PROJECT}/stolen.md"},
        headers={"Authorization": "Bearer nxk_wrong"},
    )
    assert wrong.status_code == 401
    assert alice.exists(f"{PROJECT}/stolen.md") is False


def test_a_wrong_key_cannot_copy(team: Deployment) -> None:
    alice = team.as_user("alice")
    alice.write(DOC, b"doc")
    with raises(NexusAuthenticationError):
        team.connect_key("nxk_" + "x" * 40).copy(DOC, "/workspace/x.md")
    assert alice.exists("/workspace/x.md") is False
