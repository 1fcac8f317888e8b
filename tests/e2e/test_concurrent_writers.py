"""Concurrent writers against a real server process over HTTP, on SQLite and PostgreSQL.

- 32 appenders x N records on one file leave exactly 32 x N intact records, each
  appender's in its order (appends are atomic and none is lost). The suite runs N = 8;
  the issue's 32 x 200 = 6,400 takes minutes here: NEXUS_APPEND_RECORDS=200 (README).
- Writers racing with ``if_version`` (read, write, retry on conflict) and creators racing
  with ``if_none_match``: the property test of tests/files/test_service_backends.py, over
  real HTTP with fewer writers.

"""

from __future__ import annotations

import os
import re
import threading
import uuid
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.cas_race import check_race, payload, race_conditional_writers, race_creators
from tests.support.live_team import LiveTeam, live_team

pytestmark = pytest.mark.e2e

APPENDERS = 32
RECORDS = int(os.environ.get("NEXUS_APPEND_RECORDS", "8"))
HTTP_RACERS = 12
USERS = ["admin", "alice", "bob"]
RECORD = re.compile(r"w(\d\d) (\d{4})")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def team(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveTeam]:
    with live_team(request.param, tmp_path_factory.mktemp(request.param), USERS) as live:
        with live.client("alice") as alice:
            alice.mkdir("/workspace/shared")
            alice.grant_permission("user", "bob", "file", "/workspace/shared", "can_write")
        yield live


def test_32_appenders_leave_every_record_once_in_order(team: LiveTeam) -> None:
    path = "/workspace/shared/log.txt"
    users = ["alice", "bob"]
    errors: list[str] = []
    barrier = threading.Barrier(APPENDERS)

    def append_records(writer: int) -> None:
        with team.client(users[writer % 2]) as client:
            barrier.wait()
            for sequence in range(RECORDS):
                try:
                    client.append(path, f"w{writer:02d} {sequence:04d}\n".encode())
                except Exception as error:  # every append must be acknowledged
                    errors.append(f"w{writer:02d} {sequence}: {type(error).__name__}: {error}")
                    return

    threads = [threading.Thread(target=append_records, args=(w,)) for w in range(APPENDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert errors == []

    with team.client("alice") as alice:
        content = alice.read(path)
        info = alice.stat(path)
    lines = content.decode().split("\n")
    assert lines.pop() == ""  # the last record's newline
    assert len(lines) == APPENDERS * RECORDS
    sequences: dict[int, list[int]] = {writer: [] for writer in range(APPENDERS)}
    for line in lines:
        match = RECORD.fullmatch(line)
        assert match is not None, f"torn record {line!r}"
        sequences[int(match[1])].append(int(match[2]))
    assert all(seen == list(range(RECORDS)) for seen in sequences.values())
    assert info["version"] == APPENDERS * RECORDS  # one version per append, none lost


@settings(max_examples=2, deadline=None)
@given(attempts=st.integers(min_value=1, max_value=HTTP_RACERS), filler=st.sampled_from([0, 3000]))
def test_conditional_writers_over_http(team: LiveTeam, attempts: int, filler: int) -> None:
    """The if_version race of the service property test, through real HTTP."""
    path = f"/workspace/shared/race-{uuid.uuid4().hex}.txt"
    users = ["alice", "bob"] * (HTTP_RACERS // 2)
    clients = [team.client(user) for user in users]
    try:
        clients[0].write(path, b"start")
        outcome = race_conditional_writers(
            HTTP_RACERS,
            attempts,
            filler,
            lambda w: clients[w].stat(path)["version"],
            lambda w, data, seen: clients[w].write(path, data, if_version=seen),
        )
        history = [
            (v["version"], v["etag"], v["created_by"]) for v in clients[0].list_versions(path)
        ]
        check_race(
            outcome, 1, history, lambda v: clients[0].read(path, version=v), users.__getitem__
        )
        assert outcome.acks
        if attempts == HTTP_RACERS:
            assert outcome.gave_up == 0

        created = f"/workspace/shared/new-{uuid.uuid4().hex}/file.txt"
        winners, unexpected = race_creators(
            HTTP_RACERS, lambda w, data: clients[w].write(created, data, if_none_match=True)
        )
        assert unexpected == [] and len(winners) == 1
        versions = clients[0].list_versions(created)
        assert [(v["version"], v["created_by"]) for v in versions] == [(1, users[winners[0]])]
        assert clients[0].read(created) == payload(winners[0], 0, 0)
    finally:
        for client in clients:
            client.close()
