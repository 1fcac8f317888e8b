"""Versions and garbage collection end to end: the `nexus` CLI against a real server, and
two server processes sharing one blob directory and one PostgreSQL database."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from nexus.client.http import HttpClient
from nexus.config import admin_socket_path
from tests.support.postgres import temporary_database
from tests.support.server_pair import ServerPair
from tests.support.server_process import ServerProcess
from tests.support.team_server import start_team_server

pytestmark = pytest.mark.slow

DOC = "/workspace/notes.txt"
TWO_HOURS = 7200.0


def blob_path(data_dir: Path, content: bytes) -> Path:
    digest = hashlib.sha256(content).hexdigest()
    return data_dir / "blobs" / digest[:2] / digest


def backdate(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def out(completed: subprocess.CompletedProcess[bytes]) -> str:
    assert completed.returncode == 0, completed.stderr
    return completed.stdout.decode()


@pytest.fixture(scope="module")
def team(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[ServerProcess, dict[str, str]]]:
    process, keys = start_team_server(tmp_path_factory.mktemp("versions-cli") / "data")
    try:
        yield process, keys
    finally:
        process.stop()


def test_cli_versions_restore_and_admin_gc(team: tuple[ServerProcess, dict[str, str]]) -> None:
    server, keys = team
    alice = keys["alice"]
    for text in ("first", "second", "third"):
        out(server.run_cli("write", DOC, text, api_key=alice))

    lines = out(server.run_cli("versions", DOC, api_key=alice)).splitlines()
    assert [line.split()[0] for line in lines] == ["v3", "v2", "v1"]
    assert lines[0].endswith("(current)") and "alice" in lines[0]
    listed = json.loads(out(server.run_cli("versions", DOC, "--json", api_key=alice)))
    assert [v["version"] for v in listed] == [3, 2, 1]

    said = out(server.run_cli("restore", DOC, "1", api_key=alice))
    assert said == f"Restored {DOC} to version 1 (now version 4).\n"
    assert out(server.run_cli("cat", DOC, api_key=alice)) == "first"
    assert out(server.run_cli("cat", DOC, "--version", "3", api_key=alice)) == "third"

    refused = server.run_cli("restore", DOC, "9", api_key=alice)
    assert refused.returncode == 1
    assert b"unknown_version" in refused.stderr
    assert server.run_cli("restore", DOC, "0", api_key=alice).returncode == 2  # usage
    assert server.run_cli("restore", DOC, "x", api_key=alice).returncode == 2
    # Bob cannot read it, and sees /workspace: it does not exist for him.
    hidden = server.run_cli("versions", DOC, api_key=keys["bob"])
    assert hidden.returncode == 1 and b"(not_found)" in hidden.stderr
    not_admin = server.run_cli("admin", "gc", api_key=alice)
    assert not_admin.returncode == 1 and b"permission_denied" in not_admin.stderr

    # An orphan blob from long ago goes; the live ones stay.
    out(server.run_cli("write", "/workspace/scratch.txt", "scratch", api_key=alice))
    out(server.run_cli("rm", "/workspace/scratch.txt", api_key=alice))
    scratch = blob_path(server.data_dir, b"scratch")
    backdate(scratch, TWO_HOURS)
    backdate(blob_path(server.data_dir, b"first"), TWO_HOURS)
    # No key: the local admin socket, as for every `nexus admin` command.
    swept = json.loads(out(server.run_cli("admin", "gc", "--json")))
    assert swept["blobs_removed"] == 1 and swept["bytes_freed"] == len(b"scratch")
    assert not scratch.exists()
    assert out(server.run_cli("cat", DOC, api_key=alice)) == "first"
    said = out(server.run_cli("admin", "gc"))
    assert said.startswith("Removed 0 old version(s), 0 unreferenced blob(s)")


def test_two_processes_share_blobs_safely(tmp_path: Path) -> None:
    """Server b writes content whose old, unreferenced blob server a is about to collect:
    b's put refreshes the blob, so a's collection leaves it."""
    with temporary_database() as url:
        pair = ServerPair(tmp_path / "data", db_url=url).start()
        try:
            with (
                HttpClient("http://nexus-admin", None, uds=_socket(pair.a)) as admin_a,
                HttpClient("http://nexus-admin", None, uds=_socket(pair.b)) as admin_b,
            ):
                admin_a.create_user("alice", "Alice", "alice@example.com")
                key = admin_a.create_api_key("alice")["key"]
                with (
                    HttpClient(pair.a.url, key) as alice_a,
                    HttpClient(pair.b.url, key) as alice_b,
                ):
                    alice_a.write("/workspace/old.txt", b"recycled content")
                    alice_a.delete("/workspace/old.txt")
                    alice_a.write("/workspace/orphan.txt", b"orphan")
                    alice_a.delete("/workspace/orphan.txt")
                    recycled = blob_path(pair.a.data_dir, b"recycled content")
                    orphan = blob_path(pair.a.data_dir, b"orphan")
                    backdate(recycled, TWO_HOURS)
                    backdate(orphan, TWO_HOURS)

                    alice_b.write("/workspace/new.txt", b"recycled content")
                    swept = admin_a.collect_garbage()
                    assert swept["blobs_removed"] == 1
                    assert recycled.exists() and not orphan.exists()
                    assert alice_a.read("/workspace/new.txt") == b"recycled content"
                    # The other process collects too, and finds nothing more to remove.
                    assert admin_b.collect_garbage()["blobs_removed"] == 0
                    assert alice_b.read("/workspace/new.txt") == b"recycled content"
        finally:
            pair.stop()


def _socket(server: ServerProcess) -> str:
    return str(admin_socket_path(server.port, server.env))
