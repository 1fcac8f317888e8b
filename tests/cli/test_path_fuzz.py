"""Random Unicode, raw bytes and path tricks through every path-taking ``nexus`` command
against a real server (in process, so the many cases stay fast), and a few real
``nexus`` processes with the bytes on their command line.

NEXUS_PATH_FUZZ_EXAMPLES=2000 runs a long version (see README).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.cli.path_commands import Folders, Nexus, SharedTransport, path_taking_commands, run
from tests.support.deployments import Deployment, deployment
from tests.support.path_inputs import DEPTH, examples, under

ROOT = "/workspace/cli-fuzz"
_numbers = itertools.count()


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    with deployment("http", tmp_path_factory.mktemp("cli-fuzz")) as deployed:
        deployed.create_team()
        deployed.system().mkdir(ROOT)
        yield deployed


@pytest.fixture(scope="module")
def nexus(team: Deployment) -> Iterator[Nexus]:
    assert team.server is not None
    transport = SharedTransport()
    yield Nexus(team.server.url, team.keys, transport)
    transport.close_for_good()


def folders_for(team: Deployment) -> Folders:
    number = next(_numbers)
    folders = Folders(f"{ROOT}/e{number}", f"{ROOT}/a{number}")
    system = team.system()
    for folder in (folders.base, folders.aside):
        system.mkdir(folder)
        system.grant_permission("user", "alice", "file", folder, "owner")
    team.as_user("alice").write(folders.spare, b"spare")
    return folders


def cleaned(team: Deployment, folders: Folders) -> None:
    system = team.system()
    for folder in (folders.base, folders.aside):
        system.delete(folder, recursive=True)


@settings(
    max_examples=examples(12),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(data=st.data())
def test_any_path_round_trips_or_is_refused_in_one_line(
    team: Deployment, nexus: Nexus, data: st.DataObject
) -> None:
    folders = folders_for(team)
    try:
        raw = data.draw(under(folders.base, depth_left=DEPTH - 3), label="path")
        nexus.given = raw
        run(nexus, folders, raw)
    finally:
        cleaned(team, folders)


def test_the_fuzz_covers_every_path_taking_command(team: Deployment, nexus: Nexus) -> None:
    """A new command that takes a path must be added to tests/cli/path_commands."""
    nexus.seen.clear()
    folders = folders_for(team)
    try:
        for raw in (folders.base + "/a b/c#d.txt", folders.base + "/../x", "/workspace"):
            nexus.given = raw
            run(nexus, folders, raw)
    finally:
        cleaned(team, folders)
    assert path_taking_commands() - nexus.seen == set()
    assert len(path_taking_commands()) >= 29
