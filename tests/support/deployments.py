"""One API test suite, two ways to reach Nexus: embedded in-process and HTTP to a real server.

A Deployment hands out clients for named users; both kinds return the same shapes and raise
the same exceptions, which is what the parametrised suite asserts.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import nexus
from nexus.client.http import HttpClient
from nexus.client.interface import NexusClient
from tests.support.server_process import ServerProcess

TEAM = {
    "admin": ("Admin User", "admin@example.com"),
    "alice": ("Alice Smith", "alice@example.com"),
    "bob": ("Bob Jones", "bob@example.com"),
    "carol": ("Carol White", "carol@example.com"),
}


class Deployment:
    def __init__(self, kind: str, data_dir: Path, server: ServerProcess | None = None):
        self.kind = kind
        self.data_dir = data_dir
        self.server = server
        self.keys: dict[str, str] = {}
        self._clients: list[NexusClient] = []

    def system(self) -> NexusClient:
        """The local admin identity (admin socket over HTTP, or the embedded default)."""
        if self.server is not None:
            client: NexusClient = HttpClient(
                "http://nexus-admin", None, uds=self.server.admin_socket
            )
        else:
            client = nexus.connect(config={"data_dir": str(self.data_dir)})
        self._clients.append(client)
        return client

    def connect_key(self, api_key: str) -> NexusClient:
        if self.server is not None:
            client = nexus.connect(config={"url": self.server.url, "api_key": api_key})
        else:
            client = nexus.connect(config={"data_dir": str(self.data_dir), "api_key": api_key})
        self._clients.append(client)
        return client

    def as_user(self, user_id: str) -> NexusClient:
        return self.connect_key(self.keys[user_id])

    def create_team(self) -> None:
        system = self.system()
        for user_id, (name, email) in TEAM.items():
            system.create_user(user_id, name, email)
            self.keys[user_id] = system.create_api_key(user_id, f"{user_id}'s key")["key"]

    def close(self) -> None:
        for client in self._clients:
            client.close()


@contextmanager
def deployment(kind: str, tmp_path: Path) -> Iterator[Deployment]:
    data_dir = tmp_path / "data"
    server = ServerProcess(data_dir).start() if kind == "http" else None
    deployed = Deployment(kind, data_dir, server)
    try:
        yield deployed
    finally:
        deployed.close()
        if server is not None:
            server.stop()
