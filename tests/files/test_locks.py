"""First-class locks in the files service, on SQLite and PostgreSQL.

The clock is the runtime's: tests replace ``runtime.now`` to move time instead of sleeping.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from functools import partial

import pytest

from nexus.api.models import NewLock
from nexus.errors import (
    NexusConflictError,
    NexusError,
    NexusFileNotFoundError,
    NexusLockedError,
    NexusPermissionError,
    NexusValidationError,
)
from nexus.files import SYSTEM, NexusService, Principal

PROJECT = "/workspace/project"
DOC = f"{PROJECT}/doc.md"


class Clock:
    def __init__(self, start: float = 2_000_000_000.0):
        self.now = start

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(service: NexusService, monkeypatch: pytest.MonkeyPatch) -> Clock:
    ticking = Clock()
    monkeypatch.setattr(service.runtime, "now", ticking)
    return ticking


@pytest.fixture
def team(service: NexusService, people: dict[str, Principal]) -> dict[str, Principal]:
    """alice owns PROJECT with DOC in it; bob may write there; carol sees nothing."""
    alice = people["alice"]
    service.files.write(alice, DOC, b"v1")
    service.permissions.grant(alice, "user", "bob", "file", PROJECT, "can_write")
    return people


def expect(cls: type[NexusError], code: str, call: Callable[[], object]) -> NexusError:
    with pytest.raises(NexusError) as info:
        call()
    assert type(info.value) is cls, f"{type(info.value).__name__}: {info.value}"
    assert info.value.detail_code == code, info.value.detail_code
    return info.value


def read(service: NexusService, path: str) -> bytes:
    return service.files.read(SYSTEM, path)[0]


def test_a_lock_stops_everyone_else_and_not_its_holder(
    service: NexusService, team: dict[str, Principal], clock: Clock
) -> None:
    alice, bob, admin = team["alice"], team["bob"], team["admin"]
    new = service.locks.lock(alice, DOC, 600)
    assert new.token.startswith("nxl_") and len(new.token) > 40
    assert (new.path, new.locked, new.holder) == (DOC, True, "alice")
    service.files.mkdir(bob, f"{PROJECT}/elsewhere")

    attempts: dict[str, Callable[[], object]] = {
        "write": lambda: service.files.write(bob, DOC, b"bob"),
        "append": lambda: service.files.append(bob, DOC, b"bob"),
        "delete": lambda: service.files.delete(bob, DOC),
        "rename": lambda: service.files.move(bob, DOC, f"{PROJECT}/renamed.md"),
        # Only owners (and admins) move a file to another folder (decision 1b).
        "move": lambda: service.files.move(admin, DOC, f"{PROJECT}/elsewhere/doc.md"),
        "admin write": lambda: service.files.write(admin, DOC, b"admin"),
        "restore": lambda: service.versions.restore_version(bob, DOC, 1),
    }
    for name, attempt in attempts.items():
        error = expect(NexusLockedError, "locked", attempt)
        assert error.path == DOC, name
        assert "locked by alice" in str(error), name
    assert read(service, DOC) == b"v1"

    # The holder writes as usual: the lock is on the user, no token per write.
    service.files.write(alice, DOC, b"v2")
    service.files.append(alice, DOC, b"+")
    assert read(service, DOC) == b"v2+"
    # Creating other files next to it is not affected.
    service.files.write(bob, f"{PROJECT}/other.md", b"fine")

    info = service.locks.info(bob, DOC)
    assert (info.locked, info.holder) == (True, "alice")
    assert info.expires is not None and info.created is not None


def test_a_locked_file_inside_a_folder_keeps_the_folder_in_place(
    service: NexusService, team: dict[str, Principal], clock: Clock
) -> None:
    alice, bob = team["alice"], team["bob"]
    deep = f"{PROJECT}/docs/deep/spec.md"
    service.files.write(alice, deep, b"spec")
    service.locks.lock(alice, deep, 600)

    docs = f"{PROJECT}/docs"
    error = expect(NexusLockedError, "locked", lambda: service.files.delete(bob, docs, True))
    assert error.path == deep
    assert str(error).startswith(f"cannot delete {docs}: {deep} is locked by alice")
    expect(NexusLockedError, "locked", lambda: service.files.move(bob, docs, f"{PROJECT}/d"))
    assert read(service, deep) == b"spec"
    # Its holder may: the lock ends with the file.
    service.files.move(alice, f"{PROJECT}/docs", f"{PROJECT}/documents")
    service.files.delete(alice, f"{PROJECT}/documents", recursive=True)
    assert service.files.exists(alice, f"{PROJECT}/documents") is False


def test_unlock_and_extend_need_the_holders_own_token(
    service: NexusService, team: dict[str, Principal], clock: Clock
) -> None:
    alice, bob, admin = team["alice"], team["bob"], team["admin"]
    token = service.locks.lock(alice, DOC, 600).token

    expect(NexusLockedError, "locked", lambda: service.locks.lock(bob, DOC, 60))
    expect(NexusLockedError, "locked", lambda: service.locks.lock(alice, DOC, 60))
    expect(NexusLockedError, "lock_token_mismatch", lambda: service.locks.unlock(bob, DOC, token))
    expect(
        NexusLockedError, "lock_token_mismatch", lambda: service.locks.unlock(alice, DOC, "nxl_x")
    )
    expect(
        NexusLockedError, "lock_token_mismatch", lambda: service.locks.extend(bob, DOC, token, 60)
    )
    expect(NexusValidationError, "missing_token", lambda: service.locks.unlock(alice, DOC, None))
    for bad in ("", 42, ["nxl_"], "x" * 300, "\ud800"):
        expect(
            NexusValidationError,
            "invalid_token",
            lambda bad=bad: service.locks.unlock(alice, DOC, bad),
        )
    assert service.locks.info(alice, DOC).holder == "alice"

    clock.now += 500
    extended = service.locks.extend(alice, DOC, token, 900)
    assert extended.expires == service.locks.info(bob, DOC).expires
    clock.now += 800  # past the first ttl, within the extended one
    expect(NexusLockedError, "locked", lambda: service.files.write(bob, DOC, b"bob"))

    service.locks.unlock(alice, DOC, token)
    assert service.locks.info(bob, DOC).locked is False
    expect(NexusConflictError, "not_locked", lambda: service.locks.unlock(alice, DOC, token))
    service.files.write(bob, DOC, b"bob")

    # Admins break a lock without its token (and are blocked by it like anyone else).
    service.locks.lock(bob, DOC, 600)
    expect(NexusValidationError, "missing_token", lambda: service.locks.unlock(alice, DOC, None))
    service.locks.unlock(admin, DOC, None)
    assert service.locks.info(alice, DOC).locked is False
    expect(NexusConflictError, "not_locked", lambda: service.locks.unlock(admin, DOC, None))


def test_locks_expire_at_their_ttl_and_an_expired_lock_is_free(
    service: NexusService, team: dict[str, Principal], clock: Clock
) -> None:
    alice, bob = team["alice"], team["bob"]
    old = service.locks.lock(alice, DOC, 60).token
    clock.now += 59.5
    expect(NexusLockedError, "locked", lambda: service.files.write(bob, DOC, b"early"))
    clock.now += 0.5  # exactly at the expiry: free
    assert service.locks.info(alice, DOC).locked is False
    service.files.write(bob, DOC, b"bob")
    expect(NexusConflictError, "not_locked", lambda: service.locks.extend(alice, DOC, old, 60))

    new = service.locks.lock(bob, DOC, 60).token  # replaces the expired row
    assert new != old
    expect(NexusLockedError, "lock_token_mismatch", lambda: service.locks.unlock(alice, DOC, old))
    expect(NexusLockedError, "locked", lambda: service.files.write(alice, DOC, b"alice"))


@pytest.mark.parametrize(
    "ttl",
    [
        -1,
        0,
        0.0,
        -0.5,
        1e12,
        86400.5,
        "abc",
        "60",
        True,
        False,
        None,
        float("nan"),
        float("inf"),
        float("-inf"),
        [60],
    ],
)
def test_a_bad_ttl_is_refused_and_changes_nothing(
    service: NexusService, team: dict[str, Principal], ttl: object
) -> None:
    alice = team["alice"]
    expect(NexusValidationError, "invalid_ttl", lambda: service.locks.lock(alice, DOC, ttl))
    assert service.locks.info(alice, DOC).locked is False
    token = service.locks.lock(alice, DOC, 60).token
    expect(
        NexusValidationError, "invalid_ttl", lambda: service.locks.extend(alice, DOC, token, ttl)
    )
    assert service.locks.info(alice, DOC).locked is True


def test_the_longest_ttl_is_a_server_setting(
    service: NexusService, team: dict[str, Principal]
) -> None:
    alice = team["alice"]
    assert service.runtime.settings.max_lock_ttl == 24 * 3600
    service.runtime.settings = replace(service.runtime.settings, max_lock_ttl=10)
    expect(NexusValidationError, "invalid_ttl", lambda: service.locks.lock(alice, DOC, 11))
    assert service.locks.lock(alice, DOC, 10).expires is not None


def test_locks_follow_the_file_and_die_with_it(
    service: NexusService, team: dict[str, Principal], clock: Clock
) -> None:
    alice, bob = team["alice"], team["bob"]
    token = service.locks.lock(alice, DOC, 600).token
    renamed = f"{PROJECT}/renamed.md"
    service.files.move(alice, DOC, renamed)
    assert service.locks.info(bob, renamed).holder == "alice"
    expect(NexusLockedError, "locked", lambda: service.files.write(bob, renamed, b"bob"))
    service.files.move(alice, PROJECT, "/workspace/moved")  # the folder above moves too
    moved = "/workspace/moved/renamed.md"
    assert service.locks.info(alice, moved).locked is True

    # Deleting ends the lock; a new file at the same path inherits nothing.
    service.files.delete(alice, moved)
    service.files.write(alice, moved, b"new")
    assert service.locks.info(alice, moved).locked is False
    expect(NexusConflictError, "not_locked", lambda: service.locks.unlock(alice, moved, token))
    service.files.write(bob, moved, b"bob")


def test_who_may_lock_and_who_may_look(
    service: NexusService, team: dict[str, Principal], clock: Clock
) -> None:
    alice, bob, carol = team["alice"], team["bob"], team["carol"]
    service.files.write(alice, f"{PROJECT}/readme.md", b"read me")
    service.permissions.grant(alice, "user", "carol", "file", f"{PROJECT}/readme.md", "can_read")
    # Reading is not enough to lock.
    expect(
        NexusPermissionError,
        "permission_denied",
        lambda: service.locks.lock(carol, f"{PROJECT}/readme.md", 60),
    )
    token = service.locks.lock(alice, DOC, 60).token

    # A file carol cannot read answers exactly like one that does not exist (403 here, as
    # she cannot see the folder either), for every lock call.
    missing = f"{PROJECT}/missing.md"
    for path in (DOC, missing):
        expect(
            NexusPermissionError,
            "permission_denied",
            lambda path=path: service.locks.info(carol, path),
        )
        expect(
            NexusPermissionError,
            "permission_denied",
            lambda path=path: service.locks.lock(carol, path, 9),
        )
        expect(
            NexusPermissionError,
            "permission_denied",
            lambda path=path: service.locks.unlock(carol, path, token),
        )
        expect(
            NexusPermissionError,
            "permission_denied",
            lambda path=path: service.locks.extend(carol, path, token, 9),
        )
    # Where she sees the folder: a locked file in a restricted folder below it answers
    # like a missing file there, and a missing file in the seen folder is "not found".
    service.permissions.grant(alice, "user", "carol", "file", PROJECT, "can_read")
    service.files.mkdir(alice, f"{PROJECT}/private")
    service.files.set_restricted(alice, f"{PROJECT}/private", True)
    hidden = f"{PROJECT}/private/secret.md"
    service.files.write(alice, hidden, b"s")
    service.locks.lock(alice, hidden, 60)
    for path in (hidden, f"{PROJECT}/private/missing.md"):
        expect(
            NexusPermissionError,
            "permission_denied",
            lambda path=path: service.locks.info(carol, path),
        )
    expect(NexusFileNotFoundError, "not_found", lambda: service.locks.info(carol, missing))
    assert service.locks.info(carol, DOC).holder == "alice"

    # Directories are not lockable; their info says so.
    expect(NexusValidationError, "is_a_directory", lambda: service.locks.lock(alice, PROJECT, 60))
    assert service.locks.info(bob, PROJECT).locked is False


def test_deleting_a_user_ends_their_locks(
    service: NexusService, team: dict[str, Principal], clock: Clock
) -> None:
    bob = team["bob"]
    service.locks.lock(bob, DOC, 600)
    service.admin.delete_user(SYSTEM, "bob")
    assert service.locks.info(team["alice"], DOC).locked is False
    service.files.write(team["alice"], DOC, b"alice")


def test_racing_for_a_free_lock_exactly_one_wins(
    service: NexusService, team: dict[str, Principal]
) -> None:
    racers = [team["alice"], team["bob"], team["admin"], SYSTEM]

    def take(barrier: threading.Barrier, principal: Principal) -> object:
        barrier.wait()
        try:
            return service.locks.lock(principal, DOC, 600)
        except NexusError as error:
            return error

    for _round in range(5):
        barrier = threading.Barrier(len(racers))
        with ThreadPoolExecutor(max_workers=len(racers)) as pool:
            outcomes = list(pool.map(partial(take, barrier), racers))
        winners = [o for o in outcomes if not isinstance(o, NexusError)]
        losers = [o for o in outcomes if isinstance(o, NexusError)]
        assert len(winners) == 1, outcomes
        assert all(type(e) is NexusLockedError and e.detail_code == "locked" for e in losers)
        winner = winners[0]
        assert isinstance(winner, NewLock)
        assert service.locks.info(SYSTEM, DOC).holder == winner.holder
        service.locks.unlock(SYSTEM, DOC, None)
