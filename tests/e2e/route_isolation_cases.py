"""The cases of test_route_isolation.py: bob aims every route of the API at alice's things.

Each case is one request with ``{placeholders}`` for alice's objects (tests/support/
private_world.py) and the answer the rules prescribe: the 403/404 rule of
docs/architecture.md (decision 3: an entry bob cannot see is "not found" where he sees its
folder, "permission denied" where he does not, whether or not it exists) and the design's
"who may do what" table (users, keys and others' sessions: admins only). ``probe`` names the
hidden object; the same request aimed at its twin (a value naming nothing in the same place)
must get the same answer, so the answer tells bob nothing about whether it exists.

Where bob may create (/workspace, an inbox), a missing name would be created, so those
requests have no twin: decision 3's known limit (a taken name shows when creating fails).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from nexus.api.models import API_PREFIX
from tests.support.private_world import BOB_FILE, SHARED, VAULT

V1 = API_PREFIX


@dataclass(frozen=True)
class Ask:
    method: str
    route: str  # the OpenAPI path template
    url: str | None = None  # the route with its parameters filled in; default: the route
    params: Mapping[str, Any] = field(default_factory=dict)
    body: Any = None  # JSON
    content: bytes | None = None  # a raw body (file content)
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Case:
    name: str
    ask: Ask
    status: int
    code: str | None = None  # the error's code; None for an answer that is not an error
    reason: str | None = None  # the error's reason, when it must be a particular one
    probe: str | None = None  # the placeholder of the hidden object (its twin: same answer)
    # More checks on a successful answer (its JSON body, bob's user id).
    shows: Callable[[Any], None] | None = None
    # The answer may name paths bob asked about before (his own refused attempts).
    names_own_attempts: bool = False


def _denied(name: str, ask: Ask, probe: str | None = None, reason: str | None = None) -> Case:
    return Case(name, ask, 403, "permission_denied", reason, probe)


def _not_found(name: str, ask: Ask, probe: str, reason: str = "not_found") -> Case:
    return Case(name, ask, 404, "not_found", reason, probe)


def _get(route: str, url: str | None = None, **params: Any) -> Ask:
    return Ask("GET", V1 + route, None if url is None else V1 + url, params)


def _post(route: str, body: Any, url: str | None = None, **params: Any) -> Ask:
    return Ask("POST", V1 + route, None if url is None else V1 + url, params, body)


def _put(route: str, content: bytes, **params: Any) -> Ask:
    return Ask("PUT", V1 + route, None, params, None, content)


def _delete(route: str, url: str | None = None, **params: Any) -> Ask:
    return Ask("DELETE", V1 + route, None if url is None else V1 + url, params)


def _append(**params: Any) -> Ask:
    return Ask("POST", V1 + "/files/append", None, params, None, b"bob's line\n")


def _patch(route: str, url: str, body: Any) -> Ask:
    return Ask("PATCH", V1 + route, V1 + url, {}, body)


def _grant(subject_id: str, path: str, relation: str, subject_type: str = "user") -> dict[str, str]:
    return {
        "subject_type": subject_type,
        "subject_id": subject_id,
        "object_type": "file",
        "object_id": path,
        "relation": relation,
    }


# --- checks on answers bob is allowed to get -------------------------------------------


def _no_entries(body: Any) -> None:
    """A listing: anything of alice's in it is caught by the leak check; it must parse."""
    assert isinstance(body["entries"], list)


def _not_exists(body: Any) -> None:
    assert body == {"exists": False}


def _not_allowed(body: Any) -> None:
    assert body["allowed"] is False


def _batch_denied(body: Any) -> None:
    assert body["results"] == [False]


def _bob_only(records: str) -> Callable[[Any], None]:
    def check(body: Any) -> None:
        for record in body[records]:
            assert record.get("subject_id", record.get("user_id")) == "bob", record

    return check


def _only_bobs_events(body: Any) -> None:
    """Bob sees his own attempts (ok or refused) and others' changes only where he reads."""
    for event in body["events"]:
        if event["actor"] == "bob":
            assert event["outcome"] != "ok" or event["path"] == BOB_FILE, event
        else:
            assert event["outcome"] == "ok", event
            assert event["path"].startswith(SHARED), event
            assert not event["path"].startswith(VAULT) and event["target"] is None, event


def _is_bob(body: Any) -> None:
    assert body == {"user_id": "bob", "is_admin": False}


def _public_groups(body: Any) -> None:
    # Group names and members are public (decision 7); nothing of alice's files is in them.
    assert {group["name"] for group in body["groups"]} == {"alice-team"}


def _public_group(body: Any) -> None:
    assert (body["name"], body["members"]) == ("alice-team", ["user:dave"])


def _health(body: Any) -> None:
    assert body["status"] == "ok"


# --- the cases -------------------------------------------------------------------------

BOB_READS = [
    _denied("read a file", _get("/files/content", path="{plan}"), "plan"),
    _denied("read an old version", _get("/files/content", path="{plan}", version=1), "plan"),
    _denied(
        "read a range",
        Ask("GET", V1 + "/files/content", None, {"path": "{plan}"}, headers={"Range": "bytes=0-3"}),
        "plan",
    ),
    _not_found("read a folder", _get("/files/content", path="{top}"), "top"),
    _denied("read a session's file", _get("/files/content", path="{findings}"), "findings"),
    _denied("read an inbox letter", _get("/files/content", path="{letter}"), "letter"),
    _not_found("stat a folder", _get("/files/stat", path="{top}"), "top"),
    _denied("stat a file", _get("/files/stat", path="{plan}"), "plan"),
    _denied("stat a subfolder", _get("/files/stat", path="{notes}"), "notes"),
    _not_found("stat a session", _get("/files/stat", path="{session}"), "session"),
    _denied("stat a session's file", _get("/files/stat", path="{findings}"), "findings"),
    _not_found("stat an inbox", _get("/files/stat", path="{inbox}"), "inbox"),
    _denied("stat an inbox letter", _get("/files/stat", path="{letter}"), "letter"),
    *(
        Case(f"exists: {what}", _get("/files/exists", path=f"{{{what}}}"), 200, probe=what)
        for what in ("top", "plan", "notes", "session", "findings", "inbox", "letter")
    ),
    _not_found("list a folder", _get("/files/list", path="{top}"), "top"),
    _not_found(
        "list a folder recursively", _get("/files/list", path="{top}", recursive=True), "top"
    ),
    _denied("list a subfolder", _get("/files/list", path="{notes}"), "notes"),
    _denied("list a file", _get("/files/list", path="{plan}"), "plan"),
    _not_found("list a session", _get("/files/list", path="{session}"), "session"),
    _not_found("list an inbox", _get("/files/list", path="{inbox}"), "inbox"),
    *(
        Case(
            f"list {where}", _get("/files/list", path=where, recursive=deep), 200, shows=_no_entries
        )
        for where, deep in (
            ("/workspace", False),
            ("/sessions", False),
            ("/workspace/.notifications", False),
            ("/", True),
        )
    ),
    _denied("list versions", _get("/files/versions", path="{plan}"), "plan"),
    _not_found("list a folder's versions", _get("/files/versions", path="{top}"), "top"),
    _denied(
        "list a session file's versions", _get("/files/versions", path="{findings}"), "findings"
    ),
    _denied("list a letter's versions", _get("/files/versions", path="{letter}"), "letter"),
    _denied("lock info", _get("/locks", path="{plan}"), "plan"),
    _not_found("lock info of a folder", _get("/locks", path="{top}"), "top"),
    _denied("lock info in a session", _get("/locks", path="{findings}"), "findings"),
    _denied("activity of a file", _get("/activity", path="{plan}"), "plan"),
    _not_found("activity of a folder", _get("/activity", path="{top}"), "top"),
    _not_found("activity of a session", _get("/activity", path="{session}"), "session"),
    _not_found("activity of an inbox", _get("/activity", path="{inbox}"), "inbox"),
    Case(
        "activity everywhere",
        _get("/activity", path="/"),
        200,
        shows=_only_bobs_events,
        names_own_attempts=True,
    ),
]

BOB_WRITES = [
    _denied("overwrite a file", _put("/files/content", b"bob was here", path="{plan}"), "plan"),
    _denied(
        "overwrite at a version",
        _put("/files/content", b"bob was here", path="{plan}", if_version=3),
        "plan",
    ),
    _denied(
        "create-only over a file",
        _put("/files/content", b"bob was here", path="{plan}", if_none_match=True),
        "plan",
    ),
    # A write with if_version never creates: a hidden name must look absent.
    _not_found(
        "conditional write over a folder",
        _put("/files/content", b"x", path="{top}", if_version=1),
        "top",
    ),
    _denied("create in a subfolder", _put("/files/content", b"x", path="{notes}/new.md"), "notes"),
    _denied("create below a file", _put("/files/content", b"x", path="{plan}/new.md"), "plan"),
    _denied(
        "overwrite a session's file", _put("/files/content", b"x", path="{findings}"), "findings"
    ),
    _denied(
        "create in a session", _put("/files/content", b"x", path="{session}/new.md"), "session"
    ),
    _denied(
        "conditional write over a letter",
        _put("/files/content", b"x", path="{letter}", if_version=1),
        "letter",
    ),
    _denied("overwrite a letter", _put("/files/content", b"x", path="{letter}")),
    _denied("append to a file", _append(path="{plan}"), "plan"),
    _denied("append in a session", _append(path="{findings}"), "findings"),
    _denied("append to a letter", _append(path="{letter}")),
    _denied("mkdir over a subfolder", _post("/files/mkdir", {"path": "{notes}"}), "notes"),
    _denied("mkdir in a subfolder", _post("/files/mkdir", {"path": "{notes}/sub"}), "notes"),
    _denied("mkdir over a folder", _post("/files/mkdir", {"path": "{top}"})),
    # Without parents nothing above is made: a hidden folder must look absent.
    _not_found(
        "mkdir in a folder without parents",
        _post("/files/mkdir", {"path": "{top}/sub", "parents": False}),
        "top",
    ),
    _denied(
        "mkdir deep in a folder without parents",
        _post("/files/mkdir", {"path": "{top}/a/b", "parents": False}),
        "top",
    ),
    _denied("mkdir in a session", _post("/files/mkdir", {"path": "{session}/sub"}), "session"),
    _denied("mkdir in an inbox", _post("/files/mkdir", {"path": "{inbox}/sub"})),
    _denied("delete a file", _delete("/files", path="{plan}"), "plan"),
    _not_found("delete a folder", _delete("/files", path="{top}", recursive=True), "top"),
    _denied("delete a subfolder", _delete("/files", path="{notes}", recursive=True), "notes"),
    _not_found("delete a session", _delete("/files", path="{session}", recursive=True), "session"),
    _denied("delete a session's file", _delete("/files", path="{findings}"), "findings"),
    _not_found("delete an inbox", _delete("/files", path="{inbox}", recursive=True), "inbox"),
    _denied("delete a letter", _delete("/files", path="{letter}"), "letter"),
    _denied(
        "move a file out", _post("/files/move", {"src": "{plan}", "dst": "/workspace/b.md"}), "plan"
    ),
    _not_found(
        "move a folder out", _post("/files/move", {"src": "{top}", "dst": "/workspace/b"}), "top"
    ),
    _denied(
        "rename a file in place",
        _post("/files/move", {"src": "{plan}", "dst": "{top}/b.md"}),
        "plan",
    ),
    _denied(
        "move a session's file out",
        _post("/files/move", {"src": "{findings}", "dst": "/workspace/b.md"}),
        "findings",
    ),
    _not_found(
        "move a session out",
        _post("/files/move", {"src": "{session}", "dst": "/workspace/b"}),
        "session",
    ),
    _denied(
        "move a letter out",
        _post("/files/move", {"src": "{letter}", "dst": "/workspace/b.json"}),
        "letter",
    ),
    # Moves never make folders: a hidden destination folder must look absent.
    _not_found(
        "move into a folder", _post("/files/move", {"src": BOB_FILE, "dst": "{top}/b.md"}), "top"
    ),
    _denied(
        "move into a subfolder",
        _post("/files/move", {"src": BOB_FILE, "dst": "{notes}/b.md"}),
        "notes",
    ),
    _not_found(
        "move over a file", _post("/files/move", {"src": BOB_FILE, "dst": "{plan}"}), "plan"
    ),
    _not_found(
        "move into a session",
        _post("/files/move", {"src": BOB_FILE, "dst": "{session}/b.md"}),
        "session",
    ),
    _not_found(
        "move into an inbox",
        _post("/files/move", {"src": BOB_FILE, "dst": "{inbox}/b.md"}),
        "inbox",
    ),
    _denied(
        "copy a file out", _post("/files/copy", {"src": "{plan}", "dst": "/workspace/c.md"}), "plan"
    ),
    _not_found(
        "copy a folder out", _post("/files/copy", {"src": "{top}", "dst": "/workspace/c"}), "top"
    ),
    _denied(
        "copy a subfolder out",
        _post("/files/copy", {"src": "{notes}", "dst": "/workspace/c"}),
        "notes",
    ),
    _not_found(
        "copy a session out",
        _post("/files/copy", {"src": "{session}", "dst": "/workspace/c"}),
        "session",
    ),
    _denied(
        "copy a session's file out",
        _post("/files/copy", {"src": "{findings}", "dst": "/workspace/c.md"}),
        "findings",
    ),
    _denied(
        "copy a letter out",
        _post("/files/copy", {"src": "{letter}", "dst": "/workspace/c.json"}),
        "letter",
    ),
    _denied(
        "copy into a subfolder",
        _post("/files/copy", {"src": BOB_FILE, "dst": "{notes}/c.md"}),
        "notes",
    ),
    _denied("copy over a file", _post("/files/copy", {"src": BOB_FILE, "dst": "{plan}"}), "plan"),
    _denied(
        "copy into a session",
        _post("/files/copy", {"src": BOB_FILE, "dst": "{session}/c.md"}),
        "session",
    ),
    _not_found("restrict a folder", _post("/files/restrict", {"path": "{top}"}), "top"),
    _denied(
        "unrestrict a subfolder",
        _post("/files/restrict", {"path": "{notes}", "restricted": False}),
        "notes",
    ),
    _not_found("restrict a session", _post("/files/restrict", {"path": "{session}"}), "session"),
    _not_found("restrict an inbox", _post("/files/restrict", {"path": "{inbox}"}), "inbox"),
    _denied("restore a version", _post("/files/restore", {"path": "{plan}", "version": 1}), "plan"),
    _denied(
        "restore an unknown version",
        _post("/files/restore", {"path": "{plan}", "version": 99}),
        "plan",
    ),
    _denied(
        "restore at a version",
        _post("/files/restore", {"path": "{plan}", "version": 1, "if_version": 3}),
        "plan",
    ),
    _denied(
        "restore in a session",
        _post("/files/restore", {"path": "{findings}", "version": 1}),
        "findings",
    ),
    _not_found("restore a folder", _post("/files/restore", {"path": "{top}", "version": 1}), "top"),
    _denied("lock a file", _post("/locks", {"path": "{plan}", "ttl": 60}), "plan"),
    _not_found("lock a folder", _post("/locks", {"path": "{top}", "ttl": 60}), "top"),
    _denied(
        "lock a session's file", _post("/locks", {"path": "{findings}", "ttl": 60}), "findings"
    ),
    _denied("lock a letter", _post("/locks", {"path": "{letter}", "ttl": 60}), "letter"),
    _denied(
        "extend a lock",
        _post("/locks/extend", {"path": "{plan}", "token": "nxl_guess", "ttl": 60}),
        "plan",
    ),
    _denied("unlock", _post("/locks/unlock", {"path": "{plan}", "token": "nxl_guess"}), "plan"),
    Case(
        "break a lock",
        _post("/locks/unlock", {"path": "{plan}", "token": None}),
        400,
        "invalid_argument",
        "missing_token",
        "plan",
    ),
]

BOB_PERMISSIONS = [
    _denied(
        "grant on a file", _post("/permissions/grant", _grant("bob", "{plan}", "can_read")), "plan"
    ),
    _denied("grant on a folder", _post("/permissions/grant", _grant("bob", "{top}", "owner"))),
    _denied(
        "grant on a subfolder",
        _post("/permissions/grant", _grant("bob", "{notes}", "can_write")),
        "notes",
    ),
    _denied(
        "grant on a session",
        _post("/permissions/grant", _grant("bob", "{session}", "can_read")),
        "session",
    ),
    _denied(
        "grant in a session",
        _post("/permissions/grant", _grant("bob", "{findings}", "owner")),
        "findings",
    ),
    _denied("grant on an inbox", _post("/permissions/grant", _grant("bob", "{inbox}", "can_read"))),
    _denied(
        "grant on a letter",
        _post("/permissions/grant", _grant("bob", "{letter}", "can_read")),
        "letter",
    ),
    _denied(
        "grant to everyone", _post("/permissions/grant", _grant("*", "{plan}", "can_read")), "plan"
    ),
    _not_found(
        "revoke a grant of a folder",
        _post("/permissions/revoke", _grant("carol", "{top}", "can_read")),
        "top",
    ),
    _denied(
        "revoke the owner", _post("/permissions/revoke", _grant("alice", "{plan}", "owner")), "plan"
    ),
    _denied(
        "check another on a file",
        _post("/permissions/check", _grant("alice", "{plan}", "can_read")),
        "plan",
    ),
    _not_found(
        "check another on a folder",
        _post("/permissions/check", _grant("carol", "{top}", "can_read")),
        "top",
    ),
    Case(
        "check oneself",
        _post("/permissions/check", _grant("bob", "{plan}", "can_read")),
        200,
        probe="plan",
        shows=_not_allowed,
    ),
    _denied("grants on a file", _get("/permissions", object_id="{plan}"), "plan"),
    _not_found("grants on a folder", _get("/permissions", object_id="{top}"), "top"),
    _denied(
        "grants of another",
        _get("/permissions", subject_type="user", subject_id="{alice}"),
        "alice",
    ),
    Case("one's own grants", _get("/permissions"), 200, shows=_bob_only("permissions")),
    _denied(
        "batch check another",
        _post("/permissions/check-batch", {"checks": [_grant("alice", "{plan}", "can_read")]}),
        "plan",
    ),
    Case(
        "batch check oneself",
        _post("/permissions/check-batch", {"checks": [_grant("bob", "{plan}", "can_read")]}),
        200,
        probe="plan",
        shows=_batch_denied,
    ),
    _not_found(
        "list objects in a folder",
        _get("/permissions/objects", relation="can_read", path="{top}"),
        "top",
    ),
    _denied(
        "list objects of another",
        _get(
            "/permissions/objects", relation="can_read", subject_type="user", subject_id="{alice}"
        ),
        "alice",
    ),
    _denied(
        "list objects of a group one is not in",
        _get(
            "/permissions/objects", relation="can_read", subject_type="group", subject_id="{group}"
        ),
        "group",
    ),
    Case(
        "list one's objects",
        _get("/permissions/objects", relation="can_read", path="/"),
        200,
        shows=lambda body: None,
    ),
    _denied(
        "list subjects of a file",
        _get("/permissions/subjects", path="{plan}", relation="can_read"),
        "plan",
    ),
    _not_found(
        "list subjects of a folder",
        _get("/permissions/subjects", path="{top}", relation="can_read", expand_groups=True),
        "top",
    ),
    _denied("expand a file", _get("/permissions/expand", path="{plan}", relation="owner"), "plan"),
    _not_found(
        "expand a folder", _get("/permissions/expand", path="{top}", relation="can_read"), "top"
    ),
    _denied(
        "bulk grant on a file",
        _post("/permissions/write", {"relationships": [_grant("bob", "{plan}", "owner")]}),
        "plan",
    ),
    _not_found(
        "bulk grant on a folder",
        _post("/permissions/write", {"relationships": [_grant("bob", "{top}", "can_read")]}),
        "top",
    ),
    _not_found(
        "bulk revoke on a folder", _post("/permissions/delete", {"object_id": "{top}"}), "top"
    ),
    _denied(
        "bulk revoke on a file",
        _post("/permissions/delete", {"object_id": "{plan}", "relation": "owner"}),
        "plan",
    ),
    _denied(
        "bulk revoke of another",
        _post("/permissions/delete", {"subject_type": "user", "subject_id": "{alice}"}),
        "alice",
    ),
    _denied(
        "explain another",
        _post("/permissions/explain", _grant("alice", "{plan}", "can_read")),
        "plan",
    ),
    _not_found(
        "explain another on a folder",
        _post("/permissions/explain", _grant("carol", "{top}", "can_read")),
        "top",
    ),
    Case(
        "explain oneself",
        _post("/permissions/explain", _grant("bob", "{plan}", "can_write")),
        200,
        probe="plan",
        shows=_not_allowed,
    ),
]

BOB_GROUPS_AND_SESSIONS = [
    Case("list groups", _get("/groups"), 200, shows=_public_groups),
    Case("read a group", _get("/groups/{name}", url="/groups/{group}"), 200, shows=_public_group),
    Case(
        "take a group's name",
        _post("/groups", {"name": "{group}"}),
        409,
        "already_exists",
        "group_exists",
    ),
    _denied("delete a group", _delete("/groups/{name}", url="/groups/{group}")),
    _denied(
        "join a group",
        _post(
            "/groups/{name}/members",
            {"subject_type": "user", "subject_id": "bob"},
            url="/groups/{group}/members",
        ),
    ),
    # Whether an account exists is no business of someone who may not manage the group.
    _denied(
        "add another to a group",
        _post(
            "/groups/{name}/members",
            {"subject_type": "user", "subject_id": "{alice}"},
            url="/groups/{group}/members",
        ),
        "alice",
    ),
    _denied(
        "remove a member",
        _delete(
            "/groups/{name}/members/{subject_type}/{subject_id}",
            url="/groups/{group}/members/user/dave",
        ),
    ),
    _denied(
        "remove another from a group",
        _delete(
            "/groups/{name}/members/{subject_type}/{subject_id}",
            url="/groups/{group}/members/user/{alice}",
        ),
        "alice",
    ),
    # A session's id is the server's to choose: a caller's is refused, not honoured.
    Case(
        "create a session with a chosen id",
        _post("/sessions", {"name": "mine", "id": "{session_id}"}),
        400,
        "invalid_argument",
        "invalid_request",
        "session_id",
    ),
    Case("list sessions", _get("/sessions"), 200, shows=lambda body: None),
    _denied("list everyone's sessions", _get("/sessions", all=True)),
    Case(
        "delete a session",
        _delete("/sessions/{session_id}", url="/sessions/{session_id}"),
        404,
        "not_found",
        "session_not_found",
        "session_id",
    ),
]

BOB_ADMIN = [
    Case("public health", Ask("GET", "/health"), 200, shows=_health),
    Case("whoami", _get("/whoami"), 200, shows=_is_bob),
    _denied("list users", _get("/admin/users")),
    _denied(
        "create a user",
        _post("/admin/users", {"id": "mallory", "name": "M", "email": "m@example.com"}),
    ),
    _denied(
        "create an admin",
        _post("/admin/users", {"id": "mallory", "name": "M", "email": "m@x.io", "admin": True}),
    ),
    _denied(
        "disable a user",
        _patch("/admin/users/{user_id}", "/admin/users/{alice}", {"disabled": True}),
        "alice",
    ),
    _denied(
        "promote oneself", _patch("/admin/users/{user_id}", "/admin/users/bob", {"admin": True})
    ),
    _denied(
        "delete a user", _delete("/admin/users/{user_id}", url="/admin/users/{alice}"), "alice"
    ),
    _denied(
        "make a key for another",
        _post("/admin/users/{user_id}/keys", {}, url="/admin/users/{alice}/keys"),
        "alice",
    ),
    _denied(
        "make a key for oneself",
        _post("/admin/users/{user_id}/keys", {}, url="/admin/users/bob/keys"),
    ),
    _denied("list another's keys", _get("/admin/keys", user_id="{alice}"), "alice"),
    Case("list one's keys", _get("/admin/keys"), 200, shows=_bob_only("keys")),
    Case(
        "revoke another's key",
        _delete("/admin/keys/{key_id}", url="/admin/keys/{alice_key}"),
        404,
        "not_found",
        "key_not_found",
        "alice_key",
    ),
    _denied("collect garbage", _post("/admin/gc", None)),
    _denied("audit", _get("/admin/audit")),
    _denied("audit another", _get("/admin/audit", user="{alice}"), "alice"),
]

# A restricted folder in a folder bob reads: he sees the folder, so a hidden name in it is
# "not found", and he may create nothing there, so every call has a twin.
BOB_IN_A_FOLDER_HE_READS = [
    _not_found("stat a hidden folder", _get("/files/stat", path="{vault}"), "vault"),
    _denied("stat in a hidden folder", _get("/files/stat", path="{vault_file}"), "vault_file"),
    _denied("read in a hidden folder", _get("/files/content", path="{vault_file}"), "vault_file"),
    _not_found("list a hidden folder", _get("/files/list", path="{vault}"), "vault"),
    Case("exists: a hidden folder", _get("/files/exists", path="{vault}"), 200, probe="vault"),
    Case(
        "list a folder one reads",
        _get("/files/list", path=SHARED, recursive=True),
        200,
        shows=_no_entries,
    ),
    _denied("write over a hidden folder", _put("/files/content", b"x", path="{vault}"), "vault"),
    _denied(
        "write in a hidden folder",
        _put("/files/content", b"x", path="{vault_file}"),
        "vault_file",
    ),
    _not_found(
        "conditional write over a hidden folder",
        _put("/files/content", b"x", path="{vault}", if_version=1),
        "vault",
    ),
    _denied("append in a hidden folder", _append(path="{vault_file}"), "vault_file"),
    _denied("mkdir over a hidden folder", _post("/files/mkdir", {"path": "{vault}"}), "vault"),
    _denied("mkdir in a hidden folder", _post("/files/mkdir", {"path": "{vault}/s"}), "vault"),
    _not_found(
        "mkdir in a hidden folder without parents",
        _post("/files/mkdir", {"path": "{vault}/s", "parents": False}),
        "vault",
    ),
    _not_found(
        "delete a hidden folder", _delete("/files", path="{vault}", recursive=True), "vault"
    ),
    _not_found(
        "move a hidden folder out",
        _post("/files/move", {"src": "{vault}", "dst": "/workspace/v"}),
        "vault",
    ),
    _denied(
        "move onto a hidden folder",
        _post("/files/move", {"src": BOB_FILE, "dst": "{vault}"}),
        "vault",
    ),
    _not_found(
        "move into a hidden folder",
        _post("/files/move", {"src": BOB_FILE, "dst": "{vault}/b.md"}),
        "vault",
    ),
    _not_found(
        "copy a hidden folder out",
        _post("/files/copy", {"src": "{vault}", "dst": "/workspace/v"}),
        "vault",
    ),
    _denied(
        "copy onto a hidden folder",
        _post("/files/copy", {"src": BOB_FILE, "dst": "{vault}"}),
        "vault",
    ),
    _denied(
        "copy into a hidden folder",
        _post("/files/copy", {"src": BOB_FILE, "dst": "{vault}/c.md"}),
        "vault",
    ),
    _not_found(
        "unrestrict a hidden folder",
        _post("/files/restrict", {"path": "{vault}", "restricted": False}),
        "vault",
    ),
    _denied(
        "versions in a hidden folder", _get("/files/versions", path="{vault_file}"), "vault_file"
    ),
    _denied(
        "lock in a hidden folder",
        _post("/locks", {"path": "{vault_file}", "ttl": 60}),
        "vault_file",
    ),
    _not_found("activity of a hidden folder", _get("/activity", path="{vault}"), "vault"),
    _denied(
        "grant on a hidden folder",
        _post("/permissions/grant", _grant("bob", "{vault}", "can_read")),
        "vault",
    ),
    _not_found(
        "bulk grant on a hidden folder",
        _post("/permissions/write", {"relationships": [_grant("bob", "{vault}", "owner")]}),
        "vault",
    ),
    _not_found("grants on a hidden folder", _get("/permissions", object_id="{vault}"), "vault"),
    Case(
        "check oneself on a hidden folder",
        _post("/permissions/check", _grant("bob", "{vault}", "can_read")),
        200,
        probe="vault",
        shows=_not_allowed,
    ),
    _not_found(
        "expand a hidden folder",
        _get("/permissions/expand", path="{vault}", relation="can_read"),
        "vault",
    ),
    Case(
        "list what everyone may read",
        _get("/permissions/objects", relation="can_read", subject_type="user", subject_id="*"),
        200,
        shows=lambda body: None,
    ),
]

README = f"{SHARED}/readme.md"

# What bob may read he sees, so he is told "permission denied"; he still changes nothing.
BOB_AS_A_READER = [
    _denied("overwrite a file one reads", _put("/files/content", b"x", path=README)),
    _denied("append to a file one reads", _append(path=README)),
    _denied("create in a folder one reads", _put("/files/content", b"x", path=f"{SHARED}/n.md")),
    _denied("delete a file one reads", _delete("/files", path=README)),
    _denied("delete a folder one reads", _delete("/files", path=SHARED, recursive=True)),
    _denied("move a file one reads", _post("/files/move", {"src": README, "dst": "/workspace/r"})),
    _denied(
        "copy into a folder one reads",
        _post("/files/copy", {"src": BOB_FILE, "dst": f"{SHARED}/c.md"}),
    ),
    Case(
        "copy over a file one reads",
        _post("/files/copy", {"src": BOB_FILE, "dst": README}),
        409,
        "already_exists",
    ),
    _denied("restrict a folder one reads", _post("/files/restrict", {"path": SHARED})),
    _denied("restore a file one reads", _post("/files/restore", {"path": README, "version": 1})),
    _denied("lock a file one reads", _post("/locks", {"path": README, "ttl": 60})),
    _denied(
        "grant on a folder one reads", _post("/permissions/grant", _grant("bob", SHARED, "owner"))
    ),
    _denied(
        "revoke on a folder one reads",
        _post("/permissions/revoke", _grant("bob", SHARED, "can_read")),
    ),
    _denied(
        "check another on a file one reads",
        _post("/permissions/check", _grant("alice", README, "owner")),
    ),
    _denied(
        "bulk grant on a folder one reads",
        _post("/permissions/write", {"relationships": [_grant("bob", SHARED, "can_write")]}),
    ),
    _denied(
        "bulk revoke on a folder one reads", _post("/permissions/delete", {"object_id": SHARED})
    ),
]

CASES: list[Case] = [
    *BOB_READS,
    *BOB_WRITES,
    *BOB_PERMISSIONS,
    *BOB_IN_A_FOLDER_HE_READS,
    *BOB_AS_A_READER,
    *BOB_GROUPS_AND_SESSIONS,
    *BOB_ADMIN,
]
