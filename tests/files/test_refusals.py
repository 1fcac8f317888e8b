"""Refused attempts reach the activity log from a background writer, in batches, without
the refused caller ever waiting for the database's write lock."""

from __future__ import annotations

import threading
import time

import pytest

from nexus.errors import NexusFileNotFoundError, NexusPermissionError
from nexus.files import NexusService, Principal
from nexus.files import refusals as refusals_module
from nexus.metadata.activity import ActivityStore, Event, EventFilter


def _refused_events(service: NexusService, actor: str) -> list[Event]:
    service.runtime.refusals.flush()
    with service.runtime.db.read() as conn:
        found = ActivityStore().find(conn, EventFilter(actor=actor), 10_000)
    return [event for event in found if event.outcome != "ok"]


def _block_log_writes(
    service: NexusService, held: threading.Event, release: threading.Event
) -> None:
    """Hold a write transaction that keeps others from writing the activity log until
    ``release``: SQLite's one writer lock; on PostgreSQL, a lock on the table."""
    with service.runtime.db.write() as conn:
        if service.runtime.db.dialect == "postgresql":
            conn.exec_driver_sql("LOCK TABLE activity IN EXCLUSIVE MODE")
        held.set()
        release.wait(30)


def test_a_refused_read_does_not_wait_for_the_write_lock(
    service: NexusService, people: dict[str, Principal]
) -> None:
    alice, bob = people["alice"], people["bob"]
    service.files.write(alice, "/workspace/private/plan.md", b"secret")
    held = threading.Event()
    release = threading.Event()

    def hold_the_write_lock() -> None:
        _block_log_writes(service, held, release)

    holder = threading.Thread(target=hold_the_write_lock)
    holder.start()
    try:
        assert held.wait(10)
        started = time.monotonic()
        for _ in range(20):
            with pytest.raises(NexusPermissionError):
                service.files.stat(bob, "/workspace/private/plan.md")
        # Twenty refusals while another transaction keeps the log from being written: none
        # waited for it (SQLite's busy timeout is 30 s; PostgreSQL would wait for ever).
        assert time.monotonic() - started < 5
    finally:
        release.set()
        holder.join()
    events = _refused_events(service, "bob")
    assert len(events) == 20
    assert {(e.action, e.outcome, e.path) for e in events} == {
        ("stat", "denied", "/workspace/private/plan.md")
    }


def test_many_refusals_are_all_recorded_and_seen_by_their_maker(
    service: NexusService, people: dict[str, Principal]
) -> None:
    bob = people["bob"]
    for number in range(1200):  # more than one batch
        with pytest.raises(NexusFileNotFoundError):
            service.files.stat(bob, f"/workspace/missing-{number}")
    page = service.activity.activity(bob, "/workspace", limit=1000)
    assert len(page.events) == 1000  # the reader flushed the queue: all are there
    assert len(_refused_events(service, "bob")) == 1200


def test_a_flood_beyond_the_queue_is_cut_not_held_in_memory(
    service: NexusService, people: dict[str, Principal], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(refusals_module, "MAX_QUEUED", 5)
    bob = people["bob"]
    held = threading.Event()
    release = threading.Event()

    def hold_the_write_lock() -> None:
        _block_log_writes(service, held, release)

    holder = threading.Thread(target=hold_the_write_lock)
    holder.start()
    try:
        assert held.wait(10)
        for number in range(40):  # the writer is stuck behind the lock meanwhile
            with pytest.raises(NexusFileNotFoundError):
                service.files.stat(bob, f"/workspace/missing-{number}")
    finally:
        release.set()
        holder.join()
    recorded = len(_refused_events(service, "bob"))
    # At most the queue's bound, plus the batch the writer had taken before it got stuck.
    assert 5 <= recorded <= 5 + refusals_module.BATCH
    assert recorded < 40
