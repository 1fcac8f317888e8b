"""Creating the same missing folders from many threads at once (SQLite and PostgreSQL).

PostgreSQL lets concurrent transactions insert the same (parent, name) and fails all but the
first at commit time; SQLite queues the writers. Either way the outcome must be what the
same calls give one after the other: a folder someone else just made is used (under the
usual permission rules), and only a real clash on the target is "already exists".
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

import pytest

from nexus.errors import (
    NexusError,
    NexusFileExistsError,
    NexusPermissionError,
    NexusValidationError,
)
from nexus.files import NexusService, Principal

THREADS = 12
ROUNDS = 3


def race(calls: list[Callable[[], Any]]) -> list[object]:
    """Run ``calls`` in threads released together; each result or the NexusError raised."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], Any]) -> object:
        barrier.wait()
        try:
            return call()
        except NexusError as error:
            return error

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def _is_a_directory(outcome: object) -> bool:
    return isinstance(outcome, NexusValidationError) and outcome.detail_code == "is_a_directory"


def _made(outcome: object, path: str, kind: str) -> bool:
    """The call succeeded and returned the file info of a ``kind`` at ``path``."""
    return isinstance(outcome, dict) and (outcome["path"], outcome["type"]) == (path, kind)


def errors(outcomes: list[object]) -> list[str]:
    return [f"{type(o).__name__}: {o}" for o in outcomes if isinstance(o, NexusError)]


def test_many_threads_creating_and_granting_under_the_same_missing_folders(
    service: NexusService, people: dict[str, Principal]
) -> None:
    alice = people["alice"]
    files, permissions = service.files, service.permissions
    for round_ in range(ROUNDS):
        base = f"/workspace/race{round_}/a/b"
        calls: list[Callable[[], Any]] = []
        for n in range(THREADS):
            match n % 4:
                case 0:
                    calls.append(partial(files.mkdir, alice, f"{base}/c/d"))
                case 1:
                    calls.append(
                        partial(
                            permissions.grant,
                            alice,
                            "user",
                            "bob",
                            "file",
                            f"{base}/c/g{n}",
                            "can_read",
                        )
                    )
                case 2:
                    calls.append(
                        partial(
                            permissions.grant,
                            alice,
                            "user",
                            "carol",
                            "file",
                            f"{base}/c",
                            "can_write",
                        )
                    )
                case _:
                    calls.append(partial(files.write, alice, f"{base}/c/f{n}.txt", b"x"))
        outcomes = race(calls)
        assert errors(outcomes) == []
        listed = {info["path"] for info in files.list(alice, f"/workspace/race{round_}", True)}
        assert f"{base}/c/d" in listed
        assert {f"{base}/c/g{n}" for n in range(1, THREADS, 4)} <= listed
        assert files.stat(alice, f"{base}/c")["owner"] == "alice"
        assert files.read(people["carol"], f"{base}/c/f3.txt")[0] == b"x"
        assert files.stat(people["bob"], f"{base}/c/g1")["type"] == "directory"


def test_create_only_write_under_a_folder_made_concurrently_succeeds(
    service: NexusService, people: dict[str, Principal]
) -> None:
    """if_none_match is about the file: losing the race for a *parent folder* is no clash."""
    alice = people["alice"]
    for round_ in range(ROUNDS):
        base = f"/workspace/cond{round_}/x/y"
        write = partial(service.files.write, alice, data=b"new", if_none_match=True)
        outcomes = race([partial(write, path=f"{base}/f{n}.txt") for n in range(THREADS)])
        assert errors(outcomes) == []


def test_real_clashes_on_the_target_stay_already_exists(
    service: NexusService, people: dict[str, Principal]
) -> None:
    alice = people["alice"]
    files = service.files
    for round_ in range(ROUNDS):
        base = f"/workspace/clash{round_}/p"
        folders = race([partial(files.mkdir, alice, f"{base}/q", exist_ok=False)] * THREADS)
        created = race(
            [partial(files.write, alice, f"{base}/new/only.txt", b"1", if_none_match=True)]
            * THREADS
        )
        for outcomes in (folders, created):
            winners = [o for o in outcomes if not isinstance(o, NexusError)]
            assert len(winners) == 1, errors(outcomes)
            losers = [o for o in outcomes if isinstance(o, NexusError)]
            assert all(isinstance(o, NexusFileExistsError) for o in losers), errors(outcomes)
        # A file and a folder wanted at one path: whichever is made first stands, and the
        # other kind of request fails as it would afterwards (never "already exists" for
        # a file write, never a folder replaced).
        path = f"{base}/file-or-folder"
        mixed = race(
            [partial(files.write, alice, path, b"f"), partial(files.mkdir, alice, path)] * 4
        )
        writes, mkdirs = mixed[0::2], mixed[1::2]
        if files.stat(alice, path)["type"] == "directory":
            assert all(_made(o, path, "directory") for o in mkdirs), errors(mixed)
            assert all(_is_a_directory(o) for o in writes), errors(mixed)
        else:
            assert all(_made(o, path, "file") for o in writes), errors(mixed)
            assert all(isinstance(o, NexusFileExistsError) for o in mkdirs), errors(mixed)


def test_a_folder_someone_else_made_first_is_used_only_with_permission(
    service: NexusService, people: dict[str, Principal]
) -> None:
    """alice and bob both `mkdir -p` under one missing folder: whoever makes it owns it and
    the other may not create inside it, exactly as one after the other: 403, never 409."""
    alice, bob = people["alice"], people["bob"]
    for round_ in range(ROUNDS * 2):
        base = f"/workspace/mine{round_}"
        makers = [alice if n % 2 else bob for n in range(THREADS)]
        outcomes = race(
            [
                partial(service.files.mkdir, who, f"{base}/{who.user_id}{n}")
                for n, who in enumerate(makers)
            ]
        )
        owner = service.files.stat(people["admin"], base)["owner"]
        for n, (who, outcome) in enumerate(zip(makers, outcomes, strict=True)):
            if who.user_id == owner:
                assert _made(outcome, f"{base}/{who.user_id}{n}", "directory"), outcome
            else:
                assert isinstance(outcome, NexusPermissionError), outcome


def test_mkdir_on_an_existing_file_is_already_exists(
    service: NexusService, people: dict[str, Principal]
) -> None:
    alice = people["alice"]
    service.files.write(alice, "/workspace/plain.txt", b"x")
    for exist_ok in (True, False):
        with pytest.raises(NexusFileExistsError):
            service.files.mkdir(alice, "/workspace/plain.txt", exist_ok=exist_ok)
