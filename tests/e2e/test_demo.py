"""`nexus demo`: it starts its own server, plays the scenario, checks itself and cleans up."""

from __future__ import annotations

import io
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from rich.console import Console

from nexus.demo.report import Report
from tests.support.server_process import NEXUS, free_port

pytestmark = pytest.mark.e2e


def demo_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEXUS_")}
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def run(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, env=demo_env(), capture_output=True, text=True, timeout=180, check=False
    )


def flat(output: str) -> str:
    """The output with rich's line wrapping undone (whitespace runs become one space)."""
    return re.sub(r"\s+", " ", output)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def test_demo_plays_the_team_scenario_and_stops_its_server() -> None:
    result = run([NEXUS, "demo"])
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    text = flat(out)
    for line in (
        "✔ admin, the first user of a fresh server, became an admin",
        "✔ Can Bob write? True",
        "✔ Can Carol write? False",
        "✔ bob reads alice's session notes: refused (NexusPermissionError)",
        "✔ alice reads it back: refused (NexusPermissionError)",
        "✔ bob saves with if_version=1: conflict (NexusConflictError)",
        "✔ carol writes designs.md: refused (NexusPermissionError)",
        "✔ the server stopped cleanly on SIGTERM (exit status 0)",
    ):
        assert line in text, f"{line!r} not in the demo's output:\n{out}"
    assert re.search(r"✔ All \d+ expected outcomes happened\.", text), out
    assert "✘" not in out
    # Keys are shown as prefixes only.
    prefixes = re.findall(r"│ (nxk_\S+)…", out)
    assert len(prefixes) == 4, out
    assert all(len(prefix) < 20 for prefix in prefixes)
    # The access tables: confidential/ before and after it is restricted.
    rows = re.findall(r"│ confidential/ +│ (.+?) +│ (.+?) +│ (.+?) +│", out)
    assert rows == [("read+write", "read+write", "read"), ("read+write", "none", "none")], out
    public = re.findall(r"│ public/ +│ (.+?) +│ (.+?) +│ (.+?) +│", out)
    assert [row[2] for row in public] == ["read", "read+write"], out
    # The server is gone, and so is its temporary data dir.
    server = re.search(r"Server PID (\d+) at (\S+), data dir (\S+)/data ", text)
    assert server, out
    assert not _alive(int(server.group(1)))
    assert not Path(server.group(3)).exists()


def test_demo_keep_leaves_the_server_running(tmp_path: Path) -> None:
    port = free_port()
    # `python -m nexus` is the same command line as `nexus`.
    result = run([sys.executable, "-m", "nexus", "demo", "--keep", "--port", str(port)])
    text = flat(result.stdout)
    pid_match = re.search(r"PID: (\d+)", text)
    data_dir = re.search(r"Data dir: (\S+)", text)
    assert pid_match and data_dir, result.stdout + result.stderr
    pid = int(pid_match.group(1))
    try:
        assert result.returncode == 0, result.stdout
        assert f"URL: http://127.0.0.1:{port}" in text
        assert f"Stop it with: kill {pid}" in text
        assert "stopped cleanly" not in text
        assert httpx.get(f"http://127.0.0.1:{port}/health", timeout=5).json()["status"] == "ok"
        assert (Path(data_dir.group(1)) / "nexus.db").is_file()
    finally:
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(pid)
        root = Path(data_dir.group(1)).parent
        assert root.name.startswith("nexus-demo-")
        subprocess.run(["rm", "-rf", str(root)], check=True)


def test_demo_exits_non_zero_when_the_server_cannot_start() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run([NEXUS, "demo", "--port", str(port)])
    assert result.returncode == 1, result.stdout
    text = flat(result.stdout)
    assert "✘ 1 of 1 expected outcomes did not happen:" in text
    assert "- the server starts (the server exited at start" in text
    # Its temporary data dir is removed all the same.
    data_dir = re.search(r"data in (/\S+)/data,", text)
    assert data_dir, result.stdout
    assert Path(data_dir.group(1)).name.startswith("nexus-demo-")
    assert not Path(data_dir.group(1)).exists()


def test_a_missed_expectation_fails_the_demo() -> None:
    console = Console(file=io.StringIO(), width=100)
    report = Report(console)
    report.expect("this happened", True)
    report.expect_outcome("a refused action", lambda: None, "NexusPermissionError")
    assert report.summary() == 1
    printed = console.file.getvalue()  # type: ignore[attr-defined]
    assert "1 of 2 expected outcomes did not happen" in printed
    assert (
        "a refused action: refused (NexusPermissionError) (expected NexusPermissionError, got ok)"
        in printed
    )
    clean = Report(Console(file=io.StringIO()))
    clean.expect("this happened", True)
    assert clean.summary() == 0
