"""Locks through both clients (embedded and a real HTTP server): the same answers, the same
exceptions, 423 on the wire, bad input refused with stable codes, the 403/404 rule."""

from __future__ import annotations

import json
import math
import time
from datetime import datetime
from typing import Any

import httpx
import pytest

from nexus import (
    NexusConflictError,
    NexusFileNotFoundError,
    NexusLockedError,
    NexusPermissionError,
    NexusValidationError,
)
from nexus.client.interface import NexusClient
from tests.api.helpers import clients, grant, raises
from tests.support.deployments import Deployment

PROJECT = "/workspace/project"
DOC = f"{PROJECT}/doc.md"


def setup_project(team: Deployment) -> tuple[NexusClient, NexusClient, NexusClient, NexusClient]:
    """alice owns PROJECT with DOC; bob may write there; carol sees nothing of it."""
    alice, bob, carol, admin = clients(team, "alice", "bob", "carol", "admin")
    alice.write(DOC, b"v1")
    grant(alice, "bob", PROJECT, "can_write")
    return alice, bob, carol, admin


def test_lock_blocks_others_until_unlocked(team: Deployment) -> None:
    alice, bob, _carol, admin = setup_project(team)
    token = alice.lock(DOC, ttl=600)
    assert isinstance(token, str) and token.startswith("nxl_")

    with raises(NexusLockedError, "locked", path=DOC):
        bob.write(DOC, b"bob")
    with raises(NexusLockedError, "locked", path=DOC):
        bob.append(DOC, b"bob")
    with raises(NexusLockedError, "locked", path=DOC):
        bob.delete(DOC)
    with raises(NexusLockedError, "locked", path=DOC):
        bob.move(DOC, f"{PROJECT}/renamed.md")
    with raises(NexusLockedError, "locked", path=DOC):
        admin.write(DOC, b"admin")
    assert alice.read(DOC) == b"v1"
    alice.write(DOC, b"v2")  # the holder writes without the token

    info = bob.lock_info(DOC)
    assert set(info) == {"path", "locked", "holder", "created", "expires"}
    assert (info["path"], info["locked"], info["holder"]) == (DOC, True, "alice")
    created, expires = (
        datetime.fromisoformat(info["created"]),
        datetime.fromisoformat(info["expires"]),
    )
    assert math.isclose((expires - created).total_seconds(), 600, abs_tol=0.01)

    extended = alice.extend_lock(DOC, token, 1200)
    assert extended["holder"] == "alice" and extended["expires"] > info["expires"]
    alice.unlock(DOC, token)
    assert bob.lock_info(DOC) == {
        "path": DOC,
        "locked": False,
        "holder": None,
        "created": None,
        "expires": None,
    }
    bob.write(DOC, b"bob")
    with raises(NexusConflictError, "not_locked", path=DOC):
        alice.unlock(DOC, token)

    record = bob.lock_record(DOC, 60)
    assert set(record) == {"path", "locked", "holder", "created", "expires", "token"}
    assert record["holder"] == "bob"
    admin.unlock(DOC, None)  # an admin breaks it
    assert alice.lock_info(DOC)["locked"] is False


def test_tokens_are_checked(team: Deployment) -> None:
    alice, bob, _carol, _admin = setup_project(team)
    token = alice.lock(DOC, ttl=600)
    with raises(NexusLockedError, "locked", path=DOC):
        bob.lock(DOC, ttl=60)
    with raises(NexusLockedError, "lock_token_mismatch", path=DOC):
        bob.unlock(DOC, token)  # someone else's token
    with raises(NexusLockedError, "lock_token_mismatch", path=DOC):
        bob.extend_lock(DOC, token, 60)
    with raises(NexusLockedError, "lock_token_mismatch", path=DOC):
        alice.unlock(DOC, "nxl_" + "A" * 43)  # a wrong token
    with raises(NexusValidationError, "missing_token"):
        alice.unlock(DOC, None)
    bad_tokens: list[Any] = ["", 42, b"nxl_", "\ud800", "x" * 300]
    for bad in bad_tokens:
        with raises(NexusValidationError, "invalid_token"):
            alice.unlock(DOC, bad)
        with raises(NexusValidationError, "invalid_token"):
            alice.extend_lock(DOC, bad, 60)
    assert bob.lock_info(DOC)["holder"] == "alice"


BAD_TTLS: list[Any] = [-1, 0, 1e12, 86401, "abc", "60", True, None, math.nan, math.inf, [1]]


def test_bad_ttls_are_refused(team: Deployment) -> None:
    alice, _bob, _carol, _admin = setup_project(team)
    for ttl in BAD_TTLS:
        with raises(NexusValidationError, "invalid_ttl"):
            alice.lock(DOC, ttl=ttl)
    assert alice.lock_info(DOC)["locked"] is False
    token = alice.lock(DOC, ttl=60)
    for ttl in BAD_TTLS:
        with raises(NexusValidationError, "invalid_ttl"):
            alice.extend_lock(DOC, token, ttl)
    assert alice.lock_info(DOC)["locked"] is True


def test_locks_expire(team: Deployment) -> None:
    alice, bob, _carol, _admin = setup_project(team)
    token = alice.lock(DOC, ttl=0.5)
    with raises(NexusLockedError, "locked"):
        bob.write(DOC, b"too early")
    time.sleep(0.7)
    assert bob.lock_info(DOC)["locked"] is False
    bob.write(DOC, b"bob")
    with raises(NexusConflictError, "not_locked"):
        alice.extend_lock(DOC, token, 60)
    bob.lock(DOC, ttl=60)  # the expired lock is replaced
    assert alice.lock_info(DOC)["holder"] == "bob"


def test_locks_follow_renames_and_end_on_delete(team: Deployment) -> None:
    alice, bob, _carol, _admin = setup_project(team)
    token = alice.lock(DOC, ttl=600)
    renamed = f"{PROJECT}/renamed.md"
    alice.move(DOC, renamed)
    assert bob.lock_info(renamed)["holder"] == "alice"
    with raises(NexusLockedError, "locked", path=renamed):
        bob.write(renamed, b"bob")
    alice.delete(renamed)
    alice.write(renamed, b"a new file")
    assert bob.lock_info(renamed)["locked"] is False
    with raises(NexusConflictError, "not_locked"):
        alice.unlock(renamed, token)
    bob.write(renamed, b"bob")


def test_what_you_cannot_read_answers_like_nothing(team: Deployment) -> None:
    alice, _bob, carol, _admin = setup_project(team)
    token = alice.lock(DOC, ttl=600)
    missing = f"{PROJECT}/missing.md"
    for path in (DOC, missing):
        with raises(NexusPermissionError, "permission_denied", path=path):
            carol.lock_info(path)
        with raises(NexusPermissionError, "permission_denied", path=path):
            carol.lock(path, ttl=60)
        with raises(NexusPermissionError, "permission_denied", path=path):
            carol.unlock(path, token)
        with raises(NexusPermissionError, "permission_denied", path=path):
            carol.extend_lock(path, token, 60)
    grant(alice, "carol", PROJECT, "can_read")
    with raises(NexusFileNotFoundError, "not_found", path=missing):
        carol.lock_info(missing)
    assert carol.lock_info(DOC)["holder"] == "alice"
    with raises(NexusPermissionError, "permission_denied", path=DOC):
        carol.lock(DOC, ttl=60)  # reading is not enough to lock
    with raises(NexusValidationError, "is_a_directory"):
        alice.lock(PROJECT, ttl=60)


def test_the_tutorials_lock_file_pattern_still_works(team: Deployment) -> None:
    """Step 10's claim_file/release_file (a .lock file beside the file) next to a real lock."""
    alice, bob, _carol, _admin = setup_project(team)

    def claim(nx: NexusClient, user: str, file_path: str) -> bool:
        lock_path = f"{file_path}.lock"
        if nx.exists(lock_path):
            return False
        nx.write(lock_path, json.dumps({"user": user, "time": "now"}).encode())
        return True

    def release(nx: NexusClient, file_path: str) -> None:
        lock_path = f"{file_path}.lock"
        if nx.exists(lock_path):
            nx.delete(lock_path)

    assert claim(alice, "alice", DOC)
    assert not claim(bob, "bob", DOC)
    assert json.loads(bob.read(f"{DOC}.lock"))["user"] == "alice"
    release(alice, DOC)
    assert claim(bob, "bob", DOC)
    # A real lock on the file does not touch its .lock file, and the reverse.
    token = alice.lock(DOC, ttl=600)
    release(bob, DOC)
    assert not bob.exists(f"{DOC}.lock")
    alice.unlock(DOC, token)


def test_423_on_the_wire(team: Deployment) -> None:
    if team.server is None:
        pytest.skip("raw HTTP only")
    alice, _bob, _carol, _admin = setup_project(team)
    alice.lock(DOC, ttl=600)
    headers = {"Authorization": f"Bearer {team.keys['bob']}"}
    with httpx.Client(base_url=team.server.url + "/api/v1", headers=headers) as http:
        written = http.put("/files/content", params={"path": DOC}, content=b"bob")
        assert written.status_code == 423
        assert written.json()["error"]["code"] == "locked"
        assert written.json()["error"]["path"] == DOC
        for ttl in ("abc", True, -1, None):
            refused = http.post("/locks", json={"path": DOC, "ttl": ttl})
            assert refused.status_code == 400, refused.text
            assert refused.json()["error"]["reason"] == "invalid_ttl"
        refused = http.post("/locks/unlock", json={"path": DOC, "token": 7})
        assert (refused.status_code, refused.json()["error"]["reason"]) == (400, "invalid_token")
    schema = httpx.get(team.server.url + "/openapi.json").json()
    assert "423" in schema["paths"]["/api/v1/locks"]["post"]["responses"]
