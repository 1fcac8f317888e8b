"""The permission engine through the client: batch check, list objects, list subjects, expand,
bulk relationship writes and deletes, revisions. Files by path, groups by name, never ids."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from nexus import NexusFileNotFoundError, NexusPermissionError, NexusValidationError
from nexus.client.interface import NexusClient
from tests.api.helpers import check, clients, grant, grants_on, raises
from tests.support.deployments import Deployment

PROJECT = "/workspace/project"
SECRET = f"{PROJECT}/secret"


def ask(subject_id: str, path: str, relation: str, subject_type: str = "user") -> dict[str, str]:
    return {
        "subject_type": subject_type,
        "subject_id": subject_id,
        "relation": relation,
        "object_type": "file",
        "object_id": path,
    }


def build_project(team: Deployment) -> dict[str, NexusClient]:
    """Alice's project: bob reads all of it, group devs (carol, via nested group core) writes
    src/, everyone reads public.md, secret/ is restricted (bob's grant from above stops)."""
    alice, bob, carol, admin = clients(team, "alice", "bob", "carol", "admin")
    alice.write(f"{PROJECT}/src/main.py", b"main")
    alice.write(f"{PROJECT}/src/util.py", b"util")
    alice.write(f"{PROJECT}/public.md", b"public")
    alice.write(f"{SECRET}/plan.md", b"plan")
    alice.write("/workspace/alice-only/diary.md", b"diary")
    alice.set_restricted(SECRET)
    alice.create_group("devs")
    alice.create_group("core")
    alice.add_group_to_group("core", "devs")
    alice.add_user_to_group("carol", "core")
    grant(alice, "bob", PROJECT, "can_read")
    grant(alice, "devs", f"{PROJECT}/src", "can_write", subject_type="group")
    grant(alice, "*", f"{PROJECT}/public.md", "can_read")
    return {"alice": alice, "bob": bob, "carol": carol, "admin": admin}


# --- batch check ----------------------------------------------------------------------------


def test_batch_check_answers_in_order_as_single_checks_do(team: Deployment) -> None:
    users = build_project(team)
    alice = users["alice"]
    questions = [
        ask("bob", f"{PROJECT}/src/main.py", "can_read"),  # inherited from the project
        ask("bob", f"{PROJECT}/src/main.py", "can_write"),  # no
        ask("carol", f"{PROJECT}/src/util.py", "can_write"),  # nested group on src/
        ask("carol", f"{PROJECT}/public.md", "can_read"),  # user:*
        ask("carol", PROJECT, "can_read"),  # no
        ask("bob", f"{SECRET}/plan.md", "can_read"),  # restricted: stops at secret/
        ask("carol", f"{PROJECT}/src/main.py", "owner"),  # can_write is not owner
        ask("devs", f"{PROJECT}/src/main.py", "can_write", subject_type="group"),
        ask("bob", f"{PROJECT}/src/main.py", "can_read"),  # repeated: same answer
    ]
    expected = [True, False, True, True, False, False, False, True, True]
    assert alice.check_permissions(questions) == expected
    singles = [
        alice.check_permission(
            q["subject_type"], q["subject_id"], "file", q["object_id"], q["relation"]
        )
        for q in questions
    ]
    assert singles == expected
    # object_type may be left out: files are the only objects.
    short = {k: v for k, v in questions[0].items() if k != "object_type"}
    assert alice.check_permissions([short]) == [True]
    assert alice.check_permissions([]) == []


def test_batch_check_authorization_follows_the_single_check(team: Deployment) -> None:
    users = build_project(team)
    bob, carol, admin = users["bob"], users["carol"], users["admin"]
    # About yourself anywhere: a hidden file is simply False, never an error.
    assert bob.check_permissions(
        [
            ask("bob", f"{SECRET}/plan.md", "can_read"),
            ask("bob", "/workspace/alice-only/diary.md", "can_read"),
            ask("bob", "/workspace/nothing-here", "can_read"),
            ask("bob", f"{PROJECT}/public.md", "can_read"),
        ]
    ) == [False, False, False, True]
    # About others only on what you own: bob reads the project but does not own it.
    with raises(NexusPermissionError, "permission_denied") as info:
        bob.check_permissions(
            [ask("bob", PROJECT, "can_read"), ask("carol", f"{PROJECT}/public.md", "can_read")]
        )
    assert str(info.value).startswith("checks[1]: ")
    # Hidden objects: the 403/404 rule, exactly as for one check.
    with raises(NexusFileNotFoundError, "not_found", path=f"{PROJECT}/nothing"):
        bob.check_permissions([ask("carol", f"{PROJECT}/nothing", "can_read")])
    with raises(NexusPermissionError, "permission_denied"):
        carol.check_permissions([ask("bob", f"{SECRET}/plan.md", "can_read")])
    with raises(NexusPermissionError, "permission_denied"):
        carol.check_permission("user", "bob", "file", f"{SECRET}/plan.md", "can_read")
    # Admins ask anywhere; an admin subject holds everything (as a single check says).
    assert admin.check_permissions(
        [
            ask("bob", f"{SECRET}/plan.md", "can_read"),
            ask("carol", "/workspace/alice-only/diary.md", "can_read"),
            ask("admin", "/workspace/alice-only/diary.md", "owner"),
        ]
    ) == [False, False, True]


def test_batch_check_bad_input(team: Deployment) -> None:
    users = build_project(team)
    alice = users["alice"]
    good = ask("bob", PROJECT, "can_read")
    with raises(NexusValidationError, "unknown_relation") as info:
        alice.check_permissions([good, ask("bob", PROJECT, "can_fly")])
    assert str(info.value).startswith("checks[1]: ")
    with raises(NexusValidationError, "unknown_user"):
        alice.check_permissions([ask("mallory", PROJECT, "can_read")])
    with raises(NexusValidationError, "unknown_subject_type"):
        alice.check_permissions([ask("bob", PROJECT, "can_read", subject_type="robot")])
    with raises(NexusValidationError, "unknown_object_type"):
        alice.check_permissions([{**good, "object_type": "document"}])
    with raises(NexusValidationError, "invalid_argument"):
        alice.check_permissions([{"subject_type": "user", "subject_id": "bob"}])
    with raises(NexusValidationError, "invalid_argument"):
        alice.check_permissions([{**good, "colour": "red"}])
    with raises(NexusValidationError, "invalid_argument"):
        alice.check_permissions(good)  # type: ignore[arg-type]
    with raises(NexusValidationError, "invalid_path"):
        alice.check_permissions([{**good, "object_id": "relative/path"}])
    with raises(NexusValidationError, "batch_too_large"):
        alice.check_permissions([good] * 1001)
    assert alice.check_permissions([good] * 1000) == [True] * 1000


# --- relationships by filter ---------------------------------------------------------------


def test_write_relationships_is_all_or_nothing(team: Deployment) -> None:
    users = build_project(team)
    alice, bob = users["alice"], users["bob"]
    bob.write("/workspace/bobs.txt", b"bob's")
    grant(bob, "alice", "/workspace/bobs.txt", "can_read")  # alice sees it, does not own it
    before_project = grants_on(alice, PROJECT)
    batch = [
        ask("carol", PROJECT, "can_read"),
        ask("devs", f"{PROJECT}/public.md", "can_write", subject_type="group"),
    ]
    refused: list[tuple[dict[str, str], type[Exception], str]] = [
        (
            ask("carol", "/workspace/bobs.txt", "can_read"),
            NexusPermissionError,
            "permission_denied",
        ),
        (ask("carol", f"{PROJECT}/missing.txt", "can_read"), NexusFileNotFoundError, "not_found"),
        (ask("mallory", PROJECT, "can_read"), NexusValidationError, "unknown_user"),
        (ask("*", PROJECT, "can_write"), NexusValidationError, "subject_not_allowed"),
        (ask("carol", PROJECT, "can_create"), NexusValidationError, "unknown_relation"),
        (ask("carol", PROJECT, "member"), NexusValidationError, "unknown_relation"),
    ]
    for bad, cls, code in refused:
        with raises(cls, code) as info:  # type: ignore[arg-type]
            alice.write_relationships([*batch, bad])
        assert str(info.value).startswith("relationships[2]: ")
        # Nothing of the batch was written, and the bad path was not created.
        assert grants_on(alice, PROJECT) == before_project
        assert check(alice, "carol", PROJECT, "can_read") is False
        assert ("group", "devs", "can_write") not in grants_on(alice, f"{PROJECT}/public.md")
    assert alice.exists(f"{PROJECT}/missing.txt") is False
    with raises(NexusValidationError, "batch_too_large"):
        alice.write_relationships([batch[0]] * 1001)

    result = alice.write_relationships(batch)
    assert result["written"] == 2 and result["unchanged"] == 0
    assert check(alice, "carol", PROJECT, "can_read") is True
    assert ("group", "devs", "can_write") in grants_on(alice, f"{PROJECT}/public.md")
    again = alice.write_relationships([*batch, batch[0]])
    assert (again["written"], again["unchanged"]) == (0, 3)
    assert again["revision"] == result["revision"]
    # Bob owns nothing of the project: the owner rule is per object, as for grant.
    with raises(NexusPermissionError, "permission_denied"):
        bob.write_relationships([ask("carol", "/workspace/bobs.txt", "can_read"), batch[0]])
    assert check(bob, "carol", "/workspace/bobs.txt", "can_read") is False
    # Admins write anywhere.
    assert (
        users["admin"].write_relationships([ask("carol", "/workspace/bobs.txt", "can_read")])[
            "written"
        ]
        == 1
    )


def test_delete_relationships_by_filter(team: Deployment) -> None:
    users = build_project(team)
    alice, bob, admin = users["alice"], users["bob"], users["admin"]
    for path in (f"{PROJECT}/public.md", f"{PROJECT}/src/main.py", PROJECT):
        grant(alice, "carol", path, "can_read")
    grant(alice, "carol", f"{PROJECT}/public.md", "can_execute")
    grant(alice, "bob", f"{PROJECT}/public.md", "can_write")
    public = f"{PROJECT}/public.md"

    # Object and relation.
    result = alice.delete_relationships(object_id=public, relation="can_execute")
    assert result["deleted"] == 1
    assert ("user", "carol", "can_read") in grants_on(alice, public)
    # Object and subject: every relation of that subject there.
    assert (
        alice.delete_relationships(object_id=public, subject_type="user", subject_id="carol")[
            "deleted"
        ]
        == 1
    )
    assert not any(s == "carol" for _, s, _ in grants_on(alice, public))
    # Object only: every grant on it, the owner's too, which is refused while it is the last
    # owner grant (last_owner): nothing is deleted then.
    everything = {
        ("user", "alice", "owner"),
        ("user", "bob", "can_write"),
        ("user", "*", "can_read"),
    }
    assert grants_on(alice, public) == everything
    with raises(NexusValidationError, "last_owner", path=public):
        alice.delete_relationships(object_id=public)
    assert grants_on(alice, public) == everything
    for relation in ("can_write", "can_read"):
        assert alice.delete_relationships(object_id=public, relation=relation)["deleted"] == 1
    assert grants_on(admin, public) == {("user", "alice", "owner")}
    assert check(alice, "carol", PROJECT, "can_read") is True
    # Matching nothing deletes nothing and leaves the revision alone.
    before = alice.delete_relationships(object_id=PROJECT, relation="can_execute")
    assert before["deleted"] == 0
    assert alice.delete_relationships(object_id=PROJECT, relation="can_execute") == before

    # Refused: empty filters, non-owners, non-admins across objects, unknown things.
    with raises(NexusValidationError, "empty_filter"):
        alice.delete_relationships()
    with raises(NexusPermissionError, "permission_denied"):
        bob.delete_relationships(object_id=PROJECT, subject_type="user", subject_id="carol")
    with raises(NexusPermissionError, "permission_denied"):
        alice.delete_relationships(subject_type="user", subject_id="carol")
    with raises(NexusFileNotFoundError, "not_found"):
        bob.delete_relationships(object_id=f"{PROJECT}/nothing")
    with raises(NexusPermissionError, "permission_denied"):
        bob.delete_relationships(object_id="/workspace/alice-only/diary.md")
    with raises(NexusValidationError, "unknown_relation"):
        alice.delete_relationships(object_id=PROJECT, relation="member")
    with raises(NexusValidationError, "unknown_user"):
        alice.delete_relationships(object_id=PROJECT, subject_type="user", subject_id="mallory")
    with raises(NexusValidationError, "invalid_subject"):
        alice.delete_relationships(object_id=PROJECT, subject_type="user")
    with raises(NexusValidationError, "filter_too_broad"):
        admin.delete_relationships(relation="can_read")
    assert check(alice, "carol", PROJECT, "can_read") is True

    # Admins remove a subject's grants across objects.
    assert admin.delete_relationships(subject_type="user", subject_id="carol")["deleted"] == 2
    assert check(alice, "carol", f"{PROJECT}/src/main.py", "can_read") is True  # via devs
    assert check(alice, "carol", PROJECT, "can_read") is False


def test_every_relationship_write_returns_a_new_revision(team: Deployment) -> None:
    users = build_project(team)
    alice = users["alice"]
    first = grant(alice, "carol", PROJECT, "can_read")["revision"]
    written = alice.write_relationships([ask("carol", PROJECT, "can_write")])["revision"]
    revoked = alice.revoke_permission("user", "carol", "file", PROJECT, "can_write")["revision"]
    deleted = alice.delete_relationships(object_id=PROJECT, subject_type="user", subject_id="carol")
    assert first < written < revoked < deleted["revision"]


def test_reads_report_the_revision_they_saw(team: Deployment) -> None:
    """Over HTTP every read answer carries the revision; a write bumps it, reads see it."""
    if team.server is None:
        pytest.skip("the revision of reads travels in HTTP bodies")
    build_project(team)
    headers = {"Authorization": f"Bearer {team.keys['alice']}"}
    with httpx.Client(base_url=f"{team.server.url}/api/v1", headers=headers) as http:

        def post(route: str, body: dict[str, Any]) -> dict[str, Any]:
            response = http.post(route, json=body)
            assert response.status_code == 200, response.text
            answer: dict[str, Any] = response.json()
            return answer

        single = post("/permissions/check", ask("bob", PROJECT, "can_read"))
        batch = post("/permissions/check-batch", {"checks": [ask("bob", PROJECT, "can_read")]})
        assert single == {"allowed": True, "revision": batch["revision"]}
        written = post("/permissions/write", {"relationships": [ask("carol", PROJECT, "can_read")]})
        assert written["revision"] > batch["revision"]
        after = post("/permissions/check-batch", {"checks": [ask("carol", PROJECT, "can_read")]})
        assert after == {"results": [True], "revision": written["revision"]}
        for route, params in (
            ("/permissions/objects", {"relation": "can_read", "path": PROJECT}),
            ("/permissions/subjects", {"relation": "can_read", "path": PROJECT}),
            ("/permissions/expand", {"relation": "can_read", "path": PROJECT}),
        ):
            response = http.get(route, params=params)
            assert response.status_code == 200, response.text
            assert response.json()["revision"] == written["revision"]
        # Moving changes what is inherited: the revision moves on too.
        users_alice = team.as_user("alice")
        users_alice.move(f"{PROJECT}/public.md", f"{SECRET}/public.md")
        moved = post("/permissions/check-batch", {"checks": [ask("bob", PROJECT, "can_read")]})
        assert moved["revision"] > written["revision"]
        oversize = http.post(
            "/permissions/check-batch", json={"checks": [ask("a", "/", "x")] * 1001}
        )
        assert oversize.status_code == 400
        assert oversize.json()["error"]["reason"] == "batch_too_large"


# --- list objects ---------------------------------------------------------------------------


def test_list_objects_follows_inheritance_groups_restriction_and_wildcard(
    team: Deployment,
) -> None:
    users = build_project(team)
    alice, bob, carol, admin = users["alice"], users["bob"], users["carol"], users["admin"]
    src = [f"{PROJECT}/src", f"{PROJECT}/src/main.py", f"{PROJECT}/src/util.py"]
    everything = sorted([PROJECT, f"{PROJECT}/public.md", *src, SECRET, f"{SECRET}/plan.md"])
    # Inherited from the project, the project itself included; restricted secret/ is not.
    bob_reads = [PROJECT, f"{PROJECT}/public.md", *src]
    assert bob.list_objects("can_read", PROJECT) == bob_reads
    assert bob.list_objects("can_read", "/workspace") == bob_reads
    assert bob.list_objects("can_read") == bob_reads
    assert bob.list_objects("can_write", PROJECT) == []
    # Through a nested group, and user:* for everyone.
    assert carol.list_objects("can_write", "/workspace") == src
    assert carol.list_objects("can_read", "/workspace") == sorted([*src, f"{PROJECT}/public.md"])
    assert carol.list_objects("can_read", f"{PROJECT}/src") == src
    # The owner (ownership is direct, on everything she made).
    assert alice.list_objects("owner", PROJECT) == everything
    # Admins ask about anyone; an admin subject holds everything, like `check` says.
    assert admin.list_objects("can_read", PROJECT, "user", "bob") == bob_reads
    assert admin.list_objects("can_read", PROJECT) == everything
    assert admin.list_objects("can_execute", PROJECT, "user", "admin") == everything
    assert admin.list_objects("can_write", "/", "group", "devs") == src
    assert admin.list_objects("can_read", "/", "user", "*") == [f"{PROJECT}/public.md"]
    # Non-admins: about themselves, everyone, and groups they belong to (nested too).
    assert bob.list_objects("can_read", "/", "user", "*") == [f"{PROJECT}/public.md"]
    assert carol.list_objects("can_write", "/", "group", "devs") == src
    assert carol.list_objects("can_write", "/", "user", "carol") == src
    # A disabled account holds nothing.
    admin.update_user("carol", disabled=True)
    assert admin.list_objects("can_write", "/", "user", "carol") == []
    admin.update_user("carol", disabled=False)
    # Moving changes what is reached at once.
    alice.move(f"{PROJECT}/src/util.py", f"{SECRET}/util.py")
    assert bob.list_objects("can_read", PROJECT) == bob_reads[:-1]


def test_list_objects_authorization_and_bad_input(team: Deployment) -> None:
    users = build_project(team)
    alice, bob, carol = users["alice"], users["bob"], users["carol"]
    with raises(NexusPermissionError, "permission_denied"):
        bob.list_objects("can_read", "/", "user", "carol")
    with raises(NexusPermissionError, "permission_denied"):
        bob.list_objects("can_write", "/", "group", "devs")  # not a member
    with raises(NexusPermissionError, "permission_denied"):
        alice.list_objects("can_read", "/", "group", "devs")  # manages it, is no member
    # The folder asked about follows the 403/404 rule.
    with raises(NexusFileNotFoundError, "not_found", path=SECRET):
        bob.list_objects("can_read", SECRET)
    with raises(NexusPermissionError, "permission_denied"):
        bob.list_objects("can_read", f"{SECRET}/plan.md")
    with raises(NexusFileNotFoundError, "not_found"):
        carol.list_objects("can_read", "/workspace/alice-only")
    with raises(NexusPermissionError, "permission_denied"):
        carol.list_objects("can_read", "/workspace/alice-only/diary.md")
    with raises(NexusValidationError, "unknown_relation"):
        bob.list_objects("can_fly", PROJECT)
    with raises(NexusValidationError, "unknown_relation"):
        bob.list_objects("can_create", PROJECT)
    with raises(NexusValidationError, "unknown_subject_type"):
        alice.list_objects("can_read", "/", "robot", "r2")
    with raises(NexusValidationError, "unknown_user"):
        users["admin"].list_objects("can_read", "/", "user", "mallory")
    with raises(NexusValidationError, "invalid_subject"):
        alice.list_objects("can_read", "/", "group")
    with raises(NexusValidationError, "invalid_path"):
        alice.list_objects("can_read", "relative")


def test_list_objects_never_shows_expired_sessions(team: Deployment) -> None:
    bob = team.as_user("bob")
    session = bob.create_session("short", ttl=1)
    bob.write(f"{session['path']}/notes.md", b"n")
    assert f"{session['path']}/notes.md" in bob.list_objects("owner", "/sessions")
    time.sleep(1.2)
    assert bob.list_objects("owner", "/sessions") == []
    assert team.as_user("admin").list_objects("can_read", "/sessions") == ["/sessions"]


# --- list subjects and expand ----------------------------------------------------------------


def subjects(found: list[dict[str, Any]]) -> list[str]:
    return [f"{item['subject_type']}:{item['subject_id']}" for item in found]


def test_list_subjects_with_and_without_groups(team: Deployment) -> None:
    users = build_project(team)
    alice, bob, carol, admin = users["alice"], users["bob"], users["carol"], users["admin"]
    main = f"{PROJECT}/src/main.py"
    # Granted on the file or a folder above; the group as a group; never `system`.
    assert subjects(bob.list_subjects(main, "can_write")) == ["group:devs", "user:alice"]
    assert subjects(bob.list_subjects(main, "can_read")) == [
        "group:devs",
        "user:alice",
        "user:bob",
    ]
    # Expanded: users only, members of nested groups included.
    assert subjects(bob.list_subjects(main, "can_write", expand_groups=True)) == [
        "user:alice",
        "user:carol",
    ]
    # Carol cannot read the project: bob's grant there is not hers to see (as in explain).
    assert subjects(carol.list_subjects(main, "can_read", True)) == [
        "user:alice",
        "user:carol",
    ]
    assert subjects(bob.list_subjects(main, "can_read", True)) == [
        "user:alice",
        "user:bob",
        "user:carol",
    ]
    # user:* stands for everyone.
    public = subjects(carol.list_subjects(f"{PROJECT}/public.md", "can_read"))
    assert public == ["user:*", "user:alice"]
    assert subjects(bob.list_subjects(f"{PROJECT}/public.md", "can_read")) == [
        "user:*",
        "user:alice",
        "user:bob",
    ]
    assert "user:*" in subjects(carol.list_subjects(f"{PROJECT}/public.md", "can_read", True))
    # A restricted folder stops grants from above.
    assert subjects(alice.list_subjects(f"{SECRET}/plan.md", "can_read", True)) == ["user:alice"]
    assert subjects(alice.list_subjects(f"{SECRET}/plan.md", "can_read")) == ["user:alice"]
    # A disabled user has nothing; a group cycle terminates and changes nothing.
    admin.update_user("bob", disabled=True)
    assert subjects(admin.list_subjects(main, "can_read", True)) == ["user:alice", "user:carol"]
    admin.update_user("bob", disabled=False)
    alice.add_group_to_group("devs", "core")
    assert subjects(bob.list_subjects(main, "can_write", True)) == ["user:alice", "user:carol"]


def test_list_subjects_and_expand_hide_what_the_caller_cannot_read(team: Deployment) -> None:
    users = build_project(team)
    bob, carol = users["bob"], users["carol"]
    for call in (
        lambda c, p: c.list_subjects(p, "can_read"),
        lambda c, p: c.list_subjects(p, "can_read", True),
        lambda c, p: c.expand_permission(p, "can_read"),
    ):
        with raises(NexusFileNotFoundError, "not_found", path=SECRET):
            call(bob, SECRET)
        with raises(NexusPermissionError, "permission_denied"):
            call(bob, f"{SECRET}/plan.md")
        with raises(NexusPermissionError, "permission_denied"):
            call(carol, f"{SECRET}/plan.md")
        with raises(NexusFileNotFoundError, "not_found"):
            call(bob, f"{PROJECT}/nothing.md")
    with raises(NexusValidationError, "unknown_relation"):
        bob.list_subjects(PROJECT, "can_fly")
    with raises(NexusValidationError, "unknown_relation"):
        bob.expand_permission(PROJECT, "member")


def walk(node: dict[str, Any]) -> list[dict[str, Any]]:
    found = [node]
    for child in node["children"]:
        found.extend(walk(child))
    return found


def test_expand_names_paths_and_groups(team: Deployment) -> None:
    users = build_project(team)
    alice, bob = users["alice"], users["bob"]
    main = f"{PROJECT}/src/main.py"
    tree = bob.expand_permission(main, "can_write")
    assert (tree["object_type"], tree["object_id"], tree["relation"]) == (
        "file",
        main,
        "can_write",
    )
    nodes = walk(tree)
    assert {n["kind"] for n in nodes} >= {"direct", "computed", "tupleset"}
    # Files by path (the entry and the folders above it), groups by name, never an id.
    objects = {(n["object_type"], n["object_id"]) for n in nodes}
    assert ("file", f"{PROJECT}/src") in objects
    assert ("group", "devs") in objects and ("group", "core") in objects
    named = [s for n in nodes for s in n["subjects"]]
    assert {"subject_type": "group", "subject_id": "devs"} in named
    assert {"subject_type": "user", "subject_id": "carol"} in named
    for n in nodes:
        assert not n["object_id"].isdigit()
        assert all(not s["subject_id"].isdigit() for s in n["subjects"])
        assert n["object_type"] in ("file", "group")
        if n["object_type"] == "file":
            assert main.startswith(n["object_id"])  # only the entry and its ancestors
    # A group cycle is cut and marked.
    alice.add_group_to_group("devs", "core")
    cyclic = walk(bob.expand_permission(main, "can_write"))
    assert any(n["cycle"] for n in cyclic)
