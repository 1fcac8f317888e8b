"""`nexus serve` as a real process: start, admin socket by OS user, clean stop."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import shutil
import signal
import socket
import tempfile
from pathlib import Path
from typing import Any

import httpx
import pytest

from nexus.client.http import ADMIN_SOCKET_URL, HttpClient
from tests.support.server_process import ServerProcess

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.mark.parametrize("workers", [1, 2])
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_server_stops_cleanly_on_signals(tmp_path: Path, sig: int, workers: int) -> None:
    server = ServerProcess(tmp_path / "data", args=["--workers", str(workers)]).start(60)
    socket_path = Path(server.admin_socket)
    assert socket_path.exists()
    info = json.loads((tmp_path / "data" / "server.json").read_text())
    assert info["port"] == server.port
    assert server.stop(sig) == 0
    assert not socket_path.exists()
    assert not (tmp_path / "data" / "server.json").exists()
    assert (tmp_path / "data" / "nexus.db").exists()


def test_first_start_creates_data_dir_and_restart_keeps_data(tmp_path: Path) -> None:
    data_dir = tmp_path / "fresh" / "data"
    server = ServerProcess(data_dir).start()
    created = server.run_cli("admin", "create-user", "admin", "--name", "A", "--email", "a@b.io")
    assert created.returncode == 0, created.stderr
    with HttpClient(ADMIN_SOCKET_URL, None, uds=server.admin_socket) as system:
        keys = [system.create_api_key("admin")["key"] for _ in range(3)]
        listed = system.list_api_keys()
    server.stop()
    secret = data_dir / "server.secret"
    assert secret.stat().st_mode & 0o777 == 0o600
    _check_key_storage(keys, secret.read_bytes(), data_dir, listed)
    again = ServerProcess(data_dir, port=server.port).start()
    try:
        listed = again.run_cli("admin", "list-users")
        assert listed.stdout.decode().splitlines() == ["Users:", "- admin (A) - a@b.io"]
    finally:
        again.stop()


def test_admin_cli_works_through_socket_and_with_an_admin_key_only(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "data").start()
    try:
        assert (
            server.run_cli(
                "admin", "create-user", "root", "--name", "R", "--email", "r@x.io"
            ).returncode
            == 0
        )
        assert (
            server.run_cli(
                "admin", "create-user", "alice", "--name", "A", "--email", "a@x.io"
            ).returncode
            == 0
        )
        admin_key = _key(
            server.run_cli("admin", "create-user-key", "root", "--description", "k").stdout
        )
        alice_key = _key(
            server.run_cli("admin", "create-user-key", "alice", "--description", "k").stdout
        )

        # Remote path: no socket (point it at nothing), NEXUS_URL + an admin key.
        remote = server.run_cli(
            "admin", "create-user", "bob", "--name", "B", "--email", "b@x.io", api_key=admin_key
        )
        assert remote.returncode == 0, remote.stderr
        refused = server.run_cli(
            "admin", "create-user", "eve", "--name", "E", "--email", "e@x.io", api_key=alice_key
        )
        assert refused.returncode == 1
        assert b"permission" in refused.stderr.lower()
        assert b"Traceback" not in refused.stderr
        users = server.run_cli("admin", "list-users").stdout.decode()
        assert "- bob (B) - b@x.io" in users and "eve" not in users
    finally:
        server.stop()


def test_cli_without_key_or_server_says_so_in_one_line(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "data")  # never started
    result = server.run_cli("admin", "list-users")
    assert result.returncode == 1
    stderr = result.stderr.decode()
    assert "admin socket" in stderr and "Traceback" not in stderr
    assert len(stderr.strip().splitlines()) == 1


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to act as another OS user")
@pytest.mark.parametrize("workers", [1, 2])
def test_admin_socket_refuses_other_os_users(tmp_path: Path, workers: int) -> None:
    # A socket the other user can reach (pytest's temp dirs are 0700 up the tree, which
    # would refuse it before the server is asked): only the peer-credential check is left.
    shared = Path(tempfile.mkdtemp(prefix="nexus-socket-", dir="/tmp"))
    socket_path = shared / "admin.sock"
    server = ServerProcess(
        tmp_path / "data",
        env={"NEXUS_ADMIN_SOCKET": str(socket_path)},
        args=["--workers", str(workers)],
    ).start(60)
    try:
        shared.chmod(0o777)  # the server made its socket's directory private: open it up
        os.chmod(socket_path, 0o777)
        assert _whoami_over_socket(str(socket_path)) == "system"
        read_end, write_end = os.pipe()
        child = os.fork()
        if child == 0:  # the other OS user
            os.close(read_end)
            os.setgid(65534)
            os.setuid(65534)
            if not os.access(socket_path, os.R_OK | os.W_OK):
                outcome = "unreachable: the file system refused, not the server"
            else:
                try:
                    outcome = _whoami_over_socket(str(socket_path))
                except httpx.TransportError as error:
                    outcome = f"refused: {type(error).__name__}"
            os.write(write_end, outcome.encode())
            os._exit(0)
        os.close(write_end)
        os.waitpid(child, 0)
        outcome = os.read(read_end, 1000).decode()
        os.close(read_end)
        # The server hangs up on the connection (it never answers, not even with an error).
        assert outcome.startswith("refused") and "ConnectError" not in outcome, outcome
    finally:
        server.stop()
        shutil.rmtree(shared, ignore_errors=True)


def _check_key_storage(
    keys: list[str], secret: bytes, data_dir: Path, listed: list[dict[str, Any]]
) -> None:
    """Keys are random with a visible prefix, shown once, and the database (every file of
    it: main, WAL, shared memory) holds only their HMACs under the server secret."""
    assert len(secret) == 32 and len(set(keys)) == len(keys)
    for key in keys:
        assert re.fullmatch(r"nxk_[A-Za-z0-9_-]{43}", key), key  # 256 random bits
    assert sorted(record["prefix"] for record in listed) == sorted(key[:12] for key in keys)
    stored = b"".join(path.read_bytes() for path in data_dir.glob("nexus.db*"))
    for key in keys:
        assert key.encode() not in stored and key[12:].encode() not in stored
        assert hashlib.sha256(key.encode()).hexdigest().encode() not in stored  # keyed, not plain
        keyed = hmac.new(secret, key.encode(), hashlib.sha256).hexdigest()
        assert keyed.encode() in stored  # what it holds instead: this is the right place


def _whoami_over_socket(path: str) -> str:
    transport = httpx.HTTPTransport(uds=path)
    with httpx.Client(transport=transport, base_url="http://nexus-admin", timeout=5) as client:
        return str(client.get("/api/v1/whoami").json()["user_id"])


def _key(output: bytes) -> str:
    for line in output.decode().splitlines():
        if "API Key" in line:
            return line.split()[3]
    raise AssertionError(f"no key in {output!r}")


def test_port_in_use_fails_with_a_clear_message(tmp_path: Path) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        server = ServerProcess(tmp_path / "data", port=port)
        with pytest.raises(RuntimeError) as failure:
            server.start(timeout=10)
    assert "address already in use" in str(failure.value).lower()
