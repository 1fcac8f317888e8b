"""`nexus rebac check-batch|list-objects|list-subjects|expand|write|delete` against a real
`nexus serve` process (the CLI runs in-process and talks HTTP to it with each user's key)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result

from nexus.api.models import API_PREFIX
from nexus.cli.main import cli
from nexus.client.http import HttpClient
from nexus.client.interface import NexusClient
from tests.support.server_process import ServerProcess
from tests.support.team_server import start_team_server

PROJECT = "/workspace/cli-project"


@dataclass
class Server:
    process: ServerProcess
    keys: dict[str, str]

    def run(self, user: str, *args: str, stdin: str | None = None) -> Result:
        options = ["--url", self.process.url, "--api-key", self.keys[user]]
        return CliRunner().invoke(cli, [*options, "rebac", *args], input=stdin)

    def client(self, user: str) -> NexusClient:
        return HttpClient(self.process.url, self.keys[user])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """admin, alice, bob, carol; alice's project: bob reads it, group devs (carol) writes
    src/, everyone reads public.md, secret/ is restricted."""
    process, keys = start_team_server(tmp_path_factory.mktemp("cli-rebac") / "data")
    try:
        with HttpClient(process.url, keys["alice"]) as alice:
            alice.write(f"{PROJECT}/src/main.py", b"main")
            alice.write(f"{PROJECT}/public.md", b"public")
            alice.write(f"{PROJECT}/secret/plan.md", b"plan")
            alice.set_restricted(f"{PROJECT}/secret")
            alice.create_group("devs")
            alice.add_user_to_group("carol", "devs")
            alice.grant_permission("user", "bob", "file", PROJECT, "can_read")
            alice.grant_permission("group", "devs", "file", f"{PROJECT}/src", "can_write")
            alice.grant_permission("user", "*", "file", f"{PROJECT}/public.md", "can_read")
        yield Server(process, keys)
    finally:
        process.stop()


def ask(subject_id: str, path: str, relation: str, subject_type: str = "user") -> dict[str, str]:
    return {
        "subject_type": subject_type,
        "subject_id": subject_id,
        "relation": relation,
        "object_id": path,
    }


# --- check-batch ----------------------------------------------------------------------------


def test_check_batch_from_a_file_and_from_stdin(server: Server, tmp_path: Path) -> None:
    checks = [
        ask("bob", f"{PROJECT}/src/main.py", "can_read"),
        ask("carol", f"{PROJECT}/src/main.py", "can_write"),
    ]
    listed = tmp_path / "checks.json"
    listed.write_text(json.dumps(checks))
    result = server.run("alice", "check-batch", str(listed))
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        f"✅ ALLOWED: user bob has can_read on file {PROJECT}/src/main.py\n"
        f"✅ ALLOWED: user carol has can_write on file {PROJECT}/src/main.py\n"
    )
    # JSON lines on stdin; one denial makes the exit status 1.
    lines = "\n".join(
        json.dumps(c) for c in [*checks, ask("bob", f"{PROJECT}/secret/plan.md", "can_read")]
    )
    result = server.run("alice", "check-batch", "-", stdin=lines + "\n\n")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[-1] == (
        f"❌ DENIED: user bob does not have can_read on file {PROJECT}/secret/plan.md"
    )
    result = server.run("alice", "check-batch", "-", "--json", stdin=lines)
    assert result.exit_code == 1
    answer = json.loads(result.stdout)
    assert set(answer) == {"results", "revision"}
    assert [item["allowed"] for item in answer["results"]] == [True, True, False]
    assert answer["results"][0] == {**checks[0], "allowed": True}


def test_check_batch_errors(server: Server, tmp_path: Path) -> None:
    # Not JSON, not objects, no such file: usage errors (exit status 2), nothing asked.
    for stdin in ("{not json", "[1, 2]"):
        result = server.run("alice", "check-batch", "-", stdin=stdin)
        assert result.exit_code == 2, result.output
    assert server.run("alice", "check-batch", str(tmp_path / "missing.json")).exit_code == 2
    # Refused by the server: one error line naming the check, exit status 2 (not "denied").
    stdin = json.dumps([ask("bob", PROJECT, "can_read"), ask("bob", PROJECT, "can_fly")])
    result = server.run("alice", "check-batch", "-", stdin=stdin)
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: checks[1]: ")
    assert result.stderr.rstrip().endswith("(invalid_argument: unknown_relation)")
    stdin = json.dumps([ask("carol", f"{PROJECT}/public.md", "can_read")])
    result = server.run("bob", "check-batch", "-", stdin=stdin)
    assert result.exit_code == 2
    assert "(permission_denied)" in result.stderr


# --- list-objects, list-subjects, expand ------------------------------------------------------


def test_list_objects(server: Server) -> None:
    result = server.run("bob", "list-objects", "can_read", "--under", PROJECT)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        PROJECT,
        f"{PROJECT}/public.md",
        f"{PROJECT}/src",  # not secret/: restricted, the grant from above stops there
        f"{PROJECT}/src/main.py",
    ]


def test_list_objects_of_others_and_bad_subjects(server: Server) -> None:
    result = server.run(
        "admin",
        "list-objects",
        "can_write",
        "--under",
        PROJECT,
        "--subject",
        "user:carol",
        "--json",
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["paths"] == [f"{PROJECT}/src", f"{PROJECT}/src/main.py"]
    result = server.run("carol", "list-objects", "can_write", "--subject", "group:devs")
    assert result.stdout.splitlines() == [f"{PROJECT}/src", f"{PROJECT}/src/main.py"]
    result = server.run("bob", "list-objects", "can_read", "--subject", "user:carol")
    assert result.exit_code == 1
    assert "(permission_denied)" in result.stderr
    for bad in ("carol", "robot:x", "user:"):
        result = server.run("bob", "list-objects", "can_read", "--subject", bad)
        assert result.exit_code == 2, (bad, result.output)
    result = server.run("bob", "list-objects", "can_read", "--under", f"{PROJECT}/secret")
    assert result.exit_code == 1
    assert "(not_found)" in result.stderr
    result = server.run("carol", "list-objects", "owner", "--under", "/workspace")
    assert (result.exit_code, result.stdout) == (0, "")
    assert "No paths match." in result.stderr


def test_list_subjects(server: Server) -> None:
    result = server.run("bob", "list-subjects", "can_write", f"{PROJECT}/src/main.py")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["group:devs", "user:alice"]
    result = server.run(
        "bob", "list-subjects", "can_write", f"{PROJECT}/src/main.py", "--expand-groups"
    )
    assert result.stdout.splitlines() == ["user:alice", "user:carol"]
    result = server.run("carol", "list-subjects", "can_read", f"{PROJECT}/public.md", "--json")
    assert {"subject_type": "user", "subject_id": "*"} in json.loads(result.stdout)["subjects"]
    result = server.run("carol", "list-subjects", "can_read", f"{PROJECT}/secret/plan.md")
    assert result.exit_code == 1
    assert "(permission_denied)" in result.stderr


def test_expand_prints_a_tree_with_paths_and_group_names(server: Server) -> None:
    result = server.run("bob", "expand", "can_write", f"{PROJECT}/src/main.py")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.splitlines()[0].startswith(f"file:{PROJECT}/src/main.py#can_write")
    assert f"file:{PROJECT}/src#can_write" in out
    assert "group:devs" in out and "user:carol" in out and "user:alice" in out
    assert "file:1" not in out.replace(f"file:{PROJECT}", "")  # no entry ids
    # A subtree reached twice (src#can_write through can_read and can_write) prints once.
    reads = server.run("bob", "expand", "can_read", f"{PROJECT}/src/main.py").stdout
    lines = [line.lstrip("│├└─ ") for line in reads.splitlines()]
    assert lines.count(f"file:{PROJECT}/src#can_write (union)") == 1
    assert f"file:{PROJECT}/src#can_write (union) (shown above)" in lines
    tree = json.loads(server.run("bob", "expand", "can_write", PROJECT, "--json").stdout)["tree"]
    assert (tree["object_type"], tree["object_id"], tree["relation"]) == (
        "file",
        PROJECT,
        "can_write",
    )


def test_json_prints_the_whole_http_answer_with_its_revision(server: Server) -> None:
    """Each --json output is exactly the HTTP API's answer (check-batch adds each check to its
    answer), read here at the same revision."""
    src = f"{PROJECT}/src"
    http = httpx.Client(
        base_url=server.process.url + API_PREFIX,
        headers={"Authorization": f"Bearer {server.keys['admin']}"},
    )
    with http:
        asked = ask("carol", src, "can_write")
        check = http.post("/permissions/check", json={**asked, "object_type": "file"}).json()
        batch = http.post("/permissions/check-batch", json={"checks": [asked]}).json()
        objects = http.get(
            "/permissions/objects",
            params={"relation": "can_write", "path": PROJECT, "subject_id": "carol"},
        ).json()
        subjects = http.get("/permissions/subjects", params={"path": src, "relation": "can_write"})
        expanded = http.get("/permissions/expand", params={"path": src, "relation": "can_write"})
    assert isinstance(check["revision"], int) and check["allowed"] is True

    def cli_json(*args: str) -> object:
        result = server.run("admin", *args, "--json", stdin=json.dumps([asked]))
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)

    assert cli_json("check", "user", "carol", "file", src, "--relation", "can_write") == check
    assert cli_json("check-batch", "-") == {
        "results": [{**asked, "allowed": True}],
        "revision": batch["revision"],
    }
    assert batch["results"] == [True]
    listed = ["list-objects", "can_write", "--under", PROJECT, "--subject", "user:carol"]
    assert cli_json(*listed) == objects
    assert cli_json("list-subjects", "can_write", src) == subjects.json()
    assert cli_json("expand", "can_write", src) == expanded.json()


# --- write and delete -------------------------------------------------------------------------


def test_write_from_stdin_all_or_nothing(server: Server) -> None:
    target = f"{PROJECT}/written.md"
    with server.client("alice") as alice:
        alice.write(target, b"w")
        good = [ask("carol", target, "can_read"), ask("devs", target, "can_write", "group")]
        bad = [*good, ask("nobody", target, "can_read")]
        result = server.run("alice", "write", "-", stdin=json.dumps(bad))
        assert result.exit_code == 1
        assert "relationships[2]" in result.stderr and "(invalid_argument: unknown_user)" in (
            result.stderr
        )
        assert (
            alice.list_permissions(
                object_type="file", object_id=target, subject_id="carol", subject_type="user"
            )
            == []
        )
        lines = "\n".join(json.dumps(item) for item in good)
        result = server.run("alice", "write", "-", stdin=lines)
        assert result.exit_code == 0, result.output
        assert result.stdout.startswith("Wrote 2 relationship(s) (0 already existed); revision ")
        again = server.run("alice", "write", "-", "--json", stdin=lines)
        answer = json.loads(again.stdout)
        assert (answer["written"], answer["unchanged"]) == (0, 2)
        assert alice.check_permission("user", "carol", "file", target, "can_write") is True


def test_delete(server: Server) -> None:
    target = f"{PROJECT}/deleted.md"
    with server.client("alice") as alice:
        alice.write(target, b"d")
        alice.grant_permission("user", "carol", "file", target, "can_read")
        alice.grant_permission("user", "carol", "file", target, "can_execute")
    result = server.run("alice", "delete")
    assert result.exit_code == 2
    assert "at least one of --object, --relation and --subject" in result.stderr
    assert server.run("alice", "delete", "--subject", "carol").exit_code == 2
    result = server.run("bob", "delete", "--object", target, "--subject", "user:carol")
    assert result.exit_code == 1
    assert "(permission_denied)" in result.stderr
    result = server.run("alice", "delete", "--subject", "user:carol")
    assert result.exit_code == 1
    assert "only admins" in result.stderr
    result = server.run(
        "alice", "delete", "--object", target, "--subject", "user:carol", "--relation", "can_read"
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Deleted 1 relationship(s); revision ")
    result = server.run("alice", "delete", "--object", target, "--subject", "user:carol", "--json")
    assert json.loads(result.stdout)["deleted"] == 1
