"""Users and API keys: admin-only calls, and credentials that stop working at once."""

from __future__ import annotations

import time

import nexus
from nexus import (
    NexusAuthenticationError,
    NexusFileNotFoundError,
    NexusPermissionError,
    NexusValidationError,
)
from tests.api.helpers import clients, grant, grants_on, paths, raises
from tests.support.deployments import Deployment


def test_admin_only_calls(team: Deployment) -> None:
    admin, alice, bob = clients(team, "admin", "alice", "bob")
    assert admin.whoami() == {"user_id": "admin", "is_admin": True}
    assert bob.whoami() == {"user_id": "bob", "is_admin": False}
    users = {u["id"]: u for u in admin.list_users()}
    assert set(users) == {"admin", "alice", "bob", "carol"}
    assert {uid for uid, u in users.items() if u["is_admin"]} == {"admin"}
    assert (users["alice"]["name"], users["alice"]["email"]) == ("Alice Smith", "alice@example.com")

    refused = {
        "create_user": lambda: bob.create_user("dave", "Dave", "dave@example.com"),
        "create admin": lambda: bob.create_user("eve", "Eve", "eve@example.com", admin=True),
        "list_users": bob.list_users,
        "update_user": lambda: bob.update_user("carol", disabled=True),
        "promote self": lambda: bob.update_user("bob", admin=True),
        "delete_user": lambda: bob.delete_user("carol"),
        "key for others": lambda: bob.create_api_key("alice", "bob's key for alice"),
        "keys of others": lambda: bob.list_api_keys("alice"),
        "all sessions": lambda: bob.list_sessions(all_users=True),
    }
    for call in refused.values():
        with raises(NexusPermissionError, "permission_denied"):
            call()
    # Nothing changed.
    assert admin.list_users() == list(users.values())
    assert [k["user_id"] for k in admin.list_api_keys("alice")] == ["alice"]
    assert bob.whoami()["is_admin"] is False
    assert team.as_user("carol").whoami()["user_id"] == "carol"

    # An admin (by key) creates users and their keys; a later user is an admin only if asked.
    dave = admin.create_user("dave", "Dave", "dave@example.com")
    assert (dave["id"], dave["is_admin"], dave["disabled"]) == ("dave", False, False)
    root = admin.create_user("root2", "Second Admin", "root2@example.com", admin=True)
    assert root["is_admin"] is True
    new_key = admin.create_api_key("root2", description="second admin's key")
    assert new_key["info"]["user_id"] == "root2"
    assert new_key["key"].startswith(new_key["info"]["prefix"])
    second_admin = team.connect_key(new_key["key"])
    assert {u["id"] for u in second_admin.list_users()} == {
        "admin",
        "alice",
        "bob",
        "carol",
        "dave",
        "root2",
    }
    # Keys are shown once: listings carry no secret.
    for record in admin.list_api_keys():
        assert "key" not in record
        assert new_key["key"] not in record.values()

    # People see their own keys; another user's key id answers like a missing one.
    [bob_key] = bob.list_api_keys()
    assert (bob_key["user_id"], bob_key["revoked"]) == ("bob", False)
    [alice_key] = admin.list_api_keys("alice")

    # Someone else's key id answers like a missing one and stays valid.
    with raises(NexusFileNotFoundError, "key_not_found"):
        bob.revoke_api_key(alice_key["id"])
    with raises(NexusFileNotFoundError, "key_not_found"):
        bob.revoke_api_key("key_does_not_exist")
    assert alice.whoami()["user_id"] == "alice"
    assert admin.list_api_keys("alice")[0]["revoked"] is False


def test_stale_credentials_and_deleted_users(team: Deployment) -> None:
    """Revoked or expired keys, disabled users and demoted admins fail on the very next call,
    on clients already open as well as on new connections."""
    admin, alice, bob = clients(team, "admin", "alice", "bob")
    revoked = admin.create_api_key("bob", "to revoke")
    bob_revoked = team.connect_key(revoked["key"])
    expiring = admin.create_api_key("carol", "short-lived", expires_in=1)
    assert expiring["info"]["expires"] is not None
    carol_expiring = team.connect_key(expiring["key"])
    admin.create_user("dave", "Dave", "dave@example.com", admin=True)
    dave = team.connect_key(admin.create_api_key("dave")["key"])
    for client in (bob_revoked, carol_expiring, alice, dave):
        client.whoami()
    assert len(dave.list_users()) == 5

    assert admin.revoke_api_key(revoked["info"]["id"])["revoked"] is True
    with raises(NexusAuthenticationError, "unauthenticated"):
        bob_revoked.read("/workspace")
    with raises(NexusAuthenticationError, "unauthenticated"):
        team.connect_key(revoked["key"]).whoami()
    assert bob.whoami()["user_id"] == "bob"

    admin.update_user("alice", disabled=True)
    with raises(NexusAuthenticationError, "user_disabled"):
        alice.list_files("/workspace")
    with raises(NexusAuthenticationError, "user_disabled"):
        team.as_user("alice").whoami()
    admin.update_user("alice", disabled=False)
    assert alice.whoami()["user_id"] == "alice"

    admin.update_user("dave", admin=False)
    with raises(NexusPermissionError, "permission_denied"):
        dave.list_users()
    assert dave.whoami() == {"user_id": "dave", "is_admin": False}

    for wrong in ("nxk_not_a_real_key", "garbage", team.keys["bob"] + "x"):
        with raises(NexusAuthenticationError, "unauthenticated"):
            team.connect_key(wrong).whoami()
    if team.server is not None:
        # Over HTTP a missing key is refused (embedded, no key means the local admin).
        with raises(NexusAuthenticationError, "missing_key"):
            nexus.connect(config={"url": team.server.url}).whoami()
    else:
        assert team.system().whoami() == {"user_id": "system", "is_admin": True}

    time.sleep(1.2)
    with raises(NexusAuthenticationError, "unauthenticated"):
        carol_expiring.whoami()
    with raises(NexusAuthenticationError, "unauthenticated"):
        team.connect_key(expiring["key"]).whoami()
    # Other keys are untouched.
    assert bob.whoami()["user_id"] == "bob"
    assert team.as_user("carol").whoami()["user_id"] == "carol"

    # A deleted user loses everything; a new user with the same id starts with nothing.
    alice.write("/workspace/alice/plan.md", b"plan")
    grant(alice, "bob", "/workspace/alice", "can_write")
    bob.write("/workspace/bob-stuff/notes.md", b"bob's notes")
    admin.create_group("developers")
    admin.add_user_to_group("bob", "developers")
    alice.write("/workspace/dev/guide.md", b"guide")
    grant(alice, "developers", "/workspace/dev", "can_read", subject_type="group")
    assert bob.read("/workspace/dev/guide.md") == b"guide"
    session = bob.create_session("bob-work")
    alice.write("/workspace/.notifications/bob/hi.json", b"{}")
    old_key = team.keys["bob"]

    admin.delete_user("bob")
    assert "bob" not in {u["id"] for u in admin.list_users()}
    with raises(NexusAuthenticationError, "unauthenticated"):
        bob.whoami()
    with raises(NexusAuthenticationError, "unauthenticated"):
        team.connect_key(old_key).whoami()

    admin.create_user("bob", "Bob Again", "bob2@example.com")
    new_bob = team.connect_key(admin.create_api_key("bob")["key"])
    assert new_bob.whoami() == {"user_id": "bob", "is_admin": False}
    with raises(NexusPermissionError, "permission_denied"):
        new_bob.read("/workspace/alice/plan.md")
    with raises(NexusPermissionError, "permission_denied"):
        new_bob.write("/workspace/alice/new.md", b"x")
    with raises(NexusPermissionError, "permission_denied"):
        new_bob.read("/workspace/bob-stuff/notes.md")
    with raises(NexusPermissionError, "permission_denied"):
        new_bob.read("/workspace/dev/guide.md")
    assert new_bob.list_sessions() == []
    assert new_bob.list_files("/workspace/.notifications") == []
    assert admin.get_group("developers")["members"] == []
    assert admin.list_permissions(subject_type="user", subject_id="bob") == []
    assert grants_on(alice, "/workspace/alice") == {("user", "alice", "owner")}
    assert admin.exists(f"/sessions/{session['id']}") is False
    assert admin.exists("/workspace/.notifications/bob") is False
    # Bob's files stay; admins still manage them.
    assert admin.read("/workspace/bob-stuff/notes.md") == b"bob's notes"
    assert paths(new_bob.list_files("/workspace")) == {"/workspace/.notifications"}

    # Admins cannot lock themselves out.
    with raises(NexusValidationError, "self_lockout"):
        admin.update_user("admin", disabled=True)
    with raises(NexusValidationError, "self_lockout"):
        admin.delete_user("admin")
    assert admin.whoami()["is_admin"] is True
