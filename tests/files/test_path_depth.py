"""The depth bound on paths holds for moves too, and the deepest allowed file is readable
through a grant at the top and nested groups (the permission engine's step bound leaves
room for it: before the bound, a file 51 levels down failed with depth_exceeded)."""

from __future__ import annotations

import pytest

from nexus.errors import NexusValidationError
from nexus.files import NexusService, Principal
from nexus.paths import MAX_PATH_DEPTH


def _deep(base: str, levels: int) -> str:
    return base + "".join(f"/d{level}" for level in range(levels))


def test_a_move_may_not_put_entries_below_the_depth_bound(
    service: NexusService, people: dict[str, Principal]
) -> None:
    alice = people["alice"]
    # A 10-level subtree (tree/d0../d8/leaf.txt), and a folder 25 levels down.
    leaf = _deep("/workspace/team/tree", 9) + "/leaf.txt"
    service.files.write(alice, leaf, b"x")
    target = _deep("/workspace/team/deep", 23)
    service.files.mkdir(alice, target)
    with pytest.raises(NexusValidationError) as caught:
        service.files.move(alice, "/workspace/team/tree", target + "/tree")
    assert caught.value.detail_code == "invalid_path"
    assert f"{MAX_PATH_DEPTH} levels" in str(caught.value)
    assert service.files.read(alice, leaf)[0] == b"x"  # nothing moved, nothing lost
    service.files.move(alice, "/workspace/team/tree", "/workspace/team/deep/tree")
    moved = _deep("/workspace/team/deep/tree", 9) + "/leaf.txt"
    assert service.files.read(alice, moved)[0] == b"x"


def test_the_deepest_file_is_readable_through_nested_groups(
    service: NexusService, people: dict[str, Principal]
) -> None:
    alice, bob = people["alice"], people["bob"]
    service.groups.create(alice, "inner")
    service.groups.create(alice, "middle")
    service.groups.create(alice, "outer")
    service.groups.add_user(alice, "bob", "inner")
    service.groups.add_group(alice, "inner", "middle")
    service.groups.add_group(alice, "middle", "outer")
    service.files.mkdir(alice, "/workspace/top")
    service.permissions.grant(alice, "group", "outer", "file", "/workspace/top", "can_read")
    deepest = _deep("/workspace/top", MAX_PATH_DEPTH - 3) + "/f.txt"
    assert deepest.count("/") == MAX_PATH_DEPTH
    service.files.write(alice, deepest, b"deep")
    assert service.files.read(bob, deepest)[0] == b"deep"
    assert service.permissions.check(bob, "user", "bob", "file", deepest, "can_read").allowed
    listed = {info["path"] for info in service.files.list(bob, "/workspace/top", recursive=True)}
    assert deepest in listed
    with pytest.raises(NexusValidationError) as caught:
        service.files.write(alice, deepest[: -len("/f.txt")] + "/one/more.txt", b"x")
    assert caught.value.detail_code == "invalid_path"
