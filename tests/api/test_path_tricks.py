"""The path tricks servers like this one have leaked through, on both clients: a grant on
``/workspace/jack`` reaching ``/workspace/jackson``, case and NFD variants of a path as a way
around a rule (someone's restricted folder, inbox or session)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator

import pytest

from nexus import NexusError, NexusFileNotFoundError, NexusPermissionError, NexusValidationError
from nexus.client.interface import NexusClient
from tests.api.helpers import grant, raises
from tests.support.deployments import Deployment, deployment


@pytest.fixture(scope="module", params=["embedded", "http"])
def team(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    with deployment(request.param, tmp_path_factory.mktemp("tricks")) as deployed:
        deployed.create_team()
        yield deployed


@pytest.fixture(scope="module")
def alice(team: Deployment) -> NexusClient:
    return team.as_user("alice")


@pytest.fixture(scope="module")
def bob(team: Deployment) -> NexusClient:
    return team.as_user("bob")


def refused_for(client: NexusClient, path: str) -> bool:
    """Whether ``client`` may not read ``path`` (either answer of the 403/404 rule)."""
    try:
        client.read(path)
    except (NexusPermissionError, NexusFileNotFoundError):
        return True
    return False


def test_a_grant_on_a_folder_never_reaches_a_longer_sibling(
    alice: NexusClient, bob: NexusClient
) -> None:
    siblings = ["jack", "jackson", "jack2", "jack.txt.d", "jack-old", "jack ", "jack\u0301"]
    for name in siblings:
        alice.write(f"/workspace/{name}/f.txt", name.encode())
    grant(alice, "bob", "/workspace/jack", "can_read")

    assert bob.read("/workspace/jack/f.txt") == b"jack"
    for name in siblings[1:]:
        assert refused_for(bob, f"/workspace/{name}/f.txt"), name
        assert not bob.check_permission("user", "bob", "file", f"/workspace/{name}", "can_read")
    assert {e["name"] for e in bob.list_files("/workspace")} >= {"jack"}
    assert not {e["name"] for e in bob.list_files("/workspace")} & set(siblings[1:])
    readable = [
        p for p in bob.list_objects("can_read", "/workspace") if p.startswith("/workspace/jac")
    ]
    assert readable == ["/workspace/jack", "/workspace/jack/f.txt"]
    assert {e["path"] for e in bob.activity("/workspace/jack")["events"]} <= {
        "/workspace/jack",
        "/workspace/jack/f.txt",
    }
    # Nor does anything else that works on "a folder and what is below it", for alice who
    # owns them all: lookups, the activity log, copy and move into a longer sibling.
    assert alice.list_objects("owner", "/workspace/jack") == [
        "/workspace/jack",
        "/workspace/jack/f.txt",
    ]
    for event in alice.activity("/workspace/jack")["events"]:
        assert event["path"] in ("/workspace/jack", "/workspace/jack/f.txt"), event
    assert alice.copy("/workspace/jack", "/workspace/jackson/copy")["type"] == "directory"
    alice.mkdir("/workspace/jack2x")
    alice.move("/workspace/jack2", "/workspace/jack2x/jack2")
    alice.move("/workspace/jack2x/jack2", "/workspace/jack2")
    # The grant is on the entry: it follows a rename, and never jumps to the new owner of
    # the name.
    alice.move("/workspace/jack", "/workspace/jack-renamed")
    alice.move("/workspace/jackson", "/workspace/jack")
    assert refused_for(bob, "/workspace/jack/f.txt")
    assert bob.read("/workspace/jack-renamed/f.txt") == b"jack"


def test_lookups_in_a_big_folder_never_reach_a_longer_sibling(
    alice: NexusClient, bob: NexusClient
) -> None:
    """A folder far bigger than the answer is looked up by the answer's own paths (see
    RebacOperations._paths_below): those must be below it, not merely start with it."""
    for index in range(10):
        alice.write(f"/workspace/big/parts/f{index}", b"x")
    for copy in range(11):
        alice.copy("/workspace/big/parts", f"/workspace/big/jack/hidden/c{copy}")
    alice.set_restricted("/workspace/big/jack/hidden")
    alice.write("/workspace/big/jack/f0", b"x")
    alice.write("/workspace/big/jackson/x", b"x")
    grant(alice, "bob", "/workspace/big/jack", "can_read")
    grant(alice, "bob", "/workspace/big/jackson/x", "can_read")
    assert len(alice.list_files("/workspace/big/jack", recursive=True)) == 123
    assert bob.list_objects("can_read", "/workspace/big/jack") == [
        "/workspace/big/jack",
        "/workspace/big/jack/f0",
    ]


def test_a_restriction_never_spreads_to_or_from_a_longer_sibling(
    alice: NexusClient, bob: NexusClient
) -> None:
    project = "/workspace/sib"
    for name in ("team", "teamwork", "team2"):
        alice.write(f"{project}/{name}/f.txt", name.encode())
    grant(alice, "bob", project, "can_read")
    alice.set_restricted(f"{project}/team")
    assert refused_for(bob, f"{project}/team/f.txt")
    assert bob.read(f"{project}/teamwork/f.txt") == b"teamwork"
    assert bob.read(f"{project}/team2/f.txt") == b"team2"
    assert bob.list_objects("can_read", project) == [
        project,
        f"{project}/team2",
        f"{project}/team2/f.txt",
        f"{project}/teamwork",
        f"{project}/teamwork/f.txt",
    ]
    alice.set_restricted(f"{project}/team", False)
    alice.set_restricted(f"{project}/teamwork")
    assert bob.read(f"{project}/team/f.txt") == b"team"
    assert refused_for(bob, f"{project}/teamwork/f.txt")


def test_case_variants_are_other_files_with_their_own_rules(
    team: Deployment, alice: NexusClient, bob: NexusClient
) -> None:
    alice.write("/workspace/case/secret/plan.md", b"alice's plan")
    alice.set_restricted("/workspace/case/secret")
    grant(alice, "bob", "/workspace/case", "can_write")
    # bob may write beside it, under another spelling: a folder of his own, not hers.
    bob.write("/workspace/case/Secret/plan.md", b"bob's")
    assert alice.read("/workspace/case/secret/plan.md") == b"alice's plan"
    for variant in ("Secret", "SECRET", "secret"):
        assert refused_for(bob, f"/workspace/case/{variant}/plan.md") is (variant != "Secret")
    with raises(NexusPermissionError):
        bob.write("/workspace/case/secret/plan.md", b"overwritten")
    assert bob.stat("/workspace/case/Secret")["owner"] == "bob"
    # The namespace roots are spelt one way; other spellings are plain names at the root,
    # where only admins create.
    for root in ("/Workspace", "/WORKSPACE", "/Sessions", "/SESSIONS"):
        with raises(NexusPermissionError):
            bob.write(f"{root}/x.md", b"x")
    assert paths_names(team.system(), "/") == {"workspace", "sessions"}


def paths_names(client: NexusClient, directory: str) -> set[str]:
    return {entry["name"] for entry in client.list_files(directory)}


def test_an_inbox_is_reached_only_by_its_users_own_spelling(
    team: Deployment, alice: NexusClient, bob: NexusClient
) -> None:
    inbox = "/workspace/.notifications/alice"
    bob.write(f"{inbox}/note.json", b"{}")
    # Another case is nobody's inbox (user ids are lowercase): nothing is made.
    for variant in ("Alice", "ALICE", "alicE"):
        with raises(NexusValidationError, "unknown_user"):
            bob.write(f"/workspace/.notifications/{variant}/note.json", b"{}")
        with raises(NexusValidationError, "unknown_user"):
            bob.mkdir(f"/workspace/.notifications/{variant}")
    assert paths_names(team.system(), "/workspace/.notifications") == {"alice"}
    # Inside the inbox, senders only drop files: no folders under any spelling, and another
    # case of a file's name is a new file, not the one the recipient has.
    for folder in ("sub", "Sub", "note.json/x"):
        with pytest.raises(NexusError):
            bob.write(f"{inbox}/{folder}/x.json", b"{}")
    bob.write(f"{inbox}/NOTE.json", b"other")
    assert alice.read(f"{inbox}/note.json") == b"{}"
    assert paths_names(alice, inbox) == {"note.json", "NOTE.json"}
    assert refused_for(bob, f"{inbox}/NOTE.json")
    # A look-alike of the inbox folder is an ordinary folder of bob's: nothing reaches alice.
    lookalike = "/workspace/.Notifications/alice/note.json"
    assert bob.write(lookalike, b"phish")["owner"] == "bob"
    assert refused_for(alice, lookalike)
    assert paths_names(alice, inbox) == {"note.json", "NOTE.json"}


def test_a_session_is_reached_only_by_its_id_as_given(
    team: Deployment, alice: NexusClient, bob: NexusClient
) -> None:
    session = alice.create_session("private")["id"]
    alice.write(f"/sessions/{session}/notes.md", b"mine")
    variants = [session, session.upper(), session[:-1], session + "0", f"{session} "]
    for variant in variants:
        for path in (f"/sessions/{variant}/notes.md", f"/Sessions/{variant}/notes.md"):
            assert refused_for(bob, path), path
            with pytest.raises((NexusPermissionError, NexusFileNotFoundError)):
                bob.write(path, b"in")
    assert paths_names(team.system(), "/sessions") == {session}
    assert bob.list_files("/sessions") == []


def test_an_nfd_spelling_is_the_same_entry_under_the_same_grants(
    alice: NexusClient, bob: NexusClient
) -> None:
    composed = "/workspace/caf\u00e9"
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed
    alice.write(f"{decomposed}/menu.md", b"v1")
    alice.write(f"{composed}/menu.md", b"v2")  # the same file: a second version
    assert alice.stat(f"{decomposed}/menu.md")["version"] == 2
    assert [e["name"] for e in alice.list_files(composed)] == ["menu.md"]
    assert [e["path"] for e in alice.list_files("/workspace") if "caf" in e["path"]] == [composed]

    grant(alice, "bob", decomposed, "can_write")  # granted through one spelling ...
    assert bob.read(f"{composed}/menu.md") == b"v2"  # ... holds for the other
    assert bob.write(f"{decomposed}/menu.md", b"v3")["path"] == f"{composed}/menu.md"
    assert {r["object_id"] for r in alice.list_permissions("file", composed)} == {composed}
    assert alice.list_permissions("file", decomposed) == alice.list_permissions("file", composed)
    assert bob.list_objects("can_read", decomposed) == [composed, f"{composed}/menu.md"]

    private = f"{decomposed}/priv\u0065\u0301"  # 'privé', decomposed too
    alice.write(f"{private}/salaries.md", b"secret")
    alice.set_restricted(private)
    for spelling in (private, unicodedata.normalize("NFC", private)):
        assert refused_for(bob, f"{spelling}/salaries.md"), spelling
        with raises(NexusPermissionError):
            bob.write(f"{spelling}/salaries.md", b"overwritten")
    alice.revoke_permission("user", "bob", "file", composed, "can_write")
    assert refused_for(bob, f"{decomposed}/menu.md")
