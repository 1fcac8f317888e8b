"""The exit statuses of `nexus rebac check|check-batch|explain` against a real `nexus serve`:
0 allowed, 1 denied, 2 any error (as grep), so a script can tell "denied" from "could not
ask". Every other command keeps 1 for errors."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from click.testing import CliRunner, Result

from nexus.cli.main import cli
from nexus.client.http import HttpClient
from tests.support.server_process import NEXUS, ServerProcess, free_port
from tests.support.team_server import start_team_server

DOC = "/workspace/exit-codes/doc.md"


@dataclass
class Server:
    process: ServerProcess
    keys: dict[str, str]

    def run(
        self, user: str, *args: str, stdin: str | None = None, url: str | None = None
    ) -> Result:
        key = self.keys.get(user, user)  # an unknown name is used as the key itself
        options = ["--url", url or self.process.url, "--api-key", key]
        return CliRunner().invoke(cli, [*options, "rebac", *args], input=stdin)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """alice owns DOC and lets bob read it; carol has nothing."""
    process, keys = start_team_server(tmp_path_factory.mktemp("cli-exit") / "data")
    try:
        with HttpClient(process.url, keys["alice"]) as alice:
            alice.write(DOC, b"doc")
            alice.grant_permission("user", "bob", "file", DOC, "can_read")
        yield Server(process, keys)
    finally:
        process.stop()


def target(subject: str, relation: str) -> list[str]:
    return ["user", subject, "file", DOC, "--relation", relation]


def batch(*checks: tuple[str, str]) -> str:
    return json.dumps(
        [
            {"subject_type": "user", "subject_id": s, "relation": r, "object_id": DOC}
            for s, r in checks
        ]
    )


@pytest.mark.parametrize("command", ["check", "explain"])
def test_check_and_explain_answer_0_allowed_1_denied(server: Server, command: str) -> None:
    allowed = server.run("alice", command, *target("bob", "can_read"))
    assert allowed.exit_code == 0, allowed.output
    assert "ALLOWED" in allowed.stdout and allowed.stderr == ""
    denied = server.run("alice", command, *target("bob", "can_write"))
    assert denied.exit_code == 1, denied.output
    assert "DENIED" in denied.stdout and denied.stderr == ""


ERRORS = {
    # Asking about someone else on a file you do not own: a 403.
    "forbidden": ("carol", target("bob", "can_read"), "(permission_denied)"),
    "unknown user": ("alice", target("nobody", "can_read"), "unknown_user"),
    "misspelt relation": ("alice", target("bob", "can_raed"), "unknown_relation"),
    "bad API key": ("nx_not_a_key", target("bob", "can_read"), "Error: "),
}


@pytest.mark.parametrize("command", ["check", "explain"])
@pytest.mark.parametrize("case", sorted(ERRORS))
def test_check_and_explain_errors_exit_2(server: Server, command: str, case: str) -> None:
    user, args, expected = ERRORS[case]
    result = server.run(user, command, *args)
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert result.stderr.startswith("Error: ") and expected in result.stderr
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize("command", ["check", "explain", "check-batch"])
def test_unreachable_server_and_usage_errors_exit_2(server: Server, command: str) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    args = ["-"] if command == "check-batch" else target("bob", "can_read")
    result = server.run("alice", command, *args, stdin=batch(("bob", "can_read")), url=down)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("Error: cannot reach Nexus server at ")
    usage = server.run("alice", command)  # a missing argument
    assert usage.exit_code == 2 and "Usage:" in usage.stderr


def test_check_batch_0_all_allowed_1_any_denied_2_error(server: Server) -> None:
    allowed = server.run("alice", "check-batch", "-", stdin=batch(("bob", "can_read")))
    assert allowed.exit_code == 0, allowed.output
    mixed = batch(("bob", "can_read"), ("bob", "can_write"))
    assert server.run("alice", "check-batch", "-", stdin=mixed).exit_code == 1
    for user, stdin in [
        ("alice", batch(("bob", "can_read"), ("bob", "can_raed"))),  # misspelt relation
        ("alice", batch(("nobody", "can_read"))),  # unknown user
        ("carol", batch(("bob", "can_read"))),  # 403
        ("nx_not_a_key", batch(("bob", "can_read"))),  # bad key
        ("alice", "{not json"),  # usage
    ]:
        result = server.run(user, "check-batch", "-", stdin=stdin)
        assert result.exit_code == 2, (user, stdin, result.output)
        assert result.stdout == "" and result.stderr.startswith(("Error: ", "Usage: "))


def test_other_commands_keep_exit_status_1_for_errors(server: Server) -> None:
    result = server.run("alice", "grant", *target("bob", "can_raed"))
    assert result.exit_code == 1 and "unknown_relation" in result.stderr
    result = server.run("carol", "list-subjects", "can_read", DOC)
    assert result.exit_code == 1 and result.stderr.startswith("Error: ")


def test_the_console_script_exits_2_on_error(server: Server) -> None:
    """The installed `nexus` command, as a script runs it."""
    env = server.process.cli_env(server.keys["alice"])
    args = [NEXUS, "rebac", "check", "user", "bob", "file", DOC, "--relation"]
    ran = [
        subprocess.run([*args, relation], env=env, capture_output=True, text=True)
        for relation in ("can_read", "can_write", "can_raed")
    ]
    assert [r.returncode for r in ran] == [0, 1, 2], [r.stderr for r in ran]
    assert ran[2].stderr.startswith("Error: unknown relation 'can_raed'")
