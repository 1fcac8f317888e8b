from __future__ import annotations

import json
from unittest.mock import Mock

from nexus.client.interface import NexusClient
from nexus.errors import NexusFileNotFoundError, NexusValidationError

from .conftest import Run

TARGET = ["user", "bob", "file", "/workspace/shared", "--relation", "can_write"]
RECORD = {
    "subject_type": "user",
    "subject_id": "bob",
    "relation": "can_write",
    "object_type": "file",
    "object_id": "/workspace/shared",
    "granted_by": "alice",
    "created": "2026-01-01T00:00:00",
}


def mock(method: object) -> Mock:
    assert isinstance(method, Mock)
    return method


def test_check_allowed_exits_0(run: Run, fake: NexusClient) -> None:
    mock(fake.check_permission_record).return_value = {"allowed": True, "revision": 7}
    result = run(["rebac", "check", *TARGET])
    assert result.exit_code == 0
    assert result.stdout == "✅ ALLOWED: user bob has can_write on file /workspace/shared\n"
    mock(fake.check_permission_record).assert_called_once_with(
        "user", "bob", "file", "/workspace/shared", "can_write"
    )


def test_check_denied_exits_1(run: Run, fake: NexusClient) -> None:
    mock(fake.check_permission_record).return_value = {"allowed": False, "revision": 7}
    result = run(["rebac", "check", *TARGET])
    assert result.exit_code == 1
    assert result.stdout == (
        "❌ DENIED: user bob does not have can_write on file /workspace/shared\n"
    )


def test_check_json_keeps_the_exit_status(run: Run, fake: NexusClient) -> None:
    mock(fake.check_permission_record).return_value = {"allowed": False, "revision": 7}
    result = run(["rebac", "check", *TARGET, "--json"])
    assert json.loads(result.stdout) == {"allowed": False, "revision": 7}
    assert result.exit_code == 1


def test_grant_new_and_existing(run: Run, fake: NexusClient) -> None:
    mock(fake.grant_permission).return_value = {
        "created": True,
        "relationship": RECORD,
        "revision": 3,
    }
    result = run(["rebac", "grant", *TARGET])
    assert result.exit_code == 0
    assert result.stdout == "Granted: user bob has can_write on file /workspace/shared\n"
    mock(fake.grant_permission).return_value = {
        "created": False,
        "relationship": RECORD,
        "revision": 3,
    }
    result = run(["rebac", "grant", *TARGET])
    assert result.exit_code == 0
    assert "already" in result.stdout
    assert "nothing changed" in result.stdout


def test_grant_needs_a_relation(run: Run, fake: NexusClient) -> None:
    result = run(["rebac", "grant", "user", "bob", "file", "/w"])
    assert result.exit_code == 2
    assert "--relation" in result.stderr
    mock(fake.grant_permission).assert_not_called()


def test_grant_of_an_unknown_relation_is_one_error_line(run: Run, fake: NexusClient) -> None:
    mock(fake.grant_permission).side_effect = NexusValidationError(
        "unknown relation 'can_fly'", code="unknown_relation"
    )
    result = run(["rebac", "grant", "user", "bob", "file", "/w", "--relation", "can_fly"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "Error: unknown relation 'can_fly' (invalid_argument: unknown_relation)\n"
    )


def test_revoke(run: Run, fake: NexusClient) -> None:
    mock(fake.revoke_permission).return_value = {"deleted": True, "revision": 4}
    result = run(["rebac", "revoke", *TARGET])
    assert result.exit_code == 0
    assert result.stdout == "Revoked: user bob can_write on file /workspace/shared\n"


def test_revoke_missing_relationship_exits_1(run: Run, fake: NexusClient) -> None:
    mock(fake.revoke_permission).side_effect = NexusFileNotFoundError(
        "relationship not found", code="relationship_not_found"
    )
    result = run(["rebac", "revoke", *TARGET])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "Error: there is no grant user bob can_write on file /workspace/shared to revoke "
        "(not_found: relationship_not_found)\n"
    )


def test_revoke_other_not_found_passes_through(run: Run, fake: NexusClient) -> None:
    mock(fake.revoke_permission).side_effect = NexusFileNotFoundError(
        "no such file: /w", path="/w", code="not_found"
    )
    result = run(["rebac", "revoke", *TARGET])
    assert result.exit_code == 1
    assert result.stderr == "Error: no such file: /w (not_found)\n"


def test_list_prints_a_table_and_passes_filters(run: Run, fake: NexusClient) -> None:
    other = {**RECORD, "subject_id": "carol", "relation": "can_read", "granted_by": None}
    mock(fake.list_permissions).return_value = [RECORD, other]
    result = run(["rebac", "list", "--subject-type", "user", "--object-id", "/workspace/shared"])
    assert result.exit_code == 0
    mock(fake.list_permissions).assert_called_once_with(
        object_type=None,
        object_id="/workspace/shared",
        subject_type="user",
        subject_id=None,
        relation=None,
    )
    lines = result.stdout.splitlines()
    assert "Relationships" in lines[0]
    bob = next(line for line in lines if "user:bob" in line)
    assert "can_write" in bob and "file:/workspace/shared" in bob and "alice" in bob
    assert any("user:carol" in line and "can_read" in line for line in lines)


def test_list_empty_and_json(run: Run, fake: NexusClient) -> None:
    mock(fake.list_permissions).return_value = []
    assert run(["rebac", "list"]).stdout == "No relationships match.\n"
    mock(fake.list_permissions).return_value = [RECORD]
    assert json.loads(run(["rebac", "list", "--json"]).stdout) == [RECORD]
