"""Sessions: /sessions/{id}/ is private to its creator, listed only to it, gone on delete/expiry."""

from __future__ import annotations

import re
import time
from datetime import datetime

from nexus import (
    NexusFileNotFoundError,
    NexusPermissionError,
    NexusValidationError,
)
from tests.api.helpers import clients, paths, raises
from tests.support.deployments import Deployment


def test_sessions_are_private_to_their_creator(team: Deployment) -> None:
    """Tutorial step 7."""
    alice, bob, admin = clients(team, "alice", "bob", "admin")
    session = alice.create_session(name="alice-research", description="Alice's research")
    assert {"id", "name", "description", "created", "expires"} <= set(session)
    assert (session["name"], session["description"]) == ("alice-research", "Alice's research")
    datetime.fromisoformat(session["created"])
    directory = f"/sessions/{session['id']}"
    alice.write(f"{directory}/notes.md", b"private notes")
    assert alice.read(f"{directory}/notes.md") == b"private notes"
    assert alice.stat(directory)["owner"] == "alice"

    bob_session = bob.create_session(name="bob-experiments", description="Bob's code")
    bob_directory = f"/sessions/{bob_session['id']}"
    assert bob_session["id"] != session["id"]
    bob.write(f"{bob_directory}/experiment.py", b"pass")

    # Alice cannot touch Bob's session: not read, list, write, or even see it.
    with raises(NexusPermissionError, "permission_denied"):
        alice.read(f"{bob_directory}/experiment.py")
    with raises(NexusPermissionError, "permission_denied"):
        alice.write(f"{bob_directory}/alice.md", b"intrusion")
    with raises(NexusFileNotFoundError, "not_found"):
        alice.list_files(bob_directory)
    with raises(NexusFileNotFoundError, "not_found"):
        alice.stat(bob_directory)
    assert alice.exists(bob_directory) is False
    assert paths(bob.list_files(bob_directory)) == {f"{bob_directory}/experiment.py"}
    # Admins aside.
    assert admin.read(f"{bob_directory}/experiment.py") == b"pass"

    # Each lists only its own sessions; only admins list everyone's.
    assert [(s["id"], s["name"]) for s in alice.list_sessions()] == [
        (session["id"], "alice-research")
    ]
    assert [s["id"] for s in bob.list_sessions()] == [bob_session["id"]]
    with raises(NexusPermissionError, "permission_denied"):
        alice.list_sessions(all_users=True)
    assert {s["id"] for s in admin.list_sessions(all_users=True)} == {
        session["id"],
        bob_session["id"],
    }

    # A session directory is not removed or moved like a folder.
    with raises(NexusValidationError, "session_directory"):
        alice.delete(directory, recursive=True)
    assert alice.read(f"{directory}/notes.md") == b"private notes"

    # delete_session removes a session and its files; only its creator may.
    kept = session
    session = alice.create_session(name="scratch")
    directory = f"/sessions/{session['id']}"
    alice.write(f"{directory}/a/b.txt", b"b")

    # Someone else's session answers like a missing one, and stays.
    with raises(NexusFileNotFoundError, "session_not_found"):
        bob.delete_session(session["id"])
    with raises(NexusFileNotFoundError, "session_not_found"):
        bob.delete_session("0" * 32)
    assert alice.read(f"{directory}/a/b.txt") == b"b"

    alice.delete_session(session["id"])
    assert [s["id"] for s in alice.list_sessions()] == [kept["id"]]
    assert alice.exists(directory) is False
    with raises(NexusFileNotFoundError, "not_found"):
        alice.stat(directory)
    with raises(NexusPermissionError, "permission_denied"):
        alice.read(f"{directory}/a/b.txt")
    with raises(NexusPermissionError, "permission_denied"):
        alice.write(f"{directory}/again.txt", b"x")
    assert paths(team.system().list_files("/sessions")) == {
        f"/sessions/{kept['id']}",
        bob_directory,
    }
    with raises(NexusFileNotFoundError, "session_not_found"):
        alice.delete_session(session["id"])


def test_an_expired_session_is_gone(team: Deployment) -> None:
    (alice,) = clients(team, "alice")
    short = alice.create_session(name="short", ttl=1)
    assert short["expires"] is not None
    assert datetime.fromisoformat(short["expires"]) > datetime.fromisoformat(short["created"])
    directory = f"/sessions/{short['id']}"
    alice.write(f"{directory}/notes.md", b"soon gone")
    assert alice.read(f"{directory}/notes.md") == b"soon gone"
    long = alice.create_session(name="long", ttl=3600)

    time.sleep(1.2)
    with raises(NexusPermissionError, "permission_denied"):
        alice.read(f"{directory}/notes.md")
    with raises(NexusPermissionError, "permission_denied"):
        alice.write(f"{directory}/more.md", b"x")
    with raises(NexusFileNotFoundError, "not_found"):
        alice.list_files(directory)
    assert alice.exists(directory) is False
    assert [s["id"] for s in alice.list_sessions()] == [long["id"]]
    alice.write(f"/sessions/{long['id']}/fine.md", b"fine")
    assert alice.read(f"/sessions/{long['id']}/fine.md") == b"fine"


def test_an_expired_session_is_not_listed(team: Deployment) -> None:
    alice, admin = clients(team, "alice", "admin")
    short = alice.create_session(name="short", ttl=1)
    directory = f"/sessions/{short['id']}"
    alice.write(f"{directory}/notes.md", b"soon gone")
    long = alice.create_session(name="long", ttl=3600)
    assert paths(alice.list_files("/sessions")) == {directory, f"/sessions/{long['id']}"}

    time.sleep(1.2)
    assert alice.exists(directory) is False
    for client in (alice, admin):
        assert paths(client.list_files("/sessions")) == {f"/sessions/{long['id']}"}
        listed = paths(client.list_files("/", recursive=True))
        assert directory not in listed
        assert f"{directory}/notes.md" not in listed


def test_two_sessions_of_one_user_are_both_theirs_and_nobody_elses(team: Deployment) -> None:
    alice, bob, carol = clients(team, "alice", "bob", "carol")
    made = [alice.create_session("first"), alice.create_session("second")]
    ids = [session["id"] for session in made]
    for session in made:
        # The server picks the id: 128 random bits, so nobody reaches one by guessing.
        assert re.fullmatch(r"[0-9a-f]{32}", session["id"]), session
        assert (session["user_id"], session["path"]) == ("alice", f"/sessions/{session['id']}")
        alice.write(f"{session['path']}/work.md", session["id"].encode())
    assert len(set(ids)) == 2
    assert {s["id"] for s in alice.list_sessions()} == set(ids)
    for session in made:
        assert alice.read(f"{session['path']}/work.md") == session["id"].encode()
        assert alice.stat(session["path"])["owner"] == "alice"
    # Both are alice's: she moves a file from one to the other.
    alice.move(f"{made[0]['path']}/work.md", f"{made[1]['path']}/moved.md")
    assert alice.read(f"{made[1]['path']}/moved.md") == ids[0].encode()

    for other in (bob, carol):
        assert other.list_sessions() == []
        assert paths(other.list_files("/sessions")) == set()
        everything = paths(other.list_files("/", recursive=True))
        assert not {p for p in everything if p.startswith("/sessions/")}
        assert other.list_objects("can_read", "/sessions") == []
        for session in made:
            assert other.exists(session["path"]) is False
            with raises(NexusFileNotFoundError, "not_found", path=session["path"]):
                other.list_files(session["path"])
            with raises(NexusPermissionError, "permission_denied"):
                other.write(f"{session['path']}/intruder.md", b"x")
            with raises(NexusFileNotFoundError, "session_not_found"):
                other.delete_session(session["id"])
    assert {s["id"] for s in alice.list_sessions()} == set(ids)
    assert paths(alice.list_files(made[1]["path"])) == {
        f"{made[1]['path']}/work.md",
        f"{made[1]['path']}/moved.md",
    }


def test_admins_list_and_delete_any_session(team: Deployment) -> None:
    alice, bob, admin = clients(team, "alice", "bob", "admin")
    session = alice.create_session("alice-work")
    alice.write(f"{session['path']}/notes.md", b"alice's")
    bob_session = bob.create_session("bob-work")
    assert {(s["id"], s["user_id"]) for s in admin.list_sessions(all_users=True)} == {
        (session["id"], "alice"),
        (bob_session["id"], "bob"),
    }
    assert admin.read(f"{session['path']}/notes.md") == b"alice's"

    admin.delete_session(session["id"])
    assert alice.list_sessions() == []
    assert admin.exists(session["path"]) is False
    with raises(NexusPermissionError, "permission_denied"):
        alice.read(f"{session['path']}/notes.md")
    with raises(NexusFileNotFoundError, "session_not_found"):
        admin.delete_session(session["id"])
    # The local admin too.
    team.system().delete_session(bob_session["id"])
    assert bob.list_sessions() == []
    assert admin.list_sessions(all_users=True) == []
