"""`nexus serve --workers N`: several processes serve both sockets of one server."""

from __future__ import annotations

import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from nexus.client.http import ADMIN_SOCKET_URL, HttpClient
from tests.support.server_process import ServerProcess

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry.name))
    return found


def _cmdline(pid: int) -> bytes:
    """A process's command line; empty once it has gone (a worker just killed, a child
    ending between the listing of /proc and this read)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _workers(server: ServerProcess, count: int, timeout: float = 60.0) -> set[int]:
    """The server's worker processes, once ``count`` of them are up (the supervisor also
    starts a multiprocessing helper child, which is not a worker)."""
    assert server.process is not None
    deadline = time.monotonic() + timeout
    while True:
        workers = {pid for pid in _children(server.process.pid) if b"spawn_main" in _cmdline(pid)}
        if len(workers) >= count or time.monotonic() > deadline:
            return workers
        time.sleep(0.1)


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.fixture
def server(tmp_path: Path) -> ServerProcess:
    return ServerProcess(tmp_path / "data", args=["--workers", "2"]).start(timeout=60)


def test_workers_share_both_sockets_and_see_each_others_writes(server: ServerProcess) -> None:
    try:
        assert len(_workers(server, 2)) == 2
        with HttpClient(ADMIN_SOCKET_URL, None, uds=server.admin_socket) as system:
            for user in ("admin", "alice", "bob"):
                system.create_user(user, user.title(), f"{user}@example.com")
            alice_key = system.create_api_key("alice")["key"]
            bob_key = system.create_api_key("bob")["key"]
        alice = HttpClient(server.url, alice_key)
        alice.write("/workspace/shared/plan.md", b"v1")

        def bob_reads(_: int) -> int:
            # A new connection each time: the kernel spreads them over the workers.
            with httpx.Client(base_url=server.url) as fresh:
                answer = fresh.get(
                    "/api/v1/files/content",
                    params={"path": "/workspace/shared/plan.md"},
                    headers={"Authorization": f"Bearer {bob_key}"},
                )
            return answer.status_code

        with ThreadPoolExecutor(8) as pool:
            assert set(pool.map(bob_reads, range(40))) == {403}
        alice.grant_permission("user", "bob", "file", "/workspace/shared", "can_read")
        with ThreadPoolExecutor(8) as pool:
            assert set(pool.map(bob_reads, range(40))) == {200}
        alice.revoke_permission("user", "bob", "file", "/workspace/shared", "can_read")
        with ThreadPoolExecutor(8) as pool:
            assert set(pool.map(bob_reads, range(40))) == {403}

        def alice_writes(number: int) -> int:
            with HttpClient(server.url, alice_key) as client:
                return int(client.write(f"/workspace/shared/n{number}.txt", b"x")["version"])

        with ThreadPoolExecutor(8) as pool:
            assert list(pool.map(alice_writes, range(60))) == [1] * 60
        assert len(alice.list_files("/workspace/shared")) == 61
        alice.close()
    finally:
        assert server.stop() == 0
    assert not Path(server.data_dir / "server.json").exists()


def _started_workers(server: ServerProcess, count: int, timeout: float = 60.0) -> int:
    """How many workers have logged the end of their startup, once ``count`` have."""
    deadline = time.monotonic() + timeout
    while True:
        started = server.log().count("Application startup complete.")
        if started >= count or time.monotonic() > deadline:
            return started
        time.sleep(0.1)


def test_a_dead_worker_is_replaced(server: ServerProcess) -> None:
    try:
        first = _workers(server, 2)
        # Kill a worker that is serving: one killed while it is still starting, before it
        # has answered the supervisor's first ping, leaves uvicorn's supervisor waiting out
        # its health-check timeout (60 s) before it notices (README, "Worker processes").
        assert _started_workers(server, 2) >= 2
        victim = min(first)
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            now = _workers(server, 2, timeout=0)
            if victim not in now and len(now) == 2:
                break
            time.sleep(0.2)
        assert victim not in now and len(now) == 2
        for _ in range(20):
            assert httpx.get(f"{server.url}/health", timeout=10).status_code == 200
    finally:
        server.stop()


def test_workers_end_with_their_supervisor_even_when_it_is_killed(
    server: ServerProcess,
) -> None:
    workers = _workers(server, 2)
    assert len(workers) == 2
    server.stop(signal.SIGKILL)
    deadline = time.monotonic() + 30
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers)
