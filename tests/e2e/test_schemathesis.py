"""Schemathesis fuzzes a real server from its own OpenAPI document, as alice with bob as her
peer, with every phase and check on: no 5xx, every answer as the document describes it
(status, content type, body, headers), bad input refused, nothing served without a valid
key, and nothing of bob's reaching alice.

Each user has private data: a folder with files (one with three versions, one locked), a
hidden folder whose name nobody else knows, a group, a session with a file. Alice's paths
and bob's (and tricky spellings of them), ids, ranges and versions are fed to the fuzzer as
real values. Cross-user access is watched three ways: schemathesis's
object_level_authorization check (alice's reads of objects it can tell are hers replayed as
bob), our private_data_stays_private check (tests/e2e/schemathesis_hooks.py: no answer to
alice shows bob's secrets or paths, no request of hers on his paths succeeds) and, after
the run, bob's data read back as bob, unchanged.

The suite runs NEXUS_SCHEMATHESIS_EXAMPLES=30 examples per operation and phase (about
2,500 requests, 1,000 at least); README.md gives the longer run. The seed is fixed
(NEXUS_SCHEMATHESIS_SEED changes it), and schemathesis's summary is printed.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import sys
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from nexus.client.http import ADMIN_SOCKET_URL, HttpClient
from tests.support.server_process import UNLIMITED, ServerProcess

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
CONFIG = Path(__file__).with_name("schemathesis.toml")
ST = shutil.which("st") or str(Path(sys.executable).parent / "st")
EXAMPLES = int(os.environ.get("NEXUS_SCHEMATHESIS_EXAMPLES", "30"))
SEED = os.environ.get("NEXUS_SCHEMATHESIS_SEED")
MIN_REQUESTS = 1000
PEERS = ("alice", "bob")


@dataclass
class Seeded:
    """One user's private data, as the fuzz run must leave it."""

    user: str
    key: str
    key_id: str = ""
    # A second key, which the fuzzer revokes in place of the one the run uses.
    spare_key_id: str = ""
    files: dict[str, bytes] = field(default_factory=dict)
    versions: dict[str, int] = field(default_factory=dict)
    locked: str = ""
    lock_token: str = ""
    group: str = ""
    session_id: str = ""
    # Tokens nobody else knows: secret contents and hidden names.
    markers: list[str] = field(default_factory=list)
    # The private folder and the session folder: nobody else reaches anything in them.
    areas: list[str] = field(default_factory=list)
    # Paths the fuzzer is given (every user's, so alice tries bob's), and those of files.
    paths: list[str] = field(default_factory=list)
    file_paths: list[str] = field(default_factory=list)
    # The ETags of the files, for If-Range.
    etags: list[str] = field(default_factory=list)


def _seed(server: ServerProcess, user: str, key: str) -> Seeded:
    seeded = Seeded(user, key)
    home = f"/workspace/{user}-private"
    secret = f"{user}-secret-{secrets.token_hex(8)}"
    hidden = f"{home}/hidden-{secrets.token_hex(8)}"
    with HttpClient(server.url, key) as client:
        client.mkdir(f"{home}/docs")
        seeded.files[f"{home}/notes.txt"] = f"{user}'s notes: {secret}\n".encode()
        seeded.files[f"{home}/docs/plan.md"] = f"# plan\n{secret}-plan\n".encode()
        seeded.files[f"{hidden}/names.txt"] = f"{secret}-hidden\n".encode()
        for path, content in seeded.files.items():
            client.write(path, content)
        history = f"{home}/history.txt"
        for round_ in range(3):
            client.write(history, f"{secret}-v{round_ + 1}\n".encode())
        seeded.files[history] = f"{secret}-v3\n".encode()
        seeded.locked = f"{home}/locked.txt"
        seeded.files[seeded.locked] = f"{secret}-locked\n".encode()
        client.write(seeded.locked, seeded.files[seeded.locked])
        seeded.lock_token = client.lock(seeded.locked, ttl=24 * 3600)  # outlives any run
        seeded.group = f"{user}-team"
        client.create_group(seeded.group, f"{user}'s team")
        client.add_user_to_group(user, seeded.group)
        session = client.create_session(f"{user}-work")
        seeded.session_id = str(session["id"])
        scratch = f"{session['path'].rstrip('/')}/scratch.txt"
        seeded.files[scratch] = f"{secret}-session\n".encode()
        client.write(scratch, seeded.files[scratch])
        for path in seeded.files:
            info = client.stat(path)
            seeded.versions[path] = int(info["version"])
            seeded.etags.append(str(info["etag"]))
    seeded.markers = [secret, hidden.rsplit("/", 1)[1]]
    seeded.areas = [home, str(session["path"]).rstrip("/")]
    visible = [path for path in seeded.files if not path.startswith(hidden)]
    folders = [home, f"{home}/docs", str(session["path"])]
    spellings = _spellings(home, visible[0])
    seeded.paths = [*visible, *folders, *spellings]
    seeded.file_paths = [*visible, *spellings[1:]]
    return seeded


def _spellings(home: str, path: str) -> list[str]:
    """Other ways to write a user's paths: most must be refused, none may reach the file."""
    name = path.rsplit("/", 1)[1]
    return [
        f"{home}/",
        f"{home}x",
        f"{home}/../{home.rsplit('/', 1)[1]}/{name}",
        f"{home}/./{name}",
        f"{home}//{name}",
        f"{home}/%2e%2e/{name}",
        f"{home}%2F{name}",
        home.upper() + "/" + name,
        unicodedata.normalize("NFD", f"{home}/é/{name}"),
        f"{home}/{name}\x00",
    ]


def _dictionaries(team: dict[str, Seeded]) -> str:
    """The run's [dictionaries.*] tables: its real paths, names and ids."""
    paths = [
        "/",
        "/workspace",
        "/sessions",
        "/workspace/.notifications",
        "/workspace/.notifications/bob/",
        "/workspace/alice-new.txt",
        "/workspace/alice-new/folder",
    ]
    for seeded in team.values():
        paths += seeded.paths
    tables = {
        "paths": paths,
        "files": [path for seeded in team.values() for path in seeded.file_paths],
        "subjects": ["alice", "bob", "admin", "*", "nobody"],
        "groups": [seeded.group for seeded in team.values()] + ["no-such-group"],
        "sessions": [seeded.session_id for seeded in team.values()],
        "keys": [key for s in team.values() for key in (s.key_id, s.spare_key_id)] + ["key_0"],
        "ranges": [
            *("bytes=0-3", "bytes=5-", "bytes=-4", "bytes=0-0", "bytes=2-1000000"),
            *("bytes=1000000-", "bytes=-0", "bytes=3-1", "bytes=0-1,4-5", "items=0-1", "bytes=x"),
        ],
        "etags": [f'"{etag}"' for s in team.values() for etag in s.etags] + ['"0"', 'W/"0"'],
        "versions": [1, 2, 3],
        # Each user's lock token: alice may use hers, bob's must not work for her.
        "tokens": [seeded.lock_token for seeded in team.values()],
    }
    return "".join(
        f"\n[dictionaries.{name}]\nvalues = {json.dumps(values)}\n"
        for name, values in tables.items()
    )


def _run_schemathesis(
    server: ServerProcess, team: dict[str, Seeded], work: Path
) -> tuple[dict[str, Any], str]:
    auth = {
        "auth": [
            {"name": user, "fixedHeaders": [{"name": "Authorization", "value": f"Bearer {s.key}"}]}
            for user, s in team.items()
        ]
    }
    (work / "auth.json").write_text(json.dumps(auth))
    hidden = {
        "users": {seeded.key: user for user, seeded in team.items()},
        "markers": {user: seeded.markers for user, seeded in team.items()},
        "areas": {user: seeded.areas for user, seeded in team.items()},
        "spares": {seeded.key_id: seeded.spare_key_id for seeded in team.values()},
    }
    (work / "secrets.json").write_text(json.dumps(hidden))
    config = work / "schemathesis.toml"
    config.write_text(CONFIG.read_text() + _dictionaries(team))
    reports = work / "reports"
    command = [
        ST,
        "--config-file",
        str(config),
        "run",
        f"{server.url}/openapi.json",
        "--checks",
        "all",
        "--max-examples",
        str(EXAMPLES),
        "--report",
        "json",
        "--report-dir",
        str(reports),
        "--no-color",
    ]
    if SEED:
        command += ["--seed", SEED]
    # The st process imports the hooks module from this checkout.
    python_path = [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(python_path),
        "NEXUS_SCHEMATHESIS_AUTH": str(work / "auth.json"),
        "NEXUS_SCHEMATHESIS_SECRETS": str(work / "secrets.json"),
        "NEXUS_SCHEMATHESIS_FILTERED": str(work / "filtered.jsonl"),
    }
    env.pop("NEXUS_API_KEY", None)
    finished = subprocess.run(
        command, cwd=work, env=env, capture_output=True, text=True, timeout=3600, check=False
    )
    output = finished.stdout + finished.stderr
    (work / "schemathesis.out").write_text(output)
    written = sorted(reports.glob("json-*.json"))
    assert written, f"schemathesis wrote no report (exit {finished.returncode}):\n{output}"
    return json.loads(written[0].read_text()), output


def _filtered(work: Path) -> str:
    """The positive_data_acceptance failures the hook dropped, counted by reason."""
    listed = work / "filtered.jsonl"
    lines = listed.read_text().splitlines() if listed.exists() else []
    reasons = Counter(json.loads(line)["reason"] for line in lines)
    return ", ".join(f"{reason} {count}" for reason, count in reasons.most_common()) or "none"


def _summary(output: str) -> str:
    """Schemathesis's closing SUMMARY section (its request count among it)."""
    start = output.rfind("SUMMARY")
    return output[output.rfind("\n", 0, start) + 1 :] if start >= 0 else output[-3000:]


def _unchanged(server: ServerProcess, seeded: Seeded) -> list[str]:
    """What alice's run changed of ``seeded``'s data, read back as its owner."""
    problems = []
    with HttpClient(server.url, seeded.key) as client:
        for path, content in seeded.files.items():
            if client.read(path) != content:
                problems.append(f"{path}: content changed")
            if client.stat(path)["version"] != seeded.versions[path]:
                problems.append(f"{path}: version changed")
        info = client.lock_info(seeded.locked)
        if not info["locked"] or info["holder"] != seeded.user:
            problems.append(f"{seeded.locked}: lock lost ({info})")
        members = client.get_group(seeded.group)["members"]
        if members != [f"user:{seeded.user}"]:
            problems.append(f"group {seeded.group}: members are {members}")
        sessions = [session["id"] for session in client.list_sessions()]
        if seeded.session_id not in sessions:
            problems.append(f"session {seeded.session_id} is gone")
        home = f"/workspace/{seeded.user}-private"
        names = sorted(entry["path"] for entry in client.list_files(home, recursive=True))
        expected = sorted(
            {path for path in seeded.files if path.startswith(home + "/")}
            | {f"{home}/docs"}
            | {path.rsplit("/", 1)[0] for path in seeded.files if "/hidden-" in path}
        )
        if names != expected:
            problems.append(f"{home} now holds {names}")
    return problems


def test_schemathesis_finds_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Limits off: the fuzzer makes thousands of requests on purpose, and its auth checks send
    # many without a key (each a 401 that the failure limit would count).
    limits_off = {**UNLIMITED, "NEXUS_AUTH_FAILURE_LIMIT": "off"}
    server = ServerProcess(tmp_path / "data", env=limits_off).start()
    try:
        with HttpClient(ADMIN_SOCKET_URL, None, uds=server.admin_socket) as system:
            keys = {}
            for user in ("admin", *PEERS):  # the first user of a server is its admin
                system.create_user(user, user.title(), f"{user}@example.com")
                keys[user] = system.create_api_key(user)
            team = {user: _seed(server, user, keys[user]["key"]) for user in PEERS}
            for seeded in team.values():
                seeded.key_id = keys[seeded.user]["info"]["id"]
                seeded.spare_key_id = system.create_api_key(seeded.user, "spare")["info"]["id"]
        started = time.monotonic()
        report, output = _run_schemathesis(server, team, tmp_path)
        elapsed = time.monotonic() - started
        with capsys.disabled():
            print(f"\nschemathesis ({elapsed:.0f} s):\n{_summary(output)}")
            print(f"documented refusals dropped: {_filtered(tmp_path)}")
        assert report["exit_code"] == 0 and not report["errors"], output
        generated = report["test_cases"]["generated"]
        assert generated >= MIN_REQUESTS, f"only {generated} requests:\n{_summary(output)}"
        assert _unchanged(server, team["bob"]) == []
    finally:
        server.stop()
    log = server.log()
    assert "Traceback" not in log and "unexpected error" not in log, log[-5000:]
