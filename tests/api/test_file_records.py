"""A file's info is one plain record, the same through both clients, and the caller's own."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import nexus
from nexus.client.interface import NexusClient
from tests.api.helpers import grant
from tests.support.deployments import Deployment, deployment

PROJECT = "/workspace/team-project"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Deployment]:
    with deployment("http", tmp_path) as deployed:
        deployed.create_team()
        yield deployed


def embedded(team: Deployment, user_id: str) -> NexusClient:
    """``user_id`` on the store the server runs on, in this process (SQLite allows both)."""
    return nexus.connect(config={"data_dir": str(team.data_dir), "api_key": team.keys[user_id]})


def exactly(records: Any) -> str:
    # JSON with sorted keys tells True from 1 and None from "", which == does not.
    return json.dumps(records, sort_keys=True)


def test_http_and_embedded_clients_list_identical_records(served: Deployment) -> None:
    alice, bob, system = served.as_user("alice"), served.as_user("bob"), served.system()
    alice.mkdir(f"{PROJECT}/confidential")
    alice.set_restricted(f"{PROJECT}/confidential", True)
    alice.write(f"{PROJECT}/confidential/plan.md", b"secret")
    alice.write(f"{PROJECT}/notes.md", b"v1")
    alice.write(f"{PROJECT}/notes.md", b"version 2")
    alice.write(f"{PROJECT}/empty.txt", b"")
    grant(alice, "bob", PROJECT, "can_write")
    bob.write(f"{PROJECT}/from-bob.txt", b"hello")
    system.delete_user("bob")  # his file stays, with no owner

    with embedded(served, "alice") as local:
        over_http = alice.list_files(PROJECT, recursive=True)
        in_process = local.list_files(PROJECT, recursive=True)
        assert exactly(over_http) == exactly(in_process)
        assert [type(record) for record in in_process] == [dict] * 5
        by_path = {record["path"]: record for record in in_process}
        assert by_path[f"{PROJECT}/confidential"]["restricted"] is True
        assert by_path[f"{PROJECT}/confidential"]["etag"] is None
        assert by_path[f"{PROJECT}/notes.md"]["version"] == 2
        assert by_path[f"{PROJECT}/from-bob.txt"]["owner"] is None
        for path in by_path:
            assert exactly(alice.stat(path)) == exactly(local.stat(path))


def test_records_returned_are_the_callers_to_change(served: Deployment) -> None:
    with embedded(served, "alice") as alice:
        alice.write(f"{PROJECT}/a.txt", b"a")
        listed = alice.list_files(PROJECT)
        listed[0]["path"] = "/changed"
        alice.stat(f"{PROJECT}/a.txt")["size"] = -1
        assert alice.list_files(PROJECT)[0]["path"] == f"{PROJECT}/a.txt"
        assert alice.stat(f"{PROJECT}/a.txt")["size"] == 1
