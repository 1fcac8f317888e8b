"""Odd names and the longest, deepest paths are stored and found exactly on SQLite and
PostgreSQL alike: every character the rules allow (noncharacters, private use, the last
code point), segments of exactly 255 bytes in 1- to 4-byte characters, a path of exactly
4,096 bytes and one 32 levels deep."""

from __future__ import annotations

import pytest

from nexus.errors import NexusValidationError
from nexus.files import NexusService, Principal
from tests.support.path_inputs import PATH_BYTES, TRICKS, canonical

FOLDER = "/workspace/odd"
LONGEST = ["a" * 255, "é" * 127, "日" * 85, "😀" * 63]
ODD = ["\ufffe", "\uffff", "\U0010ffff", "\ue000", "\U000e0001", "\u00a0", "\u3000"]


def test_odd_names_are_stored_and_found_exactly(
    service: NexusService, people: dict[str, Principal]
) -> None:
    alice = people["alice"]
    tricks = [t for t in TRICKS if "/" not in t and canonical(f"{FOLDER}/{t}", file=True)]
    names = sorted({canonical(f"{FOLDER}/{n}", file=True) or "" for n in tricks + LONGEST + ODD})
    for path in names:
        service.files.write(alice, path, path.encode())
    for path in names:
        assert service.files.read(alice, path)[0] == path.encode(), path
    listed = [entry["path"] for entry in service.files.list(alice, FOLDER, False)]
    assert sorted(listed) == names
    with pytest.raises(NexusValidationError):
        service.files.write(alice, f"{FOLDER}/{'😀' * 64}", b"256 bytes")


def test_the_longest_and_deepest_paths_are_stored_and_found(
    service: NexusService, people: dict[str, Principal]
) -> None:
    alice = people["alice"]
    longest = FOLDER + "/long"
    while len(longest.encode()) + 201 <= PATH_BYTES:
        longest += "/" + "é" * 100
    longest += "/" + "x" * (PATH_BYTES - len(longest.encode()) - 1)
    assert len(longest.encode()) == PATH_BYTES
    service.files.write(alice, longest, b"longest")
    assert service.files.read(alice, longest)[0] == b"longest"
    with pytest.raises(NexusValidationError):
        service.files.write(alice, longest + "x", b"one byte too long")
    deepest = "/workspace" + "".join(f"/{level}" for level in range(31))
    service.files.write(alice, deepest, b"deepest")
    assert service.files.read(alice, deepest)[0] == b"deepest"
    assert service.files.stat(alice, deepest)["path"] == deepest
