"""Restricted folders: grants from above stop there; the folder's own owners and admins get in."""

from __future__ import annotations

from nexus import NexusFileNotFoundError, NexusPermissionError, NexusValidationError
from tests.api.helpers import check, clients, grant, paths, raises, revoke
from tests.support.deployments import Deployment

PROJECT = "/workspace/team-project"


def test_tutorial_confidential_folder(team: Deployment) -> None:
    """Tutorial step 8: with Bob's write grant on the project, confidential/ is Alice's only."""
    alice, bob, carol, admin = clients(team, "alice", "bob", "carol", "admin")
    for folder in ("public", "internal", "confidential"):
        alice.mkdir(f"{PROJECT}/{folder}")
    grant(alice, "bob", PROJECT, "can_write")
    grant(alice, "carol", f"{PROJECT}/public", "can_read")
    grant(alice, "carol", f"{PROJECT}/internal", "can_read")
    alice.write(f"{PROJECT}/public/README.md", b"Public information")
    alice.write(f"{PROJECT}/internal/specs.md", b"Internal specifications")
    alice.write(f"{PROJECT}/confidential/strategy.md", b"Confidential strategy")

    # Before restricting, Bob's grant on the project reaches confidential/ ...
    assert bob.read(f"{PROJECT}/confidential/strategy.md") == b"Confidential strategy"
    info = alice.set_restricted(f"{PROJECT}/confidential", True)
    assert (info["path"], info["restricted"]) == (f"{PROJECT}/confidential", True)
    assert alice.stat(f"{PROJECT}/confidential")["restricted"] is True

    # ... afterwards it stops there, at once, for the folder and everything in it.
    confidential = f"{PROJECT}/confidential"
    with raises(NexusPermissionError, "permission_denied"):
        bob.read(f"{confidential}/strategy.md")
    with raises(NexusPermissionError, "permission_denied"):
        bob.write(f"{confidential}/bob.md", b"bob")
    with raises(NexusPermissionError, "permission_denied"):
        bob.write(f"{confidential}/strategy.md", b"overwritten")
    with raises(NexusFileNotFoundError, "not_found"):
        bob.list_files(confidential)
    assert bob.exists(confidential) is False
    assert bob.exists(f"{confidential}/strategy.md") is False
    assert paths(bob.list_files(PROJECT)) == {f"{PROJECT}/public", f"{PROJECT}/internal"}
    assert check(alice, "bob", f"{confidential}/strategy.md", "can_read") is False
    assert check(alice, "bob", f"{PROJECT}/internal/specs.md", "can_write") is True

    # Grants elsewhere in the project still work.
    assert bob.read(f"{PROJECT}/public/README.md") == b"Public information"
    bob.write(f"{PROJECT}/internal/specs.md", b"edited by bob")
    assert carol.read(f"{PROJECT}/internal/specs.md") == b"edited by bob"

    # The owner and admins keep access; nothing Bob tried got in.
    assert alice.read(f"{confidential}/strategy.md") == b"Confidential strategy"
    assert admin.read(f"{confidential}/strategy.md") == b"Confidential strategy"
    assert paths(alice.list_files(confidential)) == {f"{confidential}/strategy.md"}

    # A grant on the restricted folder itself (or inside it) still counts.
    grant(alice, "carol", confidential, "can_read")
    assert carol.read(f"{confidential}/strategy.md") == b"Confidential strategy"
    assert paths(carol.list_files(confidential)) == {f"{confidential}/strategy.md"}

    # Bob may not delete a folder of the project that holds the confidential one.
    with raises(NexusPermissionError, "permission_denied"):
        bob.delete(PROJECT, recursive=True)
    alice.mkdir(f"{PROJECT}/internal/vault")
    alice.write(f"{PROJECT}/internal/vault/keys.txt", b"keys")
    alice.set_restricted(f"{PROJECT}/internal/vault", True)
    with raises(NexusPermissionError, "permission_denied"):
        bob.delete(f"{PROJECT}/internal", recursive=True)
    assert alice.read(f"{PROJECT}/internal/vault/keys.txt") == b"keys"

    # Lifting the restriction lets the project grant through again.
    assert alice.set_restricted(confidential, False)["restricted"] is False
    assert bob.read(f"{confidential}/strategy.md") == b"Confidential strategy"


def test_only_direct_owners_and_admins_pass_a_restriction(team: Deployment) -> None:
    alice, bob, carol = clients(team, "alice", "bob", "carol")
    bob.mkdir("/workspace/bob-team")
    grant(bob, "alice", "/workspace/bob-team", "can_write")
    grant(bob, "carol", "/workspace/bob-team", "can_read")

    # Alice makes a folder inside Bob's and restricts it: she owns it, so she may.
    alice.write("/workspace/bob-team/alice-secret/plan.md", b"plan")
    alice.set_restricted("/workspace/bob-team/alice-secret", True)

    with raises(NexusPermissionError, "permission_denied"):
        carol.read("/workspace/bob-team/alice-secret/plan.md")
    # Ownership is not inherited: owning the enclosing folder is a grant from above too.
    with raises(NexusPermissionError, "permission_denied"):
        bob.read("/workspace/bob-team/alice-secret/plan.md")
    grant(bob, "carol", "/workspace/bob-team", "owner")
    with raises(NexusPermissionError, "permission_denied"):
        carol.read("/workspace/bob-team/alice-secret/plan.md")
    assert alice.read("/workspace/bob-team/alice-secret/plan.md") == b"plan"

    # Only owners and admins restrict.
    admin = team.as_user("admin")
    alice.write(f"{PROJECT}/internal/specs.md", b"specs")
    grant(alice, "bob", PROJECT, "can_write")

    with raises(NexusPermissionError, "permission_denied"):
        bob.set_restricted(f"{PROJECT}/internal", True)
    assert alice.stat(f"{PROJECT}/internal")["restricted"] is False
    assert bob.read(f"{PROJECT}/internal/specs.md") == b"specs"

    # An admin may; and may lift it again.
    assert admin.set_restricted(f"{PROJECT}/internal", True)["restricted"] is True
    with raises(NexusPermissionError, "permission_denied"):
        bob.read(f"{PROJECT}/internal/specs.md")
    assert team.system().set_restricted(f"{PROJECT}/internal", False)["restricted"] is False
    assert bob.read(f"{PROJECT}/internal/specs.md") == b"specs"

    # Only directories, and never a namespace root.
    with raises(NexusValidationError, "not_a_directory"):
        alice.set_restricted(f"{PROJECT}/internal/specs.md", True)
    with raises(NexusValidationError, "namespace_root"):
        admin.set_restricted("/workspace", True)
    assert admin.stat("/workspace")["restricted"] is False


def test_a_writer_cannot_move_a_restricted_folder_out_of_reach(team: Deployment) -> None:
    alice, bob = clients(team, "alice", "bob")
    alice.write(f"{PROJECT}/sub/confidential/strategy.md", b"Confidential strategy")
    alice.set_restricted(f"{PROJECT}/sub/confidential", True)
    grant(alice, "bob", PROJECT, "can_write")
    bob.mkdir("/workspace/bob-own")
    with raises(NexusPermissionError, "permission_denied"):
        bob.read(f"{PROJECT}/sub/confidential/strategy.md")

    # Deleting the enclosing folder is refused (delete checks the whole subtree) ...
    with raises(NexusPermissionError, "permission_denied"):
        bob.delete(f"{PROJECT}/sub", recursive=True)
    # ... and so must moving it under Bob's own folder, which would make him its owner.
    with raises(NexusPermissionError, "permission_denied"):
        bob.move(f"{PROJECT}/sub", "/workspace/bob-own/sub")
    with raises(NexusPermissionError, "permission_denied"):
        bob.read("/workspace/bob-own/sub/confidential/strategy.md")
    assert alice.read(f"{PROJECT}/sub/confidential/strategy.md") == b"Confidential strategy"


def test_a_folder_owner_who_moves_a_file_under_his_folder_does_not_become_its_owner(
    team: Deployment,
) -> None:
    alice, bob, carol = clients(team, "alice", "bob", "carol")
    bob.mkdir("/workspace/bob-team")
    grant(bob, "alice", "/workspace/bob-team", "can_write")
    alice.write("/workspace/bob-team/alice.md", b"alice's work")
    bob.mkdir("/workspace/bob-home")
    # Bob owns the folder Alice's file is in, so he may take it elsewhere (decision 1b).
    bob.move("/workspace/bob-team/alice.md", "/workspace/bob-home/alice.md")

    moved = "/workspace/bob-home/alice.md"
    assert check(bob, "bob", moved, "owner") is False
    with raises(NexusPermissionError, "permission_denied"):
        bob.revoke_permission("user", "alice", "file", moved, "owner")
    with raises(NexusPermissionError, "permission_denied"):
        bob.grant_permission("user", "carol", "file", moved, "owner")
    with raises(NexusPermissionError, "permission_denied"):
        bob.grant_permission("user", "bob", "file", moved, "owner")
    assert alice.read(moved) == b"alice's work"
    assert check(alice, "alice", moved, "owner") is True
    with raises(NexusPermissionError, "permission_denied"):
        carol.read(moved)


def test_a_writer_renames_in_place_but_cannot_carry_a_file_off(team: Deployment) -> None:
    """Found by the attacker review: Bob, a writer of Alice's folder, moved her file into a
    restricted folder of his inside it; she could no longer list, move or delete it, and
    he read her later edits after she revoked his grant."""
    alice, bob = clients(team, "alice", "bob")
    alice.write(f"{PROJECT}/a.txt", b"alice's")
    grant(alice, "bob", PROJECT, "can_write")
    bob.mkdir(f"{PROJECT}/sub")
    bob.mkdir("/workspace/bob-home")
    for destination in (f"{PROJECT}/sub/a.txt", "/workspace/bob-home/a.txt"):
        with raises(NexusPermissionError, "owner_required"):
            bob.move(f"{PROJECT}/a.txt", destination)
    bob.set_restricted(f"{PROJECT}/sub", True)
    with raises(NexusPermissionError, "owner_required"):
        bob.move(f"{PROJECT}/a.txt", f"{PROJECT}/sub/a.txt")
    assert [e["name"] for e in alice.list_files(PROJECT) if e["name"] == "a.txt"] == ["a.txt"]

    # Renaming in place is still a writer's; the owner moves it wherever she may write.
    assert bob.move(f"{PROJECT}/a.txt", f"{PROJECT}/b.txt")["path"] == f"{PROJECT}/b.txt"
    alice.mkdir(f"{PROJECT}/archive")
    alice.move(f"{PROJECT}/b.txt", f"{PROJECT}/archive/b.txt")
    # Bob's own folder is his to move, even out of Alice's.
    bob.move(f"{PROJECT}/sub", "/workspace/bob-home/sub")

    # The trap of the second review: Bob renames Alice's folder away, makes one of his own
    # under its name, and she saves there. He owns that folder, not what she put in it.
    alice.write(f"{PROJECT}/reports/q1.md", b"q1")
    bob.move(f"{PROJECT}/reports", f"{PROJECT}/reports.old")
    bob.mkdir(f"{PROJECT}/reports")
    alice.write(f"{PROJECT}/reports/q2.md", b"q2")
    with raises(NexusPermissionError, "owner_required"):
        bob.move(f"{PROJECT}/reports", "/workspace/bob-home/reports")
    assert alice.read(f"{PROJECT}/reports/q2.md") == b"q2"
    # A folder that holds only what he owns is his to take.
    bob.mkdir(f"{PROJECT}/mine/deeper")
    bob.write(f"{PROJECT}/mine/deeper/notes.md", b"bob's")
    bob.move(f"{PROJECT}/mine", "/workspace/bob-home/mine")

    revoke(alice, "bob", PROJECT, "can_write")
    alice.write(f"{PROJECT}/archive/b.txt", b"alice's edit")
    with raises(NexusPermissionError, "permission_denied"):
        bob.read(f"{PROJECT}/archive/b.txt")
