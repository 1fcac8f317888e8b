"""A real `nexus serve` with the usual cast (admin, alice, bob, carol), each with a key."""

from __future__ import annotations

from pathlib import Path

from nexus.client.http import HttpClient
from tests.support.server_process import ServerProcess

TEAM = ("admin", "alice", "bob", "carol")


def start_team_server(data_dir: Path) -> tuple[ServerProcess, dict[str, str]]:
    """The started server and an API key per user (admin first, so it is the admin)."""
    process = ServerProcess(data_dir).start()
    try:
        with HttpClient("http://nexus-admin", None, uds=process.admin_socket) as system:
            keys = {}
            for user in TEAM:
                system.create_user(user, user.title(), f"{user}@example.com")
                keys[user] = system.create_api_key(user)["key"]
    except BaseException:
        process.stop()
        raise
    return process, keys
