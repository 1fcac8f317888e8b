"""The use cases behave the same on SQLite and PostgreSQL, including under concurrency."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from nexus.config import ServerSettings
from nexus.errors import NexusConflictError, NexusPermissionError
from nexus.files import SYSTEM, NexusService, Principal, open_service


def test_team_scenario(service: NexusService, people: dict[str, Principal]) -> None:
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    files, permissions = service.files, service.permissions
    assert people["admin"].is_admin and not alice.is_admin

    files.write(alice, "/workspace/team-project/design-doc.md", b"# Design")
    permissions.grant(alice, "user", "bob", "file", "/workspace/team-project", "can_write")
    permissions.grant(alice, "user", "carol", "file", "/workspace/team-project", "can_read")

    doc = "/workspace/team-project/design-doc.md"
    assert permissions.check(alice, "user", "bob", "file", doc, "can_write").allowed
    assert not permissions.check(alice, "user", "carol", "file", doc, "can_write").allowed
    files.write(bob, "/workspace/team-project/api.py", b"print('hi')")
    assert files.read(carol, "/workspace/team-project/api.py")[0] == b"print('hi')"
    with pytest.raises(NexusPermissionError):
        files.write(carol, "/workspace/team-project/designs.md", b"x")
    assert not files.exists(carol, "/workspace/team-project/designs.md")

    files.write(alice, "/workspace/team-project/confidential/strategy.md", b"secret")
    assert files.read(bob, "/workspace/team-project/confidential/strategy.md")[0] == b"secret"
    files.set_restricted(alice, "/workspace/team-project/confidential", True)
    with pytest.raises(NexusPermissionError):
        files.read(bob, "/workspace/team-project/confidential/strategy.md")
    listed = [info["path"] for info in files.list(bob, "/workspace/team-project")]
    assert "/workspace/team-project/confidential" not in listed
    assert files.read(alice, "/workspace/team-project/confidential/strategy.md")[0] == b"secret"

    service.groups.create(SYSTEM, "developers", "Development team")
    service.groups.add_user(SYSTEM, "carol", "developers")
    permissions.grant(SYSTEM, "group", "developers", "file", "/workspace/team-project", "can_write")
    files.write(carol, "/workspace/team-project/designs.md", b"ok now")
    service.groups.remove_user(SYSTEM, "carol", "developers")
    # carol owns what she created while a member; alice's document is out of reach again.
    files.write(carol, "/workspace/team-project/designs.md", b"still mine")
    with pytest.raises(NexusPermissionError):
        files.write(carol, doc, b"not any more")


def test_racing_conditional_writers_each_version_has_one_winner(
    service: NexusService, people: dict[str, Principal]
) -> None:
    alice = people["alice"]
    path = "/workspace/race.txt"
    service.files.write(alice, path, b"v1")
    barrier = threading.Barrier(16)

    def attempt(worker: int) -> bool:
        barrier.wait()
        try:
            service.files.write(alice, path, f"worker {worker}".encode(), if_version=1)
        except NexusConflictError:
            return False
        return True

    with ThreadPoolExecutor(max_workers=16) as pool:
        outcomes = list(pool.map(attempt, range(16)))
    assert outcomes.count(True) == 1
    content, info = service.files.read(alice, path)
    assert info["version"] == 2
    winner = outcomes.index(True)
    assert content == f"worker {winner}".encode()


def test_concurrent_appends_lose_nothing(
    service: NexusService, people: dict[str, Principal]
) -> None:
    alice = people["alice"]
    path = "/workspace/log.txt"

    def append_records(worker: int) -> None:
        for record in range(10):
            service.files.append(alice, path, f"{worker}:{record}\n".encode())

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(append_records, range(8)))
    content, info = service.files.read(alice, path)
    lines = content.decode().splitlines()
    assert sorted(lines) == sorted(f"{w}:{r}" for w in range(8) for r in range(10))
    assert info["version"] == 80


def test_a_recreated_user_id_inherits_nothing(
    service: NexusService, people: dict[str, Principal]
) -> None:
    bob = people["bob"]
    service.files.write(bob, "/workspace/bobs/plan.md", b"plan")
    service.sessions.create(bob, "s")
    service.admin.delete_user(SYSTEM, "bob")
    assert service.files.stat(SYSTEM, "/workspace/bobs/plan.md")["owner"] is None

    service.admin.create_user(SYSTEM, "bob", "New Bob", "newbob@example.com")
    with pytest.raises(NexusPermissionError):
        service.files.read(bob, "/workspace/bobs/plan.md")
    assert service.sessions.list(bob) == []
    assert service.permissions.list(bob) == []


def test_the_embedded_store_is_private_to_its_os_user(tmp_path: Path) -> None:
    data_dir = tmp_path / "new-data"
    opened = open_service(ServerSettings(data_dir=data_dir))
    try:
        opened.admin.create_user(SYSTEM, "admin", "A", "a@example.com")
    finally:
        opened.close()
    assert data_dir.stat().st_mode & 0o777 == 0o700
    for name in ("nexus.db", "server.secret"):
        assert (data_dir / name).stat().st_mode & 0o777 == 0o600, name


def test_granting_does_not_tell_hidden_from_absent(
    service: NexusService, people: dict[str, Principal]
) -> None:
    alice, carol = people["alice"], people["carol"]
    service.files.write(alice, "/workspace/p/confidential/s.md", b"secret")
    service.files.set_restricted(alice, "/workspace/p/confidential", True)
    service.permissions.grant(alice, "user", "carol", "file", "/workspace/p", "can_read")
    answers = []
    for name in ("confidential", "never-existed"):
        with pytest.raises(NexusPermissionError) as raised:
            service.permissions.grant(
                carol, "user", "carol", "file", f"/workspace/p/{name}", "can_read"
            )
        answers.append((type(raised.value), raised.value.detail_code))
    assert answers[0] == answers[1]
