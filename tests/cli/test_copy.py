"""`nexus cp` against a real server process."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from click.testing import CliRunner, Result

from nexus.cli.main import cli
from tests.support.deployments import Deployment, deployment

DOC = "/workspace/project/doc.md"


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    with deployment("http", tmp_path_factory.mktemp("copy")) as deployed:
        deployed.create_team()
        alice = deployed.as_user("alice")
        alice.write(DOC, b"v1")
        alice.write("/workspace/project/notes/a.txt", b"a")
        yield deployed


def nexus(team: Deployment, user: str, *args: str) -> Result:
    assert team.server is not None
    env = {"NEXUS_URL": team.server.url, "NEXUS_API_KEY": team.keys[user]}
    return CliRunner().invoke(cli, list(args), env=env)


def test_cp_copies_files_and_folders(team: Deployment) -> None:
    copied = nexus(team, "alice", "cp", DOC, "/workspace/project/copy.md")
    assert (copied.exit_code, copied.stdout) == (
        0,
        f"Copied {DOC} -> /workspace/project/copy.md.\n",
    )
    assert nexus(team, "alice", "cat", "/workspace/project/copy.md").stdout == "v1"
    folder = nexus(team, "alice", "cp", "/workspace/project", "/workspace/backup", "--json")
    assert folder.exit_code == 0, folder.output
    assert json.loads(folder.stdout)["type"] == "directory"
    assert nexus(team, "alice", "cat", "/workspace/backup/notes/a.txt").stdout == "a"


def test_cp_errors_are_one_line_with_a_code(team: Deployment) -> None:
    exists = nexus(team, "alice", "cp", DOC, DOC + "-x")
    assert exists.exit_code == 0
    again = nexus(team, "alice", "cp", DOC, DOC + "-x")
    assert again.exit_code == 1 and "(already_exists)" in again.stderr
    denied = nexus(team, "bob", "cp", DOC, "/workspace/bob.md")
    assert denied.exit_code == 1 and "(permission_denied)" in denied.stderr
    inside = nexus(team, "alice", "cp", "/workspace/project", "/workspace/project/in")
    assert inside.exit_code == 1 and "copy_into_itself)" in inside.stderr
    assert nexus(team, "alice", "cp", DOC).exit_code == 2  # usage: DST is required
