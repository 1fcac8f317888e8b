"""Groups: anyone creates one and manages it; group grants reach members (nested too) at once."""

from __future__ import annotations

from functools import partial

from nexus import (
    NexusFileExistsError,
    NexusFileNotFoundError,
    NexusPermissionError,
)
from tests.api.helpers import check, clients, grant, raises
from tests.support.deployments import Deployment

INTERNAL = "/workspace/team-project/internal"
PUBLIC = "/workspace/team-project/public"


def test_tutorial_group_grants_follow_membership_at_once(team: Deployment) -> None:
    """Tutorial step 9, plus: adding and removing a member changes access on the next call."""
    alice, bob, carol, admin = clients(team, "alice", "bob", "carol", "admin")
    alice.write(f"{INTERNAL}/specs.md", b"specs")
    alice.write(f"{PUBLIC}/README.md", b"readme")

    developers = admin.create_group("developers", description="Development team")
    assert (developers["name"], developers["description"]) == ("developers", "Development team")
    assert admin.add_user_to_group("bob", "developers")["members"] == ["user:bob"]
    grant(admin, "developers", INTERNAL, "can_write", subject_type="group")
    admin.create_group("designers", description="Design team")
    admin.add_user_to_group("carol", "designers")
    grant(admin, "designers", PUBLIC, "can_write", subject_type="group")

    bob.write(f"{INTERNAL}/api.md", b"bob's api")
    assert bob.read(f"{INTERNAL}/specs.md") == b"specs"
    carol.write(f"{PUBLIC}/designs.md", b"designs")
    with raises(NexusPermissionError, "permission_denied"):
        carol.write(f"{INTERNAL}/carol.md", b"x")
    assert check(alice, "developers", INTERNAL, "can_write", subject_type="group") is True
    assert check(alice, "designers", INTERNAL, "can_read", subject_type="group") is False

    # Joining grants at once ...
    admin.add_user_to_group("carol", "developers")
    carol.write(f"{INTERNAL}/specs.md", b"carol's edit")
    assert check(alice, "carol", f"{INTERNAL}/specs.md", "can_write") is True
    # ... and leaving revokes at once.
    info = admin.remove_user_from_group("carol", "developers")
    assert info["members"] == ["user:bob"]
    with raises(NexusPermissionError, "permission_denied"):
        carol.write(f"{INTERNAL}/specs.md", b"again")
    with raises(NexusPermissionError, "permission_denied"):
        carol.read(f"{INTERNAL}/specs.md")
    assert check(alice, "carol", f"{INTERNAL}/specs.md", "can_read") is False
    assert alice.read(f"{INTERNAL}/specs.md") == b"carol's edit"

    assert {g["name"] for g in bob.list_groups()} == {"developers", "designers"}
    with raises(NexusFileNotFoundError, "relationship_not_found"):
        admin.remove_user_from_group("carol", "developers")

    # Nested groups reach members of members; cycles are harmless.
    alice.write("/workspace/eng/roadmap.md", b"roadmap")
    admin.create_group("engineering")
    admin.create_group("backend")
    admin.add_user_to_group("bob", "backend")
    assert admin.add_group_to_group("backend", "engineering")["members"] == ["group:backend"]
    grant(alice, "engineering", "/workspace/eng", "can_read", subject_type="group")

    # Bob is in backend, which is in engineering.
    assert bob.read("/workspace/eng/roadmap.md") == b"roadmap"
    with raises(NexusPermissionError, "permission_denied"):
        carol.read("/workspace/eng/roadmap.md")

    # A cycle neither hangs nor lets anyone in who is not a member somewhere in it.
    admin.add_group_to_group("engineering", "backend")
    assert bob.read("/workspace/eng/roadmap.md") == b"roadmap"
    with raises(NexusPermissionError, "permission_denied"):
        carol.read("/workspace/eng/roadmap.md")
    assert check(alice, "carol", "/workspace/eng/roadmap.md", "can_read") is False
    admin.remove_group_from_group("engineering", "backend")

    # Un-nesting revokes at once.
    admin.remove_group_from_group("backend", "engineering")
    with raises(NexusPermissionError, "permission_denied"):
        bob.read("/workspace/eng/roadmap.md")
    assert check(alice, "bob", "/workspace/eng/roadmap.md", "can_read") is False


def test_managers_and_admins_change_membership_members_do_not(team: Deployment) -> None:
    alice, bob, carol, admin = clients(team, "alice", "bob", "carol", "admin")
    created = bob.create_group("reviewers", description="Code reviewers")
    assert created["created_by"] == "bob"
    bob.add_user_to_group("carol", "reviewers")

    # A member may not add others, nor remove anyone; an outsider may not add itself.
    with raises(NexusPermissionError, "permission_denied"):
        carol.add_user_to_group("alice", "reviewers")
    with raises(NexusPermissionError, "permission_denied"):
        alice.add_user_to_group("alice", "reviewers")
    with raises(NexusPermissionError, "permission_denied"):
        carol.remove_user_from_group("carol", "reviewers")
    alice.create_group("helpers")
    with raises(NexusPermissionError, "permission_denied"):
        alice.add_group_to_group("helpers", "reviewers")
    with raises(NexusPermissionError, "permission_denied"):
        carol.delete_group("reviewers")
    assert admin.get_group("reviewers")["members"] == ["user:carol"]

    # Admins may change any group.
    admin.add_user_to_group("alice", "reviewers")
    admin.remove_user_from_group("carol", "reviewers")
    assert bob.get_group("reviewers")["members"] == ["user:alice"]

    with raises(NexusFileExistsError, "group_exists"):
        carol.create_group("reviewers")
    assert admin.get_group("reviewers")["created_by"] == "bob"

    # Deleting a group (manager only) removes what it granted.
    bob.write("/workspace/review/queue.md", b"queue")
    grant(bob, "reviewers", "/workspace/review", "can_read", subject_type="group")
    assert alice.read("/workspace/review/queue.md") == b"queue"
    bob.delete_group("reviewers")
    with raises(NexusPermissionError, "permission_denied"):
        alice.read("/workspace/review/queue.md")
    with raises(NexusFileNotFoundError, "group_not_found"):
        bob.get_group("reviewers")
    assert {g["name"] for g in admin.list_groups()} == {"helpers"}
    # A new group of the same name starts without the old one's grants.
    bob.create_group("reviewers")
    bob.add_user_to_group("alice", "reviewers")
    with raises(NexusPermissionError, "permission_denied"):
        alice.read("/workspace/review/queue.md")


def test_membership_changes_answer_with_their_revision(team: Deployment) -> None:
    """Group membership is a relationship write: like grant and revoke it returns the
    revision it committed, which orders it against later answers; no change, no new one."""
    alice, admin = clients(team, "alice", "admin")
    alice.write(f"{INTERNAL}/specs.md", b"specs")
    created = admin.create_group("developers", description="Development team")
    admin.create_group("engineering")
    granted = grant(admin, "engineering", INTERNAL, "can_read", subject_type="group")
    assert isinstance(created["revision"], int) and created["revision"] < granted["revision"]

    changes = [
        ("add user", partial(admin.add_user_to_group, "bob", "developers")),
        ("add group", partial(admin.add_group_to_group, "developers", "engineering")),
        ("remove group", partial(admin.remove_group_from_group, "developers", "engineering")),
        ("remove user", partial(admin.remove_user_from_group, "bob", "developers")),
    ]
    revision = granted["revision"]
    for kind, change in changes:
        answer = change()
        assert type(answer["revision"]) is int, kind
        assert answer["revision"] > revision, kind
        revision = answer["revision"]
        # The fields the tutorial relies on are still there.
        assert answer["name"] in {"developers", "engineering"}, kind
        assert isinstance(answer["members"], list), kind
        explained = alice.explain_permission("user", "bob", "file", INTERNAL, "can_read")
        assert explained["revision"] == revision, kind

    first = admin.add_user_to_group("carol", "developers")
    again = admin.add_user_to_group("carol", "developers")
    assert first["revision"] > revision
    assert (again["members"], again["revision"]) == (["user:carol"], first["revision"])
