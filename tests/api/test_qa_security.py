"""Findings of the fresh-user QA review: what expand and list_subjects reveal about folders
the caller cannot read, account enumeration through checks and lookups, and the last owner
of an entry removing themselves. Each test runs embedded and over HTTP."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nexus.client.interface import NexusClient
from nexus.errors import NexusError, NexusValidationError
from tests.api.helpers import clients, grant, raises, revoke
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


# --- account enumeration: the same answer whether or not the subject exists --------------


def outcome(call: Callable[[], object]) -> tuple[str, str] | object:
    """The error (class name, reason) a call raises, or what it returns."""
    try:
        return call()
    except NexusError as error:
        return type(error).__name__, error.detail_code


def about(subject_type: str, subject_id: str) -> dict[str, str]:
    return {
        "subject_type": subject_type,
        "subject_id": subject_id,
        "relation": "can_read",
        "object_type": "file",
        "object_id": FILE,
    }


def enumeration_calls(
    bob: NexusClient, subject_type: str, subject_id: str
) -> dict[str, Callable[[], object]]:
    ask = about(subject_type, subject_id)
    return {
        "check": lambda: bob.check_permission(subject_type, subject_id, "file", FILE, "can_read"),
        "explain": lambda: bob.explain_permission(
            subject_type, subject_id, "file", FILE, "can_read"
        ),
        "check_batch": lambda: bob.check_permissions([ask]),
        "list_objects": lambda: bob.list_objects(
            "can_read", "/workspace", subject_type, subject_id
        ),
        "read_by_subject": lambda: bob.list_permissions(
            subject_type=subject_type, subject_id=subject_id
        ),
        "read_on_object": lambda: bob.list_permissions(
            object_id=FILE, subject_type=subject_type, subject_id=subject_id
        ),
        "grant": lambda: bob.grant_permission(subject_type, subject_id, "file", FILE, "can_read"),
        "revoke": lambda: bob.revoke_permission(subject_type, subject_id, "file", FILE, "can_read"),
        "delete": lambda: bob.delete_relationships(
            object_id=FILE, subject_type=subject_type, subject_id=subject_id
        ),
        "delete_across": lambda: bob.delete_relationships(
            subject_type=subject_type, subject_id=subject_id
        ),
    }


def test_non_admins_cannot_tell_whether_a_subject_exists(team: Deployment) -> None:
    _alice, bob, _carol, admin = private_plans(team)
    # dave exists but holds nothing on FILE, as nosuch would not; group leads exists and
    # bob is not in it. Both orders: the unknown one asked first, then the existing one.
    admin.create_user("dave", "Dave", "dave@example.com")
    pairs = [(("user", "nosuch"), ("user", "dave")), (("group", "nosuch"), ("group", "leads"))]
    for missing, existing in pairs:
        for first, second in ((missing, existing), (existing, missing)):
            answers = [enumeration_calls(bob, *first), enumeration_calls(bob, *second)]
            for name in answers[0]:
                one, two = outcome(answers[0][name]), outcome(answers[1][name])
                assert one == two, (name, first, one, second, two)
                assert one != ("NexusValidationError", "unknown_user"), name
                assert one != ("NexusValidationError", "unknown_group"), name


def test_admins_and_owners_are_told_of_an_unknown_subject(team: Deployment) -> None:
    alice, _bob, _carol, admin = private_plans(team)
    for caller in (admin, alice):
        calls = enumeration_calls(caller, "user", "nosuch")
        for name in ("check", "explain", "check_batch", "grant", "revoke", "delete"):
            assert outcome(calls[name]) == ("NexusValidationError", "unknown_user"), name
    admin_calls = enumeration_calls(admin, "group", "nosuch")
    assert outcome(admin_calls["list_objects"]) == ("NexusValidationError", "unknown_group")


# --- the last owner of an entry cannot remove themselves --------------------------------

DOCS = "/workspace/eng-docs"


def owners(client: NexusClient, path: str) -> list[str]:
    found = client.list_permissions(object_id=path, relation="owner")
    return sorted(f"{r['subject_type']}:{r['subject_id']}" for r in found)


def test_the_last_owner_grant_cannot_be_removed(team: Deployment) -> None:
    alice, _bob, carol, admin = clients(team, "alice", "bob", "carol", "admin")
    alice.mkdir(DOCS)
    grant(alice, "carol", DOCS, "can_read")
    for caller in (alice, admin):  # admins too: they can grant another owner first
        with raises(NexusValidationError, "last_owner", path=DOCS):
            revoke(caller, "alice", DOCS, "owner")
        with raises(NexusValidationError, "last_owner", path=DOCS):
            caller.delete_relationships(object_id=DOCS)
        with raises(NexusValidationError, "last_owner", path=DOCS):
            caller.delete_relationships(object_id=DOCS, relation="owner")
    with raises(NexusValidationError, "last_owner", path=DOCS):
        admin.delete_relationships(subject_type="user", subject_id="alice")
    # Refused means nothing was deleted (carol's read went with the same filter).
    assert owners(alice, DOCS) == ["user:alice"]
    assert carol.check_permission("user", "carol", "file", DOCS, "can_read")
    # Other grants go; with a second owner, either may step down.
    assert alice.delete_relationships(object_id=DOCS, relation="can_read")["deleted"] == 1
    grant(alice, "carol", DOCS, "owner")
    revoke(alice, "alice", DOCS, "owner")
    assert owners(carol, DOCS) == ["user:carol"]
    with raises(NexusValidationError, "last_owner", path=DOCS):
        revoke(carol, "carol", DOCS, "owner")


def test_a_group_grant_counts_as_an_owner(team: Deployment) -> None:
    alice, _bob, _carol, admin = clients(team, "alice", "bob", "carol", "admin")
    alice.mkdir(DOCS)
    alice.create_group("writers")
    grant(alice, "writers", DOCS, "owner", subject_type="group")
    revoke(alice, "alice", DOCS, "owner")
    assert owners(admin, DOCS) == ["group:writers"]
    with raises(NexusValidationError, "last_owner", path=DOCS):
        revoke(admin, "writers", DOCS, "owner", subject_type="group")
