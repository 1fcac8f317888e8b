"""Alice's private things of every kind on a real server, for attacks by a second user.

Alice owns a folder straight in /workspace (a file in it with three versions and a lock, a
subfolder, a grant to carol), a folder bob may read with a restricted folder in it that he
may not, a session with a file, a letter in her inbox (from carol), a group and an API key.
Bob is an ordinary user with no rights on any of it but the one folder he reads. Every such
object has a *twin*: a value naming nothing, in the same place (a missing file in the same
folder, a random session id), so a test can ask the same question about both and demand
the same answer.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import Engine, create_engine, select

from nexus.client.http import ADMIN_SOCKET_URL, HttpClient
from nexus.db.tables import activity, metadata
from tests.support.server_process import ServerProcess

USERS = ("admin", "alice", "bob", "carol", "dave")

TOP = "/workspace/alice-private"
PLAN = f"{TOP}/plan.md"
NOTES = f"{TOP}/notes"
TODO = f"{NOTES}/todo.txt"
# Bob reads SHARED, so he sees that its entries exist, but not VAULT (restricted, alice's).
SHARED = "/workspace/alice-shared"
VAULT = f"{SHARED}/vault"
VAULT_FILE = f"{VAULT}/combination.txt"
INBOX = "/workspace/.notifications/alice"
LETTER = f"{INBOX}/from-a-friend.json"
BOB_FILE = "/workspace/bob-own.md"  # bob's own, to move or copy into alice's places
GROUP = "alice-team"
SESSION_NAME = "alice-research-session"
# Every piece of content alice has starts with this: no answer to bob may contain it.
MARKER = "ALICE-SECRET"


@dataclass
class PrivateWorld:
    server: ServerProcess
    keys: dict[str, str]
    # placeholder -> the real object's value, and -> its twin (naming nothing)
    real: dict[str, str]
    twin: dict[str, str]
    # Strings that say something about alice's things; bob must never be told any of them.
    telltales: list[str]
    clients: list[httpx.Client] = field(default_factory=list)
    _db: Engine | None = None

    def http(self, user: str) -> httpx.Client:
        """A raw HTTP client acting as ``user`` (base URL: the server's)."""
        client = httpx.Client(
            base_url=self.server.url,
            headers={"Authorization": f"Bearer {self.keys[user]}"},
            timeout=30,
        )
        self.clients.append(client)
        return client

    def client(self, user: str) -> HttpClient:
        return HttpClient(self.server.url, self.keys[user])

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table but the activity log (refused attempts add to it, by
        design), read straight from the server's SQLite file: the tree with each entry's
        version, size and content hash, versions, grants, locks, sessions, groups, users,
        keys and the relationship revision."""
        if self._db is None:
            database = self.server.data_dir / "nexus.db"
            self._db = create_engine(f"sqlite:///file:{database}?mode=ro&uri=true")
        with self._db.connect() as conn:
            return {
                table.name: sorted((tuple(row) for row in conn.execute(select(table))), key=repr)
                for table in metadata.sorted_tables
                if table is not activity
            }

    def close(self) -> None:
        for client in self.clients:
            client.close()
        if self._db is not None:
            self._db.dispose()


def build_world(server: ServerProcess) -> PrivateWorld:
    with HttpClient(ADMIN_SOCKET_URL, None, uds=server.admin_socket) as system:
        keys = {}
        for user in USERS:  # admin first: the first user is the admin
            system.create_user(user, user.title(), f"{user}@example.com")
            keys[user] = system.create_api_key(user, f"{user}'s key")["key"]
        [alice_key] = system.list_api_keys("alice")
    with (
        HttpClient(server.url, keys["alice"]) as alice,
        HttpClient(server.url, keys["bob"]) as bob,
        HttpClient(server.url, keys["carol"]) as carol,
    ):
        bob.write(BOB_FILE, b"bob's own file\n")
        for version in (1, 2, 3):
            alice.write(PLAN, f"{MARKER} plan, version {version}\n".encode())
        alice.write(TODO, f"{MARKER} todo\n".encode())
        alice.grant_permission("user", "carol", "file", TOP, "can_read")
        alice.write(f"{SHARED}/readme.md", b"bob may read this\n")
        alice.write(VAULT_FILE, f"{MARKER} combination\n".encode())
        alice.set_restricted(VAULT)
        alice.grant_permission("user", "bob", "file", SHARED, "can_read")
        token = alice.lock(PLAN, ttl=3600)
        session = alice.create_session(SESSION_NAME, description=f"{MARKER} session")
        findings = f"/sessions/{session['id']}/findings.md"
        alice.write(findings, f"{MARKER} findings\n".encode())
        carol.write(LETTER, f'{{"note": "{MARKER} letter"}}'.encode())
        # Group names and members are public (decision 7): nothing secret in them.
        alice.create_group(GROUP, "alice's team")
        alice.add_user_to_group("dave", GROUP)
        etags = [v["etag"] for v in alice.list_versions(PLAN)]
        etags += [alice.stat(path)["etag"] for path in (TODO, findings, VAULT_FILE)]
    other_session = secrets.token_hex(16)
    real = {
        "top": TOP,
        "plan": PLAN,
        "notes": NOTES,
        "vault": VAULT,
        "vault_file": VAULT_FILE,
        "inbox": INBOX,
        "letter": LETTER,
        "session_id": session["id"],
        "session": f"/sessions/{session['id']}",
        "findings": findings,
        "alice_key": alice_key["id"],
        "alice": "alice",
        "group": GROUP,
    }
    twin = {
        "top": "/workspace/no-such-folder",
        "plan": f"{TOP}/no-such-file.md",
        "notes": f"{TOP}/no-such-notes",
        "vault": f"{SHARED}/no-such-vault",
        "vault_file": f"{VAULT}/no-such-file.txt",
        "inbox": "/workspace/.notifications/no-such-user",
        "letter": f"{INBOX}/no-such-letter.json",
        "session_id": other_session,
        "session": f"/sessions/{other_session}",
        "findings": f"/sessions/{other_session}/findings.md",
        "alice_key": "key_" + secrets.token_hex(8),
        "alice": "no-such-user",
        "group": "no-such-group",
    }
    hints = [MARKER, *etags, "todo.txt", "findings.md", "combination.txt", SESSION_NAME, "carol"]
    hints.append(token)
    hints.append(alice_key["prefix"])
    return PrivateWorld(server, keys, real, twin, hints)


@contextmanager
def private_world(base: Path) -> Iterator[PrivateWorld]:
    server = ServerProcess(base / "data").start()
    try:
        world = build_world(server)
        try:
            yield world
        finally:
            world.close()
    finally:
        server.stop()
