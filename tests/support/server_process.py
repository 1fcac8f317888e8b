"""A real `nexus serve` process on a free port, for end-to-end tests."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

NEXUS = shutil.which("nexus") or str(Path(sys.executable).parent / "nexus")
# For load tests and benchmarks, which run their keys far above any person's rate on
# purpose: no per-key rate limit, so a change of the default can never throttle them.
UNLIMITED = {"NEXUS_RATE_LIMIT": "off"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """Starts `nexus serve`, waits for /health, stops with SIGTERM."""

    def __init__(
        self,
        data_dir: Path,
        *,
        port: int | None = None,
        db_url: str | None = None,
        env: dict[str, str] | None = None,
        args: Sequence[str] = (),
    ):
        self.data_dir = data_dir
        self.port = port or free_port()
        self.db_url = db_url
        self.args = list(args)
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **(env or {})}
        self.env.pop("NEXUS_API_KEY", None)
        self.log_path = data_dir.parent / f"server-{self.port}.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def admin_socket(self) -> str:
        import json

        info = json.loads((self.data_dir / "server.json").read_text())
        return str(info["admin_socket"])

    def start(self, timeout: float = 20.0) -> ServerProcess:
        command = [NEXUS, "serve", "--port", str(self.port), "--data-dir", str(self.data_dir)]
        if self.db_url:
            command += ["--db-url", self.db_url]
        command += self.args
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=self.env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log()}")
            try:
                if (
                    httpx.get(f"{self.url}/health", timeout=1).status_code == 200
                    and (self.data_dir / "server.json").exists()
                ):
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server did not come up in {timeout}s:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int | None:
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(sig)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(timeout)

    def cli_env(self, api_key: str | None = None) -> dict[str, str]:
        """Environment for running the `nexus` CLI against this server."""
        env = {**self.env, "NEXUS_URL": self.url}
        if api_key:
            env["NEXUS_API_KEY"] = api_key
        return env

    def run_cli(
        self, *args: str, api_key: str | None = None, input: bytes | None = None
    ) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            [NEXUS, *args],
            env=self.cli_env(api_key),
            input=input,
            capture_output=True,
            timeout=60,
            check=False,
        )
