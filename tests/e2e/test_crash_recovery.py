"""A real server killed with SIGKILL under writes, appends, renames and deletes, again and again.

Each round: the server runs, several client threads (each with its own user, API key and
folder) send a stream of operations over HTTP, and after a seeded random delay the server
gets SIGKILL. Then, with the server down, `nexus admin fsck` (the real CLI, in a subprocess)
must find no problem. The server restarts on the same data dir and every thread's folder is
read back and compared with what the thread was told:

- every ACKNOWLEDGED operation is visible: the folder holds exactly the files the thread's
  acknowledged operations left, with their bytes and versions (and each read's etag is the
  SHA-256 of the bytes read);
- the one operation a thread had in flight at the kill (sent, no answer) either happened
  entirely or not at all: the folder is either the acknowledged state or that state with
  the operation applied, nothing else (no torn content, no half-done rename).

Orphan blobs and temp files a kill may leave are fsck notices, not problems; at the end one
garbage collection must leave none.
The seed is printed (``-s`` shows it); NEXUS_CRASH_SEED=N reproduces the kill schedule and
operations (thread timing still varies), NEXUS_CRASH_ROUNDS=N runs more kills.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from nexus.client.http import ADMIN_SOCKET_URL, HttpClient
from nexus.errors import NexusError
from tests.support.postgres import backend_database
from tests.support.server_process import NEXUS, UNLIMITED, ServerProcess

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

WRITERS = ("admin", "alice", "bob", "carol")  # admin first: the first user is an admin
SLOTS = 5  # file names per writer: f0..f4
MAX_FILE_BYTES = 256 * 1024  # past this, appends turn into writes
DEFAULT_ROUNDS = {"sqlite": 20, "postgresql": 5}

# One file: its bytes and version, as the server acknowledged them.
State = dict[str, tuple[bytes, int]]


@dataclass(frozen=True)
class Operation:
    kind: str  # write | append | move | delete
    path: str
    data: bytes = b""
    dst: str = ""

    def apply(self, state: State) -> State:
        """The writer's folder after this operation succeeds (versions as the server counts)."""
        after = dict(state)
        if self.kind == "write":
            after[self.path] = (self.data, state[self.path][1] + 1 if self.path in state else 1)
        elif self.kind == "append":
            old, version = state.get(self.path, (b"", 0))
            after[self.path] = (old + self.data, version + 1)
        elif self.kind == "move":
            after[self.dst] = after.pop(self.path)
        else:
            del after[self.path]
        return after


@dataclass
class Writer:
    user: str
    key: str
    folder: str
    rng: random.Random
    acknowledged: State = field(default_factory=dict)
    in_flight: Operation | None = None
    done: int = 0
    failure: str | None = None

    def next_operation(self) -> Operation:
        slots = [f"{self.folder}/f{i}" for i in range(SLOTS)]
        present = [path for path in slots if path in self.acknowledged]
        absent = [path for path in slots if path not in self.acknowledged]
        roll = self.rng.random()
        if len(present) < 2 or roll < 0.3:
            path = self.rng.choice(slots)
            return Operation("write", path, self._content())
        path = self.rng.choice(present)
        if roll < 0.65:
            if len(self.acknowledged[path][0]) > MAX_FILE_BYTES:
                return Operation("write", path, self._content())
            return Operation("append", path, self._content(limit=16 * 1024))
        if roll < 0.85 and absent:
            return Operation("move", path, dst=self.rng.choice(absent))
        return Operation("delete", path)

    def _content(self, limit: int = 128 * 1024) -> bytes:
        size = self.rng.choice([0, 1, 100, 4096, self.rng.randint(1, limit)])
        return self.rng.randbytes(size)

    def run(self, url: str) -> None:
        """Operate until the first failure; a bare NexusError is the server going away."""
        with HttpClient(url, self.key, timeout=20) as client:
            while True:
                operation = self.next_operation()
                self.in_flight = operation
                try:
                    answer = self._send(client, operation)
                except NexusError as error:
                    if type(error) is not NexusError:  # the server answered with an error
                        self.failure = f"{operation.kind} {operation.path}: {error!r}"
                    return
                except Exception as error:
                    self.failure = f"{operation.kind} {operation.path}: {error!r}"
                    return
                expected = operation.apply(self.acknowledged)
                self.in_flight = None
                self.done += 1
                if answer is not None:
                    path = operation.dst or operation.path
                    if answer["version"] != expected[path][1] or answer["etag"] != _sha(
                        expected[path][0]
                    ):
                        self.failure = (
                            f"{operation} acknowledged as {answer}, expected v{expected[path][1]}"
                        )
                        return
                self.acknowledged = expected

    @staticmethod
    def _send(client: HttpClient, operation: Operation) -> dict[str, object] | None:
        if operation.kind == "write":
            return dict(client.write(operation.path, operation.data))
        if operation.kind == "append":
            return dict(client.append(operation.path, operation.data))
        if operation.kind == "move":
            return dict(client.move(operation.path, operation.dst))
        client.delete(operation.path)
        return None


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_folder(client: HttpClient, folder: str) -> State:
    found: State = {}
    if not client.exists(folder):  # the first write had not reached the server yet
        return found
    for info in client.list_files(folder):
        path = info["path"]
        answer = client.read_with_metadata(path)
        content, metadata = answer["content"], answer["metadata"]
        assert metadata["etag"] == _sha(content), f"{path}: etag is not the bytes' SHA-256"
        assert metadata["size"] == len(content), f"{path}: size is not the bytes' length"
        found[path] = (content, metadata["version"])
    return found


def _describe(state: State) -> dict[str, str]:
    return {
        path: f"v{version} {len(data)} B {_sha(data)[:12]}"
        for path, (data, version) in state.items()
    }


def _check_recovered(writer: Writer, client: HttpClient) -> str:
    """Compare the folder with the writer's acknowledged state; adopt what is there."""
    actual = _read_folder(client, writer.folder)
    allowed = [writer.acknowledged]
    if writer.in_flight is not None:
        allowed.append(writer.in_flight.apply(writer.acknowledged))
    assert actual in allowed, (
        f"{writer.user}'s folder after the kill: {_describe(actual)}\n"
        f"acknowledged: {_describe(writer.acknowledged)}\n"
        f"in flight: {writer.in_flight}"
    )
    outcome = (
        "none"
        if writer.in_flight is None
        else ("applied" if actual == allowed[-1] and actual != allowed[0] else "not applied")
    )
    writer.acknowledged, writer.in_flight = actual, None
    return outcome


def _start_fsck(data_dir: Path, db_url: str | None) -> subprocess.Popen[bytes]:
    command = [NEXUS, "admin", "fsck", "--data-dir", str(data_dir), "--json"]
    if db_url:
        command += ["--db-url", db_url]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _fsck_report(fsck: subprocess.Popen[bytes]) -> dict[str, Any]:
    stdout, stderr = fsck.communicate(timeout=120)
    report: dict[str, Any] = json.loads(stdout) if stdout else {}
    assert fsck.returncode == 0, (
        f"fsck exit {fsck.returncode}: {json.dumps(report.get('problems'), indent=1)}"
        f"\n{stderr.decode()}"
    )
    assert report["ok"] is True and report["problems"] == []
    return report


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_acknowledged_operations_survive_sigkill(backend: str, tmp_path: Path) -> None:
    seed = int(os.environ.get("NEXUS_CRASH_SEED") or random.SystemRandom().randrange(2**32))
    rounds = int(os.environ.get("NEXUS_CRASH_ROUNDS") or DEFAULT_ROUNDS[backend])
    print(f"crash test ({backend}): NEXUS_CRASH_SEED={seed}, {rounds} kills")
    schedule = random.Random(seed)
    data_dir = tmp_path / "data"
    with backend_database(backend) as db_url:
        # Four clients writing flat out between kills: far above any person's rate.
        server = ServerProcess(data_dir, db_url=db_url, env=UNLIMITED).start()
        try:
            with HttpClient(ADMIN_SOCKET_URL, None, uds=server.admin_socket) as system:
                writers = []
                for index, user in enumerate(WRITERS):
                    system.create_user(user, user.title(), f"{user}@example.com")
                    key = system.create_api_key(user)["key"]
                    folder = f"/workspace/crash-{user}"
                    writers.append(Writer(user, key, folder, random.Random(seed + index)))
            outcomes: dict[str, int] = {}
            temp_files = orphans = 0
            started = time.monotonic()
            for round_number in range(rounds):
                threads = [
                    threading.Thread(target=writer.run, args=(server.url,), daemon=True)
                    for writer in writers
                ]
                for thread in threads:
                    thread.start()
                time.sleep(schedule.uniform(0.05, 0.8))
                assert server.process is not None
                server.process.send_signal(signal.SIGKILL)
                server.process.wait(20)
                for thread in threads:
                    thread.join(60)
                    assert not thread.is_alive(), "a client did not notice the server died"
                failures = [writer.failure for writer in writers if writer.failure]
                assert not failures, f"round {round_number} (seed {seed}): {failures}"
                # fsck takes its snapshot as the server restarts (it is read-only and safe
                # beside a running server; startup changes no file): the crash's state.
                fsck = _start_fsck(data_dir, db_url)
                server = ServerProcess(
                    data_dir, port=server.port, db_url=db_url, env=UNLIMITED
                ).start()
                report = _fsck_report(fsck)
                temp_files = max(temp_files, report["counts"]["temp_files"])
                orphans = report["counts"]["orphan_blobs"]
                for writer in writers:
                    with HttpClient(server.url, writer.key, timeout=20) as client:
                        outcome = _check_recovered(writer, client)
                    outcomes[outcome] = outcomes.get(outcome, 0) + 1
            operations = sum(writer.done for writer in writers)
            print(
                f"crash test ({backend}): {rounds} kills in {time.monotonic() - started:.1f} s, "
                f"{operations} acknowledged operations, in-flight at the kill: {outcomes}, "
                f"fsck notices at the end: {orphans} orphan blobs, {temp_files} temp files"
            )
            assert operations > rounds, "the clients barely ran: the test proves nothing"
            # What the kills left over goes with the next garbage collection (a 1 s grace
            # period instead of the default hour, so the test need not wait).
            server.stop()
            server = ServerProcess(
                data_dir,
                port=server.port,
                db_url=db_url,
                env={**UNLIMITED, "NEXUS_BLOB_GRACE_SECONDS": "1"},
            ).start()
            time.sleep(1.1)
            with HttpClient(ADMIN_SOCKET_URL, None, uds=server.admin_socket) as system:
                system.collect_garbage()
            counts = _fsck_report(_start_fsck(data_dir, db_url))["counts"]
            assert (counts["orphan_blobs"], counts["temp_files"]) == (0, 0)
        finally:
            server.stop()
