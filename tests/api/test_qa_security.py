"""Findings of the fresh-user QA review: what expand and list_subjects reveal about folders
the caller cannot read, account enumeration through checks and lookups, and the last owner
of an entry removing themselves. Each test runs embedded and over HTTP."""

from __future__ import annotations

from typing import Any

from nexus.client.interface import NexusClient
from tests.api.helpers import clients, grant
from tests.support.deployments import Deployment

PRIVATE = "/workspace/alice-private"
PLANS = f"{PRIVATE}/plans"
FILE = f"{PLANS}/2027.md"


def walk(node: dict[str, Any]) -> list[dict[str, Any]]:
    found = [node]
    for child in node["children"]:
        found.extend(walk(child))
    return found


def named(tree: dict[str, Any]) -> set[str]:
    """Every subject the tree names, as type:id (files by path)."""
    return {f"{s['subject_type']}:{s['subject_id']}" for n in walk(tree) for s in n["subjects"]}


def subjects(found: list[dict[str, Any]]) -> list[str]:
    return sorted(f"{item['subject_type']}:{item['subject_id']}" for item in found)


def private_plans(team: Deployment) -> tuple[NexusClient, NexusClient, NexusClient, NexusClient]:
    """Bob may read one file in alice's private folder; carol writes the folder and group
    leads (carol) reads plans/, neither of which bob can read."""
    alice, bob, carol, admin = clients(team, "alice", "bob", "carol", "admin")
    alice.write(FILE, b"plans")
    alice.create_group("leads")
    alice.add_user_to_group("carol", "leads")
    grant(alice, "carol", PRIVATE, "can_write")
    grant(alice, "leads", PLANS, "can_read", subject_type="group")
    grant(alice, "bob", FILE, "can_read")
    return alice, bob, carol, admin


# --- expand and list_subjects hide grants on folders the caller cannot read --------------


def test_expand_hides_grants_on_folders_the_caller_cannot_read(team: Deployment) -> None:
    alice, bob, _carol, admin = private_plans(team)
    tree = bob.expand_permission(FILE, "can_read")
    assert named(tree) >= {"user:bob", "user:alice"}  # the file's own grants
    assert not named(tree) & {"user:carol", "group:leads"}
    hidden = {n["object_id"] for n in walk(tree) if n["hidden"]}
    assert PLANS in hidden
    for node in walk(tree):
        if node["hidden"]:
            assert node["subjects"] == [] and node["children"] == []
        if node["object_id"] in (PRIVATE, PLANS):
            assert node["hidden"]  # nothing shown about them but their path
    # Nothing bob sees depends on what happens in the folders: restricting plans/ (or
    # revoking carol) leaves his tree as it was.
    alice.set_restricted(PLANS)
    assert bob.expand_permission(FILE, "can_read") == tree
    # Admins (and alice, who reads her folder) see every grant.
    assert named(admin.expand_permission(FILE, "can_read")) >= {"user:carol", "group:leads"}
    assert not any(n["hidden"] for n in walk(admin.expand_permission(FILE, "can_read")))
    alice.set_restricted(PLANS, False)
    assert named(alice.expand_permission(FILE, "can_read")) >= {"user:carol", "group:leads"}


def test_list_subjects_names_only_grants_the_caller_may_see(team: Deployment) -> None:
    alice, bob, _carol, admin = private_plans(team)
    for expand_groups in (False, True):
        assert subjects(bob.list_subjects(FILE, "can_read", expand_groups)) == [
            "user:alice",
            "user:bob",
        ]
    assert subjects(admin.list_subjects(FILE, "can_read")) == [
        "group:leads",
        "user:alice",
        "user:bob",
        "user:carol",
    ]
    assert subjects(alice.list_subjects(FILE, "can_read", True)) == [
        "user:alice",
        "user:bob",
        "user:carol",
    ]
    # A user reached through a visible grant is listed even if a hidden one also applies.
    grant(alice, "carol", FILE, "can_read")
    assert "user:carol" in subjects(bob.list_subjects(FILE, "can_read", True))
    # Everyone granted on the file itself: every user holds it, so all are listed.
    grant(alice, "*", FILE, "can_read")
    assert "user:*" in subjects(bob.list_subjects(FILE, "can_read", True))


def test_explain_does_not_say_whether_a_hidden_folder_is_restricted(team: Deployment) -> None:
    alice, bob, _carol, _admin = private_plans(team)
    before = bob.explain_permission("user", "bob", "file", FILE, "can_write")
    alice.set_restricted(PLANS)
    after = bob.explain_permission("user", "bob", "file", FILE, "can_write")
    assert not after["allowed"]
    assert "restricted" not in after["missing"]
    assert (before["summary"], before["missing"]) == (after["summary"], after["missing"])
    # Alice reads the folder: she is told.
    told = alice.explain_permission("user", "bob", "file", FILE, "can_write")
    assert "restricted" in told["missing"]
