"""The use cases behave the same on SQLite and PostgreSQL, including under concurrency."""

from __future__ import annotations

import os
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nexus.config import ServerSettings
from nexus.errors import NexusPermissionError
from nexus.files import SYSTEM, NexusService, Principal, open_service
from tests.support.cas_race import check_race, payload, race_conditional_writers, race_creators

RACERS = 32


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


@settings(
    max_examples=int(os.environ.get("NEXUS_CAS_EXAMPLES", "3")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    start_versions=st.integers(min_value=1, max_value=3),
    attempts=st.integers(min_value=1, max_value=40),
    filler=st.sampled_from([0, 1, 5000]),
)
def test_racing_conditional_writers_each_version_has_one_winner(
    service: NexusService,
    people: dict[str, Principal],
    start_versions: int,
    attempts: int,
    filler: int,
) -> None:
    """32 writers race with if_version (read, write, retry on conflict, bounded): each
    version is written exactly once, by one acknowledged writer, and no ack is lost."""
    alice, bob = people["alice"], people["bob"]
    path = f"/workspace/race-{uuid.uuid4().hex}.txt"
    for version in range(start_versions):
        service.files.write(alice, path, f"start {version}".encode())
    service.permissions.grant(alice, "user", "bob", "file", path, "can_write")
    writers = [alice, bob] * (RACERS // 2)

    outcome = race_conditional_writers(
        RACERS,
        attempts,
        filler,
        lambda w: service.files.stat(writers[w], path)["version"],
        lambda w, data, seen: service.files.write(writers[w], path, data, if_version=seen),
    )

    history = [
        (v.version, v.etag, v.created_by)
        for v in service.versions.list_versions(alice, path).versions
    ]
    check_race(
        outcome,
        start_versions,
        history,
        lambda version: service.files.read(alice, path, version)[0],
        lambda w: writers[w].user_id,
    )
    assert outcome.acks, "somebody always wins the first round"
    if attempts >= RACERS:
        assert outcome.gave_up == 0  # each round has a winner: 32 tries are enough for all


def test_racing_creators_have_exactly_one_winner(
    service: NexusService, people: dict[str, Principal]
) -> None:
    """32 writers create one new path with if_none_match at once: one creates it, the
    others get NexusFileExistsError, and the file holds the winner's one version."""
    alice, bob = people["alice"], people["bob"]
    service.files.mkdir(alice, "/workspace/shared")
    service.permissions.grant(alice, "user", "bob", "file", "/workspace/shared", "can_write")
    writers = [alice, bob] * (RACERS // 2)
    for round_number in range(3):
        path = f"/workspace/shared/new-{round_number}/file.txt"  # its folder is new too
        winners, unexpected = race_creators(
            RACERS,
            lambda w, data, path=path: service.files.write(
                writers[w], path, data, if_none_match=True
            ),
        )
        assert unexpected == []
        assert len(winners) == 1
        (winner,) = winners
        kept = service.versions.list_versions(alice, path).versions
        assert [(v.version, v.created_by) for v in kept] == [(1, writers[winner].user_id)]
        assert service.files.read(alice, path)[0] == payload(winner, 0, 0)


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
