"""A real `nexus serve` process on SQLite or on a throwaway PostgreSQL database, with users
and their API keys, for the concurrency tests (one per module and backend). They hammer the
server on purpose, so it runs without a per-key rate limit."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from nexus.client.http import ADMIN_SOCKET_URL, HttpClient
from tests.support.postgres import backend_database
from tests.support.server_process import UNLIMITED, ServerProcess


@dataclass
class LiveTeam:
    server: ServerProcess
    keys: dict[str, str]

    def client(self, user: str, *, timeout: float = 120.0) -> HttpClient:
        return HttpClient(self.server.url, self.keys[user], timeout=timeout)


@contextmanager
def live_team(backend: str, base: Path, users: list[str]) -> Iterator[LiveTeam]:
    """A server on ``backend`` ("sqlite" or "postgresql") with ``users`` (the first is an
    admin, as the first user of a fresh server)."""
    with backend_database(backend) as db_url:
        server = ServerProcess(base / "data", db_url=db_url, env=UNLIMITED).start()
        try:
            keys: dict[str, str] = {}
            with HttpClient(ADMIN_SOCKET_URL, None, uds=server.admin_socket) as system:
                for user in users:
                    system.create_user(user, user.title(), f"{user}@example.com")
                    keys[user] = system.create_api_key(user)["key"]
            yield LiveTeam(server, keys)
        finally:
            server.stop()
