from __future__ import annotations

import json
from typing import Any
from unittest.mock import Mock

from nexus.client.interface import NexusClient

from .conftest import Run


def user(user_id: str, name: str, email: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": user_id,
        "name": name,
        "email": email,
        "is_admin": False,
        "disabled": False,
        "created": "2026-01-01T00:00:00",
        **extra,
    }


def mock(method: object) -> Mock:
    assert isinstance(method, Mock)
    return method


KEY_INFO = {
    "id": "k_7f3a",
    "user_id": "alice",
    "prefix": "nxk_ab12",
    "description": "Alice's key",
    "created": "2026-01-01T00:00:00",
    "expires": None,
    "revoked": False,
}


def test_list_users_prints_exactly_the_tutorial_format(run: Run, fake: NexusClient) -> None:
    mock(fake.list_users).return_value = [
        user("admin", "Admin User", "admin@example.com", is_admin=True),
        user("alice", "Alice Smith", "alice@example.com"),
        user("bob", "Bob Jones", "bob@example.com", disabled=True),
    ]
    result = run(["admin", "list-users"])
    assert result.exit_code == 0
    assert result.stdout == (
        "Users:\n"
        "- admin (Admin User) - admin@example.com\n"
        "- alice (Alice Smith) - alice@example.com\n"
        "- bob (Bob Jones) - bob@example.com\n"
    )
    assert result.stderr == ""


def test_list_users_long_and_json(run: Run, fake: NexusClient) -> None:
    users = [
        user("admin", "Admin User", "admin@example.com", is_admin=True),
        user("bob", "Bob Jones", "bob@example.com", disabled=True),
    ]
    mock(fake.list_users).return_value = users
    long_lines = run(["admin", "list-users", "-l"]).stdout.splitlines()
    assert long_lines[1] == "- admin (Admin User) - admin@example.com [admin]"
    assert long_lines[2] == "- bob (Bob Jones) - bob@example.com [disabled]"
    assert json.loads(run(["admin", "list-users", "--json"]).stdout) == users


def _awk_field_4_of_grep(output: str, pattern: str) -> list[str]:
    return [line.split()[3] for line in output.splitlines() if pattern in line]


def test_create_user_key_works_with_grep_and_awk(run: Run, fake: NexusClient) -> None:
    mock(fake.create_api_key).return_value = {"key": "nxk_s3cr3t_value", "info": KEY_INFO}
    result = run(["admin", "create-user-key", "alice", "--description", "Alice's key"])
    assert result.exit_code == 0
    mock(fake.create_api_key).assert_called_once_with("alice", "Alice's key", expires_in=None)
    assert _awk_field_4_of_grep(result.stdout, "API Key") == ["nxk_s3cr3t_value"]
    assert "shown only once" in result.stdout
    assert result.stdout.count("nxk_s3cr3t_value") == 1


def test_create_user_key_description_never_adds_a_matching_line(
    run: Run, fake: NexusClient
) -> None:
    info = {**KEY_INFO, "description": "API Key for the build bot", "expires": "2026-02-01"}
    mock(fake.create_api_key).return_value = {"key": "nxk_x", "info": info}
    result = run(
        [
            *("admin", "create-user-key", "alice"),
            *("--description", info["description"], "--expires-in", "3600"),
        ]
    )
    mock(fake.create_api_key).assert_called_once_with(
        "alice", "API Key for the build bot", expires_in=3600
    )
    assert _awk_field_4_of_grep(result.stdout, "API Key") == ["nxk_x"]
    assert "2026-02-01" in result.stdout


def test_create_user_key_rejects_a_bad_expiry(run: Run, fake: NexusClient) -> None:
    result = run(["admin", "create-user-key", "alice", "--expires-in", "soon"])
    assert result.exit_code == 2
    mock(fake.create_api_key).assert_not_called()


def test_create_user_key_json(run: Run, fake: NexusClient) -> None:
    answer = {"key": "nxk_x", "info": KEY_INFO}
    mock(fake.create_api_key).return_value = answer
    result = run(["admin", "create-user-key", "alice", "--json"])
    assert json.loads(result.stdout) == answer


def test_first_user_is_reported_as_admin(run: Run, fake: NexusClient) -> None:
    mock(fake.create_user).return_value = user(
        "admin", "Admin User", "admin@example.com", is_admin=True
    )
    result = run(
        ["admin", "create-user", "admin", "--name", "Admin User", "--email", "admin@example.com"]
    )
    assert result.exit_code == 0
    mock(fake.create_user).assert_called_once_with(
        "admin", "Admin User", "admin@example.com", admin=False
    )
    assert "Created user admin (Admin User) - admin@example.com" in result.stdout
    assert "first user" in result.stdout
    assert "is an admin" in result.stdout


def test_later_user_is_not_called_admin(run: Run, fake: NexusClient) -> None:
    mock(fake.create_user).return_value = user("bob", "Bob Jones", "bob@example.com")
    result = run(["admin", "create-user", "bob", "--name", "Bob Jones", "--email", "b@x"])
    assert result.exit_code == 0
    assert "admin" not in result.stdout


def test_create_user_with_admin_flag(run: Run, fake: NexusClient) -> None:
    mock(fake.create_user).return_value = user("ops", "Ops", "o@x", is_admin=True)
    result = run(["admin", "create-user", "ops", "--name", "Ops", "--email", "o@x", "--admin"])
    mock(fake.create_user).assert_called_once_with("ops", "Ops", "o@x", admin=True)
    assert "ops is an admin." in result.stdout
    assert "first user" not in result.stdout


def test_create_user_requires_name_and_email(run: Run, fake: NexusClient) -> None:
    result = run(["admin", "create-user", "bob", "--name", "Bob"])
    assert result.exit_code == 2
    assert "--email" in result.stderr
    mock(fake.create_user).assert_not_called()


def test_disable_enable_delete_user(run: Run, fake: NexusClient) -> None:
    mock(fake.update_user).return_value = user("bob", "Bob", "b@x", disabled=True)
    assert "Disabled user bob" in run(["admin", "disable-user", "bob"]).stdout
    mock(fake.update_user).assert_called_with("bob", disabled=True)
    mock(fake.update_user).return_value = user("bob", "Bob", "b@x")
    assert "Enabled user bob" in run(["admin", "enable-user", "bob"]).stdout
    mock(fake.update_user).assert_called_with("bob", disabled=False)
    assert run(["admin", "delete-user", "bob"]).stdout == "Deleted user bob.\n"
    mock(fake.delete_user).assert_called_once_with("bob")


def test_keys(run: Run, fake: NexusClient) -> None:
    mock(fake.list_api_keys).return_value = [KEY_INFO, {**KEY_INFO, "revoked": True}]
    result = run(["admin", "list-keys", "--user", "alice"])
    mock(fake.list_api_keys).assert_called_once_with(user_id="alice")
    lines = result.stdout.splitlines()
    assert lines[0] == "Keys:"
    assert "k_7f3a" in lines[1] and "nxk_ab12" in lines[1] and "expires never" in lines[1]
    assert "revoked" in lines[2]
    mock(fake.revoke_api_key).return_value = {**KEY_INFO, "revoked": True}
    result = run(["admin", "revoke-key", "k_7f3a"])
    mock(fake.revoke_api_key).assert_called_once_with("k_7f3a")
    assert result.stdout == "Revoked key k_7f3a of alice.\n"


GROUP = {
    "name": "developers",
    "description": "Development team",
    "created": "2026-01-01T00:00:00",
    "created_by": "admin",
    "members": ["user:bob"],
}


def test_groups(run: Run, fake: NexusClient) -> None:
    mock(fake.create_group).return_value = GROUP
    assert run(["admin", "create-group", "developers"]).stdout == "Created group developers.\n"
    mock(fake.create_group).assert_called_with("developers", description="")
    run(["admin", "create-group", "developers", "--description", "Development team"])
    mock(fake.create_group).assert_called_with("developers", description="Development team")
    mock(fake.list_groups).return_value = [GROUP]
    assert run(["admin", "list-groups"]).stdout == (
        "Groups:\n- developers: Development team (members: user:bob)\n"
    )
    mock(fake.add_user_to_group).return_value = GROUP
    result = run(["admin", "add-user-to-group", "bob", "developers"])
    mock(fake.add_user_to_group).assert_called_once_with("bob", "developers")
    assert result.stdout == "Added user bob to group developers.\n"
    mock(fake.remove_user_from_group).return_value = GROUP
    run(["admin", "remove-user-from-group", "bob", "developers"])
    mock(fake.remove_user_from_group).assert_called_once_with("bob", "developers")
    run(["admin", "delete-group", "developers"])
    mock(fake.delete_group).assert_called_once_with("developers")


def test_list_sessions(run: Run, fake: NexusClient) -> None:
    session = {
        "id": "s1",
        "name": "alice-research",
        "description": None,
        "created": "2026-01-01T00:00:00",
        "expires": None,
        "user_id": "alice",
        "path": "/sessions/s1",
    }
    mock(fake.list_sessions).return_value = [session]
    result = run(["admin", "list-sessions", "--all"])
    mock(fake.list_sessions).assert_called_once_with(all_users=True)
    assert result.stdout.splitlines() == [
        "Sessions:",
        "- s1 alice-research (alice) /sessions/s1 expires never",
    ]
