"""The 403/404 rule: nothing a caller cannot read is distinguishable from nothing at all."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from nexus import NexusError, NexusFileNotFoundError, NexusPermissionError
from nexus.client.interface import NexusClient
from tests.api.helpers import clients, grant, paths, raises
from tests.support.deployments import Deployment

SECRET_DIR = "/workspace/alice-private"
SECRET = f"{SECRET_DIR}/secret.txt"


def _failure(call: Callable[[], Any]) -> tuple[type[NexusError], str, str, str | None]:
    """(class, detail_code, message, path) of a call that must fail."""
    try:
        call()
    except NexusError as exc:
        return type(exc), exc.detail_code, str(exc), exc.path
    raise AssertionError("the call succeeded")


def _same_answer_for_hidden_and_missing(
    client: NexusClient, hidden: str, missing: str, expected: type[NexusError]
) -> None:
    """Every read-side call answers identically (class, code, message) for both paths."""
    calls: dict[str, Callable[[str], Any]] = {
        "read": client.read,
        "read_with_metadata": client.read_with_metadata,
        "stat": client.stat,
        "list_files": client.list_files,
        "delete": client.delete,
        "move away": lambda p: client.move(p, "/workspace/bob-moved"),
        "list_permissions": lambda p: client.list_permissions(object_type="file", object_id=p),
        "revoke": lambda p: client.revoke_permission("user", "bob", "file", p, "can_read"),
        "check for others": lambda p: client.check_permission(
            "user", "carol", "file", p, "can_read"
        ),
    }
    for name, call in calls.items():
        on_hidden = _failure(lambda call=call: call(hidden))
        on_missing = _failure(lambda call=call: call(missing))
        assert on_hidden[0] is expected, (name, on_hidden)
        assert on_hidden[:2] == on_missing[:2], (name, on_hidden, on_missing)
        assert (on_hidden[3], on_missing[3]) == (hidden, missing), (name, on_hidden, on_missing)
        assert on_hidden[2].replace(hidden, "<path>") == on_missing[2].replace(missing, "<path>"), (
            name,
            on_hidden,
            on_missing,
        )
    assert client.exists(hidden) is False
    assert client.exists(missing) is False


def test_hidden_entries_look_absent(team: Deployment) -> None:
    alice, bob = clients(team, "alice", "bob")
    alice.write(SECRET, b"secret")
    alice.write("/workspace/alice-note.txt", b"note")

    # Bob sees /workspace, so hidden children of it are "not found", like missing ones ...
    _same_answer_for_hidden_and_missing(
        bob, "/workspace/alice-note.txt", "/workspace/no-such-note.txt", NexusFileNotFoundError
    )
    _same_answer_for_hidden_and_missing(
        bob, SECRET_DIR, "/workspace/no-such-dir", NexusFileNotFoundError
    )
    # ... and below something he cannot see, everything is "permission denied".
    _same_answer_for_hidden_and_missing(
        bob, SECRET, f"{SECRET_DIR}/no-such-file.txt", NexusPermissionError
    )
    _same_answer_for_hidden_and_missing(
        bob, f"{SECRET_DIR}/a/b.txt", "/workspace/no-such-dir/a/b.txt", NexusPermissionError
    )
    # Writing into a hidden folder is refused the same way as into a missing one's child.
    with raises(NexusPermissionError, "permission_denied"):
        bob.write(f"{SECRET_DIR}/bob.txt", b"bob")
    with raises(NexusPermissionError, "permission_denied"):
        bob.mkdir(f"{SECRET_DIR}/bob-dir")
    assert paths(alice.list_files(SECRET_DIR)) == {SECRET}
    assert alice.read(SECRET) == b"secret"
    assert alice.read("/workspace/alice-note.txt") == b"note"

    # Listings leave hidden entries out.
    bob.write("/workspace/bob-note.txt", b"bob")
    assert paths(bob.list_files("/workspace")) == {
        "/workspace/.notifications",
        "/workspace/bob-note.txt",
    }
    assert "/workspace/alice-note.txt" not in paths(bob.list_files("/workspace", recursive=True))
    assert SECRET not in paths(bob.list_files("/", recursive=True))

    # A grant on one file shows that file, but not its folder or siblings.
    alice.write(f"{SECRET_DIR}/shared.txt", b"shared")
    grant(alice, "bob", f"{SECRET_DIR}/shared.txt", "can_read")

    assert bob.read(f"{SECRET_DIR}/shared.txt") == b"shared"
    assert bob.exists(f"{SECRET_DIR}/shared.txt") is True
    assert bob.stat(f"{SECRET_DIR}/shared.txt")["owner"] == "alice"
    # The folder itself stays hidden, so its other entries are "permission denied".
    assert bob.exists(SECRET_DIR) is False
    with raises(NexusFileNotFoundError, "not_found"):
        bob.list_files(SECRET_DIR)
    with raises(NexusPermissionError, "permission_denied"):
        bob.read(SECRET)
    with raises(NexusPermissionError, "permission_denied"):
        bob.read(f"{SECRET_DIR}/missing.txt")

    # With the folder readable, a missing file there is plainly "not found".
    grant(alice, "bob", SECRET_DIR, "can_read")
    with raises(NexusFileNotFoundError, "not_found", path=f"{SECRET_DIR}/missing.txt"):
        bob.read(f"{SECRET_DIR}/missing.txt")
    assert bob.read(SECRET) == b"secret"

    # The errors are also the built-in exceptions, in both modes.
    with pytest.raises(FileNotFoundError):
        bob.read(f"{SECRET_DIR}/missing.txt")
    with pytest.raises(PermissionError):
        team.as_user("carol").read(SECRET)
    with pytest.raises(FileExistsError):
        alice.mkdir(SECRET_DIR, exist_ok=False)
    with pytest.raises(ValueError):
        alice.read("relative/path")


def test_namespace_roots_are_listable_by_everyone_and_filtered(team: Deployment) -> None:
    alice, bob = clients(team, "alice", "bob")
    alice.write("/workspace/alice.txt", b"a")
    alice.write("/workspace/.notifications/bob/hello.json", b"{}")
    alice_session = alice.create_session("alice-work")

    for client in (bob, alice):
        assert paths(client.list_files("/")) == {"/workspace", "/sessions"}
        for root in ("/", "/workspace", "/sessions", "/workspace/.notifications"):
            assert client.exists(root) is True
            assert client.stat(root)["type"] == "directory"
    assert paths(bob.list_files("/sessions")) == set()
    assert paths(alice.list_files("/sessions")) == {alice_session["path"]}
    assert paths(bob.list_files("/workspace/.notifications")) == {"/workspace/.notifications/bob"}
    assert paths(alice.list_files("/workspace/.notifications")) == set()
    assert paths(alice.list_files("/workspace")) == {
        "/workspace/.notifications",
        "/workspace/alice.txt",
    }
    # Nothing else is created at the top or in /sessions by users.
    for path in ("/top.txt", "/sessions/fake-session/x.txt"):
        with raises(NexusPermissionError, "permission_denied"):
            bob.write(path, b"x")
    with raises(NexusPermissionError, "permission_denied"):
        bob.mkdir("/sessions/fake-session")
    assert team.system().exists("/top.txt") is False
    assert team.system().exists("/sessions/fake-session") is False

    # Admins see everything.
    assert paths(team.as_user("admin").list_files("/workspace", recursive=True)) == {
        "/workspace/.notifications",
        "/workspace/.notifications/bob",
        "/workspace/.notifications/bob/hello.json",
        "/workspace/alice.txt",
    }
