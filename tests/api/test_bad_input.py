"""Bad input to every public call: the right exception, and nothing changes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nexus import (
    NexusError,
    NexusFileExistsError,
    NexusFileNotFoundError,
    NexusValidationError,
)
from nexus.client.interface import NexusClient
from tests.api.helpers import clients
from tests.support.deployments import Deployment

DOC = "/workspace/project/doc.md"
BAD_PATHS = [
    "relative",
    "workspace/project",
    "",
    "/a/../b",
    "/workspace/project/../project",
    "/workspace/./project",
    "/a//b",
    "/a\x00b",
    "/workspace/project\n",
    "/" + "x" * 256,
]
Case = tuple[str, Callable[[], Any], type[NexusError], str]


def _expect_all(cases: list[Case]) -> None:
    """Run every case; report each that does not raise exactly (class, detail_code)."""
    wrong = []
    for name, call, cls, code in cases:
        try:
            call()
        except NexusError as exc:
            if type(exc) is not cls or exc.detail_code != code:
                wrong.append(f"{name}: {type(exc).__name__}({exc.detail_code}) {exc}")
            continue
        except Exception as exc:
            wrong.append(f"{name}: raised {type(exc).__name__}: {exc}")
            continue
        wrong.append(f"{name}: did not raise")
    assert wrong == [], "\n".join(wrong)


def _tree(client: NexusClient) -> list[tuple[Any, ...]]:
    return [
        (e["path"], e["type"], e["version"], e["size"], e["owner"], e["restricted"])
        for e in client.list_files("/", recursive=True)
    ]


def _grants(client: NexusClient) -> set[tuple[str, ...]]:
    return {
        (r["subject_type"], r["subject_id"], r["relation"], r["object_type"], r["object_id"])
        for r in client.list_permissions()
    }


def test_bad_file_arguments(team: Deployment) -> None:
    (alice,) = clients(team, "alice")
    system = team.system()
    alice.write(DOC, b"v1")
    before = _tree(system)
    invalid, bad_path = NexusValidationError, "invalid_path"
    new = "/workspace/project/new"

    cases: list[Case] = [
        ("write str data", lambda: alice.write(new, "text"), invalid, "invalid_argument"),
        ("write int data", lambda: alice.write(new, 42), invalid, "invalid_argument"),
        ("write None data", lambda: alice.write(new, None), invalid, "invalid_argument"),
        ("overwrite str data", lambda: alice.write(DOC, "v2"), invalid, "invalid_argument"),
        ("append str data", lambda: alice.append(DOC, "more"), invalid, "invalid_argument"),
        ("write int path", lambda: alice.write(123, b"x"), invalid, bad_path),
        ("read int path", lambda: alice.read(123), invalid, bad_path),
        ("read None path", lambda: alice.read(None), invalid, bad_path),
        ("exists int path", lambda: alice.exists(7), invalid, bad_path),
        ("stat bytes path", lambda: alice.stat(b"/workspace"), invalid, bad_path),
        (
            "if_version bool",
            lambda: alice.write(DOC, b"x", if_version=True),
            invalid,
            "invalid_argument",
        ),
        (
            "if_version str",
            lambda: alice.write(DOC, b"x", if_version="1"),
            invalid,
            "invalid_argument",
        ),
        (
            "if_version float",
            lambda: alice.write(DOC, b"x", if_version=1.0),
            invalid,
            "invalid_argument",
        ),
        (
            "if_none_match str",
            lambda: alice.write(new, b"x", if_none_match="yes"),
            invalid,
            "invalid_argument",
        ),
        ("read version bool", lambda: alice.read(DOC, version=True), invalid, "invalid_argument"),
        ("read version str", lambda: alice.read(DOC, version="1"), invalid, "invalid_argument"),
        ("read version 0", lambda: alice.read(DOC, version=0), invalid, "invalid_argument"),
        ("mkdir parents str", lambda: alice.mkdir(new, parents="yes"), invalid, "invalid_argument"),
        ("mkdir exist_ok int", lambda: alice.mkdir(new, exist_ok=0), invalid, "invalid_argument"),
        (
            "list recursive int",
            lambda: alice.list_files("/workspace", recursive=1),
            invalid,
            "invalid_argument",
        ),
        (
            "delete recursive int",
            lambda: alice.delete(DOC, recursive=1),
            invalid,
            "invalid_argument",
        ),
        ("move int src", lambda: alice.move(1, new), invalid, bad_path),
        ("move bad dst", lambda: alice.move(DOC, "new.md"), invalid, bad_path),
        ("move dst with ..", lambda: alice.move(DOC, "/workspace/project/../x"), invalid, bad_path),
        (
            "restrict str flag",
            lambda: alice.set_restricted("/workspace/project", "yes"),
            invalid,
            "invalid_argument",
        ),
        (
            "restrict int flag",
            lambda: alice.set_restricted("/workspace/project", 1),
            invalid,
            "invalid_argument",
        ),
    ]
    for path in BAD_PATHS:
        cases += [
            (f"write {path!r}", lambda p=path: alice.write(p, b"x"), invalid, bad_path),
            (f"append {path!r}", lambda p=path: alice.append(p, b"x"), invalid, bad_path),
            (f"mkdir {path!r}", lambda p=path: alice.mkdir(p), invalid, bad_path),
            (f"read {path!r}", lambda p=path: alice.read(p), invalid, bad_path),
            (f"stat {path!r}", lambda p=path: alice.stat(p), invalid, bad_path),
            (f"exists {path!r}", lambda p=path: alice.exists(p), invalid, bad_path),
            (f"list {path!r}", lambda p=path: alice.list_files(p), invalid, bad_path),
            (f"delete {path!r}", lambda p=path: alice.delete(p), invalid, bad_path),
            (f"move from {path!r}", lambda p=path: alice.move(p, new), invalid, bad_path),
            (f"move to {path!r}", lambda p=path: alice.move(DOC, p), invalid, bad_path),
        ]
    _expect_all(cases)

    assert _tree(system) == before
    assert alice.read(DOC) == b"v1"


def test_bad_permission_group_session_and_admin_arguments(team: Deployment) -> None:
    alice, bob, admin = clients(team, "alice", "bob", "admin")
    alice.mkdir("/workspace/project")
    admin.create_group("developers")
    before_tree, before_grants = _tree(admin), _grants(admin)
    invalid = NexusValidationError
    missing = "/workspace/project/not-yet"  # a valid grant here would create it

    def grant(*args: Any) -> Any:
        return alice.grant_permission(*args)

    cases: list[Case] = [
        (
            "unknown relation",
            lambda: grant("user", "bob", "file", missing, "can_fly"),
            invalid,
            "unknown_relation",
        ),
        (
            "relation case",
            lambda: grant("user", "bob", "file", missing, "CAN_READ"),
            invalid,
            "unknown_relation",
        ),
        (
            "empty relation",
            lambda: grant("user", "bob", "file", missing, ""),
            invalid,
            "invalid_argument",
        ),
        (
            "int relation",
            lambda: grant("user", "bob", "file", missing, 5),
            invalid,
            "invalid_argument",
        ),
        (
            "unknown subject type",
            lambda: grant("robot", "bob", "file", missing, "can_read"),
            invalid,
            "unknown_subject_type",
        ),
        (
            "unknown user",
            lambda: grant("user", "mallory", "file", missing, "can_read"),
            invalid,
            "unknown_user",
        ),
        (
            "unknown group",
            lambda: grant("group", "ghosts", "file", missing, "can_read"),
            invalid,
            "unknown_group",
        ),
        (
            "user as group",
            lambda: grant("group", "bob", "file", missing, "can_read"),
            invalid,
            "unknown_group",
        ),
        (
            "int subject id",
            lambda: grant("user", 42, "file", missing, "can_read"),
            invalid,
            "invalid_argument",
        ),
        (
            "unknown object type",
            lambda: grant("user", "bob", "folder", missing, "can_read"),
            invalid,
            "unknown_object_type",
        ),
        (
            "relative object",
            lambda: grant("user", "bob", "file", "workspace/x", "can_read"),
            invalid,
            "invalid_path",
        ),
        (
            "object with ..",
            lambda: grant("user", "bob", "file", "/workspace/project/../x", "can_read"),
            invalid,
            "invalid_path",
        ),
        (
            "object with //",
            lambda: grant("user", "bob", "file", "/workspace//x", "can_read"),
            invalid,
            "invalid_path",
        ),
        (
            "write to everyone",
            lambda: grant("user", "*", "file", missing, "can_write"),
            invalid,
            "subject_not_allowed",
        ),
        (
            "revoke unknown relation",
            lambda: alice.revoke_permission("user", "bob", "file", "/workspace/project", "can_fly"),
            invalid,
            "unknown_relation",
        ),
        (
            "revoke unknown user",
            lambda: alice.revoke_permission(
                "user", "mallory", "file", "/workspace/project", "can_read"
            ),
            invalid,
            "unknown_user",
        ),
        (
            "check unknown relation",
            lambda: alice.check_permission(
                "user", "alice", "file", "/workspace/project", "can_fly"
            ),
            invalid,
            "unknown_relation",
        ),
        (
            "check unknown group",
            lambda: alice.check_permission(
                "group", "ghosts", "file", "/workspace/project", "can_read"
            ),
            invalid,
            "unknown_group",
        ),
        (
            "list unknown relation",
            lambda: alice.list_permissions(relation="can_fly"),
            invalid,
            "unknown_relation",
        ),
        (
            "list unknown user",
            lambda: admin.list_permissions(subject_type="user", subject_id="mallory"),
            invalid,
            "unknown_user",
        ),
        (
            "list int object",
            lambda: alice.list_permissions(object_type="file", object_id=5),
            invalid,
            "invalid_path",
        ),
        # A file's object id is a path: refused as one, never stored or looked up.
        (
            "empty object",
            lambda: grant("user", "bob", "file", "", "can_read"),
            invalid,
            "invalid_path",
        ),
        (
            "blank object",
            lambda: alice.check_permission("user", "alice", "file", " \t", "can_read"),
            invalid,
            "invalid_path",
        ),
        (
            "empty object in a batch",
            lambda: alice.check_permissions(
                [
                    {
                        "subject_type": "user",
                        "subject_id": "alice",
                        "relation": "can_read",
                        "object_id": "",
                    }
                ]
            ),
            invalid,
            "invalid_path",
        ),
        (
            "list empty object",
            lambda: alice.list_permissions(object_id=""),
            invalid,
            "invalid_path",
        ),
        (
            "delete empty object",
            lambda: alice.delete_relationships(object_id=""),
            invalid,
            "invalid_path",
        ),
        (
            "list by a subject type alone",
            lambda: alice.list_permissions(subject_type="user"),
            invalid,
            "invalid_subject",
        ),
        (
            "list by a subject id alone",
            lambda: alice.list_permissions(subject_id="bob"),
            invalid,
            "invalid_subject",
        ),
    ]
    # Internal and tree relations can never be stored by a caller.
    for relation in ("can_create", "parent", "inherit_parent", "member", "manager"):
        cases.append(
            (
                f"grant {relation}",
                lambda r=relation: admin.grant_permission("user", "bob", "file", missing, r),
                invalid,
                "unknown_relation",
            )
        )
    _expect_all(cases)

    assert _tree(admin) == before_tree
    assert _grants(admin) == before_grants
    assert alice.exists(missing) is False

    # Groups, sessions, users and keys.
    admin.add_user_to_group("bob", "developers")
    alice.create_session("kept")
    before_identity = (
        admin.list_groups(),
        admin.list_users(),
        admin.list_api_keys(),
        _grants(admin),
    )
    cases = [
        ("group name with spaces", lambda: bob.create_group("Bad Name!"), invalid, "invalid_group"),
        ("group name and newline", lambda: bob.create_group("qa\n"), invalid, "invalid_group"),
        ("empty group name", lambda: bob.create_group(""), invalid, "invalid_argument"),
        ("int group name", lambda: bob.create_group(123), invalid, "invalid_argument"),
        (
            "int description",
            lambda: bob.create_group("qa", description=5),
            invalid,
            "invalid_argument",
        ),
        (
            "existing group",
            lambda: bob.create_group("developers"),
            NexusFileExistsError,
            "group_exists",
        ),
        (
            "add unknown user",
            lambda: admin.add_user_to_group("mallory", "developers"),
            invalid,
            "unknown_user",
        ),
        (
            "add to unknown group",
            lambda: admin.add_user_to_group("carol", "ghosts"),
            invalid,
            "unknown_group",
        ),
        (
            "add int user",
            lambda: admin.add_user_to_group(5, "developers"),
            invalid,
            "invalid_argument",
        ),
        (
            "nest unknown group",
            lambda: admin.add_group_to_group("ghosts", "developers"),
            invalid,
            "unknown_group",
        ),
        (
            "nest in itself",
            lambda: admin.add_group_to_group("developers", "developers"),
            invalid,
            "group_cycle",
        ),
        (
            "remove unknown user",
            lambda: admin.remove_user_from_group("mallory", "developers"),
            invalid,
            "unknown_user",
        ),
        (
            "get unknown group",
            lambda: admin.get_group("ghosts"),
            NexusFileNotFoundError,
            "group_not_found",
        ),
        (
            "delete unknown group",
            lambda: admin.delete_group("ghosts"),
            NexusFileNotFoundError,
            "group_not_found",
        ),
        ("int session name", lambda: bob.create_session(123), invalid, "invalid_argument"),
        ("empty session name", lambda: bob.create_session(""), invalid, "invalid_argument"),
        (
            "int session description",
            lambda: bob.create_session("s", description=5),
            invalid,
            "invalid_argument",
        ),
        ("ttl 0", lambda: bob.create_session("s", ttl=0), invalid, "invalid_argument"),
        ("ttl negative", lambda: bob.create_session("s", ttl=-5), invalid, "invalid_argument"),
        ("ttl bool", lambda: bob.create_session("s", ttl=True), invalid, "invalid_argument"),
        ("ttl str", lambda: bob.create_session("s", ttl="60"), invalid, "invalid_argument"),
        ("ttl float", lambda: bob.create_session("s", ttl=1.5), invalid, "invalid_argument"),
        ("all_users str", lambda: bob.list_sessions(all_users="no"), invalid, "invalid_argument"),
        ("delete int session", lambda: bob.delete_session(5), invalid, "invalid_argument"),
        (
            "bad user id",
            lambda: admin.create_user("Bad Id!", "Bad", "bad@example.com"),
            invalid,
            "invalid_user_id",
        ),
        (
            "user id and newline",
            lambda: admin.create_user("zed\n", "Zed", "zed@example.com"),
            invalid,
            "invalid_user_id",
        ),
        (
            "reserved user id",
            lambda: admin.create_user("system", "Sys", "sys@example.com"),
            invalid,
            "invalid_user_id",
        ),
        (
            "bad email",
            lambda: admin.create_user("zed", "Zed", "not-an-email"),
            invalid,
            "invalid_email",
        ),
        (
            "admin flag str",
            lambda: admin.create_user("zed", "Zed", "zed@example.com", admin="yes"),
            invalid,
            "invalid_argument",
        ),
        (
            "existing user",
            lambda: admin.create_user("alice", "Alice", "a@example.com"),
            NexusFileExistsError,
            "user_exists",
        ),
        (
            "key for unknown user",
            lambda: admin.create_api_key("mallory"),
            NexusFileNotFoundError,
            "user_not_found",
        ),
        (
            "key expires_in 0",
            lambda: admin.create_api_key("bob", expires_in=0),
            invalid,
            "invalid_argument",
        ),
        (
            "key expires_in bool",
            lambda: admin.create_api_key("bob", expires_in=True),
            invalid,
            "invalid_argument",
        ),
        (
            "key int description",
            lambda: admin.create_api_key("bob", description=3),
            invalid,
            "invalid_argument",
        ),
        (
            "disable with str",
            lambda: admin.update_user("bob", disabled="yes"),
            invalid,
            "invalid_argument",
        ),
        (
            "promote with int",
            lambda: admin.update_user("bob", admin=1),
            invalid,
            "invalid_argument",
        ),
        (
            "update unknown user",
            lambda: admin.update_user("mallory", disabled=True),
            NexusFileNotFoundError,
            "user_not_found",
        ),
        (
            "delete unknown user",
            lambda: admin.delete_user("mallory"),
            NexusFileNotFoundError,
            "user_not_found",
        ),
        ("revoke int key id", lambda: admin.revoke_api_key(5), invalid, "invalid_argument"),
    ]
    # Ids that look like URL paths name nothing, over HTTP as in-process.
    gone = NexusFileNotFoundError
    for odd in (".", "..", "a/b", "../admin/users/alice"):
        cases += [
            (f"get_group {odd!r}", lambda o=odd: bob.get_group(o), gone, "group_not_found"),
            (f"delete_group {odd!r}", lambda o=odd: bob.delete_group(o), gone, "group_not_found"),
            (
                f"delete_session {odd!r}",
                lambda o=odd: bob.delete_session(o),
                gone,
                "session_not_found",
            ),
            (f"revoke_api_key {odd!r}", lambda o=odd: bob.revoke_api_key(o), gone, "key_not_found"),
            (
                f"update_user {odd!r}",
                lambda o=odd: admin.update_user(o, disabled=True),
                gone,
                "user_not_found",
            ),
            (f"delete_user {odd!r}", lambda o=odd: admin.delete_user(o), gone, "user_not_found"),
            (
                f"add to group {odd!r}",
                lambda o=odd: admin.add_user_to_group("bob", o),
                invalid,
                "unknown_group",
            ),
        ]
    _expect_all(cases)

    assert (
        admin.list_groups(),
        admin.list_users(),
        admin.list_api_keys(),
        _grants(admin),
    ) == before_identity
    assert bob.list_sessions() == []
    assert [s["name"] for s in alice.list_sessions()] == ["kept"]
    assert bob.whoami() == {"user_id": "bob", "is_admin": False}


def test_a_lone_surrogate_in_any_text_argument_is_refused(team: Deployment) -> None:
    """Not Unicode: refused before it goes anywhere (over HTTP it cannot even be encoded)."""
    alice, admin = clients(team, "alice", "admin")
    before_tree, before_grants = _tree(admin), _grants(admin)
    lone, invalid, arg = "\ud800", NexusValidationError, "invalid_argument"
    cases: list[Case] = [
        (
            "grant subject",
            lambda: alice.grant_permission("user", f"b{lone}", "file", "/workspace/x", "can_read"),
            invalid,
            arg,
        ),
        (
            "check relation",
            lambda: alice.check_permission("user", "alice", "file", "/workspace", lone),
            invalid,
            arg,
        ),
        ("list subject", lambda: alice.list_permissions("user", lone), invalid, arg),
        ("create group", lambda: alice.create_group(f"g{lone}"), invalid, arg),
        ("get group", lambda: alice.get_group(f"g{lone}"), invalid, arg),
        ("add member", lambda: admin.add_user_to_group(lone, "developers"), invalid, arg),
        ("create session", lambda: alice.create_session(f"s{lone}"), invalid, arg),
        ("delete session", lambda: alice.delete_session(lone), invalid, arg),
        ("create user", lambda: admin.create_user(lone, "U", "u@example.com"), invalid, arg),
        ("key description", lambda: admin.create_api_key("bob", lone), invalid, arg),
        ("revoke key", lambda: admin.revoke_api_key(lone), invalid, arg),
        ("audit user", lambda: admin.audit(user=lone), invalid, "invalid_user"),
        ("audit since", lambda: admin.audit(since=lone), invalid, "invalid_time"),
    ]
    _expect_all(cases)
    assert (_tree(admin), _grants(admin)) == (before_tree, before_grants)
    assert alice.list_sessions() == []
