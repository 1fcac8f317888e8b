"""Inboxes /workspace/.notifications/{user}/: anyone drops new files in, only the user reads."""

from __future__ import annotations

import json

from nexus import (
    NexusFileNotFoundError,
    NexusPermissionError,
    NexusValidationError,
)
from tests.api.helpers import clients, paths, raises
from tests.support.deployments import Deployment

INBOX = "/workspace/.notifications/alice"


def test_anyone_delivers_only_the_recipient_reads(team: Deployment) -> None:
    alice, bob, carol = clients(team, "alice", "bob", "carol")
    note = f"{INBOX}/1700000000.1.json"
    message = json.dumps({"from": "bob", "message": "New document created"}).encode()

    # The first delivery makes the inbox; the file belongs to the recipient.
    delivered = bob.write(note, message)
    assert (delivered["path"], delivered["owner"], delivered["version"]) == (note, "alice", 1)
    carol.write(f"{INBOX}/1700000000.2.json", b'{"from": "carol"}')

    assert alice.stat(INBOX)["owner"] == "alice"
    assert alice.stat(note)["owner"] == "alice"
    assert alice.read(note) == message
    assert paths(alice.list_files(INBOX)) == {note, f"{INBOX}/1700000000.2.json"}
    assert paths(alice.list_files("/workspace/.notifications")) == {INBOX}

    # The sender can neither read, list, overwrite, append to nor delete what it sent.
    with raises(NexusPermissionError, "permission_denied"):
        bob.read(note)
    with raises(NexusPermissionError, "permission_denied"):
        bob.stat(note)
    assert bob.exists(note) is False
    assert bob.exists(INBOX) is False
    with raises(NexusFileNotFoundError, "not_found"):
        bob.list_files(INBOX)
    assert paths(bob.list_files("/workspace/.notifications")) == set()
    with raises(NexusPermissionError, "permission_denied"):
        bob.write(note, b"overwritten")
    with raises(NexusPermissionError, "permission_denied"):
        bob.append(note, b"more")
    with raises(NexusPermissionError, "permission_denied"):
        bob.delete(note)
    with raises(NexusPermissionError, "permission_denied"):
        carol.write(note, b"carol overwrites", if_version=1)
    with raises(NexusPermissionError, "permission_denied"):
        bob.grant_permission("user", "bob", "file", note, "can_read")
    assert alice.read(note) == message
    assert alice.stat(note)["version"] == 1

    # The recipient deals with its inbox as it likes.
    alice.delete(note)
    assert paths(alice.list_files(INBOX)) == {f"{INBOX}/1700000000.2.json"}
    # Others' inboxes are someone else's too, for the recipient as well.
    alice.write("/workspace/.notifications/bob/reply.json", b"{}")
    with raises(NexusPermissionError, "permission_denied"):
        alice.read("/workspace/.notifications/bob/reply.json")
    assert bob.read("/workspace/.notifications/bob/reply.json") == b"{}"

    # Delivering to an unknown user fails and creates nothing.
    with raises(NexusValidationError, "unknown_user"):
        bob.write("/workspace/.notifications/mallory/1.json", b"{}")
    system = team.system()
    assert system.exists("/workspace/.notifications/mallory") is False
    assert paths(system.list_files("/workspace/.notifications")) == {
        INBOX,
        "/workspace/.notifications/bob",
    }

    # The tutorial's TeamCollaboration.create_document: document, metadata, notifications.
    workspace = "/workspace/team-project"
    alice.mkdir(workspace)
    alice.write(f"{workspace}/.metadata.json", b'{"owner": "alice"}')
    alice.grant_permission("user", "bob", "file", workspace, "can_write")
    alice.grant_permission("user", "carol", "file", workspace, "can_read")

    alice.write(f"{workspace}/project-brief.md", b"# Project Brief\n")
    alice.write(f"{workspace}/project-brief.md.meta.json", b'{"author": "alice"}')
    for user in ("bob", "carol"):
        notice = {"from": "alice", "target": f"{workspace}/project-brief.md"}
        alice.write(f"/workspace/.notifications/{user}/1.5.json", json.dumps(notice).encode())
    bob.write(f"{workspace}/technical-spec.md", b"# Technical Specification\n")
    bob.write("/workspace/.notifications/alice/2.5.json", b'{"from": "bob"}')

    expected = {
        f"{workspace}/.metadata.json",
        f"{workspace}/project-brief.md",
        f"{workspace}/project-brief.md.meta.json",
        f"{workspace}/technical-spec.md",
    }
    for user in (alice, bob, carol):
        assert paths(user.list_files(workspace, recursive=True)) == expected
    for user, client in (("bob", bob), ("carol", carol)):
        inbox = client.list_files(f"/workspace/.notifications/{user}")
        assert f"/workspace/.notifications/{user}/1.5.json" in paths(inbox)
        assert json.loads(client.read(f"/workspace/.notifications/{user}/1.5.json"))["from"] == (
            "alice"
        )
    assert alice.read("/workspace/.notifications/alice/2.5.json") == b'{"from": "bob"}'
