"""`nexus rebac explain` against a real `nexus serve` process: readable chains and denials,
--json, exit status 0 when allowed, 1 when denied and 2 on errors (as `rebac check`)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from click.testing import CliRunner, Result

from nexus.cli.main import cli
from nexus.client.http import HttpClient
from tests.support.server_process import NEXUS, ServerProcess
from tests.support.team_server import start_team_server

PROJECT = "/workspace/team-project"
INTERNAL = f"{PROJECT}/internal"
SPECS = f"{INTERNAL}/specs.md"


@dataclass
class Server:
    process: ServerProcess
    keys: dict[str, str]

    def run(self, user: str, *args: str) -> Result:
        options = ["--url", self.process.url, "--api-key", self.keys[user]]
        return CliRunner().invoke(cli, [*options, "rebac", "explain", *args])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """alice's project; bob is in developers, which may write internal/; carol reads specs."""
    process, keys = start_team_server(tmp_path_factory.mktemp("cli-explain") / "data")
    try:
        with HttpClient(process.url, keys["alice"]) as alice:
            alice.write(SPECS, b"specs")
            alice.create_group("developers")
            alice.add_user_to_group("bob", "developers")
            alice.grant_permission("group", "developers", "file", INTERNAL, "can_write")
            alice.grant_permission("user", "carol", "file", SPECS, "can_read")
        yield Server(process, keys)
    finally:
        process.stop()


def test_allowed_prints_the_summary_and_numbered_steps(server: Server) -> None:
    result = server.run("bob", "user", "bob", "file", SPECS, "--relation", "can_write")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"✅ ALLOWED: bob has can_write on {SPECS}: bob is in group developers, which has "
        f"can_write on {INTERNAL}, inherited by {SPECS}\n"
        "  1. bob is a member of group developers (added by alice)\n"
        f"  2. group developers has can_write on {INTERNAL} (granted by alice)\n"
        f"  3. {SPECS} inherits can_write from its directory {INTERNAL}\n"
    )


def test_denied_prints_what_was_tried_and_the_missing_link_and_exits_1(server: Server) -> None:
    result = server.run("alice", "user", "carol", "file", SPECS, "--relation", "can_write")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == f"❌ DENIED: carol does not have can_write on {SPECS}"
    assert lines[1] == "Tried:"
    assert lines[2] == f"  direct grants of can_write on {SPECS}: none for carol"
    assert lines[-1] == (
        f"Missing: group developers has can_write on {INTERNAL}, but carol is not a member of "
        "group developers"
    )
    assert all(line.startswith("  ") for line in lines[2:-1])


def test_json_prints_the_record_and_keeps_the_exit_status(server: Server) -> None:
    allowed = server.run(
        "carol", "user", "carol", "file", SPECS, "--relation", "can_read", "--json"
    )
    assert allowed.exit_code == 0
    record = json.loads(allowed.stdout)
    assert record["allowed"] is True and record["steps"] == [
        f"carol has can_read on {SPECS} (granted by alice)"
    ]
    assert set(record) == {"allowed", "summary", "steps", "tried", "missing", "revision"}
    denied = server.run("carol", "user", "carol", "file", SPECS, "--relation", "owner", "--json")
    assert denied.exit_code == 1
    record = json.loads(denied.stdout)
    assert record["allowed"] is False
    assert record["missing"] == f"no owner grant for carol or any group carol is in on {SPECS}"


def test_errors_are_one_line_and_usage_errors_exit_2(server: Server) -> None:
    result = server.run("bob", "user", "bob", "file", SPECS, "--relation", "can_fly")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: unknown relation 'can_fly'")
    assert result.stderr.rstrip().endswith("(invalid_argument: unknown_relation)")
    # Asking about someone else on a file you do not own: refused, as `rebac check`.
    result = server.run("carol", "user", "bob", "file", SPECS, "--relation", "can_read")
    assert result.exit_code == 2 and "(permission_denied)" in result.stderr
    result = server.run("bob", "user", "bob", "file", SPECS)
    assert result.exit_code == 2 and "--relation" in result.stderr


def test_the_console_script(server: Server) -> None:
    """The installed `nexus` command, as a user runs it (environment variables)."""
    env = {**os.environ, "NEXUS_URL": server.process.url, "NEXUS_API_KEY": server.keys["bob"]}
    args = [NEXUS, "rebac", "explain", "user", "bob", "file", SPECS, "--relation"]
    allowed = subprocess.run([*args, "can_read"], env=env, capture_output=True, text=True)
    assert allowed.returncode == 0, allowed.stderr
    assert "ALLOWED: bob has can_read on" in allowed.stdout
    denied = subprocess.run([*args, "owner"], env=env, capture_output=True, text=True)
    assert denied.returncode == 1
    assert "DENIED: bob does not have owner on" in denied.stdout
    assert "Missing: no owner grant for bob or any group bob is in on" in denied.stdout
