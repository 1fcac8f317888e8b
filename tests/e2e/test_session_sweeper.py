"""The session sweeper of a real `nexus serve`: an expired session's files, versions, grants,
locks and record leave the database, the store stays consistent (fsck), and live sessions
stay whole."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, select

from nexus.client.http import ADMIN_SOCKET_URL, HttpClient
from nexus.db.tables import entries, locks, relationships, sessions, versions
from nexus.errors import NexusPermissionError
from tests.support.server_process import ServerProcess

pytestmark = pytest.mark.e2e


def _subtree(db: Engine, top: int) -> set[int]:
    """The ids of ``top`` and everything below it."""
    found, frontier = {top}, [top]
    with db.connect() as conn:
        while frontier:
            rows = conn.execute(select(entries.c.id).where(entries.c.parent_id.in_(frontier)))
            frontier = [row.id for row in rows]
            found.update(frontier)
    return found


def _remaining(db: Engine, ids: set[int], session_id: str) -> dict[str, int]:
    """Rows still naming the session or any of ``ids``, per table."""
    texts = [str(entry_id) for entry_id in ids]
    with db.connect() as conn:
        return {
            "sessions": len(
                conn.execute(select(sessions).where(sessions.c.id == session_id)).all()
            ),
            "entries": len(conn.execute(select(entries).where(entries.c.id.in_(ids))).all()),
            "versions": len(
                conn.execute(select(versions).where(versions.c.entry_id.in_(ids))).all()
            ),
            "locks": len(conn.execute(select(locks).where(locks.c.entry_id.in_(ids))).all()),
            "grants": len(
                conn.execute(
                    select(relationships).where(
                        relationships.c.object_type == "file",
                        relationships.c.object_id.in_(texts),
                    )
                ).all()
            ),
        }


def _fill_session(alice: HttpClient, directory: str) -> None:
    """Files (one with two versions, a lock and a grant to carol) and folders."""
    alice.write(f"{directory}/notes.md", b"v1")
    alice.write(f"{directory}/notes.md", b"v2")
    alice.write(f"{directory}/deep/er/data.bin", b"\0" * 100)
    alice.grant_permission("user", "carol", "file", f"{directory}/notes.md", "can_read")
    alice.lock(f"{directory}/notes.md", ttl=3600)


def test_the_sweeper_removes_an_expired_session_and_everything_in_it(tmp_path: Path) -> None:
    server = ServerProcess(tmp_path / "data", env={"NEXUS_SESSION_SWEEP_SECONDS": "0.2"}).start()
    db = create_engine(f"sqlite:///file:{tmp_path / 'data' / 'nexus.db'}?mode=ro&uri=true")
    try:
        with HttpClient(ADMIN_SOCKET_URL, None, uds=server.admin_socket) as system:
            keys = {}
            for user in ("admin", "alice", "carol"):
                system.create_user(user, user.title(), f"{user}@example.com")
                keys[user] = system.create_api_key(user)["key"]
            alice = HttpClient(server.url, keys["alice"])
            long = alice.create_session("long-running")
            there = f"/sessions/{long['id']}"
            _fill_session(alice, there)
            # Made last, so that its 2 seconds are enough for filling it on a busy machine.
            short = alice.create_session("short", ttl=2)
            here = f"/sessions/{short['id']}"
            _fill_session(alice, here)
            ids = _subtree(db, _entry_id(db, short["id"]))
            assert len(ids) == 5  # the session folder, notes.md, deep, er, data.bin
            assert all(_remaining(db, ids, short["id"]).values())
            kept = _subtree(db, _entry_id(db, long["id"]))
            before = _remaining(db, kept, long["id"])

            deadline = time.monotonic() + 15
            while _remaining(db, ids, short["id"])["sessions"] and time.monotonic() < deadline:
                time.sleep(0.1)
            assert _remaining(db, ids, short["id"]) == dict.fromkeys(before, 0)
            assert "removed 1 expired session(s)" in server.log()

            # Gone for everyone; the live session is untouched.
            assert [s["id"] for s in system.list_sessions(all_users=True)] == [long["id"]]
            assert system.exists(here) is False
            with pytest.raises(NexusPermissionError):
                alice.read(f"{here}/notes.md")
            assert _remaining(db, kept, long["id"]) == before
            assert alice.read(f"{there}/notes.md") == b"v2"
            alice.close()

        fsck = server.run_cli("admin", "fsck", "--data-dir", str(server.data_dir), "--json")
        assert fsck.returncode == 0, fsck.stdout.decode() + fsck.stderr.decode()
        assert json.loads(fsck.stdout)["ok"] is True
    finally:
        db.dispose()
        server.stop()


def _entry_id(db: Engine, session_id: str) -> int:
    """The id of /sessions/{session_id}."""
    with db.connect() as conn:
        root = conn.execute(select(entries.c.id).where(entries.c.parent_id.is_(None))).scalar_one()
        parent = root
        for name in ("sessions", session_id):
            parent = conn.execute(
                select(entries.c.id).where(entries.c.parent_id == parent, entries.c.name == name)
            ).scalar_one()
        return int(parent)
