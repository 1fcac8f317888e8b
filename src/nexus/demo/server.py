"""The demo's server: a real `nexus serve` subprocess on a temporary data dir."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from nexus.client import HttpClient, NexusClient
from nexus.client.http import ADMIN_SOCKET_URL
from nexus.config import ServerSettings
from nexus.errors import NexusError


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class DemoServer:
    """`python -m nexus serve` on 127.0.0.1 with the embedded SQLite store in ``root/data``."""

    def __init__(self, root: Path, port: int):
        self.root = root
        self.port = port
        self.settings = ServerSettings(data_dir=root / "data", port=port)
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = root / "server.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "nexus",
            "serve",
            "--port",
            str(self.port),
            "--data-dir",
            str(self.settings.data_dir),
            # Named explicitly, so NEXUS_DATABASE_URL in the environment cannot redirect it.
            "--db-url",
            self.settings.resolved_database_url,
        ]

    def start(self, timeout: float = 60.0) -> None:
        """Start the server and wait for /health and its admin socket; NexusError if not."""
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            # Its own session: a Ctrl-C meant for the demo does not reach it (--keep).
            self.process = subprocess.Popen(
                self.command(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise NexusError(f"the server exited at start (status {self.process.returncode})")
            if self._healthy() and self.settings.server_info_file.is_file():
                return
            time.sleep(0.1)
        self.stop()
        raise NexusError(f"the server did not answer {self.url}/health within {timeout:g}s")

    def _healthy(self) -> bool:
        try:
            return httpx.get(f"{self.url}/health", timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False

    def admin_client(self) -> NexusClient:
        """A client on the server's local admin socket (as `nexus admin` uses it)."""
        info = json.loads(self.settings.server_info_file.read_text(encoding="utf-8"))
        return HttpClient(ADMIN_SOCKET_URL, None, uds=str(info["admin_socket"]))

    def client(self, api_key: str) -> NexusClient:
        return HttpClient(self.url, api_key)

    def stop(self, timeout: float = 20.0) -> int | None:
        """SIGTERM, then wait; the exit status (None if it had to be killed)."""
        if self.process is None:
            return None
        if self.process.poll() is not None:
            return self.process.returncode
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout)
            return None

    def log_tail(self, lines: int = 20) -> str:
        if not self.log_path.is_file():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
