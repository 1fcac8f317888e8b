"""64 concurrent clients doing mixed operations against a real server process on SQLite:
no 5xx, no "database is locked" in any answer or in the server's log, and every answer is
the one the operation must get.

Each client (8 users, 8 clients each) works in a folder of its own, so it knows what every
answer must be (it keeps a model of its files), and also in one folder all of them share:
appends to one log, writes of their own file there, listings. The operations: write, read,
append, list, stat, exists, mkdir, move, delete, grant and check. The operation sequence is
seeded (NEXUS_LOAD_SEED=N replays it; NEXUS_LOAD_OPERATIONS=N per client, default 15).
"""

from __future__ import annotations

import os
import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from nexus.api.models import API_PREFIX
from tests.support.live_team import LiveTeam, live_team

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CLIENTS = 64
USERS = [f"user{index}" for index in range(8)]  # user0, the first, is an admin
OPERATIONS = int(os.environ.get("NEXUS_LOAD_OPERATIONS", "15"))
SHARED = "/workspace/shared"
LOG = f"{SHARED}/log.txt"
LOCKED = "database is locked"


@dataclass
class Client:
    """One client's folder as it must be: file name -> content."""

    index: int
    user: str
    http: httpx.Client
    rng: random.Random
    files: dict[str, bytes] = field(default_factory=dict)
    folders: int = 0
    appended: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def home(self) -> str:
        return f"/workspace/load-{self.index:02d}"

    def call(self, method: str, route: str, **kwargs: object) -> httpx.Response:
        answer = self.http.request(method, API_PREFIX + route, **kwargs)  # type: ignore[arg-type]
        if answer.status_code >= 500 or LOCKED in answer.text:
            self.problems.append(f"{method} {route}: {answer.status_code} {answer.text[:300]}")
        return answer

    def expect(self, answer: httpx.Response, status: int, what: str) -> None:
        if answer.status_code != status:
            self.problems.append(f"{what}: {answer.status_code} {answer.text[:300]}")

    def step(self, number: int) -> None:
        names = sorted(self.files)
        choice = self.rng.choice(
            ["write", "write", "read", "append", "list", "stat", "exists", "mkdir"]
            + (["move", "delete", "read"] if names else [])
            + ["grant", "shared"]
        )
        if choice == "write":
            name = f"f{self.rng.randrange(4)}.txt"
            data = f"{self.index} {number}\n".encode() * self.rng.randrange(1, 50)
            answer = self.call(
                "PUT", "/files/content", params={"path": f"{self.home}/{name}"}, content=data
            )
            self.expect(answer, 200, f"write {name}")
            self.files[name] = data
        elif choice == "read" and names:
            name = self.rng.choice(names)
            answer = self.call("GET", "/files/content", params={"path": f"{self.home}/{name}"})
            self.expect(answer, 200, f"read {name}")
            if answer.status_code == 200 and answer.content != self.files[name]:
                self.problems.append(f"read {name}: other bytes than written")
        elif choice == "append":
            answer = self.call(
                "POST",
                "/files/append",
                params={"path": LOG},
                content=f"c{self.index:02d} {number}\n".encode(),
            )
            self.expect(answer, 200, "append")
            self.appended += 1
        elif choice == "list":
            answer = self.call("GET", "/files/list", params={"path": self.home})
            self.expect(answer, 200, "list")
            if answer.status_code == 200:
                listed = {e["name"] for e in answer.json()["entries"] if e["type"] == "file"}
                if listed != set(self.files):
                    self.problems.append(f"list: {sorted(listed)} != {sorted(self.files)}")
        elif choice == "stat":
            answer = self.call("GET", "/files/stat", params={"path": self.home})
            self.expect(answer, 200, "stat")
        elif choice == "exists":
            name = f"f{self.rng.randrange(4)}.txt"
            answer = self.call("GET", "/files/exists", params={"path": f"{self.home}/{name}"})
            self.expect(answer, 200, "exists")
            if answer.status_code == 200 and answer.json()["exists"] != (name in self.files):
                self.problems.append(f"exists {name}: {answer.json()}")
        elif choice == "mkdir":
            self.folders += 1
            answer = self.call(
                "POST", "/files/mkdir", json={"path": f"{self.home}/d{self.folders}"}
            )
            self.expect(answer, 200, "mkdir")
        elif choice == "move":
            name = self.rng.choice(names)
            free = [f"f{k}.txt" for k in range(4) if f"f{k}.txt" not in self.files]
            if free:
                target = self.rng.choice(free)
                answer = self.call(
                    "POST",
                    "/files/move",
                    json={"src": f"{self.home}/{name}", "dst": f"{self.home}/{target}"},
                )
                self.expect(answer, 200, f"move {name} {target}")
                self.files[target] = self.files.pop(name)
        elif choice == "delete":
            name = self.rng.choice(names)
            answer = self.call("DELETE", "/files", params={"path": f"{self.home}/{name}"})
            self.expect(answer, 200, f"delete {name}")
            del self.files[name]
        elif choice == "grant":
            other = USERS[(USERS.index(self.user) + 1) % len(USERS)]
            body = {
                "subject_type": "user",
                "subject_id": other,
                "object_id": self.home,
                "relation": "can_read",
            }
            self.expect(self.call("POST", "/permissions/grant", json=body), 200, "grant")
            checked = self.call("POST", "/permissions/check", json=body)
            self.expect(checked, 200, "check")
            if checked.status_code == 200 and checked.json()["allowed"] is not True:
                self.problems.append(f"check after grant: {checked.json()}")
        else:  # shared: a file of its own in the folder all write to, and its listing
            path = f"{SHARED}/c{self.index:02d}.txt"
            self.expect(
                self.call("PUT", "/files/content", params={"path": path}, content=b"mine"),
                200,
                "shared write",
            )
            self.expect(
                self.call("GET", "/files/list", params={"path": SHARED}), 200, "shared list"
            )


@pytest.fixture
def team(tmp_path: Path) -> Iterator[LiveTeam]:
    with live_team("sqlite", tmp_path, USERS) as live:
        with live.client("user0") as owner:
            owner.write(LOG, b"")
            for user in USERS[1:]:
                owner.grant_permission("user", user, "file", SHARED, "can_write")
        yield live


def test_64_clients_mixed_operations_no_5xx_no_locked_database(team: LiveTeam) -> None:
    seed = int(os.environ.get("NEXUS_LOAD_SEED") or random.SystemRandom().randrange(2**32))
    print(f"mixed load: NEXUS_LOAD_SEED={seed}")
    clients = [
        Client(
            index,
            USERS[index % len(USERS)],
            httpx.Client(
                base_url=team.server.url,
                headers={"Authorization": f"Bearer {team.keys[USERS[index % len(USERS)]]}"},
                timeout=120,
            ),
            random.Random(seed + index),
        )
        for index in range(CLIENTS)
    ]
    barrier = threading.Barrier(CLIENTS)

    def run(client: Client) -> None:
        barrier.wait()
        mkdir = client.call("POST", "/files/mkdir", json={"path": client.home})
        client.expect(mkdir, 200, "mkdir home")
        for number in range(OPERATIONS):
            try:
                client.step(number)
            except httpx.HTTPError as error:
                client.problems.append(f"transport: {type(error).__name__}: {error}")
                return

    threads = [threading.Thread(target=run, args=(client,)) for client in clients]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=600)
    finally:
        for client in clients:
            client.http.close()
    problems = [f"client {c.index}: {p}" for c in clients for p in c.problems]
    assert problems == []

    with team.client("user0") as owner:
        lines = owner.read(LOG).decode().splitlines()
    assert len(lines) == sum(client.appended for client in clients)
    log = team.server.log()
    assert LOCKED not in log
    assert "Traceback" not in log  # an unexpected error is logged with its traceback
