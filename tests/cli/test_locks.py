"""`nexus lock`, `unlock`, `extend-lock` and `lock-info` against a real server process."""

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
    with deployment("http", tmp_path_factory.mktemp("locks")) as deployed:
        deployed.create_team()
        alice = deployed.as_user("alice")
        alice.write(DOC, b"v1")
        alice.grant_permission("user", "bob", "file", "/workspace/project", "can_write")
        yield deployed


def nexus(team: Deployment, user: str, *args: str) -> Result:
    assert team.server is not None
    env = {"NEXUS_URL": team.server.url, "NEXUS_API_KEY": team.keys[user]}
    return CliRunner().invoke(cli, list(args), env=env)


def test_lock_prints_the_token_and_unlock_takes_it(team: Deployment) -> None:
    locked = nexus(team, "alice", "lock", DOC, "--ttl", "600")
    assert locked.exit_code == 0, locked.output
    token = locked.stdout.strip()
    assert token.startswith("nxl_") and "\n" not in token

    info = nexus(team, "bob", "lock-info", DOC)
    assert info.exit_code == 0
    assert info.stdout.startswith(f"{DOC} is locked by alice until ")

    refused = nexus(team, "bob", "write", DOC, "bob")
    assert refused.exit_code == 1
    assert "locked by alice" in refused.stderr and "(locked)" in refused.stderr

    wrong = nexus(team, "bob", "unlock", DOC, token)
    assert wrong.exit_code == 1 and "lock_token_mismatch" in wrong.stderr

    extended = nexus(team, "alice", "extend-lock", DOC, token, "--ttl", "900", "--json")
    assert extended.exit_code == 0, extended.output
    assert json.loads(extended.stdout)["holder"] == "alice"

    unlocked = nexus(team, "alice", "unlock", DOC, token)
    assert (unlocked.exit_code, unlocked.stdout) == (0, f"Unlocked {DOC}.\n")
    assert nexus(team, "bob", "lock-info", DOC).stdout == f"{DOC} is not locked.\n"
    assert json.loads(nexus(team, "bob", "lock-info", DOC, "--json").stdout)["locked"] is False


def test_admins_break_locks_and_bad_input_is_an_error(team: Deployment) -> None:
    record = nexus(team, "bob", "lock", DOC, "--ttl", "60", "--json")
    assert json.loads(record.stdout)["token"].startswith("nxl_")

    for ttl in ("-1", "0", "1e12", "nan"):
        bad = nexus(team, "alice", "lock", DOC, "--ttl", ttl)
        assert bad.exit_code == 1, (ttl, bad.output)
        assert "invalid_ttl)" in bad.stderr
    assert nexus(team, "alice", "lock", DOC, "--ttl", "abc").exit_code == 2  # usage error
    assert nexus(team, "alice", "lock", DOC).exit_code == 2  # --ttl is required
    assert nexus(team, "alice", "unlock", DOC).exit_code == 2  # neither token nor --break
    assert nexus(team, "admin", "unlock", DOC, "tok", "--break").exit_code == 2

    not_admin = nexus(team, "alice", "unlock", DOC, "--break")
    assert not_admin.exit_code == 1 and "missing_token)" in not_admin.stderr
    broken = nexus(team, "admin", "unlock", DOC, "--break")
    assert broken.exit_code == 0, broken.output
    assert nexus(team, "alice", "lock-info", DOC).stdout == f"{DOC} is not locked.\n"

    hidden = nexus(team, "carol", "lock-info", DOC)
    assert hidden.exit_code == 1 and "(permission_denied)" in hidden.stderr
