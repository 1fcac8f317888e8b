"""Racing conditional writers on one file, and what their outcome must satisfy.

Used through the service (SQLite and PostgreSQL) and through real HTTP servers: the same
race, the same invariants. Each writer reads the file's version, writes with
``if_version`` and, on a conflict, reads again and retries, a bounded number of times.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from nexus.errors import NexusConflictError, NexusFileExistsError

# (version, etag, created_by) of each kept version, newest first as list_versions answers.
History = Sequence[tuple[int, str, str]]


@dataclass(frozen=True)
class Ack:
    """A write the server acknowledged: who sent which bytes, and the version it became."""

    writer: int
    payload: bytes
    seen: int  # the version it read and wrote on top of (if_version)
    version: int
    etag: str


@dataclass
class RaceOutcome:
    writers: int
    acks: list[Ack]
    conflicts: int
    gave_up: int
    unexpected: list[str]


def payload(writer: int, attempt: int, filler: int) -> bytes:
    """Bytes no other writer or attempt sends (so each version names its writer)."""
    return f"writer {writer} attempt {attempt}\n".encode() + bytes([writer]) * filler


def race_conditional_writers(
    writers: int,
    attempts: int,
    filler: int,
    current_version: Callable[[int], int],
    write: Callable[[int, bytes, int], Mapping[str, Any]],
) -> RaceOutcome:
    """Start ``writers`` threads together; each tries up to ``attempts`` times to get one
    write in (``write(writer, data, if_version)``), reading the version before each try."""
    outcome = RaceOutcome(writers, [], 0, 0, [])
    lock = threading.Lock()
    barrier = threading.Barrier(writers)

    def run(writer: int) -> None:
        barrier.wait()
        for attempt in range(attempts):
            data = payload(writer, attempt, filler)
            try:
                seen = current_version(writer)
                info = write(writer, data, seen)
            except NexusConflictError:
                with lock:
                    outcome.conflicts += 1
                continue
            except Exception as error:  # anything else is a failure of the race
                with lock:
                    outcome.unexpected.append(f"{type(error).__name__}: {error}")
                return
            with lock:
                outcome.acks.append(
                    Ack(writer, data, seen, int(info["version"]), str(info["etag"]))
                )
            return
        with lock:
            outcome.gave_up += 1

    threads = [threading.Thread(target=run, args=(index,)) for index in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in threads), "a writer hung"
    return outcome


def check_race(
    outcome: RaceOutcome,
    start_version: int,
    history: History,
    read_version: Callable[[int], bytes],
    user_of: Callable[[int], str],
) -> None:
    """Every version after ``start_version`` was written exactly once, by exactly one
    acknowledged writer, with that writer's bytes; no acknowledged write is missing."""
    assert outcome.unexpected == []
    assert len({ack.writer for ack in outcome.acks}) == len(outcome.acks)
    assert len(outcome.acks) + outcome.gave_up == outcome.writers
    # Compare-and-swap: a write lands right on top of the version its writer read.
    assert all(ack.version == ack.seen + 1 for ack in outcome.acks)
    by_version = {ack.version: ack for ack in outcome.acks}
    assert len(by_version) == len(outcome.acks), "two writers were told they made one version"
    written = sorted(version for version, _etag, _by in history if version > start_version)
    # Nothing was written that nobody was told about, nor lost that somebody was told about.
    assert written == sorted(by_version)
    assert written == list(range(start_version + 1, start_version + 1 + len(written)))
    for version, etag, created_by in history:
        if version <= start_version:
            continue
        ack = by_version[version]
        assert etag == ack.etag == hashlib.sha256(ack.payload).hexdigest()
        assert created_by == user_of(ack.writer)
        assert read_version(version) == ack.payload


def race_creators(
    creators: int, create: Callable[[int, bytes], Mapping[str, Any]]
) -> tuple[list[int], list[str]]:
    """All ``creators`` try ``if_none_match=True`` at once: (winners, unexpected errors)."""
    winners: list[int] = []
    unexpected: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(creators)

    def run(creator: int) -> None:
        barrier.wait()
        try:
            info = create(creator, payload(creator, 0, 0))
        except NexusFileExistsError:
            return
        except Exception as error:
            with lock:
                unexpected.append(f"{type(error).__name__}: {error}")
            return
        assert info["version"] == 1
        with lock:
            winners.append(creator)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(creators)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return winners, unexpected
