"""explain_permission: the granting chain in paths and group names, or what was tried and the
nearest missing link; the same access rules and errors as check_permission, in both modes."""

from __future__ import annotations

from typing import Any

from nexus import NexusFileNotFoundError, NexusPermissionError, NexusValidationError
from nexus.client.interface import NexusClient
from tests.api.helpers import check, clients, grant, raises
from tests.support.deployments import Deployment

PROJECT = "/workspace/team-project"
INTERNAL = f"{PROJECT}/internal"
SPECS = f"{INTERNAL}/specs.md"
RELATIONS = ("owner", "can_write", "can_read", "can_execute")


def explain(
    client: NexusClient, subject_id: str, path: str, relation: str, subject_type: str = "user"
) -> dict[str, Any]:
    return client.explain_permission(subject_type, subject_id, "file", path, relation)


def setup_project(team: Deployment) -> None:
    """Alice's project: developers (bob) may write internal/, designers (carol) the project."""
    alice = team.as_user("alice")
    alice.write(SPECS, b"specs")
    alice.write(f"{PROJECT}/README.md", b"readme")
    alice.create_group("developers")
    alice.add_user_to_group("bob", "developers")
    grant(alice, "developers", INTERNAL, "can_write", subject_type="group")


def test_the_issue_example_names_the_group_and_the_directory(team: Deployment) -> None:
    setup_project(team)
    alice, bob = clients(team, "alice", "bob")
    for client in (alice, bob):  # the owner asking about bob, and bob about himself
        result = explain(client, "bob", SPECS, "can_write")
        assert result["allowed"] is True
        assert result["summary"] == (
            f"bob has can_write on {SPECS}: bob is in group developers, which has can_write on "
            f"{INTERNAL}, inherited by {SPECS}"
        )
        assert result["steps"] == [
            "bob is a member of group developers (added by alice)",
            f"group developers has can_write on {INTERNAL} (granted by alice)",
            f"{SPECS} inherits can_write from its directory {INTERNAL}",
        ]
        assert result["tried"] == [] and result["missing"] is None
        assert isinstance(result["revision"], int) and result["revision"] > 0


def test_owner_chain_through_implied_relations(team: Deployment) -> None:
    setup_project(team)
    alice = team.as_user("alice")
    result = explain(alice, "alice", f"{PROJECT}/README.md", "can_read")
    assert result["summary"] == (
        f"alice has can_read on {PROJECT}/README.md: alice has owner on {PROJECT}/README.md, "
        "which includes can_write, which includes can_read"
    )


def test_nested_groups_and_everyone(team: Deployment) -> None:
    setup_project(team)
    alice, carol = clients(team, "alice", "carol")
    alice.create_group("staff")
    alice.add_user_to_group("carol", "staff")
    alice.add_group_to_group("staff", "developers")
    result = explain(carol, "carol", SPECS, "can_read")
    assert result["summary"] == (
        f"carol has can_read on {SPECS}: carol is in group staff, which is in group developers, "
        f"which has can_write on {INTERNAL}, inherited by {SPECS}, which includes can_read"
    )
    assert result["steps"][1] == (
        "group staff is a member of group developers, so its members are too (added by alice)"
    )

    grant(alice, "*", PROJECT, "can_read")
    result = explain(alice, "admin", f"{PROJECT}/README.md", "can_read")  # an admin: special
    assert result["summary"].endswith("because admin is an admin")
    dave = team.system().create_user("dave", "Dave", "dave@example.com")["id"]
    result = explain(alice, dave, SPECS, "can_read")
    assert result["allowed"] is True
    assert result["summary"] == (
        f"dave has can_read on {SPECS}: everyone has can_read on {PROJECT}, inherited by "
        f"{SPECS} (through {INTERNAL})"
    )
    # A group as the subject.
    result = explain(alice, "developers", SPECS, "can_read", subject_type="group")
    assert result["allowed"] is True
    assert result["summary"].startswith(f"group developers has can_read on {SPECS}: ")


def test_denial_says_what_was_tried_and_the_missing_link(team: Deployment) -> None:
    setup_project(team)
    alice, carol = clients(team, "alice", "carol")
    grant(alice, "carol", SPECS, "can_read")
    result = explain(carol, "carol", SPECS, "can_write")
    assert result["allowed"] is False and result["steps"] == []
    assert result["summary"] == f"carol does not have can_write on {SPECS}"
    assert result["missing"] == (
        f"no can_write or owner grant for carol or any group carol is in on {SPECS} or the "
        # Carol cannot read internal/: the list stops there, as where the walk stopped
        # would tell her whether internal/ is restricted.
        f"directories it inherits from ({INTERNAL} and whatever {INTERNAL} inherits from)"
    )
    tried = result["tried"]
    assert tried[0] == f"direct grants of can_write on {SPECS}: none for carol"
    assert (
        f"  {INTERNAL} is the inherit_parent of {SPECS}: can_write on {INTERNAL}: not granted"
        in (tried)
    )
    # Carol cannot read internal/: who else holds grants there is not shown, nor counted.
    assert not any("developers" in line for line in tried)
    assert any(
        line.strip() == f"direct grants of can_write on {INTERNAL}: none for carol "
        "(other grants here are not shown)"
        for line in tried
    )
    # The owner sees the grants there, so the nearest link is the group she is not in.
    result = explain(alice, "carol", SPECS, "can_write")
    assert result["missing"] == (
        f"group developers has can_write on {INTERNAL}, but carol is not a member of group "
        "developers"
    )
    assert any("developers" in line for line in result["tried"])


def test_a_hidden_folder_does_not_tell_whether_it_is_restricted(team: Deployment) -> None:
    alice, bob = clients(team, "alice", "bob")
    for folder in ("h1", "h2"):
        alice.write(f"/workspace/shared/{folder}/f.txt", b"x")
        grant(alice, "bob", f"/workspace/shared/{folder}/f.txt", "can_read")
    alice.set_restricted("/workspace/shared/h1", True)
    answers = [
        explain(bob, "bob", f"/workspace/shared/{folder}/f.txt", "can_write")
        for folder in ("h1", "h2")
    ]
    # Bob reads neither folder: the two answers differ only in the folder's name.
    restricted, plain = (
        {key: str(value).replace(f"/{folder}", "/hN") for key, value in answer.items()}
        for answer, folder in zip(answers, ("h1", "h2"), strict=True)
    )
    assert restricted == plain
    assert not any(
        "/workspace/shared is the inherit_parent" in line for line in answers[1]["tried"]
    )


def test_restricted_folder_is_named_as_the_cut(team: Deployment) -> None:
    alice = team.as_user("alice")
    confidential = f"{PROJECT}/confidential"
    alice.write(f"{confidential}/strategy.md", b"secret")
    grant(alice, "bob", PROJECT, "can_write")
    assert explain(alice, "bob", f"{confidential}/strategy.md", "can_read")["allowed"] is True
    alice.set_restricted(confidential, True)
    result = explain(alice, "bob", f"{confidential}/strategy.md", "can_read")
    assert result["allowed"] is False
    assert result["missing"] == (
        f"no can_read, can_write, can_execute or owner grant for bob or any group bob is in on "
        f"{confidential}/strategy.md or the directories it inherits from ({confidential}); "
        f"{confidential} is restricted, so grants above it do not count"
    )


def test_admins_and_disabled_accounts_get_the_answers_check_gives(team: Deployment) -> None:
    setup_project(team)
    alice, admin = clients(team, "alice", "admin")
    result = explain(alice, "admin", SPECS, "owner")
    assert result == {
        "allowed": True,
        "summary": f"admin has owner on {SPECS} because admin is an admin",
        "steps": ["admin is an admin: admins hold every permission on every file"],
        "tried": [],
        "missing": None,
        "revision": result["revision"],
    }
    admin.update_user("bob", disabled=True)
    result = explain(alice, "bob", SPECS, "can_write")
    assert result["allowed"] is False and check(alice, "bob", SPECS, "can_write") is False
    assert result["missing"] == "the account of bob is disabled"
    assert (
        result["summary"]
        == f"bob does not have can_write on {SPECS}: the account of bob is disabled"
    )


def test_explain_agrees_with_check_everywhere(team: Deployment) -> None:
    setup_project(team)
    alice, admin = clients(team, "alice", "admin")
    alice.create_group("designers")
    alice.add_user_to_group("carol", "designers")
    grant(alice, "designers", PROJECT, "can_read", subject_type="group")
    grant(alice, "bob", f"{PROJECT}/README.md", "can_execute")
    alice.mkdir(f"{PROJECT}/vault")
    alice.set_restricted(f"{PROJECT}/vault", True)
    paths = [PROJECT, INTERNAL, SPECS, f"{PROJECT}/README.md", f"{PROJECT}/vault", "/workspace"]
    for asker in (alice, admin):
        for user in ("alice", "bob", "carol", "admin"):
            for path in paths:
                for relation in RELATIONS:
                    try:
                        expected = check(asker, user, path, relation)
                    except NexusPermissionError:  # alice does not own /workspace
                        with raises(NexusPermissionError):
                            explain(asker, user, path, relation)
                        continue
                    found = explain(asker, user, path, relation)
                    assert found["allowed"] is expected, (user, path, relation)
                    assert bool(found["steps"]) is expected
                    assert (found["missing"] is None) is expected


def test_other_users_paths_follow_the_403_404_rule(team: Deployment) -> None:
    setup_project(team)
    alice, bob, carol = clients(team, "alice", "bob", "carol")
    alice.write("/workspace/private/plan.md", b"plan")
    # Carol sees nothing of /workspace/private: the same errors as check, for a hidden
    # file and for one that does not exist.
    for path in ("/workspace/private/plan.md", "/workspace/private/absent.md"):
        with raises(NexusPermissionError, "permission_denied", path=path):
            explain(carol, "alice", path, "can_read")
        with raises(NexusPermissionError, "permission_denied", path=path):
            check(carol, "alice", path, "can_read")
    # Asking about someone else on a file one can read but does not own: refused, as check.
    grant(alice, "bob", f"{PROJECT}/README.md", "can_read")
    with raises(NexusPermissionError, "permission_denied"):
        explain(bob, "carol", f"{PROJECT}/README.md", "can_read")
    # In a directory one sees, an unseen name is "not found" for questions about others.
    for ask in (explain, check):
        with raises(NexusFileNotFoundError, "not_found"):
            ask(bob, "carol", f"{INTERNAL}/absent.md", "can_read")
    # About oneself: denied, in words that do not tell hidden from absent.
    hidden = explain(carol, "carol", "/workspace/private/plan.md", "can_read")
    absent = explain(carol, "carol", "/workspace/private/absent.md", "can_read")
    assert hidden["allowed"] is False and absent["allowed"] is False
    assert hidden["missing"] == "/workspace/private/plan.md does not exist or you cannot see it"
    assert absent["missing"] == "/workspace/private/absent.md does not exist or you cannot see it"
    assert hidden["tried"] == absent["tried"] == [] and hidden["steps"] == absent["steps"] == []
    # Admins see everything: for them a missing path is plainly missing.
    admin = team.as_user("admin")
    assert explain(admin, "bob", "/workspace/absent", "can_read")["missing"] == (
        "/workspace/absent does not exist"
    )


def test_bad_input_gets_the_stable_codes_of_check(team: Deployment) -> None:
    setup_project(team)
    alice = team.as_user("alice")
    cases = [
        (("user", "bob", "file", SPECS, "can_fly"), "unknown_relation"),
        (("user", "bob", "file", SPECS, "member"), "unknown_relation"),
        (("user", "bob", "file", "relative/path", "can_read"), "invalid_path"),
        (("user", "bob", "file", "/a/../b", "can_read"), "invalid_path"),
        (("user", "nobody", "file", SPECS, "can_read"), "unknown_user"),
        (("group", "nogroup", "file", SPECS, "can_read"), "unknown_group"),
        (("robot", "bob", "file", SPECS, "can_read"), "unknown_subject_type"),
        (("user", "bob", "folder", SPECS, "can_read"), "unknown_object_type"),
        (("user", "", "file", SPECS, "can_read"), "invalid_argument"),
    ]
    for arguments, code in cases:
        with raises(NexusValidationError, code):
            alice.explain_permission(*arguments)
        with raises(NexusValidationError, code):
            alice.check_permission(*arguments)
