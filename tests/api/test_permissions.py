"""Grants: the relation hierarchy, inheritance down the tree, who may grant, grant/revoke rules."""

from __future__ import annotations

from nexus import (
    NexusFileNotFoundError,
    NexusPermissionError,
)
from tests.api.helpers import check, clients, grant, grants_on, paths, raises, revoke
from tests.support.deployments import Deployment

PROJECT = "/workspace/team-project"


def test_relation_hierarchy(team: Deployment) -> None:
    """owner ⊃ can_write ⊃ can_read; can_execute ⊃ can_read (and nothing more)."""
    alice, bob, carol = clients(team, "alice", "bob", "carol")
    files = {
        rel: f"{PROJECT}/{rel}.txt" for rel in ("owner", "can_write", "can_read", "can_execute")
    }
    for relation, path in files.items():
        alice.write(path, relation.encode())
        grant(alice, "bob", path, relation)

    implied = {
        "owner": {"owner", "can_write", "can_read", "can_execute"},
        "can_write": {"can_write", "can_read"},
        "can_read": {"can_read"},
        "can_execute": {"can_execute", "can_read"},
    }
    for granted, path in files.items():
        for asked in ("owner", "can_write", "can_read", "can_execute"):
            expected = asked in implied[granted]
            assert check(alice, "bob", path, asked) is expected, (granted, asked)
            # Bob may ask about his own access, with the same answer.
            assert check(bob, "bob", path, asked) is expected, (granted, asked)

    # What Bob can do follows: everyone of them reads ...
    for relation, path in files.items():
        assert bob.read(path) == relation.encode()
    # ... writers and owners write ...
    bob.write(files["owner"], b"bob")
    bob.write(files["can_write"], b"bob")
    for relation in ("can_read", "can_execute"):
        with raises(NexusPermissionError, "permission_denied"):
            bob.write(files[relation], b"bob")
        assert alice.read(files[relation]) == relation.encode()
    # ... and only the owner shares.
    grant(bob, "carol", files["owner"], "can_read")
    assert carol.read(files["owner"]) == b"bob"
    for relation in ("can_write", "can_read", "can_execute"):
        with raises(NexusPermissionError, "permission_denied"):
            grant(bob, "carol", files[relation], "can_read")
        assert ("user", "carol", "can_read") not in grants_on(alice, files[relation])
        assert check(alice, "carol", files[relation], "can_read") is False


def test_directory_grants_reach_everything_below_now_and_later(team: Deployment) -> None:
    alice, bob = clients(team, "alice", "bob")
    alice.write(f"{PROJECT}/src/existing.py", b"old")
    alice.write("/workspace/private/incoming.md", b"moved in")
    grant(alice, "bob", PROJECT, "can_read")

    assert bob.read(f"{PROJECT}/src/existing.py") == b"old"
    # Created after the grant, deep below.
    alice.write(f"{PROJECT}/src/new/later.py", b"later")
    assert bob.read(f"{PROJECT}/src/new/later.py") == b"later"
    # Moved in after the grant.
    with raises(NexusPermissionError):
        bob.read("/workspace/private/incoming.md")
    alice.move("/workspace/private/incoming.md", f"{PROJECT}/incoming.md")
    assert bob.read(f"{PROJECT}/incoming.md") == b"moved in"
    assert paths(bob.list_files(PROJECT, recursive=True)) == {
        f"{PROJECT}/src",
        f"{PROJECT}/src/existing.py",
        f"{PROJECT}/src/new",
        f"{PROJECT}/src/new/later.py",
        f"{PROJECT}/incoming.md",
    }
    # Moved out again: the grant no longer reaches it.
    alice.move(f"{PROJECT}/incoming.md", "/workspace/private/incoming.md")
    with raises(NexusPermissionError, "permission_denied"):
        bob.read("/workspace/private/incoming.md")
    assert bob.exists("/workspace/private/incoming.md") is False

    # A write grant on the directory lets Bob create inside it; he owns what he creates.
    grant(alice, "bob", PROJECT, "can_write")
    assert bob.write(f"{PROJECT}/src/bob.py", b"bob")["owner"] == "bob"
    bob.write(f"{PROJECT}/src/existing.py", b"edited by bob")
    assert alice.read(f"{PROJECT}/src/existing.py") == b"edited by bob"
    # The directory's owner writes what Bob made inside it, but ownership is not inherited:
    # only Bob shares his file (docs/architecture.md, decision 1a).
    assert check(alice, "alice", f"{PROJECT}/src/bob.py", "can_write") is True
    assert check(alice, "alice", f"{PROJECT}/src/bob.py", "owner") is False

    # A can_read grant to every user ('*') reaches everyone, also users created later.
    alice.write("/workspace/public/notice.md", b"notice")
    grant(alice, "*", "/workspace/public", "can_read")
    assert team.as_user("carol").read("/workspace/public/notice.md") == b"notice"
    admin = team.as_user("admin")
    admin.create_user("dave", "Dave", "dave@example.com")
    dave = team.connect_key(admin.create_api_key("dave")["key"])
    assert dave.read("/workspace/public/notice.md") == b"notice"
    revoke(alice, "*", "/workspace/public", "can_read")
    with raises(NexusPermissionError, "permission_denied"):
        dave.read("/workspace/public/notice.md")

    # A deleted file takes its grants along: a new file at the path starts afresh.
    alice.write("/workspace/alice/report.md", b"v1")
    grant(alice, "bob", "/workspace/alice/report.md", "can_read")
    assert bob.read("/workspace/alice/report.md") == b"v1"

    alice.delete("/workspace/alice/report.md")
    info = alice.write("/workspace/alice/report.md", b"new")
    assert info["version"] == 1
    with raises(NexusPermissionError, "permission_denied"):
        bob.read("/workspace/alice/report.md")
    assert grants_on(alice, "/workspace/alice/report.md") == {("user", "alice", "owner")}


def test_only_owners_and_admins_grant_and_revoke(team: Deployment) -> None:
    alice, bob, carol, admin = clients(team, "alice", "bob", "carol", "admin")
    alice.write(f"{PROJECT}/plan.md", b"plan")
    grant(alice, "bob", PROJECT, "can_write")
    before = grants_on(alice, PROJECT)

    # A writer is not an owner: no sharing, no self-promotion, no revoking.
    with raises(NexusPermissionError, "permission_denied"):
        grant(bob, "carol", PROJECT, "can_read")
    with raises(NexusPermissionError, "permission_denied"):
        grant(bob, "bob", PROJECT, "owner")
    with raises(NexusPermissionError, "permission_denied"):
        revoke(bob, "bob", PROJECT, "can_write")
    # Carol sees nothing of the project. Granting on a name she cannot see is refused just as
    # on an absent name she may not create (it does not fall back to "not found").
    with raises(NexusPermissionError, "permission_denied"):
        grant(carol, "carol", PROJECT, "can_read")
    with raises(NexusPermissionError, "permission_denied"):
        grant(carol, "carol", f"{PROJECT}/plan.md", "can_read")
    assert grants_on(alice, PROJECT) == before
    assert grants_on(alice, f"{PROJECT}/plan.md") == {("user", "alice", "owner")}
    with raises(NexusPermissionError, "permission_denied"):
        carol.read(f"{PROJECT}/plan.md")

    # Admins (by API key, and the local admin identity) grant and revoke anywhere.
    assert grant(admin, "carol", PROJECT, "can_read")["created"] is True
    assert carol.read(f"{PROJECT}/plan.md") == b"plan"
    assert revoke(team.system(), "carol", PROJECT, "can_read")["deleted"] is True
    with raises(NexusPermissionError, "permission_denied"):
        carol.read(f"{PROJECT}/plan.md")

    # An owner grant makes Bob a sharer too.
    grant(alice, "bob", PROJECT, "owner")
    grant(bob, "carol", PROJECT, "can_read")
    assert carol.read(f"{PROJECT}/plan.md") == b"plan"

    # Granting on a missing path creates it as a directory owned by the granter.
    grant(alice, "bob", "/workspace/shared/deep", "can_write")
    for path in ("/workspace/shared", "/workspace/shared/deep"):
        info = alice.stat(path)
        assert (info["type"], info["owner"]) == ("directory", "alice")
    assert bob.write("/workspace/shared/deep/notes.md", b"hi")["owner"] == "bob"
    assert grants_on(alice, "/workspace/shared/deep") == {
        ("user", "alice", "owner"),
        ("user", "bob", "can_write"),
    }

    # Only where the granter may create: nothing is made in Alice's tree for Carol.
    with raises(NexusPermissionError, "permission_denied"):
        grant(carol, "carol", "/workspace/shared/carols", "owner")
    assert alice.exists("/workspace/shared/carols") is False


def test_granting_twice_is_harmless_and_revoking_takes_effect_at_once(team: Deployment) -> None:
    alice, bob, carol = clients(team, "alice", "bob", "carol")
    alice.write(f"{PROJECT}/doc.md", b"doc")

    first = grant(alice, "bob", PROJECT, "can_read")
    assert first["created"] is True
    record = first["relationship"]
    assert (record["subject_type"], record["subject_id"], record["relation"]) == (
        "user",
        "bob",
        "can_read",
    )
    assert (record["object_type"], record["object_id"], record["granted_by"]) == (
        "file",
        PROJECT,
        "alice",
    )
    assert grant(alice, "bob", PROJECT, "can_read")["created"] is False
    assert grants_on(alice, PROJECT) == {("user", "alice", "owner"), ("user", "bob", "can_read")}
    listed = alice.list_permissions(object_type="file", object_id=PROJECT)
    assert len([r for r in listed if r["subject_id"] == "bob"]) == 1
    assert bob.read(f"{PROJECT}/doc.md") == b"doc"

    assert revoke(alice, "bob", PROJECT, "can_read")["deleted"] is True
    # No cache may keep Bob in: his very next call is refused.
    with raises(NexusPermissionError, "permission_denied"):
        bob.read(f"{PROJECT}/doc.md")
    assert bob.exists(PROJECT) is False
    assert grants_on(alice, PROJECT) == {("user", "alice", "owner")}

    with raises(NexusFileNotFoundError, "relationship_not_found"):
        revoke(alice, "bob", PROJECT, "can_read")
    with raises(NexusFileNotFoundError, "relationship_not_found"):
        revoke(alice, "carol", PROJECT, "can_write")
    # An inherited permission is not a direct grant to revoke.
    grant(alice, "bob", PROJECT, "can_write")
    with raises(NexusFileNotFoundError, "relationship_not_found"):
        revoke(alice, "bob", f"{PROJECT}/doc.md", "can_write")
    assert bob.read(f"{PROJECT}/doc.md") == b"doc"

    # Checking and listing permissions.
    revoke(alice, "bob", PROJECT, "can_write")
    grant(alice, "bob", PROJECT, "can_read")

    # Anyone may ask about their own access, even where they see nothing.
    assert check(carol, "carol", f"{PROJECT}/doc.md", "can_read") is False
    assert check(carol, "carol", "/workspace/nothing-here", "can_read") is False
    assert check(bob, "bob", f"{PROJECT}/doc.md", "can_read") is True
    # About others only on what they own.
    with raises(NexusPermissionError, "permission_denied"):
        check(bob, "carol", f"{PROJECT}/doc.md", "can_read")
    with raises(NexusPermissionError, "permission_denied"):
        check(carol, "bob", f"{PROJECT}/doc.md", "can_read")

    # Listing by subject: your own grants, not other people's.
    mine = bob.list_permissions(subject_type="user", subject_id="bob")
    assert [(r["object_id"], r["relation"]) for r in mine] == [(PROJECT, "can_read")]
    with raises(NexusPermissionError, "permission_denied"):
        bob.list_permissions(subject_type="user", subject_id="alice")
    assert {
        (r["subject_id"], r["relation"])
        for r in team.as_user("admin").list_permissions(object_type="file", object_id=PROJECT)
    } == {("alice", "owner"), ("bob", "can_read")}
    # A file holds no group relations: filtering its grants by one finds nothing.
    for relation in ("member", "manager"):
        assert alice.list_permissions(object_id=PROJECT, relation=relation) == []
    # Listing an object needs to see it (the 403/404 rule applies).
    with raises(NexusFileNotFoundError, "not_found"):
        carol.list_permissions(object_type="file", object_id=PROJECT)
    with raises(NexusFileNotFoundError, "not_found"):
        carol.list_permissions(object_type="file", object_id=PROJECT, relation="member")
    with raises(NexusPermissionError, "permission_denied"):
        carol.list_permissions(object_type="file", object_id=f"{PROJECT}/doc.md")
