"""Names with spaces, Unicode, ``#``, ``?``, ``%``, ``*``, ``[``, quotes and colons round-trip
byte-exact through the CLI against a real server: ``ls`` shows them, ``cat`` gives the bytes,
and the tables and trees print them as they are (not as rich markup or emoji codes); a few
as real ``nexus`` processes, with raw bytes on the command line."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator

import pytest

from tests.cli.path_commands import LINE_SEPARATORS, Nexus, SharedTransport, ok
from tests.support.deployments import Deployment, deployment
from tests.support.path_inputs import name_of, parent_of
from tests.support.server_process import NEXUS

FOLDER = "/workspace/names"
# Relative paths below FOLDER: names, and markup that spans folders ('[b]x[/b]' is the file
# 'b]' in the folder '[b]x[').
ENTRIES = [
    "a b",
    " lead and trail ",
    "#hash",
    "what?",
    "100%",
    "%2e%2e",
    "star*",
    "[bracket",
    "[b]bold",
    "[b]x[/b]",
    "x[/]",
    '"double"',
    "'single'",
    "c:colon",
    "a :thumbs_up: b",
    "ünïcödé",
    "日本語",
    "😀",
    "a\u2028b",
    "back\\slash",
    "trailing\\",
    "a+b&c=d;e",
]


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    with deployment("http", tmp_path_factory.mktemp("cli-names")) as deployed:
        deployed.create_team()
        deployed.as_user("alice").mkdir(FOLDER)
        yield deployed


@pytest.fixture(scope="module")
def nexus(team: Deployment) -> Iterator[Nexus]:
    assert team.server is not None
    transport = SharedTransport()
    yield Nexus(team.server.url, team.keys, transport)
    transport.close_for_good()


@pytest.mark.parametrize("entry", ENTRIES)
def test_a_name_round_trips_through_every_kind_of_output(nexus: Nexus, entry: str) -> None:
    path = f"{FOLDER}/{entry}"
    content = f"content of {entry}\n"
    assert ok(nexus("alice", "write", path, content)).stdout.endswith(f" to {path} (version 1).\n")
    assert ok(nexus("alice", "cat", path)).stdout == content
    listed = ok(nexus("alice", "ls", parent_of(path))).stdout.split("\n")
    assert listed.count(name_of(path)) == 1
    assert f"  {path}\n" in ok(nexus("alice", "ls", "-r", "-l", "/workspace")).stdout
    assert f"path: {path}\n" in ok(nexus("alice", "stat", path)).stdout
    ok(nexus("alice", "rebac", "grant", "user", "bob", "file", path, "--relation", "can_read"))
    table = ok(nexus("alice", "rebac", "list", "--object-id", path)).stdout
    if not any(separator in path for separator in LINE_SEPARATORS):
        assert f"file:{path} " in table, table
    tree = ok(nexus("alice", "rebac", "expand", "can_read", path)).stdout
    assert tree.startswith(f"file:{path}#can_read (union)\n"), tree
    why = ok(
        nexus("alice", "rebac", "explain", "user", "bob", "file", path, "--relation", "can_read")
    )
    assert f" on {path}" in why.stdout
    assert (
        ok(nexus("alice", "rebac", "list-objects", "owner", "--under", path)).stdout == path + "\n"
    )
    check = {"subject_type": "user", "subject_id": "bob", "relation": "can_read", "object_id": path}
    line = json.dumps(check, ensure_ascii=False) + "\n"
    batch = nexus("alice", "rebac", "check-batch", "-", stdin=line + line)  # JSON lines
    assert batch.exit_code == 0, batch.stderr
    assert ok(nexus("bob", "cat", path)).stdout == content


def test_real_processes_take_names_and_bytes_from_their_command_line(team: Deployment) -> None:
    assert team.server is not None
    env = {**team.server.cli_env(team.keys["alice"]), "LC_ALL": "C.UTF-8"}

    def nexus(*args: str | bytes, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [NEXUS, *args], env=env, input=stdin, capture_output=True, timeout=60, check=False
        )

    path = f"{FOLDER}/proc [b]x #?%*'\":😀"
    assert nexus("write", path, stdin=b"\x00raw\xff").returncode == 0
    assert nexus("cat", path).stdout == b"\x00raw\xff"
    listed = nexus("ls", FOLDER).stdout.decode().split("\n")
    assert listed.count(name_of(path)) == 1
    table = nexus("rebac", "list", "--object-id", path)
    assert f"file:{path} ".encode() in table.stdout, table.stdout
    # Bytes that are not UTF-8 arrive as lone surrogates (surrogateescape): one error line.
    for bad in (os.fsencode(FOLDER) + b"/\xff", b"relative", os.fsencode(FOLDER) + b"/../x"):
        refused = nexus("write", bad, "text")
        assert refused.returncode == 1, refused.stderr
        assert refused.stdout == b""
        lines = refused.stderr.decode(errors="replace").splitlines()
        assert len(lines) == 1 and lines[0].endswith("invalid_path)"), lines
    assert nexus("ls", FOLDER).stdout.decode().split("\n") == listed
