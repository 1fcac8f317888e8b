"""Group commit on SQLite: writes that meet at the write lock share one COMMIT, each keeps
its own outcome, and none returns before its work is durable."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import Connection, event, text

from nexus.db.engine import Database, open_engine
from nexus.db.group_commit import GroupCommit


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Database]:
    db = Database(open_engine(f"sqlite:///{tmp_path / 'test.db'}"))
    with db.write() as conn:
        conn.execute(text("CREATE TABLE item (name TEXT PRIMARY KEY)"))
        # Checked at COMMIT, not at the statement: a way to make a COMMIT fail.
        conn.execute(text("CREATE TABLE parent (id INTEGER PRIMARY KEY)"))
        conn.execute(
            text(
                "CREATE TABLE child (parent_id INTEGER REFERENCES parent(id)"
                " DEFERRABLE INITIALLY DEFERRED)"
            )
        )
    yield db
    db.dispose()


def _group_commit(db: Database) -> GroupCommit:
    group = db._group_commit
    assert group is not None
    return group


def _names(db: Database) -> set[str]:
    with db.read() as conn:
        return {row[0] for row in conn.execute(text("SELECT name FROM item"))}


def _count_commits(db: Database) -> list[int]:
    commits = [0]

    @event.listens_for(db.engine, "commit")
    def _on_commit(_conn: Connection) -> None:
        commits[0] += 1

    return commits


def _insert(db: Database, name: str, hold: float = 0.0) -> None:
    with db.write() as conn:
        conn.execute(text("INSERT INTO item VALUES (:name)"), {"name": name})
        time.sleep(hold)


def _leader_holding(
    db: Database, name: str, raising: Exception | None = None
) -> tuple[threading.Thread, threading.Event, list[Exception]]:
    """A writer that has begun its work and holds its batch open until ``release`` is set,
    then raises ``raising`` if given; what its ``with`` block raised ends up in the list."""
    release = threading.Event()
    inside = threading.Event()
    errors: list[Exception] = []

    def lead() -> None:
        try:
            with db.write() as conn:
                conn.execute(text("INSERT INTO item VALUES (:name)"), {"name": name})
                inside.set()
                release.wait(30)
                if raising is not None:
                    raise raising
        except Exception as error:
            errors.append(error)

    thread = threading.Thread(target=lead)
    thread.start()
    assert inside.wait(30)
    return thread, release, errors


def _wait_queued(db: Database, count: int) -> None:
    deadline = time.monotonic() + 30
    while _group_commit(db).queued() < count:
        assert time.monotonic() < deadline, "the writers never queued"
        time.sleep(0.01)


def test_concurrent_writes_share_commits_and_all_are_kept(database: Database) -> None:
    commits = _count_commits(database)
    names = [f"n{i}" for i in range(64)]
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda name: _insert(database, name, hold=0.002), names))
    assert _names(database) == set(names)
    assert commits[0] < len(names)  # 16 writers at a time cannot all have committed alone


def test_a_failing_writer_loses_only_its_own_work(database: Database) -> None:
    leader, release, _ = _leader_holding(database, "leader")
    errors: dict[str, BaseException] = {}
    seen_after_refusal: set[str] = set()

    def failing() -> None:
        try:
            with database.write() as conn:
                conn.execute(text("INSERT INTO item VALUES ('doomed')"))
                raise RuntimeError("the caller's own failure")
        except RuntimeError as error:
            errors["failing"] = error
            # Refused only once the batch has committed: what it ran into is there to read.
            seen_after_refusal.update(_names(database))

    threads = [threading.Thread(target=failing)]
    threads[0].start()
    _wait_queued(database, 1)
    threads.append(threading.Thread(target=_insert, args=(database, "after")))
    threads[1].start()
    _wait_queued(database, 2)
    release.set()
    for thread in [leader, *threads]:
        thread.join(30)
    assert str(errors["failing"]) == "the caller's own failure"
    assert seen_after_refusal == {"leader", "after"}
    assert _names(database) == {"leader", "after"}


def test_a_failing_leader_loses_only_its_own_work(database: Database) -> None:
    leader, release, failure = _leader_holding(database, "leader", raising=KeyError("leader"))
    follower = threading.Thread(target=_insert, args=(database, "follower"))
    follower.start()
    _wait_queued(database, 1)
    release.set()
    leader.join(30)
    follower.join(30)
    assert [type(error) for error in failure] == [KeyError]
    assert _names(database) == {"follower"}


def test_a_failed_commit_fails_every_writer_of_the_batch_and_keeps_nothing(
    database: Database,
) -> None:
    follower_errors: list[BaseException] = []

    def follow(name: str, orphan: bool) -> None:
        try:
            with database.write() as conn:
                conn.execute(text("INSERT INTO item VALUES (:name)"), {"name": name})
                if orphan:  # passes its statement; the COMMIT refuses it
                    conn.execute(text("INSERT INTO child VALUES (42)"))
        except Exception as error:
            follower_errors.append(error)

    leader, release, leader_error = _leader_holding(database, "leader")
    followers = [
        threading.Thread(target=follow, args=("orphan maker", True)),
        threading.Thread(target=follow, args=("bystander", False)),
    ]
    for number, thread in enumerate(followers, start=1):
        thread.start()
        _wait_queued(database, number)
    release.set()
    for thread in [leader, *followers]:
        thread.join(30)
    assert len(leader_error) == 1 and "FOREIGN KEY" in str(leader_error[0])
    assert len(follower_errors) == 2
    assert all("FOREIGN KEY" in str(error) for error in follower_errors)
    assert _names(database) == set()
    _insert(database, "later")  # the next batch is not poisoned
    assert _names(database) == {"later"}


def test_a_write_returns_only_after_its_batch_committed(database: Database) -> None:
    leader, release, _ = _leader_holding(database, "leader")
    follower_done = threading.Event()

    def follow() -> None:
        _insert(database, "follower")
        follower_done.set()

    follower = threading.Thread(target=follow)
    follower.start()
    _wait_queued(database, 1)
    time.sleep(0.2)
    # The follower cannot even have started its work: the leader's is not done.
    assert not follower_done.is_set()
    assert _names(database) == set()
    release.set()
    leader.join(30)
    follower.join(30)
    assert follower_done.is_set()
    assert _names(database) == {"leader", "follower"}


def test_batches_are_bounded(database: Database) -> None:
    group = _group_commit(database)
    leader, release, _ = _leader_holding(database, "leader")
    threads = []
    for number in range(1, group._max_batch):
        threads.append(threading.Thread(target=_insert, args=(database, f"f{number}")))
        threads[-1].start()
        _wait_queued(database, number)
    # The batch is full: the next writer leads a batch of its own, which forms meanwhile.
    threads.append(threading.Thread(target=_insert, args=(database, "next leader")))
    threads[-1].start()
    deadline = time.monotonic() + 30
    while group.queued() != 0:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    threads.append(threading.Thread(target=_insert, args=(database, "next follower")))
    threads[-1].start()
    _wait_queued(database, 1)
    release.set()
    for thread in [leader, *threads]:
        thread.join(30)
    assert len(_names(database)) == group._max_batch + 2
